"""``vietlao ls``: argparse wiring for the Label Studio commands (serve, push, annotate, pull)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from vietlao.labelstudio.client import Client, token_from_env
from vietlao.labelstudio.commands import DEFAULT_TITLE, annotate, pull, push
from vietlao.paths import project


def _client(args: argparse.Namespace) -> Client:
    return Client.from_env(args.url, timeout=args.timeout, attempts=args.retries, backoff=args.backoff)


def _timed(label: str, fn) -> int:
    start = time.monotonic()
    fn()
    print(f"{label} took {time.monotonic() - start:.1f} s")
    return 0


def _run_serve(args: argparse.Namespace) -> int:
    from vietlao.labelstudio.server import serve

    return serve(args.port, Path(args.data_dir) if args.data_dir else project().ls_data, token_from_env())


def _run_push(args: argparse.Namespace) -> int:
    return _timed("push", lambda: push(_client(args), args.project_title, model_version=args.model_version))


def _run_annotate(args: argparse.Namespace) -> int:
    return _timed("annotate", lambda: annotate(
        _client(args), Path(args.sheets), args.project_title, pass_name=args.pass_name, replace=args.replace))


def _run_pull(args: argparse.Namespace) -> int:
    return _timed("pull", lambda: pull(
        _client(args), Path(args.output) if args.output else None, args.project_title, validate=not args.no_validate, complete=args.complete))


def add_parser(subparsers) -> None:
    from vietlao.labelstudio.server import DEFAULT_PORT

    ls = subparsers.add_parser("ls", help="Label Studio: serve it, push tasks, enter sheets, pull the export")
    ls.set_defaults(func=lambda args: ls.print_help() or 0)
    sub = ls.add_subparsers(title="Label Studio commands", metavar="LS_COMMAND")

    p = sub.add_parser("serve", help="run Label Studio on 127.0.0.1 in the foreground (Ctrl-C stops it)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default: %(default)s)")
    p.add_argument("--data-dir", default=None, help="database and media (default: .ls-data)")
    p.set_defaults(func=_run_serve)

    api = argparse.ArgumentParser(add_help=False)
    api.add_argument("--url", default=None, help="server URL (default: $VIETLAO_LS_URL or http://127.0.0.1:8080)")
    api.add_argument("--project-title", default=DEFAULT_TITLE, help="project title (default: %(default)s)")
    api.add_argument("--timeout", type=float, default=60.0, help="seconds per request (default: %(default)s)")
    api.add_argument("--retries", type=int, default=4, help="attempts for transient errors (default: %(default)s)")
    api.add_argument("--backoff", type=float, default=1.0, help="first retry delay, doubled each time (default: %(default)s)")

    p = sub.add_parser("push", parents=[api], help="create the project, import missing sentence tasks with predictions")
    p.add_argument("--model-version", default=None, help="prediction model version (default: gazetteer- and 8 hex digits of the inventory's sha256)")
    p.set_defaults(func=_run_push)

    p = sub.add_parser("annotate", parents=[api], help="enter annotators' sheets as annotations")
    p.add_argument("--sheets", required=True, help="directory of <doc_id>.yaml sheets")
    p.add_argument("--pass-name", default=None, help="recorded in each task's meta (default: the directory name)")
    p.add_argument("--replace", action="store_true", help="overwrite a task's one completed annotation")
    p.set_defaults(func=_run_annotate)

    p = sub.add_parser("pull", parents=[api], help="export, pseudonymise, validate, and write atomically")
    p.add_argument("--output", default=None, help="export file (default: annotations/export.json)")
    p.add_argument("--complete", action="store_true", help="require an annotated task for every sentence")
    p.add_argument("--no-validate", action="store_true", help="write the export even if it is invalid")
    p.set_defaults(func=_run_pull)
