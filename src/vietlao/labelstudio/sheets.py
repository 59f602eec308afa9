"""Annotators' sheets (``annotations/passes/<pass>/<doc>.yaml``) -> mentions and stance.

A sheet lists, per sentence id, the stance and the mentions in reading order as exact surface
strings; each mention is located at its first occurrence after the end of the previous one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import cast

import yaml

from vietlao.corpus.documents import Document
from vietlao.spans import Span


class SheetError(ValueError):
    """A sheet that cannot be located in its document."""


@dataclass(frozen=True)
class SheetSentence:
    sentence_id: str
    text: str
    mentions: tuple[Span, ...]
    stance: str


def locate_mentions(sentence_id: str, text: str, entries: list[dict]) -> tuple[Span, ...]:
    """Character spans of the listed mentions, searched left to right."""
    mentions, cursor = [], 0
    for entry in entries or []:
        surface = entry.get("text")
        if not isinstance(surface, str) or not surface:
            raise SheetError(f"{sentence_id}: mention without text: {entry!r}")
        start = text.find(surface, cursor)
        if start < 0:
            raise SheetError(f"{sentence_id}: {surface!r} not found after position {cursor}")
        end = start + len(surface)
        # the type is not checked here (an entry without one gives a label of None, as ever)
        mentions.append(Span(start, end, cast(str, entry.get("type")), entry.get("id")))
        cursor = end
    return tuple(mentions)


def read_sheet(path: Path, document: Document) -> list[SheetSentence]:
    """All sentences of one document's sheet, checked against the document's sentences."""
    rows = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    texts = {document.sentence_id(i): s.text for i, s in enumerate(document.sentences)}
    out = []
    for row in rows:
        sid = str(row["id"])
        if sid not in texts:
            raise SheetError(f"{path}: unknown sentence id {sid}")
        out.append(SheetSentence(sid, texts[sid], locate_mentions(sid, texts[sid], row.get("entities")), row.get("stance")))
    missing = texts.keys() - {s.sentence_id for s in out}
    if missing:
        raise SheetError(f"{path}: sentences not annotated: {sorted(missing)}")
    return out


def sheets_to_tasks(directory: Path, documents: list[Document], annotator: str = "annotator-1") -> list[dict]:
    """Label Studio export-shaped tasks from a folder of sheets (for tests and offline checks).

    The project's gold export comes from Label Studio (``vietlao ls pull``); this gives the same
    shape without a server, one completed annotation per task.
    """
    from vietlao.labelstudio.tasks import ls_result, sentence_tasks

    tasks: list[dict] = []
    for doc in documents:
        sheet = {s.sentence_id: s for s in read_sheet(directory / f"{doc.doc_id}.yaml", doc)}
        for data in sentence_tasks([doc]):
            s = sheet[data["sentence_id"]]
            tasks.append(
                {
                    "id": len(tasks) + 1,
                    "data": data,
                    "annotations": [
                        {
                            "id": len(tasks) + 1,
                            "completed_by": annotator,
                            "was_cancelled": False,
                            "ground_truth": False,
                            "result": ls_result(s.sentence_id, s.text, s.mentions, s.stance),
                        }
                    ],
                    "predictions": [],
                }
            )
    return tasks
