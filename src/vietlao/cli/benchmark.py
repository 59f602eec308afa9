"""``vietlao benchmark``: argparse wiring; the work is in :mod:`vietlao.benchmark.run`.

A run writes to ``build/benchmark`` (git-ignored) unless ``--output`` names a folder, then prints its
table and a reproduction verdict: row by row, whether it gives the committed results
(``benchmarks/results``) to the byte, and by how much a row differs (``--check``: exit 1 when one
does). Rewriting the committed results is an explicit act: ``--replace-results`` writes the run there
and re-quotes its table in the card. A narrowed run (``--baselines``, ``--no-peers``, or a baseline
whose extra is missing) is compared on the rows it has. Arguments are checked before anything is
written, and every output folder is replaced in one rename when the run has finished.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from vietlao.benchmark.reproduce import against_committed, output_folder, reproduced, verdict_table
from vietlao.benchmark.protocols import SEEDS
from vietlao.errors import UserError
from vietlao.paths import project


def plan(args: argparse.Namespace) -> tuple[Path, list[str] | None, bool]:
    """Check the arguments; the output folder, the baselines and whether the run is complete."""
    from vietlao.benchmark.run import check_output
    from vietlao.models.interface import available
    from vietlao.models.registry import select_baselines

    if args.seeds < 1:
        raise UserError(f"--seeds {args.seeds}: at least 1")
    if args.bootstrap < 0:
        raise UserError(f"--bootstrap {args.bootstrap}: 0 or more")
    names = [x.strip() for x in args.baselines.split(",") if x.strip()] if args.baselines is not None else None
    if names is not None and not names:
        raise UserError("--baselines: no baseline named")
    missing = [m.NAME for m in select_baselines(names) if not available(m)]
    output = output_folder(args.output, args.replace_results)
    check_output(output)
    return output, names, names is None and not args.no_peers and not missing


def _run(args: argparse.Namespace) -> int:
    from vietlao.benchmark.report import peer_table
    from vietlao.benchmark.run import run_benchmark

    started = time.perf_counter()
    output, names, complete = plan(args)
    out = run_benchmark(output, args.dataset, seeds=tuple(range(args.seeds)), n_boot=args.bootstrap,
                        baselines=names, peers=not args.no_peers)
    if output.resolve() == project().results.resolve():
        from vietlao.dataset.card import refresh_results

        refresh_results()  # the card quotes the table of the project's own results
    print(out["table"])
    if out["results"]["peer_comparison"]["rows"]:
        print("\nOff-the-shelf peers beside the baselines, same sentences, coarse types:\n"
              + peer_table(out["results"]["peer_comparison"], "peer"))
    print(f"results{'' if complete else ' (narrowed run)'}: {output / 'results.json'}, {output / 'RESULTS.md'} "
          f"({time.perf_counter() - started:.1f}s)")
    verdicts = against_committed(output, complete)
    if verdicts is None:
        return 0
    same = reproduced(verdicts)
    print(f"\nReproduction of the committed results ({project().results.relative_to(project().root)}): "
          + ("every row identical" if same else "rows differ") + "\n" + verdict_table(verdicts))
    return 1 if args.check and not same else 0


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("benchmark", help="run every baseline under every protocol and write the results")
    p.add_argument("--output", default=None,
                   help="results folder (default: build/benchmark; the committed results only with --replace-results)")
    p.add_argument("--dataset", default=None, help="dataset folder (default: dataset)")
    p.add_argument("--seeds", type=int, default=len(SEEDS), help="seeds 0..N-1 for seed-dependent baselines (default: %(default)s)")
    p.add_argument("--bootstrap", type=int, default=1000, metavar="N", help="bootstrap resamples (default: %(default)s)")
    p.add_argument("--baselines", help="only these baselines (comma list of names): a narrowed run")
    p.add_argument("--no-peers", action="store_true", help="skip the off-the-shelf peers: a narrowed run")
    p.add_argument("--replace-results", action="store_true",
                   help="write the run over the committed results in benchmarks/results and re-quote them in the card")
    p.add_argument("--check", action="store_true",
                   help="exit 1 when a row differs from the committed results (the main job's reproduction check)")
    p.set_defaults(func=_run)
