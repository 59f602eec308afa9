"""``vietlao report``: the HTML error report of predictions files (:mod:`vietlao.report`), argparse wiring."""

from __future__ import annotations

import argparse
from pathlib import Path

from vietlao.errors import UserError
from vietlao.evaluation.evaluate import SCHEMES, TAGSETS, TASKS

EPILOG = """\
examples:
  vietlao report --task ner --predictions mine.jsonl --baselines crf,e5-crf --output report.html
  vietlao report --task ner --predictions a=run1.jsonl b=run2.jsonl --protocol lodo --output lodo.html
  vietlao report --task stance --baselines all --protocol xling-ru --output stance.html

The predictions are scored and checked as `vietlao evaluate` does (same gold, same joins, same bootstrap);
a file it refuses is refused here. The page is one file with nothing to fetch: open it from disk.
"""


def _shown(path: Path) -> str:
    """A path as the report names it: relative to the project when inside it."""
    from vietlao.paths import project

    try:
        return str(Path(path).resolve().relative_to(project().root.resolve()))
    except ValueError:
        return str(path)


def _systems(args: argparse.Namespace, protocol: str) -> list:
    from vietlao.models.registry import select_baselines
    from vietlao.benchmark.protocols import predictions_file
    from vietlao.evaluation.evaluate import read_predictions
    from vietlao.paths import project
    from vietlao.report.views import System

    systems = []
    for item in args.predictions or []:
        name, sep, path = item.partition("=")
        if not sep:
            name, path = Path(item).stem, item
        if not name:
            raise UserError(f"--predictions {item}: an empty name before '='")
        systems.append(System(name, read_predictions(path), path))
    if args.baselines:
        names = None if args.baselines.strip() == "all" else [x.strip() for x in args.baselines.split(",") if x.strip()]
        modules = [m for m in select_baselines(names) if m.TASK == args.task]
        if not modules:
            raise UserError(f"--baselines {args.baselines}: no {args.task} baseline among them")
        for module in modules:
            path = predictions_file(project().results, module, protocol)
            if not path.is_file():
                raise UserError(f"--baselines: no predictions of {module.NAME} under {protocol} ({path}); "
                                "run vietlao benchmark first")
            systems.append(System(module.NAME, read_predictions(path), _shown(path)))
    if not systems:
        raise UserError("no predictions: give --predictions FILE … and/or --baselines NAMES")
    return systems


def _run(args: argparse.Namespace) -> int:
    from vietlao.benchmark.error_reports import setting
    from vietlao.benchmark.protocols import protocols
    from vietlao.evaluation.gold import load_gold
    from vietlao.report.build import build_report
    from vietlao.report.render import write_html

    if args.bootstrap < 0:
        raise UserError(f"--bootstrap {args.bootstrap}: 0 or more")
    rows = load_gold("ner", "all", args.dataset)
    known = {p.name: p for p in protocols(rows)}
    if args.protocol not in known:
        raise UserError(f"unknown protocol {args.protocol!r}: choose from {', '.join(known)}")
    systems = _systems(args, args.protocol)
    model = build_report({args.task: systems}, setting(known[args.protocol]), dataset_dir=args.dataset,
                         tagset=args.tagset, scheme=args.scheme, n_boot=args.bootstrap, seed=args.seed,
                         sentences=rows)
    out = write_html(model, args.output)
    task = model["tasks"][0]
    print(f"{args.task} under {args.protocol}: {len(systems)} system(s), {len(task['cards'])} sentences; "
          f"report written to {out} ({out.stat().st_size / 1024:.0f} KiB)")
    return 0


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "report", help="an HTML error report of predictions files (sentences, errors, buckets), one static file",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--task", required=True, choices=TASKS, help="the task of the predictions files")
    p.add_argument("--predictions", nargs="+", metavar="[NAME=]FILE",
                   help="predictions files in vietlao evaluate's format; NAME= names a system (default: the file's stem)")
    p.add_argument("--baselines", metavar="NAMES",
                   help="also the benchmark's baselines of the task under the protocol (comma list, or all), "
                   "from benchmarks/results/predictions")
    p.add_argument("--protocol", default="fixed",
                   help="fixed, lodo or xling-<lang>: the gold scored and the training part (seen/unseen) "
                   "(default: %(default)s)")
    p.add_argument("--output", required=True, metavar="FILE", help="the HTML file to write")
    p.add_argument("--tagset", default="fine", choices=TAGSETS, help="NER: fine or coarse types (default: %(default)s)")
    p.add_argument("--scheme", default="iob2", choices=SCHEMES, help="NER tags: chunking scheme (default: %(default)s)")
    p.add_argument("--bootstrap", type=int, default=1000, metavar="N", help="bootstrap resamples (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default: %(default)s)")
    p.add_argument("--dataset", default=None, metavar="DIR", help="dataset folder (default: dataset/ of the project)")
    p.set_defaults(func=_run)
