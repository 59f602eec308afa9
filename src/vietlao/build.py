"""Validated export + documents -> ``dataset/``: Arrow IPC stream files per config and split.

Rows are produced by pure functions of one record; files are written batch by batch, so memory
does not grow with the number of tasks. The build is atomic: everything is written to a sibling
temporary folder that replaces ``dataset/`` only when complete.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import hashlib
import itertools
import os
import re
import shutil
import stat
import sys
import tempfile
from bisect import bisect_left
from collections import Counter, defaultdict, deque
from pathlib import Path
from typing import Callable, Iterable, Iterator

import orjson
import pyarrow as pa
from datasets import ClassLabel, Features, List, Value

from vietlao.corpus import REPO_ROOT, Document
from vietlao.export import (
    MAX_DEPTH,
    MAX_RUN_BYTES,
    MAX_TEXT_CHARS,
    Context,
    SentenceRecord,
    _convert_task,
    _TaskInvalid,
    convert_tasks,
    iter_tasks,
    token_spans,
)
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


# -- columnar batches ------------------------------------------------------------------------------
#
# ``ner_row`` + ``RecordBatch.from_pylist`` cost about 0.5 ms per sentence; building the columns
# directly is several times faster and gives byte-identical Arrow files (the rows are the same, and
# batches are always cut at ``BATCH_ROWS`` rows per split). Records that the fast path cannot handle
# (never the case for validated records) go through ``ner_row``, which raises its own errors.

#: Rows per record batch, per (config, split) file.
BATCH_ROWS = 1024

_NER_SCHEMA = FEATURES["ner"].arrow_schema
_STANCE_SCHEMA = FEATURES["stance"].arrow_schema
_ENTITY_FIELDS = list(_NER_SCHEMA.field("entities").type.value_type)
_FINE_BI = {t: (_NER_TAG_INDEX[f"B-{t}"], _NER_TAG_INDEX[f"I-{t}"]) for t in ENTITY_TYPES}
_COARSE_BI = {t: (_COARSE_TAG_INDEX[f"B-{c}"], _COARSE_TAG_INDEX[f"I-{c}"]) for t, c in COARSE_OF.items() if c}

#: (record, token offsets as from ``token_spans(record.text)``, fold)
Item = tuple[SentenceRecord, list, int]


def _offsets_list(offsets: list[int], values: pa.Array) -> pa.ListArray:
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values)


def _ner_batch_fast(items: list[Item]) -> pa.RecordBatch | None:
    ids, docs, langs, texts, folds = [], [], [], [], []
    tok_off, toks, pos, fine, coarse = [0], [], [], [], []
    ent_off, e_start, e_end, e_label, e_text, e_id = [0], [], [], [], [], []
    for r, spans, fold in items:
        text = r.text
        n = len(spans)
        f = [0] * n
        c = [0] * n
        for m in r.mentions:
            a = bisect_left(spans, (m.start,))  # the token starting at m.start
            b = bisect_left(spans, (m.end,)) - 1  # the last token starting before m.end, ending at it
            if (
                a >= n or b < a or spans[a][0] != m.start or spans[b][1] != m.end
                or not 0 <= m.start < m.end or any(f[a : b + 1])
            ):
                return None
            begin, inside = _FINE_BI[m.label]
            f[a] = begin
            f[a + 1 : b + 1] = [inside] * (b - a)
            if m.label in _COARSE_BI:
                begin, inside = _COARSE_BI[m.label]
                c[a] = begin
                c[a + 1 : b + 1] = [inside] * (b - a)
            e_start.append(m.start)
            e_end.append(m.end)
            e_label.append(_TYPE_INDEX[m.label])
            e_text.append(text[m.start : m.end])
            e_id.append(m.entity_id)
        ent_off.append(len(e_start))
        ids.append(r.sentence_id)
        docs.append(r.doc_id)
        langs.append(r.lang)
        texts.append(text)
        folds.append(fold)
        toks.extend([text[s:e] for s, e in spans])
        pos.extend(itertools.chain.from_iterable(spans))
        tok_off.append(len(toks))
        fine.extend(f)
        coarse.extend(c)
    string = pa.string()
    entities = pa.StructArray.from_arrays(
        [pa.array(e_start, pa.int32()), pa.array(e_end, pa.int32()), pa.array(e_label, pa.int64()),
         pa.array(e_text, string), pa.array(e_id, string)],
        fields=_ENTITY_FIELDS,
    )
    columns = [
        pa.array(ids, string), pa.array(docs, string), pa.array(langs, string), pa.array(texts, string),
        _offsets_list(tok_off, pa.array(toks, string)),
        _offsets_list(tok_off, pa.FixedSizeListArray.from_arrays(pa.array(pos, pa.int32()), 2)),
        _offsets_list(tok_off, pa.array(fine, pa.int64())),
        _offsets_list(tok_off, pa.array(coarse, pa.int64())),
        _offsets_list(ent_off, entities),
        pa.array(folds, pa.int32()),
    ]
    return pa.RecordBatch.from_arrays(columns, schema=_NER_SCHEMA)


def sentence_batches(items: list[Item]) -> tuple[pa.RecordBatch, pa.RecordBatch]:
    """The ``ner`` and ``stance`` record batches of some records: the rows of :func:`ner_row` and
    :func:`stance_row`, built column by column."""
    try:
        ner = _ner_batch_fast(items)
    except Exception:  # noqa: BLE001 - the row path below raises the proper error
        ner = None
    if ner is None:
        ner = pa.RecordBatch.from_pylist([ner_row(r, fold) for r, _, fold in items], schema=_NER_SCHEMA)
    string = pa.string()
    stance = pa.RecordBatch.from_arrays(
        [
            pa.array([r.sentence_id for r, _, _ in items], string),
            pa.array([r.doc_id for r, _, _ in items], string),
            pa.array([r.lang for r, _, _ in items], string),
            pa.array([STANCE_TARGET] * len(items), string),
            pa.array([r.text for r, _, _ in items], string),
            pa.array([_STANCE_INDEX[r.stance] for r, _, _ in items], pa.int64()),
            pa.array([fold for _, _, fold in items], pa.int32()),
        ],
        schema=_STANCE_SCHEMA,
    )
    return ner, stance


class _SentenceSink:
    """``ner`` and ``stance`` writers per split. Takes records or ready batches, in order, and cuts
    every file into batches of exactly ``batch_rows`` rows (the last one shorter), so the bytes do
    not depend on how the rows were grouped on the way."""

    def __init__(self, out_dir: Path, batch_rows: int = BATCH_ROWS):
        self.out_dir = out_dir
        self.batch_rows = batch_rows
        self._writers: dict[tuple[str, str], ArrowStreamWriter] = {}
        self._items: dict[str, list[Item]] = {}
        self._queued: dict[str, list[tuple[pa.RecordBatch, pa.RecordBatch]]] = {}
        self._queued_rows: Counter = Counter()

    def _open(self, split: str) -> None:
        if split not in self._items:
            for config in ("ner", "stance"):
                path = self.out_dir / "data" / config / f"{split}.arrow"
                self._writers[(config, split)] = ArrowStreamWriter(path, FEATURES[config])
            self._items[split], self._queued[split] = [], []

    def add_record(self, split: str, record: SentenceRecord, spans: list, fold: int) -> None:
        self._open(split)
        items = self._items[split]
        items.append((record, spans, fold))
        if len(items) >= self.batch_rows:
            self._build(split)

    def add_batches(self, split: str, ner: pa.RecordBatch, stance: pa.RecordBatch) -> None:
        self._open(split)
        self._build(split)
        self._queue(split, ner, stance)

    def _build(self, split: str) -> None:
        if self._items[split]:
            self._queue(split, *sentence_batches(self._items[split]))
            self._items[split] = []

    def _queue(self, split: str, ner: pa.RecordBatch, stance: pa.RecordBatch) -> None:
        self._queued[split].append((ner, stance))
        self._queued_rows[split] += ner.num_rows
        while self._queued_rows[split] >= self.batch_rows:
            self._write(split, self.batch_rows)

    def _write(self, split: str, rows: int) -> None:
        queued = self._queued[split]
        if len(queued) == 1 and queued[0][0].num_rows == rows:
            out, rest = queued[0], []
        else:
            out, rest = [], []
            for i, config in enumerate(("ner", "stance")):
                table = pa.Table.from_batches([pair[i] for pair in queued])
                out.append(pa.concat_batches(table.slice(0, rows).to_batches()))
                rest.append(table.slice(rows).to_batches())
            rest = [pair for pair in zip(*rest) if pair[0].num_rows]
        self._writers[("ner", split)].write_batch(out[0])
        self._writers[("stance", split)].write_batch(out[1])
        self._queued[split] = list(rest)
        self._queued_rows[split] -= rows

    def close(self) -> Counter:
        try:
            for split in self._items:
                self._build(split)
                if self._queued_rows[split]:
                    self._write(split, self._queued_rows[split])
        finally:
            for w in self._writers.values():
                w.close()
        return Counter({key: w.rows_written for key, w in self._writers.items()})

    def abort(self) -> None:
        for w in self._writers.values():
            w.close()


def write_sentence_configs(records: Iterator[SentenceRecord], out_dir: Path, split_of, fold_of_doc) -> Counter:
    """Stream records into ``ner`` and ``stance`` Arrow files; returns rows per (config, split)."""
    sink = _SentenceSink(out_dir)
    try:
        for r in records:
            split, fold = split_of(r.doc_id), fold_of_doc(r.doc_id)
            sink.add_record(split, r, token_spans(r.text), fold)
    except BaseException:
        sink.abort()
        raise
    return sink.close()


# -- streaming conversion of a large export ----------------------------------------------------------
#
# ``iter_tasks`` reads the export event by event, which caps a single process at a few thousand
# tasks per second. For large files the export is cut into byte ranges of whole tasks, each parsed
# with orjson and converted (``_convert_task``: validation and token offsets) and built into Arrow
# batches in a worker; the main process replays every task through ``convert_tasks`` (duplicates,
# the problem list and its order) and writes the batches in order. Anything unusual (a range that
# does not parse, a string longer than MAX_TEXT_CHARS or nesting deeper than MAX_DEPTH, an integer
# orjson and ijson might read differently) makes the rest of the file go through ``iter_tasks``, so
# results and error messages are those of ``read_export`` + ``write_sentence_configs``.

#: Bytes per range of tasks handed to a worker (about 250 tasks of a Label Studio export).
CHUNK_BYTES = 1 << 20
#: How far past ``CHUNK_BYTES`` to look for the next task boundary before giving up on cutting.
_MAX_SCAN = 16 << 20
_JSON_WS = b" \t\n\r"
_LEXEME = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|"|[\[\]{},]', re.S)
#: Largest integer magnitude ijson (yajl) reads; orjson reads up to 64 bits unsigned.
_YAJL_INT_MAX = 2**63 - 1


def _separator(head: bytes, start: int) -> tuple[bytes, int] | None:
    """What surrounds the comma between two top-level tasks, learnt from the first tasks of the
    list that opens at ``head[start]``: ``(pattern, offset of the comma in it)``, or None."""
    depth, cuts = 0, [start]
    for m in _LEXEME.finditer(head, start):
        token = m.group()
        if token[:1] == b'"':
            if len(token) == 1:
                break  # a string cut by the end of ``head``
            continue
        if token in b"[{":
            depth += 1
        elif token in b"]}":
            depth -= 1
            if depth == 0:
                cuts.append(m.start())
                break
        elif depth == 1:
            cuts.append(m.start())
            if len(cuts) == 4:
                break
    tasks = [head[a + 1 : b] for a, b in zip(cuts, cuts[1:])]
    if len(tasks) < 3:
        return None
    left = os.path.commonprefix([t[::-1][:48] for t in tasks[:2]])[::-1]
    right = os.path.commonprefix([t[:48] for t in tasks[1:3]])
    pattern = left + b"," + right
    if not left.rstrip(_JSON_WS).endswith(b"}") or b'"' not in pattern or len(pattern) < 8:
        return None
    return pattern, len(left)


def _find(fd: int, pattern: bytes, start: int, stop: int) -> int:
    """Position of ``pattern`` in the file between ``start`` and ``stop``, or -1."""
    window = 1 << 18
    while start < stop:
        block = os.pread(fd, min(window, stop - start) + len(pattern) - 1, start)
        i = block.find(pattern)
        if i >= 0:
            return start + i
        if len(block) < len(pattern):
            return -1
        start += len(block) - len(pattern) + 1
    return -1


def _task_ranges(fd: int, size: int, chunk_bytes: int) -> Iterator[tuple[int, int, bool] | None]:
    """``(start, end, last)`` byte ranges of whole tasks, in order: ``b"[" + file[start:end]`` (plus
    ``b"]"`` unless last) is the JSON list of those tasks if the cut is right, which the parse
    checks. Ends with None where the file cannot be cut (the rest goes through ``iter_tasks``)."""
    head = os.pread(fd, 1 << 16, 0)
    opening = len(head) - len(head.lstrip(_JSON_WS))
    if head[opening : opening + 1] != b"[":
        yield None
        return
    learnt = _separator(head, opening)
    start = opening + 1
    while True:
        if size - start <= chunk_bytes:
            yield start, size, True
            return
        if learnt is None:
            yield None
            return
        pattern, comma = learnt
        found = _find(fd, pattern, start + chunk_bytes, min(size, start + chunk_bytes + _MAX_SCAN))
        if found < 0:
            if size - start <= chunk_bytes + _MAX_SCAN:
                yield start, size, True
            else:
                yield None
            return
        yield start, found + comma, False
        start = found + comma + 1


def _within_limits(value: object, depth: int) -> bool:
    """No string or key longer than MAX_TEXT_CHARS, no container deeper than MAX_DEPTH (a task is
    at depth 2, inside the list): the limits ``iter_tasks`` enforces; and no integer ijson rejects
    (orjson and yajl agree on everything else they both accept)."""
    if depth > MAX_DEPTH:
        return False
    if type(value) is dict:
        if value and max(map(len, value)) > MAX_TEXT_CHARS:
            return False
        value = value.values()
    for v in value:
        t = type(v)
        if t is str:
            if len(v) > MAX_TEXT_CHARS:
                return False
        elif t is dict or t is list:
            if not _within_limits(v, depth + 1):
                return False
        elif t is int and not -_YAJL_INT_MAX <= v <= _YAJL_INT_MAX:
            return False
    return True


#: A member of a container at depth MAX_DEPTH, in a task (depth 2) dumped with two-space indents.
_DEEP_LINE = b"\n" + b" " * (2 * (MAX_DEPTH - 1))


def _tasks_within_limits(tasks: list) -> bool:
    """:func:`_within_limits` for every task, walking only the tasks a cheap test cannot clear:
    orjson's indented dump shows the depth, is at least as long as any string, and fails on
    integers beyond 53 bits."""
    for task in tasks:
        try:
            dump = orjson.dumps(task, option=orjson.OPT_INDENT_2 | orjson.OPT_STRICT_INTEGER)
        except orjson.JSONEncodeError:
            dump = None
        if (dump is None or len(dump) > MAX_TEXT_CHARS or _DEEP_LINE in dump) and not _within_limits([task], 1):
            return False
    return True


def _short_runs(piece: bytes) -> bool:
    """No run of more than MAX_RUN_BYTES bytes without a quote (``\\"`` not counting), the limit
    ``iter_tasks`` enforces, even joined with the runs at the ends of the neighbouring ranges:
    checked as a quote in every aligned window of half that size and near both ends."""
    text = piece.replace(b'\\"', b"__")
    window = MAX_RUN_BYTES // 2
    if text.find(b'"', 0, window // 2) < 0 or text.rfind(b'"', max(0, len(text) - window // 2)) < 0:
        return False
    return all(text.find(b'"', i, i + window) >= 0 for i in range(0, len(text), window))


def _parse_range(fd: int, start: int, end: int, last: bool) -> list | None:
    """The tasks in a byte range, exactly as ``iter_tasks`` would give them, or None."""
    piece = os.pread(fd, end - start, start)
    if len(piece) != end - start or not _short_runs(piece):
        return None
    data = b"[" + piece + (b"" if last else b"]")
    try:
        tasks = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(tasks, list) or not _tasks_within_limits(tasks):
        return None
    return tasks


class _Failed:
    """An exception to raise where the sequential path would have raised it."""

    def __init__(self, exc: BaseException, when_written: bool):
        self.exc, self.when_written = exc, when_written


def _skeleton(task: object) -> dict | None:
    """What ``convert_tasks`` reads of a task itself: its id and sentence id."""
    if not isinstance(task, dict):
        return None
    data = task.get("data")
    return {"id": task.get("id"), "data": {"sentence_id": data.get("sentence_id")} if isinstance(data, dict) else None}


class _Job:
    """What converting a range needs; one per worker process."""

    def __init__(self, path: Path, ctx: Context, split_of, fold_of_doc):
        self.path, self.ctx, self.split_of, self.fold_of_doc = path, ctx, split_of, fold_of_doc
        self.fd = os.open(path, os.O_RDONLY)
        if not stat.S_ISREG(os.fstat(self.fd).st_mode):
            os.close(self.fd)
            raise IsADirectoryError(path)

    def __call__(self, task_range: tuple[int, int, bool]):
        """``(skeletons, outcomes, {split: (ner, stance)})`` of the tasks in a range, or None if
        the range does not parse. An outcome is None (valid), the problem messages, or _Failed."""
        tasks = _parse_range(self.fd, *task_range)
        if tasks is None:
            return None
        skeletons, outcomes, by_split = [], [], {}
        for task in tasks:
            skeletons.append(_skeleton(task))
            try:
                record, spans = _convert_task(task, self.ctx)
            except _TaskInvalid as invalid:
                outcomes.append(invalid.messages)
                continue
            except Exception as exc:  # noqa: BLE001 - raised again where convert_tasks would
                outcomes.append(_Failed(exc, when_written=False))
                continue
            try:
                split, fold = self.split_of(record.doc_id), self.fold_of_doc(record.doc_id)
            except Exception as exc:  # noqa: BLE001 - raised again where the writer would
                outcomes.append(_Failed(exc, when_written=True))
                continue
            outcomes.append(None)
            by_split.setdefault(split, []).append((record, spans, fold))
        return skeletons, outcomes, {split: sentence_batches(items) for split, items in by_split.items()}


_worker_job: _Job | None = None


def _start_worker(path, ctx, split_of, fold_of_doc) -> None:
    global _worker_job
    gc.freeze()  # what the fork inherited is never garbage: keep it out of every collection
    _worker_job = _Job(path, ctx, split_of, fold_of_doc)


def _run_in_worker(task_range):
    return _worker_job(task_range)


def _converted_ranges(path: Path, job: _Job, workers: int, chunk_bytes: int):
    """``(range, result)`` in file order; a range of None or a result of None ends the fast path."""
    ranges = _task_ranges(job.fd, os.fstat(job.fd).st_size, chunk_bytes)
    if workers <= 1:
        for task_range in ranges:
            yield task_range, (job(task_range) if task_range else None)
        return
    import multiprocessing

    # fork: the workers inherit the imported modules and the context; no Arrow thread has started yet
    pool = multiprocessing.get_context("fork").Pool(
        workers, initializer=_start_worker, initargs=(path, job.ctx, job.split_of, job.fold_of_doc)
    )
    try:
        pending: deque = deque()
        for task_range in ranges:
            if task_range is None:
                pending.append((None, None))
                break
            pending.append((task_range, pool.apply_async(_run_in_worker, (task_range,))))
            while len(pending) > 2 * workers:
                task_range, result = pending.popleft()
                yield task_range, result.get()
        while pending:
            task_range, result = pending.popleft()
            yield task_range, (result.get() if result is not None else None)
    finally:
        pool.terminate()
        pool.join()


def convert_export(
    export_path: Path,
    out_dir: Path,
    ctx: Context,
    *,
    workers: int = 1,
    progress: bool | None = None,
    split_of: Callable[[str], str] | None = None,
    fold_of_doc: Callable[[str], int] | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> Counter:
    """A Label Studio JSON export -> the ``ner`` and ``stance`` Arrow files under ``out_dir``, streaming.

    Same validation, records, bytes and errors as ``write_sentence_configs(convert_tasks(
    iter_tasks(export_path), ctx), ...)`` (every problem is reported in an
    :class:`~vietlao.export.ExportError`, and then nothing is written), in memory that does not grow
    with the export beyond one small entry per task for the duplicate checks (about 19 MB per
    100,000 tasks). ``workers`` > 1 converts ranges of tasks in that many processes (forked).
    ``progress``: a tqdm bar on stderr (default: if stderr is a terminal; it appears after two
    seconds). ``split_of`` and ``fold_of_doc`` default to the project's documents. ``out_dir`` must
    not exist; it is written as a sibling temporary folder and renamed when complete. Returns rows
    per (config, split).
    """
    export_path, out_dir = Path(export_path), Path(out_dir)
    if split_of is None:
        split_of = SPLIT_OF_DOC.__getitem__
    if fold_of_doc is None:
        fold_of_doc = functools.partial(fold_of, doc_ids=sorted(SPLIT_OF_DOC))
    if out_dir.exists():
        raise FileExistsError(f"{out_dir} exists; convert_export writes a new folder")
    if progress is None:
        progress = sys.stderr.isatty()
    source = str(export_path)
    try:
        job = _Job(export_path, ctx, split_of, fold_of_doc)
    except OSError:
        job = None  # iter_tasks reports it
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    sink = _SentenceSink(tmp)
    from tqdm import tqdm

    bar = tqdm(total=os.path.getsize(export_path) if job else None, unit="B", unit_scale=True,
               unit_divisor=1024, desc=export_path.name, disable=not progress, delay=2, file=sys.stderr)
    outcome: list = [None]

    def replay(task, _ctx):
        state = outcome[0]
        if state is None:
            return None
        if isinstance(state, list):
            raise _TaskInvalid(state)
        if isinstance(state, _Failed):
            if state.when_written:
                return state
            raise state.exc
        return state(task)  # the sequential path: really convert

    def sequential(task):
        record, spans = _convert_task(task, ctx)
        return record, spans

    def tasks() -> Iterator[object]:
        done = 0
        if job is not None:
            for task_range, result in _converted_ranges(export_path, job, workers, chunk_bytes):
                if result is None:
                    break
                skeletons, outcomes, batches = result
                for skeleton, outcome[0] in zip(skeletons, outcomes):
                    yield skeleton
                for split, (ner, stance) in batches.items():
                    sink.add_batches(split, ner, stance)
                done += len(skeletons)
                bar.update(task_range[1] - task_range[0] + 1)
                bar.set_postfix(tasks=done, refresh=False)
                if task_range[2]:
                    return
        outcome[0] = sequential
        for task in itertools.islice(iter_tasks(export_path), done, None):
            yield task
            done += 1
            if done % 1000 == 0:
                bar.set_postfix(tasks=done)

    frozen = not gc.isenabled() or gc.get_freeze_count()
    try:
        if not frozen:
            gc.freeze()  # the caller's objects are not this conversion's garbage: skip them in collections
        for item in convert_tasks(tasks(), ctx, source=source, _convert=replay):
            if item is None:
                continue
            if isinstance(item, _Failed):
                raise item.exc
            record, spans = item
            sink.add_record(split_of(record.doc_id), record, spans, fold_of_doc(record.doc_id))
        counts = sink.close()
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp.rename(out_dir)
        return counts
    except BaseException:
        with contextlib.suppress(Exception):
            sink.abort()
        raise
    finally:
        if not frozen:
            gc.unfreeze()
        bar.close()
        if job is not None:
            os.close(job.fd)
        shutil.rmtree(tmp, ignore_errors=True)


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
        card = update_card(records, checksums(tmp), export)
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
