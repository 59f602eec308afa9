"""One exported Label Studio task -> a validated sentence record.

:func:`convert_task` is a pure function of the task and a :class:`Context`, so it can run in worker
processes. Label Studio does not validate what its API accepts, so every rule is checked here and
every problem is reported with its task id and sentence id. Offsets in records are
sentence-relative, half-open, in code points. Reading a whole export file (incrementally, with the
export-wide checks) is :mod:`vietlao.export.reader`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Mapping

from vietlao import label_config as lc
from vietlao.corpus.documents import Document
from vietlao.labels import ENTITY_TYPES, LINKABLE_TYPES, STANCE_LABELS
from vietlao.corpus.segment import LINE_BREAKS, token_offsets
from vietlao.spans import Span

#: Longest string accepted anywhere in a task (a sentence is far shorter).
MAX_TEXT_CHARS = 100_000
#: Deepest JSON nesting accepted (a Label Studio task is about 8 levels deep).
MAX_DEPTH = 64
#: Anchored on the ``@`` so the search is linear in the length of the string.
_EMAIL = re.compile(r"[^@\s]@[^@\s]+\.[^@\s]")


def _clip(value: object, limit: int = 300) -> str:
    text = str(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


@dataclass(frozen=True, slots=True)
class Mention:
    """An entity mention: sentence-relative half-open span, type, canonical ID."""

    start: int
    end: int
    label: str
    entity_id: str | None

    @property
    def span(self) -> Span:
        return Span(self.start, self.end, self.label)


@dataclass(frozen=True, slots=True)
class SentenceRecord:
    """One validated task: a sentence with its gold mentions and stance."""

    task_id: int
    sentence_id: str
    doc_id: str
    lang: str
    offset: int
    text: str
    mentions: tuple[Mention, ...]
    stance: str
    annotator: str | None


@dataclass(frozen=True, slots=True)
class Problem:
    task_id: object
    sentence_id: object
    message: str

    def __str__(self) -> str:
        return f"task {_clip(self.task_id, 80)} (sentence {_clip(self.sentence_id, 80)}): {_clip(self.message)}"


class ExportError(Exception):
    """An export that cannot be used; carries every problem found."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        lines = [f"{source}: {len(problems)} problem(s)"] + [f"  {p}" for p in problems[:50]]
        if len(problems) > 50:
            lines.append(f"  … and {len(problems) - 50} more")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Context:
    """What a task is checked against. ``documents`` may be empty (synthetic exports):
    then the drift check is skipped and every other rule still applies."""

    inventory: Mapping[str, str] = field(default_factory=dict)  # entity_id -> type
    documents: Mapping[str, Document] = field(default_factory=dict)
    check_inventory: bool = True


class _TaskInvalid(Exception):
    def __init__(self, messages: list[str]):
        self.messages = messages


def _data_fields(task: object) -> tuple[dict, str]:
    if not isinstance(task, dict):
        raise _TaskInvalid([f"a task must be an object, got {type(task).__name__}"])
    data = task.get("data")
    if not isinstance(data, dict):
        raise _TaskInvalid(["task has no `data` object"])
    for key, value in data.items():
        if isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
            raise _TaskInvalid([f"data.{key} has {len(value)} characters (limit {MAX_TEXT_CHARS})"])
    missing = [k for k in ("text", "doc_id", "sentence_id", "lang") if not isinstance(data.get(k), str)]
    if missing:
        raise _TaskInvalid([f"data.{k} missing or not a string" for k in missing])
    if not isinstance(data.get("offset"), int) or isinstance(data.get("offset"), bool) or data["offset"] < 0:
        raise _TaskInvalid(["data.offset missing or not a non-negative integer"])
    return data, data["text"]


def _check_text(data: dict, text: str, ctx: Context) -> list[str]:
    problems = []
    if not unicodedata.is_normalized("NFC", text):
        problems.append("data.text is not NFC-normalised (imported texts must stay NFC)")
    if any(c in text for c in LINE_BREAKS):
        problems.append("data.text contains a line break (\\r, \\n or another); a sentence is one line")
    if ctx.documents:
        doc = ctx.documents.get(data["doc_id"])
        if doc is None:
            problems.append(f"unknown doc_id {data['doc_id']!r}")
        else:
            offset = data["offset"]
            if doc.text[offset : offset + len(text)] != text:
                problems.append(
                    f"data.text differs from document {doc.doc_id} at offset {offset} (drift)"
                )
            elif not any(
                s.start == offset and s.end == offset + len(text) and doc.sentence_id(i) == data["sentence_id"]
                for i, s in enumerate(doc.sentences)
            ):
                problems.append(f"no sentence {data['sentence_id']} at offset {offset} in document {doc.doc_id}")
    return problems


def _pick_annotation(task: dict) -> dict:
    annotations = task.get("annotations")
    if not isinstance(annotations, list):
        raise _TaskInvalid(["task has no `annotations` list"])
    if not all(isinstance(a, dict) for a in annotations):
        raise _TaskInvalid(["an annotation is not an object"])
    done = [a for a in annotations if isinstance(a, dict) and not a.get("was_cancelled")]
    cancelled = len(annotations) - len(done)
    if not done:
        why = f" ({cancelled} cancelled)" if cancelled else ""
        raise _TaskInvalid([f"no completed annotation{why}"])
    if len(done) == 1:
        return done[0]
    truth = [a for a in done if a.get("ground_truth")]
    if len(truth) == 1:
        return truth[0]
    results = {_canonical_result(a.get("result")) for a in done}
    if len(results) == 1:
        return done[0]
    raise _TaskInvalid(
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


def _annotator(annotation: dict) -> tuple[str | None, list[str]]:
    who = annotation.get("completed_by")
    if isinstance(who, dict) or (isinstance(who, str) and _EMAIL.search(who)):
        return None, ["completed_by holds annotator identity (e-mail); pull with `vietlao ls pull`, which pseudonymises"]
    return (None if who is None else str(who)), []


def _regions(result: list, text: str, token_starts: set, token_ends: set, problems: list[str]):
    labelled: dict[object, tuple[int, int, str]] = {}
    unnamed: list[tuple[int, int, str]] = []
    ids: dict[object, str] = {}
    stances: list[str] = []
    for n, r in enumerate(result):
        if not isinstance(r, dict) or not isinstance(r.get("value"), dict):
            problems.append(f"result[{n}] is not an object with a `value`")
            continue
        name, value = r.get("from_name"), r["value"]
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
            if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool) or isinstance(end, bool):
                problems.append(f"result[{n}]: start/end must be integers, got {start!r}, {end!r}")
                continue
            if not 0 <= start < end <= len(text):
                problems.append(f"result[{n}]: span [{start}, {end}) outside the text (length {len(text)}) or empty")
                continue
            if "text" in value and value["text"] != text[start:end]:
                problems.append(
                    f"result[{n}]: value.text {value['text']!r} disagrees with text[{start}:{end}] {text[start:end]!r}"
                )
                continue
            if start not in token_starts or end not in token_ends:
                problems.append(f"result[{n}]: span [{start}, {end}) {text[start:end]!r} is not on token boundaries")
                continue
            region = (start, end, labels[0])
            if not isinstance(r.get("id"), (str, int, type(None))):
                problems.append(f"result[{n}]: region id must be a string, got {type(r['id']).__name__}")
            elif r.get("id") is None:
                unnamed.append(region)
            elif r["id"] in labelled:
                problems.append(f"result[{n}]: duplicate region id {r['id']!r}")
            else:
                labelled[r["id"]] = region
        elif name == lc.ENTITY_ID:
            # the picker's choice; exports made before the picker hold a text area's ``text``
            key = lc.ENTITY_ID_KEY if lc.ENTITY_ID_KEY in value else lc.ENTITY_ID_LEGACY_KEY
            values = value.get(key)
            if not isinstance(values, list) or len(values) != 1 or not isinstance(values[0], str):
                problems.append(f"result[{n}]: entity_id must be one string, got {values!r}")
                continue
            if not isinstance(r.get("id"), (str, int, type(None))):
                problems.append(f"result[{n}]: region id must be a string, got {type(r['id']).__name__}")
                continue
            ids[r.get("id")] = values[0].strip()
        else:
            problems.append(f"result[{n}]: unknown control {name!r}")
    return labelled, unnamed, ids, stances


def token_spans(text: str) -> list[tuple[int, int]]:
    """Half-open offsets of the tokens of ``text``: ``[(t.start, t.end) for t in segment.tokenize(text)]``
    without building ``Token`` objects, which is most of the cost of converting a task."""
    offsets = token_offsets(text)
    return list(zip(offsets[::2], offsets[1::2]))


def convert_task(task: object, ctx: Context) -> SentenceRecord:
    """Validate one exported task and return its record; raises :class:`_TaskInvalid`."""
    return _convert_task(task, ctx)[0]


def _convert_task(task: object, ctx: Context) -> tuple[SentenceRecord, list[tuple[int, int]]]:
    """:func:`convert_task`, also returning the token offsets of the text (for the Arrow rows)."""
    data, text = _data_fields(task)
    problems = _check_text(data, text, ctx)
    annotation = _pick_annotation(task)
    annotator, who_problems = _annotator(annotation)
    problems += who_problems
    result = annotation.get("result")
    if not isinstance(result, list):
        raise _TaskInvalid(problems + ["annotation has no `result` list"])
    spans = token_spans(text)
    labelled, unnamed, ids, stances = _regions(
        result, text, {s for s, _ in spans}, {e for _, e in spans}, problems
    )
    for region_id in ids.keys() - labelled.keys():
        problems.append(f"entity_id {ids[region_id]!r} belongs to region {region_id!r}, which does not exist")
    mentions = []
    for region_id, (start, end, label) in [*labelled.items(), *((None, u) for u in unnamed)]:
        entity_id = ids.get(region_id) if region_id is not None else None
        where = f"{label} {text[start:end]!r} [{start}, {end})"
        if label in LINKABLE_TYPES:
            if not entity_id:
                problems.append(f"{where} has no entity_id")
            elif ctx.check_inventory and entity_id not in ctx.inventory:
                problems.append(f"{where}: entity_id {entity_id!r} is not in the inventory")
            elif ctx.check_inventory and ctx.inventory[entity_id] != label:
                problems.append(f"{where}: entity_id {entity_id!r} is {ctx.inventory[entity_id]} in the inventory")
        elif entity_id:
            problems.append(f"{where}: {label} mentions take no entity_id")
        mentions.append(Mention(start, end, label, entity_id or None))
    mentions.sort(key=lambda m: (m.start, m.end))
    for a, b in zip(mentions, mentions[1:]):
        if b.start < a.end:
            problems.append(f"spans overlap: [{a.start}, {a.end}) {a.label} and [{b.start}, {b.end}) {b.label}")
    if len(stances) != 1:
        problems.append(f"expected exactly one stance, found {len(stances)}: {stances}")
    if problems:
        raise _TaskInvalid(problems)
    return SentenceRecord(
        task_id=task.get("id"), sentence_id=data["sentence_id"], doc_id=data["doc_id"],
        lang=data["lang"], offset=data["offset"], text=text, mentions=tuple(mentions),
        stance=stances[0], annotator=annotator,
    ), spans
