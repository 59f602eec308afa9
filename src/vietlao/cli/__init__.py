"""The ``vietlao`` command: one entry point, one subcommand per pipeline stage."""

from __future__ import annotations

import argparse
import os
import sys

from vietlao.cli import benchmark, commands, labelstudio
from vietlao.corpus.documents import CorpusError, corpus_statistics, load_corpus
from vietlao.errors import UserError
from vietlao.export.task import ExportError
from vietlao.paths import ROOT_ENV


def _run_stats(args: argparse.Namespace) -> int:
    documents = load_corpus()
    rows = corpus_statistics(documents)
    header = f"{'doc':<5}{'lang':<6}{'characters':>11}{'sentences':>11}{'tokens':>9}"
    print(header)
    for r in rows:
        print(f"{r['doc_id']:<5}{r['lang']:<6}{r['characters']:>11}{r['sentences']:>11}{r['tokens']:>9}")
    total = {k: sum(r[k] for r in rows) for k in ("characters", "sentences", "tokens")}
    print(f"{'all':<11}{total['characters']:>11}{total['sentences']:>11}{total['tokens']:>9}")
    return 0


def _add_stats_parser(subparsers) -> None:
    p = subparsers.add_parser("stats", help="verify the documents and print per-document statistics")
    p.set_defaults(func=_run_stats)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vietlao",
        description="Vietnam–Laos multilingual NER and stance dataset: annotate, validate, build, benchmark.",
    )
    parser.add_argument(
        "--root", metavar="DIR",
        help=f"the project folder (annotations/, dataset/, benchmarks/; default: ${ROOT_ENV}, else the current directory)",
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_stats_parser(subparsers)
    commands.add_parsers(subparsers)
    labelstudio.add_parser(subparsers)
    benchmark.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.root:  # for this process and the ones it starts
        os.environ[ROOT_ENV] = os.path.abspath(args.root)
    if not hasattr(args, "func"):
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except (UserError, CorpusError, ExportError) as exc:
        print(f"vietlao: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
