"""Documents -> Label Studio sentence tasks, and spans -> Label Studio result items.

A task's ``data`` holds the sentence being labelled (``text``, with ``doc_id``, ``sentence_id``,
``lang`` and ``offset``: what an export is validated against) and, for the annotator only, the
document's title and outlet and the two sentences before and after it (``label_config.CONTEXT_KEYS``). The
context never enters the dataset; ``push`` refreshes it in place on existing tasks.
"""

from __future__ import annotations

import hashlib
from typing import Any, Iterable

from vietlao import label_config as lc
from vietlao.corpus.documents import Document
from vietlao.spans import Span

#: Sentences shown before and after the labelled one.
CONTEXT_SENTENCES = 2
#: The task data keys that identify and hold the labelled sentence (validated in an export).
SENTENCE_KEYS = ("text", "doc_id", "sentence_id", "lang", "offset")
NO_TITLE = "(the text states no title)"
NO_OUTLET = "(the text names no outlet)"


def sentence_tasks(documents: Iterable[Document]) -> list[dict]:
    """One task ``data`` object per sentence, in document order, with its context."""
    tasks = []
    for doc in documents:
        sentences = doc.sentences
        for i, s in enumerate(sentences):
            before = sentences[max(0, i - CONTEXT_SENTENCES) : i]
            after = sentences[i + 1 : i + 1 + CONTEXT_SENTENCES]
            tasks.append(
                {
                    "text": s.text,
                    "doc_id": doc.doc_id,
                    "sentence_id": doc.sentence_id(i),
                    "lang": doc.meta.lang,
                    "offset": s.start,
                    "title": doc.meta.title or NO_TITLE,
                    "outlet": doc.meta.outlet or NO_OUTLET,
                    # the document's own text between the neighbours, line breaks included
                    lc.CONTEXT_BEFORE: doc.text[before[0].start : before[-1].end] if before else "",
                    lc.CONTEXT_AFTER: doc.text[after[0].start : after[-1].end] if after else "",
                }
            )
    return tasks


def region_id(sentence_id: str, mention: Span) -> str:
    """A stable region id, so re-entering the same mention gives the same result."""
    key = f"{sentence_id}:{mention.start}:{mention.end}:{mention.label}"
    return hashlib.sha1(key.encode()).hexdigest()[:10]


def ls_result(sentence_id: str, text: str, mentions: Iterable[Span], stance: str | None) -> list[dict]:
    """Label Studio result items: a labels region (+ its picked entity) per mention, and the stance.

    The entity is the ``entity_id`` picker's per-region choice, sharing the region's id, as Label
    Studio itself stores it.
    """
    items: list[dict] = []
    for m in mentions:
        rid = region_id(sentence_id, m)
        where: dict[str, Any] = {"start": m.start, "end": m.end, "text": text[m.start : m.end]}
        items.append(
            {
                "id": rid, "from_name": lc.ENTITY_LABELS, "to_name": lc.TEXT, "type": "labels",
                "value": {**where, "labels": [m.label]},
            }
        )
        if m.entity_id:
            items.append(lc.entity_id_item(rid, m.start, m.end, where["text"], m.entity_id))
    if stance is not None:
        items.append(lc.stance_item(stance))
    return items
