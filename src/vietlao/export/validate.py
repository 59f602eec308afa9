"""The project's own export checked against its documents and inventory (``vietlao validate``)."""

from __future__ import annotations

from pathlib import Path

from vietlao.corpus.documents import load_corpus
from vietlao.export.reader import read_export
from vietlao.export.task import Context, ExportError, Problem, SentenceRecord
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
