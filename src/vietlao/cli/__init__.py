"""The ``vietlao`` command: one entry point, one subcommand per pipeline stage."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from vietlao.cli import benchmark, corpus, dataset, evaluation, export, labelstudio, publish, report
from vietlao.corpus.metadata import CorpusError
from vietlao.errors import UserError, escape_controls
from vietlao.export.task import ExportError
from vietlao.paths import ROOT_ENV


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vietlao",
        description="Vietnam–Laos multilingual NER and stance dataset: annotate, validate, build, benchmark.",
        epilog="`vietlao COMMAND --help` describes a command. Guides: README.md (set-up, Label Studio, "
        "building) and benchmarks/README.md (scoring your own model).",
    )
    parser.add_argument(
        "--root", metavar="DIR",
        help=f"the project folder (annotations/, dataset/, benchmarks/; default: ${ROOT_ENV}, else the current directory)",
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    corpus.add_parser(subparsers)
    export.add_parser(subparsers)
    dataset.add_parser(subparsers)
    labelstudio.add_parser(subparsers)
    labelstudio.add_agreement_parser(subparsers)
    evaluation.add_parser(subparsers)
    report.add_parser(subparsers)
    benchmark.add_parser(subparsers)
    publish.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.root:  # for this process and the ones it starts
        os.environ[ROOT_ENV] = os.path.abspath(args.root)
    if not hasattr(args, "func"):
        parser.print_help()
        return 0
    # SIGTERM unwinds like Ctrl-C, so that every command removes its temporary files on the way out
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminated) if main_thread else None
    try:
        code = args.func(args)
        sys.stdout.flush()
        return code
    except (UserError, CorpusError, ExportError) as exc:
        # the values in a message are escaped where they are put in (vietlao.errors.shown); this
        # keeps any control character that slipped through off the terminal
        print(f"vietlao: error: {escape_controls(str(exc), keep=chr(10))}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (`vietlao … | head`): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that the interpreter's final flush cannot fail
        return 1
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


def _terminated(signum, frame) -> None:
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    sys.exit(main())
