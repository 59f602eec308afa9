"""Ranges of plain, valid tasks converted straight into ``ner`` and ``stance`` columns.

Most of a large export is tasks with one completed annotation, string region ids, one stance and
nothing wrong. :func:`convert_range` converts a range of such tasks in one pass: a lean loop over
the regions that checks every task with the rules of :mod:`vietlao.export.rules` (the functions
:func:`vietlao.export.task.convert_task` reports with), then tokens, token boundaries, overlaps and
IOB2 tags for the whole range at once (:class:`vietlao.dataset.batches.SentenceColumns`). It never
reports a problem: it raises :class:`Declined`, with the reason, as soon as a task breaks a rule or
is not plain, and the caller converts that range task by task with ``convert_task``, which names
every problem.

It takes tasks as :func:`vietlao.export.typed.decode_range` gives them: types, vocabularies and
limits are already checked there.
"""

from __future__ import annotations

from typing import Callable

import msgspec
import pyarrow as pa

from vietlao.dataset.batches import SentenceColumns
from vietlao.dataset.rows import STANCE_INDEX, TYPE_INDEX
from vietlao.export.rules import (
    Context,
    annotator_problem,
    edge_punctuation_problem,
    entity_id_problem,
    label_problem,
    mention_problem,
    model_version_problem,
    orphan_problems,
    stance_problem,
    text_problems,
)
from vietlao.export.typed import EntityIdRegion, LabelRegion, Task, task_id
from vietlao.spans import AlignmentError


class Declined(Exception):
    """A range the fast route leaves to the plain one; the message says why."""


def convert_range(
    tasks: list[Task], ctx: Context, split_of: Callable[[str], str], fold_of_doc: Callable[[str], int]
) -> dict[str, tuple[pa.RecordBatch, pa.RecordBatch]]:
    """``{split: (ner batch, stance batch)}`` of ``tasks``, in task order within each split, if
    every task is plain and valid; raises :class:`Declined` otherwise."""
    columns = _collect(tasks, ctx, split_of, fold_of_doc)
    try:
        return {split: c.batches() for split, c in columns.items()}
    except AlignmentError as exc:
        raise Declined(str(exc)) from None


def _declined(task: Task, reason: str) -> Declined:
    return Declined(f"task {task_id(task)} (sentence {task.data.sentence_id}): {reason}")


def _collect(tasks: list[Task], ctx: Context, split_of, fold_of_doc) -> dict[str, SentenceColumns]:
    """The columns per split of typed tasks (types already checked by the decoder)."""
    by_split: dict[str, SentenceColumns] = {}
    type_index, stance_index, unset = TYPE_INDEX, STANCE_INDEX, msgspec.UNSET
    for task in tasks:
        data = task.data
        text, doc_id, sentence_id = data.text, data.doc_id, data.sentence_id
        problems = text_problems(text, doc_id, sentence_id, data.offset, data.lang, ctx)
        if problems:
            raise _declined(task, problems[0])
        if type(task.predictions) is list:
            for prediction in task.predictions:
                problem = model_version_problem(prediction)
                if problem:
                    raise _declined(task, problem)
        completed = None
        for annotation in task.annotations:
            if annotation.prediction and model_version_problem(annotation.prediction):
                raise _declined(task, model_version_problem(annotation.prediction))
            if not annotation.was_cancelled:
                if completed is not None:
                    raise _declined(task, "several completed annotations (the plain route picks one or refuses)")
                completed = annotation
        if completed is None:
            raise _declined(task, "no completed annotation")
        problem = annotator_problem(completed.completed_by)
        if problem:
            raise _declined(task, problem)
        stances, labelled, unnamed, ids = [], {}, [], {}
        for region in completed.result or ():
            kind, value = type(region), region.value
            if kind is LabelRegion:
                start, end = value.start, value.end
                region_id = None if region.id is unset else region.id
                problem = (label_problem(start, end, text, value.text, value.text is not unset, region_id, labelled)
                           or edge_punctuation_problem(text, start, end))
                if problem:
                    raise _declined(task, problem)
                if region_id is None:
                    unnamed.append((start, end, value.labels[0]))
                else:
                    labelled[region_id] = (start, end, value.labels[0])
            elif kind is EntityIdRegion:
                problem = entity_id_problem(region.id, ids)
                if problem:
                    raise _declined(task, problem)
                ids[region.id] = value.picked().strip()
            else:
                stances.append(value.choices[0])
        problems = orphan_problems(ids, labelled)
        problem = stance_problem(stances) or (problems[0] if problems else None)
        if problem:
            raise _declined(task, problem)
        try:
            split, fold = split_of(doc_id), fold_of_doc(doc_id)
        except KeyError:
            raise _declined(task, f"document {doc_id!r} has no split") from None
        c = by_split.get(split)
        if c is None:
            c = by_split[split] = SentenceColumns()
        mentions = [(start, end, label, ids.get(region_id) or None) for region_id, (start, end, label) in labelled.items()]
        mentions += [(start, end, label, None) for start, end, label in unnamed]
        for start, end, label, entity_id in mentions:
            problem = mention_problem(text, start, end, label, entity_id, ctx)
            if problem:
                raise _declined(task, problem)
            c.m_start.append(start)
            c.m_end.append(end)
            c.m_type.append(type_index[label])
            c.m_id.append(entity_id)
        c.mention_counts.append(len(mentions))
        c.ids.append(sentence_id)
        c.docs.append(doc_id)
        c.langs.append(data.lang)
        c.texts.append(text)
        c.folds.append(fold)
        c.stances.append(stance_index[stances[0]])
    return by_split
