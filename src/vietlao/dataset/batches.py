"""``ner`` and ``stance`` rows built column by column into Arrow record batches.

The columns are the rows of :func:`vietlao.dataset.rows.ner_gold_row` and
:func:`vietlao.dataset.rows.stance_gold_row` with ClassLabel integers (``tests/test_batches.py`` checks
it on every gold record): tokens (:func:`vietlao.corpus.segment.tokenize_texts`) and
IOB2 tags (:func:`vietlao.spans.token_ranges`, :func:`vietlao.spans.iob2_codes`) for many sentences at
once. Every file is cut into batches of exactly ``BATCH_ROWS`` rows, so bytes do not depend on grouping.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import pyarrow as pa

from vietlao.corpus.segment import tokenize_texts
from vietlao.dataset.rows import (
    ARROW_SCHEMAS,
    COARSE_TAG_INDEX,
    NER_TAG_INDEX,
    STANCE_INDEX,
    TYPE_INDEX,
    ArrowStreamWriter,
)
from vietlao.export.task import SentenceRecord
from vietlao.labels import COARSE_OF, ENTITY_TYPES, STANCE_TARGET
from vietlao.spans import iob2_codes, token_ranges

#: Rows per record batch, per (config, split) file.
BATCH_ROWS = 1024

NER_SCHEMA = ARROW_SCHEMAS["ner"]
STANCE_SCHEMA = ARROW_SCHEMAS["stance"]
ENTITY_FIELDS = list(NER_SCHEMA.field("entities").type.value_type)
#: Per entity type index: fine and coarse B- and I- tag indices (coarse 0, ``O``, if none).
_FINE_B = np.array([NER_TAG_INDEX[f"B-{t}"] for t in ENTITY_TYPES], np.int64)
_FINE_I = np.array([NER_TAG_INDEX[f"I-{t}"] for t in ENTITY_TYPES], np.int64)
_COARSE_B = np.array([COARSE_TAG_INDEX[f"B-{COARSE_OF[t]}"] if COARSE_OF[t] else 0 for t in ENTITY_TYPES], np.int64)
_COARSE_I = np.array([COARSE_TAG_INDEX[f"I-{COARSE_OF[t]}"] if COARSE_OF[t] else 0 for t in ENTITY_TYPES], np.int64)


class SentenceColumns:
    """The columns of some sentences' ``ner`` and ``stance`` rows, filled sentence by sentence:
    per sentence its fields, and per mention (in ``(start, end)`` order within a sentence) its
    sentence-relative offsets, type index and entity ID; ``mention_counts`` says how many mentions
    each sentence has."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.docs: list[str] = []
        self.langs: list[str] = []
        self.texts: list[str] = []
        self.folds: list[int] = []
        self.stances: list[int] = []
        self.m_start: list[int] = []
        self.m_end: list[int] = []
        self.m_type: list[int] = []
        self.m_id: list[str | None] = []
        self.mention_counts: list[int] = []

    def add_record(self, record: SentenceRecord, fold: int) -> None:
        for m in record.mentions:
            self.m_start.append(m.start)
            self.m_end.append(m.end)
            self.m_type.append(TYPE_INDEX[m.label])
            self.m_id.append(m.entity_id)
        self.mention_counts.append(len(record.mentions))
        self.ids.append(record.sentence_id)
        self.docs.append(record.doc_id)
        self.langs.append(record.lang)
        self.texts.append(record.text)
        self.folds.append(fold)
        self.stances.append(STANCE_INDEX[record.stance])

    def __len__(self) -> int:
        return len(self.ids)

    def batches(self) -> tuple[pa.RecordBatch, pa.RecordBatch]:
        """The ``ner`` and ``stance`` batches; :class:`vietlao.spans.AlignmentError` if a mention
        is off token boundaries or overlaps another."""
        return _batches(self)


def _offsets(counts: list[int] | np.ndarray) -> np.ndarray:
    out = np.zeros(len(counts) + 1, np.int32)
    np.cumsum(counts, out=out[1:])
    return out


def _substrings(texts: pa.StringArray, starts: np.ndarray, ends: np.ndarray) -> pa.StringArray:
    """``texts`` joined, cut at sorted, non-overlapping code-point ``[starts, ends)``, in order."""
    n = len(starts)
    if n == 0:
        return pa.array([], pa.string())
    _, value_offsets, data = texts.buffers()
    size = int(np.frombuffer(value_offsets, np.int32)[len(texts)])
    utf8 = np.frombuffer(data, np.uint8, size)
    byte_of = np.append(np.flatnonzero((utf8 & 0xC0) != 0x80), size).astype(np.int32)  # code point -> byte
    cuts = np.empty(2 * n, np.int32)  # piece 2k is substring k, piece 2k + 1 what lies between
    cuts[0::2], cuts[1::2] = byte_of[starts], byte_of[ends]
    pieces = pa.StringArray.from_buffers(2 * n - 1, pa.py_buffer(cuts), data)
    return pieces.take(pa.array(np.arange(0, 2 * n, 2)))


def _batches(c: SentenceColumns) -> tuple[pa.RecordBatch, pa.RecordBatch]:
    n_texts = len(c.texts)
    string = pa.string()
    ids, docs, langs, texts = (pa.array(v, string) for v in (c.ids, c.docs, c.langs, c.texts))
    # One coordinate line for all the texts, joined: text i starts at base[i].
    lengths = np.fromiter(map(len, c.texts), np.int64, n_texts)
    base = np.zeros(n_texts, np.int64)
    np.cumsum(lengths[:-1], out=base[1:])
    positions, token_counts = tokenize_texts(c.texts)
    token_base = np.repeat(base, token_counts)
    starts, ends = positions[:, 0] + token_base, positions[:, 1] + token_base
    mention_base = np.repeat(base, c.mention_counts)
    m_start = np.array(c.m_start, np.int64) + mention_base
    m_end = np.array(c.m_end, np.int64) + mention_base
    order = np.lexsort((m_end, m_start))  # per text by (start, end)
    m_start, m_end, m_type = m_start[order], m_end[order], np.array(c.m_type, np.int64)[order]
    first, last = token_ranges(starts, ends, m_start, m_end)
    n_tokens = len(starts)
    fine = iob2_codes(n_tokens, first, last, _FINE_B[m_type], _FINE_I[m_type])
    coarse = iob2_codes(n_tokens, first, last, _COARSE_B[m_type], _COARSE_I[m_type])
    token_offsets = pa.array(_offsets(token_counts))
    entities = pa.StructArray.from_arrays(
        [pa.array((m_start - mention_base[order]).astype(np.int32)),
         pa.array((m_end - mention_base[order]).astype(np.int32)),
         pa.array(m_type), _substrings(texts, m_start, m_end), pa.array(c.m_id, string).take(order)],
        fields=ENTITY_FIELDS,
    )
    ner = pa.RecordBatch.from_arrays(
        [
            ids, docs, langs, texts,
            pa.ListArray.from_arrays(token_offsets, _substrings(texts, starts, ends)),
            pa.ListArray.from_arrays(
                token_offsets, pa.FixedSizeListArray.from_arrays(pa.array(positions.astype(np.int32).ravel()), 2)
            ),
            pa.ListArray.from_arrays(token_offsets, pa.array(fine)),
            pa.ListArray.from_arrays(token_offsets, pa.array(coarse)),
            pa.ListArray.from_arrays(pa.array(_offsets(c.mention_counts)), entities),
            pa.array(c.folds, pa.int32()),
        ],
        schema=NER_SCHEMA,
    )
    return ner, stance_batch(ner, pa.array(c.stances, pa.int64()))


def sentence_batches(items: Iterable[tuple[SentenceRecord, int]]) -> tuple[pa.RecordBatch, pa.RecordBatch]:
    """The ``ner`` and ``stance`` record batches of ``(record, fold)`` items."""
    columns = SentenceColumns()
    for record, fold in items:
        columns.add_record(record, fold)
    return columns.batches()


def stance_batch(ner: pa.RecordBatch, labels: pa.Array, targets: pa.Array | None = None) -> pa.RecordBatch:
    """The ``stance`` rows of the sentences of a ``ner`` batch, given their stance label indices:
    every other ``stance`` column is a ``ner`` column, or the target (``targets``, if given, is
    that column ready-made: building an array from Python values makes pyarrow import pandas)."""
    if targets is None:
        targets = pa.array([STANCE_TARGET] * ner.num_rows, pa.string())
    return pa.RecordBatch.from_arrays(
        [ner.column("id"), ner.column("doc_id"), ner.column("lang"), targets, ner.column("text"), labels,
         ner.column("fold")],
        schema=STANCE_SCHEMA,
    )


class SentenceSink:
    """``ner`` and ``stance`` writers per split. Takes records or ready batches, in order, and cuts
    every file into batches of exactly ``batch_rows`` rows (the last one shorter), so the bytes do
    not depend on how the rows were grouped on the way."""

    def __init__(self, out_dir: Path, batch_rows: int = BATCH_ROWS):
        self.out_dir = out_dir
        self.batch_rows = batch_rows
        self._writers: dict[tuple[str, str], ArrowStreamWriter] = {}
        self._items: dict[str, list[tuple[SentenceRecord, int]]] = {}
        self._queued: dict[str, list[tuple[pa.RecordBatch, pa.RecordBatch]]] = {}
        self._queued_rows: Counter = Counter()

    def _open(self, split: str) -> None:
        if split not in self._items:
            for config in ("ner", "stance"):
                path = self.out_dir / "data" / config / f"{split}.arrow"
                self._writers[(config, split)] = ArrowStreamWriter(path, ARROW_SCHEMAS[config])
            self._items[split], self._queued[split] = [], []

    def add_record(self, split: str, record: SentenceRecord, fold: int) -> None:
        self._open(split)
        items = self._items[split]
        items.append((record, fold))
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
        out: tuple[pa.RecordBatch, pa.RecordBatch] | list[pa.RecordBatch]
        rest: list
        if len(queued) == 1 and queued[0][0].num_rows == rows:
            out, rest = queued[0], []
        else:
            out, rest = [], []
            for i, _config in enumerate(("ner", "stance")):
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
    sink = SentenceSink(out_dir)
    try:
        for r in records:
            sink.add_record(split_of(r.doc_id), r, fold_of_doc(r.doc_id))
    except BaseException:
        sink.abort()
        raise
    return sink.close()
