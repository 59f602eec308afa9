"""Documents -> Label Studio sentence tasks, and spans -> Label Studio result items."""

from __future__ import annotations

import hashlib
from typing import Iterable

from vietlao import label_config as lc
from vietlao.corpus.documents import Document
from vietlao.spans import Span


def sentence_tasks(documents: Iterable[Document]) -> list[dict]:
    """One task ``data`` object per sentence, in document order."""
    tasks = []
    for doc in documents:
        for i, s in enumerate(doc.sentences):
            tasks.append(
                {
                    "text": s.text,
                    "doc_id": doc.doc_id,
                    "sentence_id": doc.sentence_id(i),
                    "lang": doc.meta.lang,
                    "offset": s.start,
                }
            )
    return tasks


def region_id(sentence_id: str, mention: Span) -> str:
    """A stable region id, so re-entering the same mention gives the same result."""
    key = f"{sentence_id}:{mention.start}:{mention.end}:{mention.label}"
    return hashlib.sha1(key.encode()).hexdigest()[:10]


def ls_result(sentence_id: str, text: str, mentions: Iterable[Span], stance: str | None) -> list[dict]:
    """Label Studio result items: a labels region (+ its entity_id) per mention, and the stance."""
    items: list[dict] = []
    for m in mentions:
        rid = region_id(sentence_id, m)
        where = {"start": m.start, "end": m.end}
        items.append(
            {
                "id": rid, "from_name": lc.ENTITY_LABELS, "to_name": lc.TEXT, "type": "labels",
                "value": {**where, "text": text[m.start : m.end], "labels": [m.label]},
            }
        )
        if m.entity_id:
            items.append(
                {
                    "id": rid, "from_name": lc.ENTITY_ID, "to_name": lc.TEXT, "type": "textarea",
                    "value": {**where, "text": [m.entity_id]},
                }
            )
    if stance is not None:
        items.append(
            {
                "from_name": lc.STANCE, "to_name": lc.TEXT, "type": "choices",
                "value": {"choices": [stance]},
            }
        )
    return items
