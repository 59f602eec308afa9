"""``vietlao report``: the HTML error report of predictions files (:mod:`vietlao.report`), argparse wiring."""

from __future__ import annotations

import argparse

from vietlao.evaluation.evaluate import SCHEMES, TAGSETS, TASKS

EPILOG = """\
examples:
  vietlao report --task ner --predictions mine.jsonl --baselines crf,e5-crf --output report.html
  vietlao report --task ner --predictions a=run1.jsonl b=run2.jsonl --protocol lodo --output lodo.html
  vietlao report --task stance --baselines all --protocol xling-ru --output stance.html

The predictions are scored and checked as `vietlao evaluate` does (same gold, same joins, same bootstrap);
a file it refuses is refused here. The page is one file with nothing to fetch: open it from disk.
"""


def _run(args: argparse.Namespace) -> int:
    from vietlao.benchmark.error_reports import write_error_report

    out, model = write_error_report(args.task, args.predictions or [], args.baselines, args.protocol, args.output,
                                    dataset_dir=args.dataset, tagset=args.tagset, scheme=args.scheme,
                                    n_boot=args.bootstrap, seed=args.seed)
    task = model["tasks"][0]
    print(f"{args.task} under {args.protocol}: {len(task['systems'])} system(s), {len(task['cards'])} sentences; "
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
