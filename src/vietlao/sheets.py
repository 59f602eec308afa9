"""Annotators' sheets (``annotations/passes/<pass>/<doc>.yaml``) -> mentions and stance.

A sheet lists, per sentence id, the stance and the mentions in reading order as exact surface
strings; each mention is located at its first occurrence after the end of the previous one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from vietlao.corpus import Document
from vietlao.export import Mention


class SheetError(ValueError):
    """A sheet that cannot be located in its document."""


@dataclass(frozen=True)
class SheetSentence:
    sentence_id: str
    text: str
    mentions: tuple[Mention, ...]
    stance: str


def locate_mentions(sentence_id: str, text: str, entries: list[dict]) -> tuple[Mention, ...]:
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
        mentions.append(Mention(start, end, entry.get("type"), entry.get("id")))
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
