"""``ner`` and ``stance`` rows built column by column into Arrow record batches.

The columns are the rows of :func:`vietlao.rows.ner_row` and :func:`vietlao.rows.stance_row`; every
file is cut into batches of exactly ``BATCH_ROWS`` rows, so bytes do not depend on grouping.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left
from collections import Counter
from pathlib import Path
from typing import Iterator

import pyarrow as pa

from vietlao.export.task import SentenceRecord, token_spans
from vietlao.labels import COARSE_OF, ENTITY_TYPES, STANCE_TARGET
from vietlao.dataset.rows import (
    COARSE_TAG_INDEX,
    NER_TAG_INDEX,
    STANCE_INDEX,
    TYPE_INDEX,
    ARROW_SCHEMAS,
    ArrowStreamWriter,
    ner_row,
)


# -- columnar batches ------------------------------------------------------------------------------
#
# ``ner_row`` + ``RecordBatch.from_pylist`` cost about 0.5 ms per sentence; building the columns
# directly is several times faster and gives byte-identical Arrow files (the rows are the same, and
# batches are always cut at ``BATCH_ROWS`` rows per split). Records that the fast path cannot handle
# (never the case for validated records) go through ``ner_row``, which raises its own errors.

#: Rows per record batch, per (config, split) file.
BATCH_ROWS = 1024

NER_SCHEMA = ARROW_SCHEMAS["ner"]
STANCE_SCHEMA = ARROW_SCHEMAS["stance"]
ENTITY_FIELDS = list(NER_SCHEMA.field("entities").type.value_type)
FINE_BI = {t: (NER_TAG_INDEX[f"B-{t}"], NER_TAG_INDEX[f"I-{t}"]) for t in ENTITY_TYPES}
COARSE_BI = {t: (COARSE_TAG_INDEX[f"B-{c}"], COARSE_TAG_INDEX[f"I-{c}"]) for t, c in COARSE_OF.items() if c}

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
            begin, inside = FINE_BI[m.label]
            f[a] = begin
            f[a + 1 : b + 1] = [inside] * (b - a)
            if m.label in COARSE_BI:
                begin, inside = COARSE_BI[m.label]
                c[a] = begin
                c[a + 1 : b + 1] = [inside] * (b - a)
            e_start.append(m.start)
            e_end.append(m.end)
            e_label.append(TYPE_INDEX[m.label])
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
        fields=ENTITY_FIELDS,
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
    return pa.RecordBatch.from_arrays(columns, schema=NER_SCHEMA)


def sentence_batches(items: list[Item]) -> tuple[pa.RecordBatch, pa.RecordBatch]:
    """The ``ner`` and ``stance`` record batches of some records: the rows of :func:`ner_row` and
    :func:`stance_row`, built column by column."""
    try:
        ner = _ner_batch_fast(items)
    except Exception:  # noqa: BLE001 - the row path below raises the proper error
        ner = None
    if ner is None:
        ner = pa.RecordBatch.from_pylist([ner_row(r, fold) for r, _, fold in items], schema=NER_SCHEMA)
    return ner, stance_batch(ner, pa.array([STANCE_INDEX[r.stance] for r, _, _ in items], pa.int64()))


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
                self._writers[(config, split)] = ArrowStreamWriter(path, ARROW_SCHEMAS[config])
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


