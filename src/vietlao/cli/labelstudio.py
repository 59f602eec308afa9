"""``vietlao ls``: argparse wiring for the Label Studio commands (serve, push, config, annotate, pull),
and ``vietlao agreement`` between two annotation passes (Label Studio exports or sheets)."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from vietlao.corpus.inventory import load_inventory
from vietlao.export.validate import gold_context
from vietlao.files import check_input, given
from vietlao.label_config import render_label_config, write_label_config
from vietlao.labelstudio.client import Client, token_from_env
from vietlao.labelstudio.commands import DEFAULT_TITLE, annotate, pull, push
from vietlao.labelstudio.project import PASSES
from vietlao.assist.model_preannotate import DEFAULT_MODEL, MODELS
from vietlao.paths import project
from vietlao.tables import markdown_table


def _client(args: argparse.Namespace) -> Client:
    return Client.from_env(args.url, timeout=args.timeout, attempts=args.retries, backoff=args.backoff,
                           deadline=args.deadline or None)


def _timed(label: str, fn) -> int:
    start = time.monotonic()
    fn()
    print(f"{label} took {time.monotonic() - start:.1f} s")
    return 0


def _run_serve(args: argparse.Namespace) -> int:
    from vietlao.labelstudio.server import serve

    return serve(args.port, Path(args.data_dir) if args.data_dir else project().ls_data, token_from_env())


def _run_push(args: argparse.Namespace) -> int:
    restore_from = given(args.restore_from, "--restore-from")
    if restore_from is not None:
        check_input(restore_from, "--restore-from")  # named, so it must be there
    client = _client(args)  # a missing token is reported before any training
    predictor, version = None, args.model_version
    if args.pass_number == 1 and args.model != "gazetteer":
        from vietlao.assist.service import push_predictor

        version, predictor = push_predictor(args.model)
    return _timed("push", lambda: push(
        client, args.project_title, model_version=version, pass_number=args.pass_number, predictor=predictor,
        restore=not args.no_restore, restore_from=restore_from))


def _run_backend(args: argparse.Namespace) -> int:
    from vietlao.assist.service import run_backend

    # a server runs for hours: --deadline bounds the start-up exchange and each retraining's listing
    return run_backend(args.model, args.port, args.debounce, None if args.no_connect else _client(args),
                       args.project_title)


def _run_config(args: argparse.Namespace) -> int:
    changed = write_label_config(render_label_config(load_inventory()))
    print(f"{project().label_config}: {'regenerated from the inventory' if changed else 'up to date'}")
    return 0


def _run_annotate(args: argparse.Namespace) -> int:
    return _timed("annotate", lambda: annotate(
        _client(args), Path(args.sheets), args.project_title, pass_name=args.pass_name, replace=args.replace))


def _run_pull(args: argparse.Namespace) -> int:
    return _timed("pull", lambda: pull(
        _client(args), given(args.output, "--output"), args.project_title, validate=not args.no_validate,
        complete=args.complete, accept_changes=args.accept_changes))


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
    api.add_argument("--timeout", type=float, default=60.0, help="seconds per read (default: %(default)s)")
    api.add_argument("--deadline", type=float, default=1800.0,
                     help="seconds the whole command may take, retries included; 0: no limit (default: %(default)s)")
    api.add_argument("--retries", type=int, default=4, help="attempts for transient errors (default: %(default)s)")
    api.add_argument("--backoff", type=float, default=1.0, help="first retry delay, doubled each time (default: %(default)s)")

    p = sub.add_parser("push", parents=[api], help="create the project, import missing sentence tasks with predictions")
    p.add_argument("--model", default=DEFAULT_MODEL, choices=sorted(MODELS),
                   help="pre-annotation model, trained on the current gold (default: %(default)s, the fewest "
                        "edits per 100 gold mentions in benchmarks/results/RESULTS.md)")
    p.add_argument("--model-version", default=None, help="the gazetteer's model version (default: gazetteer- and 8 hex digits of the inventory's sha256)")
    p.add_argument("--pass", dest="pass_number", type=int, choices=PASSES, default=1,
                   help="annotation pass: 1 (the project, with predictions) or 2 (PROJECT_TITLE-pass2, blind: "
                        "same tasks, no predictions) (default: %(default)s)")
    p.add_argument("--restore-from", default=None,
                   help="pass 1: export whose annotated sentences are imported as they stand there "
                        "(default: annotations/export.json)")
    p.add_argument("--no-restore", action="store_true", help="import every new sentence with predictions only")
    p.set_defaults(func=_run_push)

    p = sub.add_parser(
        "backend", parents=[api], help="serve a pre-annotation model as Label Studio's ML backend, retrained on annotations",
        description="Serve a pre-annotation model on 127.0.0.1 with Label Studio's ML-backend protocol (/health, "
                    "/setup, /predict, /webhook), attach it to the project, and retrain it (debounced, in the "
                    "background) whenever Label Studio reports new annotations. Ctrl-C or SIGTERM stops it.")
    p.add_argument("--port", type=int, default=9090, help="port on 127.0.0.1; 0: a free one (default: %(default)s)")
    p.add_argument("--model", default=DEFAULT_MODEL, choices=sorted(MODELS), help="model (default: %(default)s)")
    p.add_argument("--debounce", type=float, default=10.0,
                   help="seconds without new annotations before retraining starts (default: %(default)s)")
    p.add_argument("--no-connect", action="store_true",
                   help="serve the model trained on the gold only; attach it to no project")
    p.set_defaults(func=_run_backend)

    p = sub.add_parser("config", help="regenerate annotations/label_config.xml from the vocabularies and the inventory")
    p.set_defaults(func=_run_config)

    p = sub.add_parser("annotate", parents=[api], help="enter annotators' sheets as annotations")
    p.add_argument("--sheets", required=True, help="directory of <doc_id>.yaml sheets")
    p.add_argument("--pass-name", default=None, help="recorded in each task's meta (default: the directory name)")
    p.add_argument("--replace", action="store_true", help="overwrite a task's one completed annotation")
    p.set_defaults(func=_run_annotate)

    p = sub.add_parser("pull", parents=[api], help="export, pseudonymise, validate, and write atomically")
    p.add_argument("--output", default=None, help="export file (default: annotations/export.json)")
    p.add_argument("--complete", action="store_true", help="require an annotated task for every sentence")
    p.add_argument("--no-validate", action="store_true",
                   help="write the export even if its spans are invalid (it is still pseudonymised and strict JSON)")
    p.add_argument("--accept-changes", action="store_true",
                   help="replace annotations that differ from the current export (listed and refused otherwise)")
    p.set_defaults(func=_run_pull)


# -- agreement ----------------------------------------------------------------------------------


def _run_agreement(args: argparse.Namespace) -> int:
    # scikit-learn (Cohen's kappa) is in the bench extra; only this command needs it
    from vietlao.evaluation.agreement import agreement

    res = agreement(args.pass_a, args.pass_b, gold_context())
    if args.json:
        print(json.dumps(res, ensure_ascii=False, indent=2))
        return 0
    print(f"{res['sentences']} sentences in both passes "
          f"({res['only_in_a']} only in A, {res['only_in_b']} only in B)\n")
    rows = [[t, r["a"], r["b"], r["both"], r["f1"]] for t, r in [*res["per_type"].items(), ("all", res["micro"])]
            if r["a"] or r["b"]]
    print(markdown_table(["type", "A", "B", "both", "span F1"], rows) + "\n")
    ids = res["entity_ids"]
    print(markdown_table(["stance agreement", "Cohen's kappa", "linkable spans in both", "same entity_id"],
                         [[res["stance_agreement"], res["stance_kappa"], ids["shared_linkable_spans"], ids["same_id"]]]))
    if args.disagreements and res["disagreements"]:
        keys = ["sentence_id", "stance_a", "stance_b", "only_a", "only_b", "entity_ids"]
        print("\n" + markdown_table(["sentence", "stance A", "stance B", "spans only in A", "spans only in B",
                                     "entity_id A / B"], [[d[k] for k in keys] for d in res["disagreements"]]))
    return 0


def add_agreement_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "agreement", help="span F1 per type and Cohen's kappa between two annotation passes",
        description="Agreement between two annotation passes. A pass is a Label Studio JSON export "
                    "(vietlao ls pull --project-title vietlao-pass2 --output FILE --partial), one annotator "
                    "of an export (FILE#annotator-2), or a folder of sheets.",
    )
    p.add_argument("pass_a", help="the first pass (the reference side of the scorer)")
    p.add_argument("pass_b", help="the second pass")
    p.add_argument("--disagreements", action="store_true", help="list every disagreement by sentence")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(func=_run_agreement)
