"""What the dataset's rows hold: HF Features per config, splits and folds, one row per record.

Rows are pure functions of one validated record (or document); :class:`ArrowStreamWriter` writes them
to Arrow IPC streams batch by batch, with the Features in the schema metadata.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable

import pyarrow as pa
from datasets import ClassLabel, Features, List, Value

from vietlao.corpus import Document, load_metadata
from vietlao.export import SentenceRecord
from vietlao.labels import (
    COARSE_OF,
    ENTITY_TYPES,
    NER_TAGS,
    NER_TAGS_COARSE,
    STANCE_LABELS,
    STANCE_TARGET,
)
from vietlao.segment import tokenize
from vietlao.spans import Span, spans_to_tags



#: Documents per split, from the metadata (`split`): reports of one event stay on one side
#: (000 and 001 report the same meeting).
SPLIT_OF_DOC: dict[str, str] = {m.doc_id: m.split for m in load_metadata()}
#: Leave-one-document-out fold: the document's index in ``doc_id`` order.
FOLD_OF_DOC: dict[str, int] = {doc_id: i for i, doc_id in enumerate(sorted(SPLIT_OF_DOC))}
SPLITS = ("train", "validation", "test")
#: The inventory is not split by document.
INVENTORY_SPLIT = "inventory"
LANGS = ("nb", "id", "vi", "ru")

NER_TAG_INDEX = {t: i for i, t in enumerate(NER_TAGS)}
COARSE_TAG_INDEX = {t: i for i, t in enumerate(NER_TAGS_COARSE)}
TYPE_INDEX = {t: i for i, t in enumerate(ENTITY_TYPES)}
STANCE_INDEX = {s: i for i, s in enumerate(STANCE_LABELS)}

_ENTITY = {
    "start": Value("int32"),
    "end": Value("int32"),
    "label": ClassLabel(names=list(ENTITY_TYPES)),
    "text": Value("string"),
    "entity_id": Value("string"),
}

FEATURES: dict[str, Features] = {
    "ner": Features(
        {
            "id": Value("string"), "doc_id": Value("string"), "lang": Value("string"),
            "text": Value("string"),
            "tokens": List(Value("string")),
            "token_offsets": List(List(Value("int32"), length=2)),
            "ner_tags": List(ClassLabel(names=list(NER_TAGS))),
            "ner_tags_coarse": List(ClassLabel(names=list(NER_TAGS_COARSE))),
            "entities": List(_ENTITY),
            "fold": Value("int32"),
        }
    ),
    "stance": Features(
        {
            "id": Value("string"), "doc_id": Value("string"), "lang": Value("string"),
            "target": Value("string"), "text": Value("string"),
            "label": ClassLabel(names=list(STANCE_LABELS)),
            "fold": Value("int32"),
        }
    ),
    "documents": Features(
        {
            "doc_id": Value("string"), "lang": Value("string"), "title": Value("string"),
            "outlet": Value("string"), "source_url": Value("string"), "published": Value("string"),
            "is_translation": Value("bool"), "translated_from": Value("string"),
            "text": Value("string"),
            "entities": List(_ENTITY),
            "sentences": List({"id": Value("string"), "start": Value("int32"), "end": Value("int32"),
                               "stance": ClassLabel(names=list(STANCE_LABELS))}),
            "fold": Value("int32"),
        }
    ),
    "entities": Features(
        {
            "entity_id": Value("string"),
            "type": ClassLabel(names=list(ENTITY_TYPES)),
            "name": Value("string"),
            "forms": {lang: List(Value("string")) for lang in LANGS},
            "mentions": Value("int32"),
            "mentions_per_lang": {lang: Value("int32") for lang in LANGS},
        }
    ),
}


def _entity_rows(record: SentenceRecord, shift: int = 0) -> list[dict]:
    return [
        {"start": m.start + shift, "end": m.end + shift, "label": TYPE_INDEX[m.label],
         "text": record.text[m.start : m.end], "entity_id": m.entity_id}
        for m in record.mentions
    ]


def ner_row(record: SentenceRecord, fold: int) -> dict:
    """One ``ner`` row: tokens with sentence-relative offsets and IOB2 tags (fine and coarse)."""
    tokens = tokenize(record.text)
    offsets = [(t.start, t.end) for t in tokens]
    fine = spans_to_tags(offsets, [m.span for m in record.mentions])
    coarse = spans_to_tags(
        offsets,
        [Span(m.start, m.end, COARSE_OF[m.label]) for m in record.mentions if COARSE_OF[m.label]],
    )
    return {
        "id": record.sentence_id, "doc_id": record.doc_id, "lang": record.lang, "text": record.text,
        "tokens": [t.text for t in tokens], "token_offsets": [list(o) for o in offsets],
        "ner_tags": [NER_TAG_INDEX[t] for t in fine],
        "ner_tags_coarse": [COARSE_TAG_INDEX[t] for t in coarse],
        "entities": _entity_rows(record), "fold": fold,
    }


def stance_row(record: SentenceRecord, fold: int) -> dict:
    return {
        "id": record.sentence_id, "doc_id": record.doc_id, "lang": record.lang,
        "target": STANCE_TARGET, "text": record.text, "label": STANCE_INDEX[record.stance],
        "fold": fold,
    }


def document_row(doc: Document, records: list[SentenceRecord], fold: int) -> dict:
    meta = doc.meta
    return {
        "doc_id": doc.doc_id, "lang": meta.lang, "title": meta.title, "outlet": meta.outlet,
        "source_url": meta.source_url, "published": meta.published,
        "is_translation": meta.is_translation, "translated_from": meta.translated_from,
        "text": doc.text,
        "entities": [e for r in records for e in _entity_rows(r, r.offset)],
        "sentences": [{"id": r.sentence_id, "start": r.offset, "end": r.offset + len(r.text),
                       "stance": STANCE_INDEX[r.stance]} for r in records],
        "fold": fold,
    }


def entity_rows(records: Iterable[SentenceRecord], inventory: dict) -> list[dict]:
    """The inventory with the surface forms and mention counts seen in the gold, per language."""
    from vietlao.inventory import with_forms

    records = list(records)
    counts: dict[str, Counter] = defaultdict(Counter)
    for r in records:
        for m in r.mentions:
            if m.entity_id:
                counts[m.entity_id][r.lang] += 1
    return [
        {
            "entity_id": e.id, "type": TYPE_INDEX[e.type], "name": e.name,
            "forms": {lang: e.forms.get(lang, []) for lang in LANGS},
            "mentions": sum(counts[e.id].values()),
            "mentions_per_lang": {lang: counts[e.id][lang] for lang in LANGS},
        }
        for e in sorted(with_forms(inventory, records).values(), key=lambda e: e.id)
    ]


class ArrowStreamWriter:
    """Writes rows to an Arrow IPC stream in record batches, with HF Features in the schema."""

    def __init__(self, path: Path, features: Features, batch_size: int = 1024):
        self.schema = features.arrow_schema
        self.batch_size = batch_size
        self._rows: list[dict] = []
        path.parent.mkdir(parents=True, exist_ok=True)
        self._sink = pa.OSFile(str(path), "wb")
        self._writer = pa.ipc.new_stream(self._sink, self.schema)
        self.rows_written = 0

    def write(self, row: dict) -> None:
        self._rows.append(row)
        if len(self._rows) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if self._rows:
            self._writer.write_batch(pa.RecordBatch.from_pylist(self._rows, schema=self.schema))
            self.rows_written += len(self._rows)
            self._rows = []

    def write_batch(self, batch: pa.RecordBatch) -> None:
        """Write a ready record batch (after any pending rows)."""
        self.flush()
        self._writer.write_batch(batch)
        self.rows_written += batch.num_rows

    def close(self) -> None:
        self.flush()
        self._writer.close()
        self._sink.close()

    def __enter__(self) -> "ArrowStreamWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()



def write_rows(rows: list[dict], path: Path, features: Features) -> None:
    with ArrowStreamWriter(path, features) as w:
        for row in rows:
            w.write(row)


