"""``vietlao validate``: check an export against the label config, documents and inventory."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from vietlao.corpus.documents import load_corpus
from vietlao.export.task import Context, SentenceRecord
from vietlao.export.reader import read_export
from vietlao.corpus.inventory import load_inventory
from vietlao.paths import project


def gold_context() -> Context:
    """The context of the project's own data: its documents and its inventory."""
    inventory = {e.id: e.type for e in load_inventory().values()}
    documents = {d.doc_id: d for d in load_corpus()}
    return Context(inventory=inventory, documents=documents)


def validate_gold(path: Path | None = None, complete: bool = True) -> list[SentenceRecord]:
    """Records of a valid export (default: the project's ``annotations/export.json``); with
    ``complete``, every sentence of the corpus must be there."""
    path = path or project().export
    ctx = gold_context()
    records = read_export(path, ctx)
    if complete:
        from vietlao.export.task import ExportError, Problem

        expected = {d.sentence_id(i) for d in ctx.documents.values() for i in range(len(d.sentences))}
        missing = sorted(expected - {r.sentence_id for r in records})
        if missing:
            hint = (f"; {len(missing)} of {len(expected)} sentences have none: a partial export "
                    "(`vietlao ls pull` without --complete) is checked with `vietlao validate --partial`")
            raise ExportError(str(path), [
                Problem(None, sid, "sentence has no task in the export" + (hint if i == 0 else ""))
                for i, sid in enumerate(missing)
            ])
    return records


def _run(args: argparse.Namespace) -> int:
    export = Path(args.export) if args.export else project().export
    records = validate_gold(export, complete=not args.partial)
    mentions = Counter(m.label for r in records for m in r.mentions)
    stances = Counter(r.stance for r in records)
    print(f"{export}: valid — {len(records)} sentences, {sum(mentions.values())} mentions")
    print("  mentions: " + ", ".join(f"{k} {mentions[k]}" for k in sorted(mentions)))
    print("  stance:   " + ", ".join(f"{k} {stances[k]}" for k in sorted(stances)))
    return 0


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("validate", help="check a Label Studio JSON export (default: the committed one)")
    p.add_argument("export", nargs="?", default=None, help="export file (default: annotations/export.json)")
    p.add_argument("--partial", action="store_true",
                   help="do not require a task for every sentence (exports pulled without --complete)")
    p.set_defaults(func=_run)
