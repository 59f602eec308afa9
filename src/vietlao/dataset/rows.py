"""What the dataset's rows hold: HF Features per config, splits and folds, one row per record.

Rows are pure functions of one validated record (or document); :class:`ArrowStreamWriter` writes them
to Arrow IPC streams batch by batch, with the Features in the schema metadata.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable, NotRequired, Sequence, TypedDict

import pyarrow as pa

from vietlao.corpus.documents import Document
from vietlao.corpus.inventory import with_forms
from vietlao.corpus.metadata import CorpusLayout, DocumentMeta
from vietlao.export.task import SentenceRecord
from vietlao.labels import (
    COARSE_OF,
    ENTITY_TYPES,
    NER_TAGS,
    NER_TAGS_COARSE,
    STANCE_LABELS,
    STANCE_TARGET,
)
from vietlao.corpus.segment import tokenize
from vietlao.spans import Span, spans_to_tags



def splits_and_folds(metas: Iterable[DocumentMeta] | None = None) -> tuple[dict[str, str], dict[str, int]]:
    """Per document (default: the project's metadata): its split and its leave-one-document-out fold,
    as :class:`~vietlao.corpus.metadata.CorpusLayout` derives them."""
    layout = CorpusLayout.read() if metas is None else CorpusLayout(tuple(metas))
    return layout.split_of, layout.fold_of


#: The inventory is not split by document: its one split is named as the Hub names a single-split
#: table (``load_dataset("dataset", "entities")["train"]``).
INVENTORY_SPLIT = "train"

NER_TAG_INDEX = {t: i for i, t in enumerate(NER_TAGS)}
COARSE_TAG_INDEX = {t: i for i, t in enumerate(NER_TAGS_COARSE)}
TYPE_INDEX = {t: i for i, t in enumerate(ENTITY_TYPES)}
STANCE_INDEX = {s: i for i, s in enumerate(STANCE_LABELS)}

# -- features ---------------------------------------------------------------------------------------
#
# Written in Hugging Face's own dict form (``Features.to_dict()``), so the Arrow schemas, with the
# features in their metadata exactly as ``Features.arrow_schema`` writes them, come without
# importing ``datasets`` (about 90 MB of memory).
# ``FEATURES`` (``datasets.Features``) is built from the same specs on first use.


def _value(dtype: str) -> dict:
    return {"dtype": dtype, "_type": "Value"}


def _class_label(names) -> dict:
    return {"names": list(names), "_type": "ClassLabel"}


def _list(feature: dict, length: int | None = None) -> dict:
    return {"feature": feature, **({"length": length} if length else {}), "_type": "List"}


_STRING, _INT32 = _value("string"), _value("int32")
_ENTITY = {
    "start": _INT32, "end": _INT32, "label": _class_label(ENTITY_TYPES), "text": _STRING, "entity_id": _STRING,
}

FEATURE_SPECS: dict[str, dict] = {
    "ner": {
        "id": _STRING, "doc_id": _STRING, "lang": _STRING, "text": _STRING,
        "tokens": _list(_STRING),
        "token_offsets": _list(_list(_INT32, length=2)),
        "ner_tags": _list(_class_label(NER_TAGS)),
        "ner_tags_coarse": _list(_class_label(NER_TAGS_COARSE)),
        "entities": _list(_ENTITY),
        "fold": _INT32,
    },
    "stance": {
        "id": _STRING, "doc_id": _STRING, "lang": _STRING, "target": _STRING, "text": _STRING,
        "label": _class_label(STANCE_LABELS),
        "fold": _INT32,
    },
    "documents": {
        "doc_id": _STRING, "lang": _STRING, "title": _STRING, "outlet": _STRING, "source_url": _STRING,
        "published": _STRING, "is_translation": _value("bool"), "translated_from": _STRING, "text": _STRING,
        "entities": _list(_ENTITY),
        "sentences": _list({"id": _STRING, "start": _INT32, "end": _INT32, "stance": _class_label(STANCE_LABELS)}),
        "fold": _INT32,
    },
    "linking": {  # rows: vietlao.dataset.linking
        "id": _STRING, "sentence_id": _STRING, "doc_id": _STRING, "lang": _STRING, "mention": _STRING,
        "start": _INT32, "end": _INT32, "doc_start": _INT32, "doc_end": _INT32,
        "type": _class_label(ENTITY_TYPES), "context": _STRING, "entity_id": _STRING,
        "fold": _INT32,
    },
}


def entities_spec(languages: Sequence[str]) -> dict:
    """The ``entities`` config's features: surface forms and mention counts per language of the
    corpus (``CorpusLayout.languages``), so a new language adds its fields and the others stay as
    they are. ``lang`` is a string everywhere else, so a new language changes no other schema.
    ``names``: the inventory's names by language, each with the source it was verified against
    (knowledge sources, not the gold: the names a gazetteer may use)."""
    return {
        "entity_id": _STRING,
        "type": _class_label(ENTITY_TYPES),
        "name": _STRING,
        "forms": {lang: _list(_STRING) for lang in languages},
        "mentions": _INT32,
        "mentions_per_lang": {lang: _INT32 for lang in languages},
        "aliases": _list(_STRING),
        # knowledge-base links, each with the URL it was verified against (null: not verified)
        "wikidata": _STRING, "wikidata_source": _STRING,
        "enwiki": _STRING, "enwiki_source": _STRING,
        "names": _list({"lang": _STRING, "name": _STRING, "source": _STRING}),
    }

_ARROW_VALUE = {"string": pa.string(), "int32": pa.int32(), "bool": pa.bool_()}


def _arrow_type(spec: dict) -> pa.DataType:
    kind = spec.get("_type")
    if kind is None:  # a dict of features: a struct
        return pa.struct([(name, _arrow_type(feature)) for name, feature in spec.items()])
    if kind == "Value":
        return _ARROW_VALUE[spec["dtype"]]
    if kind == "ClassLabel":
        return pa.int64()
    return pa.list_(_arrow_type(spec["feature"]), spec.get("length", -1))


def arrow_schema(spec: dict) -> pa.Schema:
    """The Arrow schema of a config's features, with the features in its metadata as
    ``Features.arrow_schema`` has them."""
    return pa.schema(
        [(name, _arrow_type(feature)) for name, feature in spec.items()],
        metadata={"huggingface": json.dumps({"info": {"features": spec}})},
    )


#: Per sentence or document config (the ``entities`` config: :func:`entities_spec`).
ARROW_SCHEMAS: dict[str, pa.Schema] = {config: arrow_schema(spec) for config, spec in FEATURE_SPECS.items()}


def __getattr__(name: str):
    if name == "FEATURES":  # dict[str, datasets.Features], on first use
        from datasets import Features

        features = {config: Features.from_dict(spec) for config, spec in FEATURE_SPECS.items()}
        globals()["FEATURES"] = features
        return features
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class GoldEntity(TypedDict):
    """A mention of a ``ner`` row: sentence-relative, code points, half-open."""

    start: int
    end: int
    label: str
    text: str
    entity_id: str | None


class NerRow(TypedDict):
    """A ``ner`` row with its labels as names: what ``load_gold("ner")`` gives (with the ``split``) and
    what the baselines train on. The Arrow file holds the ClassLabel integers
    (:mod:`vietlao.dataset.batches`, held to :func:`ner_gold_row` by ``tests/test_batches.py``)."""

    id: str
    doc_id: str
    lang: str
    text: str
    tokens: list[str]
    token_offsets: list[list[int]]
    ner_tags: list[str]
    ner_tags_coarse: list[str]
    entities: list[GoldEntity]
    fold: int
    split: NotRequired[str]


class StanceRow(TypedDict):
    """A ``stance`` row with its label as a name (see :class:`NerRow`)."""

    id: str
    doc_id: str
    lang: str
    target: str
    text: str
    label: str
    fold: int
    split: NotRequired[str]


def _entities(record: SentenceRecord, shift: int = 0) -> list[GoldEntity]:
    return [{"start": m.start + shift, "end": m.end + shift, "label": m.label,
             "text": record.text[m.start : m.end], "entity_id": m.entity_id} for m in record.mentions]


def _entity_rows(record: SentenceRecord, shift: int = 0) -> list[dict]:
    return [{**e, "label": TYPE_INDEX[e["label"]]} for e in _entities(record, shift)]


def ner_gold_row(record: SentenceRecord, fold: int) -> NerRow:
    """One ``ner`` row, labels as names: tokens with sentence-relative offsets and IOB2 tags (fine
    and coarse): the definition of a row, which the Arrow builder (:mod:`vietlao.dataset.batches`)
    and the ML backend's training rows follow."""
    tokens = tokenize(record.text)
    offsets = [(t.start, t.end) for t in tokens]
    coarse = [Span(m.start, m.end, coarse_type) for m in record.mentions if (coarse_type := COARSE_OF[m.label])]
    return {
        "id": record.sentence_id, "doc_id": record.doc_id, "lang": record.lang, "text": record.text,
        "tokens": [t.text for t in tokens], "token_offsets": [list(o) for o in offsets],
        "ner_tags": spans_to_tags(offsets, record.mentions), "ner_tags_coarse": spans_to_tags(offsets, coarse),
        "entities": _entities(record), "fold": fold,
    }


def stance_gold_row(record: SentenceRecord, fold: int) -> StanceRow:
    """One ``stance`` row, its label as a name (the Arrow file holds the ClassLabel integer)."""
    return {
        "id": record.sentence_id, "doc_id": record.doc_id, "lang": record.lang,
        "target": STANCE_TARGET, "text": record.text, "label": record.stance, "fold": fold,
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


def entity_rows(records: Iterable[SentenceRecord], inventory: dict, languages: Sequence[str]) -> list[dict]:
    """The inventory with the surface forms and mention counts seen in the gold, per language of the
    corpus (:func:`entities_spec`)."""
    records = list(records)
    counts: dict[str, Counter] = defaultdict(Counter)
    for r in records:
        for m in r.mentions:
            if m.entity_id:
                counts[m.entity_id][r.lang] += 1
    return [
        {
            "entity_id": e.id, "type": TYPE_INDEX[e.type], "name": e.name,
            "forms": {lang: e.forms.get(lang, []) for lang in languages},
            "mentions": sum(counts[e.id].values()),
            "mentions_per_lang": {lang: counts[e.id][lang] for lang in languages},
            "aliases": list(e.aliases),
            "wikidata": e.wikidata, "wikidata_source": e.sources.get("wikidata") if e.wikidata else None,
            "enwiki": e.enwiki, "enwiki_source": e.sources.get("enwiki") if e.enwiki else None,
            "names": [{"lang": lang, "name": name, "source": e.sources[lang]} for lang, name in sorted(e.names.items())],
        }
        for e in sorted(with_forms(inventory, records).values(), key=lambda e: e.id)
    ]


class ArrowStreamWriter:
    """Writes rows to an Arrow IPC stream in record batches, with HF Features in the schema
    (one of :data:`ARROW_SCHEMAS`)."""

    def __init__(self, path: Path, schema: pa.Schema, batch_size: int = 1024):
        self.schema = schema
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



def write_rows(rows: list[dict], path: Path, schema: pa.Schema) -> None:
    with ArrowStreamWriter(path, schema) as w:
        for row in rows:
            w.write(row)


