"""One exported Label Studio task -> a validated sentence record.

:func:`convert_task` is a pure function of the task and a :class:`Context`, so it can run in worker
processes. Label Studio does not validate what its API accepts, so every rule
(:mod:`vietlao.export.rules`) is checked here and every problem is reported with its task id and
sentence id; :class:`TaskInvalid` carries a task's problems. Offsets in records are
sentence-relative, half-open, in code points. Reading a whole export file (incrementally, with the
export-wide checks) is :mod:`vietlao.export.reader`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vietlao import label_config as lc
from vietlao.corpus.segment import token_offsets
from vietlao.errors import shown
from vietlao.export.rules import (
    MAX_TEXT_CHARS,
    REGION_TYPES,
    Context,
    annotator_problem,
    edge_punctuation_problem,
    entity_id_problem,
    flag_problem,
    label_problem,
    mention_problem,
    model_version_problem,
    orphan_problems,
    region_id_problem,
    region_type_problem,
    stance_problem,
    text_problems,
)
from vietlao.labels import ENTITY_TYPES, STANCE_LABELS
from vietlao.spans import Span, on_token_boundaries, overlapping

__all__ = ["Context", "ExportError", "Problem", "SentenceRecord", "TaskInvalid", "convert_task"]


@dataclass(frozen=True, slots=True)
class SentenceRecord:
    """One validated task: a sentence with its gold mentions and stance."""

    task_id: int | str | None  # as the export gives it
    sentence_id: str
    doc_id: str
    lang: str
    offset: int
    text: str
    mentions: tuple[Span, ...]
    stance: str
    annotator: str | None


@dataclass(frozen=True, slots=True)
class Problem:
    task_id: object
    sentence_id: object
    message: str

    def __str__(self) -> str:
        return f"task {shown(self.task_id, 80)} (sentence {shown(self.sentence_id, 80)}): {shown(self.message, 300)}"


class ExportError(Exception):
    """An export that cannot be used; carries every problem found."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        lines = [f"{shown(source)}: {len(problems)} problem(s)"] + [f"  {p}" for p in problems[:50]]
        if len(problems) > 50:
            lines.append(f"  … and {len(problems) - 50} more")
        super().__init__("\n".join(lines))


class TaskInvalid(Exception):
    """A task that breaks rules; ``messages`` lists every problem found."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def _data_fields(task: object) -> tuple[dict, str]:
    if not isinstance(task, dict):
        raise TaskInvalid([f"a task must be an object, got {type(task).__name__}"])
    data = task.get("data")
    if not isinstance(data, dict):
        raise TaskInvalid(["task has no `data` object"])
    for key, value in data.items():
        if isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
            raise TaskInvalid([f"data.{key} has {len(value)} characters (limit {MAX_TEXT_CHARS})"])
    missing = [k for k in ("text", "doc_id", "sentence_id", "lang") if not isinstance(data.get(k), str)]
    if missing:
        raise TaskInvalid([f"data.{k} missing or not a string" for k in missing])
    if not isinstance(data.get("offset"), int) or isinstance(data.get("offset"), bool) or data["offset"] < 0:
        raise TaskInvalid(["data.offset missing or not a non-negative integer"])
    return data, data["text"]


def _pick_annotation(task: dict) -> dict:
    annotations = task.get("annotations")
    if not isinstance(annotations, list):
        raise TaskInvalid(["task has no `annotations` list"])
    if not all(isinstance(a, dict) for a in annotations):
        raise TaskInvalid(["an annotation is not an object"])
    flags = [problem for a in annotations for name in ("was_cancelled", "ground_truth")
             if (problem := flag_problem(name, a.get(name)))]
    if flags:
        raise TaskInvalid(flags)
    done = [a for a in annotations if not a.get("was_cancelled")]
    cancelled = len(annotations) - len(done)
    if not done:
        why = f" ({cancelled} cancelled)" if cancelled else ""
        raise TaskInvalid([f"no completed annotation{why}"])
    if len(done) == 1:
        return done[0]
    truth = [a for a in done if a.get("ground_truth")]
    if len(truth) == 1:
        return truth[0]
    results = {_canonical_result(a.get("result")) for a in done}
    if len(results) == 1:
        return done[0]
    raise TaskInvalid(
        [
            f"{len(done)} completed annotations disagree; adjudicate and mark exactly one as "
            "ground truth in Label Studio"
        ]
    )


def _canonical_result(result: object) -> str:
    """A comparable form of a result list: region ids and order do not matter."""
    if not isinstance(result, list):
        return repr(result)
    items = []
    for r in result:
        if isinstance(r, dict):
            items.append(repr(sorted((k, repr(v)) for k, v in r.items() if k not in {"id", "origin"})))
    return repr(sorted(items))


def _predictions(task: dict) -> list[object]:
    """The predictions of a task: its own and those its annotations started from."""
    own = task.get("predictions")
    found = list(own) if isinstance(own, list) else []
    found += [a.get("prediction") for a in task.get("annotations") or [] if isinstance(a, dict)]
    return found


def _regions(result: list, text: str, token_starts, token_ends, problems: list[str]):
    labelled: dict[object, tuple[int, int, str]] = {}
    unnamed: list[tuple[int, int, str]] = []
    ids: dict[object, str] = {}
    stances: list[str] = []
    for n, r in enumerate(result):
        if not isinstance(r, dict) or not isinstance(r.get("value"), dict):
            problems.append(f"result[{n}] is not an object with a `value`")
            continue
        name, value = r.get("from_name"), r["value"]
        if name not in REGION_TYPES:
            problems.append(f"result[{n}]: unknown control {name!r}")
            continue
        problem = region_type_problem(name, r.get("type"))
        if problem:
            problems.append(f"result[{n}]: {problem}")
            continue
        if name == lc.STANCE_SUGGESTION:  # the model's note, never gold
            continue
        if name == lc.STANCE:
            choices = value.get("choices")
            if not isinstance(choices, list) or not choices:
                problems.append(f"result[{n}]: stance without choices")
                continue
            for c in choices:
                if c not in STANCE_LABELS:
                    problems.append(f"result[{n}]: unknown stance {c!r}")
                stances.append(c)
        elif name == lc.ENTITY_LABELS:
            labels, start, end = value.get("labels"), value.get("start"), value.get("end")
            if not isinstance(labels, list) or len(labels) != 1 or labels[0] not in ENTITY_TYPES:
                problems.append(f"result[{n}]: unknown or multiple entity labels {labels!r}")
                continue
            problem = label_problem(start, end, text, value.get("text"), "text" in value, r.get("id"), labelled)
            if problem is None and not on_token_boundaries(token_starts, token_ends, start, end):
                problem = f"span [{start}, {end}) {text[start:end]!r} is not on token boundaries"
            if problem is None:
                problem = edge_punctuation_problem(text, start, end)
            if problem:
                problems.append(f"result[{n}]: {problem}")
            elif r.get("id") is None:
                unnamed.append((start, end, labels[0]))
            else:
                labelled[r["id"]] = (start, end, labels[0])
        else:
            values = value.get(lc.ENTITY_ID_KEY)  # the picker's choice
            if not isinstance(values, list) or len(values) != 1 or not isinstance(values[0], str):
                problems.append(f"result[{n}]: entity_id must be one string, got {values!r}")
                continue
            problem = region_id_problem(r.get("id"), ()) or entity_id_problem(r.get("id"), ids)
            if problem:
                problems.append(f"result[{n}]: {problem}")
                continue
            ids[r.get("id")] = values[0].strip()
    return labelled, unnamed, ids, stances


@dataclass(frozen=True)
class Decisions:
    """What one annotation's ``result`` says: its well-formed spans joined to their picked entities
    by region ``id`` (labelled regions first, then any without an ``id``), its stances, and one line
    per region that breaks a rule (left out of ``spans``)."""

    spans: tuple[tuple[int, int, str, str | None], ...]  # start, end, label, entity_id (None: not picked)
    stances: tuple[str, ...]
    problems: tuple[str, ...]


def read_result(result: list, text: str) -> Decisions:
    """The one reading of a result's regions (``convert_task`` and ``ls pull``'s list of changes)."""
    problems: list[str] = []
    offsets = np.array(token_offsets(text), np.int64)
    labelled, unnamed, ids, stances = _regions(result, text, offsets[0::2], offsets[1::2], problems)
    problems += orphan_problems(ids, labelled)
    spans = [(s, e, label, ids.get(region_id)) for region_id, (s, e, label) in labelled.items()]
    spans += [(s, e, label, None) for s, e, label in unnamed]
    return Decisions(tuple(spans), tuple(stances), tuple(problems))


def convert_task(task: object, ctx: Context) -> SentenceRecord:
    """Validate one exported task and return its record; raises :class:`TaskInvalid` with every
    problem of the task."""
    data, text = _data_fields(task)
    assert isinstance(task, dict)  # _data_fields raises TaskInvalid otherwise
    problems = text_problems(text, data["doc_id"], data["sentence_id"], data["offset"], data["lang"], ctx)
    problems += [p for p in map(model_version_problem, _predictions(task)) if p]
    annotation = _pick_annotation(task)
    who = annotation.get("completed_by")
    problem = annotator_problem(who)
    if problem:
        problems.append(problem)
    result = annotation.get("result")
    if not isinstance(result, list):
        raise TaskInvalid(problems + ["annotation has no `result` list"])
    decisions = read_result(result, text)
    problems += decisions.problems
    stances = list(decisions.stances)
    mentions = []
    for start, end, label, entity_id in decisions.spans:
        problem = mention_problem(text, start, end, label, entity_id, ctx)
        if problem:
            problems.append(problem)
        mentions.append(Span(start, end, label, entity_id or None))
    mentions.sort(key=lambda m: (m.start, m.end))
    for i in overlapping([m.start for m in mentions], [m.end for m in mentions]).nonzero()[0]:
        a, b = mentions[i], mentions[i + 1]
        problems.append(f"spans overlap: [{a.start}, {a.end}) {a.label} and [{b.start}, {b.end}) {b.label}")
    problem = stance_problem(stances)
    if problem:
        problems.append(problem)
    if problems:
        raise TaskInvalid(problems)
    return SentenceRecord(
        task_id=task.get("id"), sentence_id=data["sentence_id"], doc_id=data["doc_id"],
        lang=data["lang"], offset=data["offset"], text=text, mentions=tuple(mentions),
        stance=stances[0], annotator=None if who is None else str(who),
    )
