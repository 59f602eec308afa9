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

from vietlao.benchmark.reproduce import compare_rows, reproduced, verdict_table
from vietlao.benchmark.run import SEEDS
from vietlao.errors import UserError
from vietlao.paths import project

NARROWED_DIR = ("build", "benchmark")


def _section_table(report: Path, heading: str) -> str:
    """The first Markdown table under ``heading`` in ``report`` ('' if there is none)."""
    lines = report.read_text(encoding="utf-8").splitlines()
    if heading not in lines:
        return ""
    after = lines[lines.index(heading):]
    start = next((i for i, line in enumerate(after) if line.startswith("|")), None)
    if start is None:
        return ""
    end = next((i for i in range(start, len(after)) if not after[i].startswith("|")), len(after))
    return "\n".join(after[start:end])


def plan(args: argparse.Namespace) -> tuple[Path, list[str] | None, bool]:
    """Check the arguments; the output folder, the baselines and whether the run is complete."""
    from vietlao.benchmark.baselines import select_baselines
    from vietlao.benchmark.run import check_output

    if args.seeds < 1:
        raise UserError(f"--seeds {args.seeds}: at least 1")
    if args.bootstrap < 0:
        raise UserError(f"--bootstrap {args.bootstrap}: 0 or more")
    names = [x.strip() for x in args.baselines.split(",") if x.strip()] if args.baselines is not None else None
    if names is not None and not names:
        raise UserError("--baselines: no baseline named")
    modules = select_baselines(names)
    missing = [m.NAME for m in modules if not getattr(m, "available", lambda: True)()]
    complete = names is None and not args.no_peers and not missing
    results = project().results
    if args.replace_results and args.output and Path(args.output).resolve() != results.resolve():
        raise UserError(f"--replace-results writes the committed results ({results}); it takes no other --output")
    output = results if args.replace_results else (
        Path(args.output) if args.output else project().root.joinpath(*NARROWED_DIR))
    if output.resolve() == results.resolve() and not args.replace_results:
        raise UserError(f"--output {args.output}: that is the committed results; a run that should replace them "
                        "says so with --replace-results (and no --output)")
    check_output(output)
    return output, names, complete


def _run(args: argparse.Namespace) -> int:
    from vietlao.benchmark.run import run_benchmark

    started = time.perf_counter()
    output, names, complete = plan(args)
    out = run_benchmark(output, args.dataset, seeds=tuple(range(args.seeds)), n_boot=args.bootstrap,
                        baselines=names, peers=not args.no_peers)
    if output.resolve() == project().results.resolve():
        from vietlao.dataset.card import refresh_results

        refresh_results()  # the card quotes the table of the project's own results
    print(out["table"])
    peers = _section_table(output / "RESULTS.md", "## Off-the-shelf peers")
    if peers:
        print("\nOff-the-shelf peers beside the baselines, same sentences, coarse types:\n" + peers)
    print(f"results{'' if complete else ' (narrowed run)'}: {output / 'results.json'}, {output / 'RESULTS.md'} "
          f"({time.perf_counter() - started:.1f}s)")
    committed = project().results
    if output.resolve() == committed.resolve() or not (committed / "results.json").is_file():
        return 0
    verdicts = compare_rows(output, committed, project().root)
    if not complete:
        verdicts = [v for v in verdicts if v.status != "missing"]
    same = reproduced(verdicts)
    print(f"\nReproduction of the committed results ({committed.relative_to(project().root)}): "
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
