"""Ranges of plain, valid tasks converted straight into ``ner`` and ``stance`` columns.

Most of a large export is tasks with one completed annotation, string region ids, one stance and
nothing wrong. :func:`convert_range` converts a range of such tasks in one pass: a lean loop over
the regions, then token boundaries, overlaps and IOB2 tags checked and built for the whole range
at once with numpy. It never reports a problem: it returns None as soon as a task is unusual or
might break a rule, and the caller converts that range task by task with
:func:`vietlao.export._convert_task`, which names every problem. What it accepts it converts to
exactly the rows :func:`vietlao.batches.sentence_batches` builds from ``_convert_task``'s records
(``tests/test_fastpath.py`` checks both on valid and on mutated tasks).

It takes tasks as :func:`vietlao.typed.decode_range` gives them: types, vocabularies and limits are
already checked there.
"""

from __future__ import annotations

import itertools
import unicodedata
from typing import Callable

import msgspec
import numpy as np
import pyarrow as pa

from vietlao.dataset.batches import COARSE_BI, ENTITY_FIELDS, FINE_BI, NER_SCHEMA, stance_batch
from vietlao.export.task import Context
from vietlao.labels import ENTITY_TYPES, LINKABLE_TYPES
from vietlao.dataset.rows import STANCE_INDEX, TYPE_INDEX
from vietlao.corpus.segment import LINE_BREAKS, tokenize_texts
from vietlao.export.typed import EntityIdRegion, LabelRegion, Task

#: Per entity type index: fine and coarse B- and I- tag indices (coarse 0, ``O``, if none).
_FINE_B = np.array([FINE_BI[t][0] for t in ENTITY_TYPES], np.int64)
_FINE_I = np.array([FINE_BI[t][1] for t in ENTITY_TYPES], np.int64)
_COARSE_B = np.array([COARSE_BI.get(t, (0, 0))[0] for t in ENTITY_TYPES], np.int64)
_COARSE_I = np.array([COARSE_BI.get(t, (0, 0))[1] for t in ENTITY_TYPES], np.int64)


class _Unusual(Exception):
    """Something the exact path has to look at."""


class _Columns:
    """The columns of one split's rows, filled task by task."""

    def __init__(self) -> None:
        self.ids, self.docs, self.langs, self.texts, self.folds, self.stances = [], [], [], [], [], []
        self.m_start, self.m_end, self.m_type, self.m_id, self.m_counts = [], [], [], [], []


def _sentence_index(ctx: Context, cache: dict = {}) -> dict:  # noqa: B006 - a cache on purpose
    """doc_id -> {(start, end): sentence_id} of the context's documents (built once per context)."""
    key = id(ctx.documents)
    entry = cache.get(key)
    if entry is None or entry[0] is not ctx.documents:
        index = {
            doc_id: {(s.start, s.end): doc.sentence_id(i) for i, s in enumerate(doc.sentences)}
            for doc_id, doc in ctx.documents.items()
        }
        entry = cache[key] = (ctx.documents, index)
    return entry[1]


def convert_range(
    tasks: list, ctx: Context, split_of: Callable[[str], str], fold_of_doc: Callable[[str], int]
) -> dict[str, tuple[pa.RecordBatch, pa.RecordBatch]] | None:
    """``{split: (ner batch, stance batch)}`` of ``tasks``, in task order within each split, if
    every task is plain and valid; None otherwise (then nothing about the tasks is known)."""
    try:
        columns = _collect(tasks, ctx, split_of, fold_of_doc)
        return {split: _batches(c) for split, c in columns.items()}
    except Exception:  # noqa: BLE001 - _Unusual, or a type the lean loop did not expect: the exact path says what
        return None


def _collect(tasks: list[Task], ctx: Context, split_of, fold_of_doc) -> dict[str, _Columns]:
    """The columns per split of typed tasks (types already checked by the decoder)."""
    by_split: dict[str, _Columns] = {}
    documents = ctx.documents
    sentences = _sentence_index(ctx) if documents else None
    inventory = ctx.inventory if ctx.check_inventory else None
    type_index, stance_index, linkable = TYPE_INDEX, STANCE_INDEX, LINKABLE_TYPES
    is_nfc, unset = unicodedata.is_normalized, msgspec.UNSET
    for task in tasks:
        data = task.data
        text, doc_id, sentence_id, offset = data.text, data.doc_id, data.sentence_id, data.offset
        size = len(text)
        if not is_nfc("NFC", text):
            raise _Unusual
        if documents and (
            documents[doc_id].text[offset : offset + size] != text
            or sentences[doc_id].get((offset, offset + size)) != sentence_id
        ):
            raise _Unusual
        completed = None
        for annotation in task.annotations:
            if not annotation.was_cancelled:
                if completed is not None:
                    raise _Unusual  # several completed annotations: the exact path picks or refuses
                completed = annotation
        who = completed.completed_by
        if not (who is None or type(who) is int or (type(who) is str and "@" not in who)):
            raise _Unusual
        stance, labelled, unnamed, ids = None, {}, [], {}
        for region in completed.result:
            kind, value = type(region), region.value
            if kind is LabelRegion:
                start, end = value.start, value.end
                if not 0 <= start < end <= size or (value.text is not unset and value.text != text[start:end]):
                    raise _Unusual
                region_id = region.id
                if region_id is None:
                    unnamed.append((start, end, value.labels[0]))
                elif region_id in labelled:
                    raise _Unusual
                else:
                    labelled[region_id] = (start, end, value.labels[0])
            elif kind is EntityIdRegion:
                picked = value.picked()
                if picked is None:
                    raise _Unusual
                ids[region.id] = picked.strip()
            elif stance is None:
                stance = stance_index[value.choices[0]]
            else:
                raise _Unusual  # a second stance
        if stance is None or not ids.keys() <= labelled.keys():
            raise _Unusual
        split, fold = split_of(doc_id), fold_of_doc(doc_id)
        c = by_split.get(split)
        if c is None:
            c = by_split[split] = _Columns()
        for region_id, (start, end, label) in itertools.chain(labelled.items(), zip(itertools.repeat(None), unnamed)):
            entity_id = ids.get(region_id) if region_id is not None else None
            if label in linkable:
                if not entity_id or (inventory is not None and inventory.get(entity_id) != label):
                    raise _Unusual
            elif entity_id:
                raise _Unusual
            c.m_start.append(start)
            c.m_end.append(end)
            c.m_type.append(type_index[label])
            c.m_id.append(entity_id or None)
        c.m_counts.append(len(labelled) + len(unnamed))
        c.ids.append(sentence_id)
        c.docs.append(doc_id)
        c.langs.append(data.lang)
        c.texts.append(text)
        c.folds.append(fold)
        c.stances.append(stance)
    for c in by_split.values():
        joined = "\0".join(c.texts)  # one scan per line break character instead of one per text
        if any(b in joined for b in LINE_BREAKS):
            raise _Unusual
    return by_split


def _offsets(counts: list[int]) -> np.ndarray:
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


def _batches(c: _Columns) -> tuple[pa.RecordBatch, pa.RecordBatch]:
    """The range's rows of one split; raises :class:`_Unusual` for a span off token boundaries
    or overlapping another (the exact path names it)."""
    n_texts = len(c.texts)
    string = pa.string()
    ids, docs, langs, texts = (pa.array(v, string) for v in (c.ids, c.docs, c.langs, c.texts))
    # One coordinate line for the whole range: the texts joined, text i starting at base[i].
    lengths = np.fromiter(map(len, c.texts), np.int64, n_texts)
    base = np.zeros(n_texts, np.int64)
    np.cumsum(lengths[:-1], out=base[1:])
    positions, token_counts = tokenize_texts(c.texts)
    token_base = np.repeat(base, token_counts)
    starts, ends = positions[:, 0] + token_base, positions[:, 1] + token_base
    mention_base = np.repeat(base, c.m_counts)
    m_start = np.array(c.m_start, np.int64) + mention_base
    m_end = np.array(c.m_end, np.int64) + mention_base
    m_type = np.array(c.m_type, np.int64)
    order = np.lexsort((m_end, m_start))  # per text by (start, end): the order of the records' mentions
    m_start, m_end, m_type = m_start[order], m_end[order], m_type[order]
    if len(order) and np.any(m_start[1:] < m_end[:-1]):
        raise _Unusual  # overlapping spans
    first = np.searchsorted(starts, m_start)
    last = np.searchsorted(ends, m_end)
    n_tokens = len(starts)
    if np.any(first >= n_tokens) or np.any(last >= n_tokens):
        raise _Unusual
    if np.any(starts[first] != m_start) or np.any(ends[last] != m_end):
        raise _Unusual  # a span off token boundaries
    inside = last - first
    fine = np.zeros(n_tokens, np.int64)
    coarse = np.zeros(n_tokens, np.int64)
    fine[first], coarse[first] = _FINE_B[m_type], _COARSE_B[m_type]
    if inside.sum():
        steps = np.arange(inside.sum()) - np.repeat(np.cumsum(inside) - inside, inside)
        where = np.repeat(first + 1, inside) + steps
        fine[where], coarse[where] = np.repeat(_FINE_I[m_type], inside), np.repeat(_COARSE_I[m_type], inside)
    token_offsets = pa.array(_offsets(token_counts))
    m_offsets = pa.array(_offsets(c.m_counts))
    entities = pa.StructArray.from_arrays(
        [pa.array((m_start - mention_base[order]).astype(np.int32)),
         pa.array((m_end - mention_base[order]).astype(np.int32)),
         pa.array(m_type), _substrings(texts, m_start, m_end), pa.array(c.m_id, string).take(order)],
        fields=ENTITY_FIELDS,
    )
    folds = pa.array(c.folds, pa.int32())
    ner = pa.RecordBatch.from_arrays(
        [
            ids, docs, langs, texts,
            pa.ListArray.from_arrays(token_offsets, _substrings(texts, starts, ends)),
            pa.ListArray.from_arrays(
                token_offsets, pa.FixedSizeListArray.from_arrays(pa.array(positions.astype(np.int32).ravel()), 2)
            ),
            pa.ListArray.from_arrays(token_offsets, pa.array(fine)),
            pa.ListArray.from_arrays(token_offsets, pa.array(coarse)),
            pa.ListArray.from_arrays(m_offsets, entities),
            folds,
        ],
        schema=NER_SCHEMA,
    )
    return ner, stance_batch(ner, pa.array(c.stances, pa.int64()))
