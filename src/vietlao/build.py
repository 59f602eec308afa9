"""Validated export + documents -> ``dataset/``: Arrow IPC stream files per config and split.

Rows are produced by pure functions of one record; files are written batch by batch, so memory
does not grow with the number of tasks. The build is atomic: everything is written to a sibling
temporary folder that replaces ``dataset/`` only when complete.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable, Iterator

import pyarrow as pa
from datasets import ClassLabel, Features, List, Value

from vietlao.corpus import REPO_ROOT, Document
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

DATASET_DIR = REPO_ROOT / "dataset"
CONFIGS = ("ner", "stance", "documents", "entities")

#: Documents per split: reports of one event stay on one side (000 and 001 report the same meeting).
SPLIT_OF_DOC = {"002": "train", "004": "train", "003": "validation", "000": "test", "001": "test"}
SPLITS = ("train", "validation", "test")
#: The inventory is not split by document.
INVENTORY_SPLIT = "inventory"
LANGS = ("nb", "id", "vi", "ru")

_NER_TAG_INDEX = {t: i for i, t in enumerate(NER_TAGS)}
_COARSE_TAG_INDEX = {t: i for i, t in enumerate(NER_TAGS_COARSE)}
_TYPE_INDEX = {t: i for i, t in enumerate(ENTITY_TYPES)}
_STANCE_INDEX = {s: i for i, s in enumerate(STANCE_LABELS)}

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


def fold_of(doc_id: str, doc_ids: list[str]) -> int:
    """Leave-one-document-out fold: the document's index in ``doc_id`` order."""
    return sorted(doc_ids).index(doc_id)


def _entity_rows(record: SentenceRecord, shift: int = 0) -> list[dict]:
    return [
        {"start": m.start + shift, "end": m.end + shift, "label": _TYPE_INDEX[m.label],
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
        "ner_tags": [_NER_TAG_INDEX[t] for t in fine],
        "ner_tags_coarse": [_COARSE_TAG_INDEX[t] for t in coarse],
        "entities": _entity_rows(record), "fold": fold,
    }


def stance_row(record: SentenceRecord, fold: int) -> dict:
    return {
        "id": record.sentence_id, "doc_id": record.doc_id, "lang": record.lang,
        "target": STANCE_TARGET, "text": record.text, "label": _STANCE_INDEX[record.stance],
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
                       "stance": _STANCE_INDEX[r.stance]} for r in records],
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
            "entity_id": e.id, "type": _TYPE_INDEX[e.type], "name": e.name,
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

    def close(self) -> None:
        self.flush()
        self._writer.close()
        self._sink.close()

    def __enter__(self) -> "ArrowStreamWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_sentence_configs(records: Iterator[SentenceRecord], out_dir: Path, split_of, fold_of_doc) -> Counter:
    """Stream records into ``ner`` and ``stance`` Arrow files; returns rows per (config, split)."""
    writers: dict[tuple[str, str], ArrowStreamWriter] = {}

    def writer(config: str, split: str) -> ArrowStreamWriter:
        key = (config, split)
        if key not in writers:
            writers[key] = ArrowStreamWriter(out_dir / "data" / config / f"{split}.arrow", FEATURES[config])
        return writers[key]

    try:
        for r in records:
            split, fold = split_of(r.doc_id), fold_of_doc(r.doc_id)
            writer("ner", split).write(ner_row(r, fold))
            writer("stance", split).write(stance_row(r, fold))
    finally:
        for w in writers.values():
            w.close()
    return Counter({key: w.rows_written for key, w in writers.items()})


def write_rows(rows: list[dict], path: Path, features: Features) -> None:
    with ArrowStreamWriter(path, features) as w:
        for row in rows:
            w.write(row)


def build_dataset(records: list[SentenceRecord], documents: list[Document], inventory: dict, out_dir: Path) -> None:
    """Write every config of the gold dataset into ``out_dir`` (which must not exist)."""
    doc_ids = [d.doc_id for d in documents]
    records = sorted(records, key=lambda r: r.sentence_id)
    write_sentence_configs(iter(records), out_dir, SPLIT_OF_DOC.__getitem__, lambda d: fold_of(d, doc_ids))
    by_doc = defaultdict(list)
    for r in records:
        by_doc[r.doc_id].append(r)
    for split in SPLITS:
        rows = [document_row(d, by_doc[d.doc_id], fold_of(d.doc_id, doc_ids))
                for d in documents if SPLIT_OF_DOC[d.doc_id] == split]
        write_rows(rows, out_dir / "data" / "documents" / f"{split}.arrow", FEATURES["documents"])
    write_rows(entity_rows(records, inventory), out_dir / "data" / "entities" / f"{INVENTORY_SPLIT}.arrow",
               FEATURES["entities"])


def checksums(directory: Path) -> dict[str, str]:
    """sha256 of every Arrow file, by path relative to ``directory``."""
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*.arrow"))
    }


def replace_directory(new: Path, target: Path) -> None:
    """Swap ``new`` into place of ``target`` (two renames; the old copy is removed last)."""
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def run_build(export: Path, out_dir: Path = DATASET_DIR) -> Path:
    """Validate the export, build into a temporary folder, render the card, swap into place."""
    from vietlao.card import render_dataset_readme, update_card, write_card
    from vietlao.corpus import load_corpus
    from vietlao.inventory import load_inventory
    from vietlao.validate import validate_gold

    records = validate_gold(export)  # raises ExportError: nothing written
    documents = load_corpus()
    inventory = load_inventory()
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        build_dataset(records, documents, inventory, tmp)
        card = update_card(records, checksums(tmp))
        (tmp / "README.md").write_text(render_dataset_readme(card), encoding="utf-8")
        replace_directory(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    write_card(card)
    return out_dir


def _run(args: argparse.Namespace) -> int:
    out = run_build(Path(args.export), Path(args.output))
    for name, digest in checksums(out).items():
        print(f"{digest[:16]}  {name}")
    print(f"built {out}")
    return 0


def add_parser(subparsers) -> None:
    from vietlao.validate import EXPORT_FILE

    p = subparsers.add_parser("build", help="build dataset/ (Arrow + card) from the export and documents")
    p.add_argument("--export", default=str(EXPORT_FILE), help="Label Studio JSON export (default: %(default)s)")
    p.add_argument("--output", default=str(DATASET_DIR), help="dataset folder (default: %(default)s)")
    p.set_defaults(func=_run)
