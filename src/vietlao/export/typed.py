"""A range of a Label Studio JSON export decoded into typed tasks (msgspec), or declined.

The types are Label Studio 1.23's task layout with the project's labelling config: a region is a
``label`` span, an ``entity_id`` picker choice or a ``stance`` choice (told apart by ``from_name``), with
the vocabularies and the one-label, one-choice, one-ID rules in the types. Unknown keys are refused,
so nothing is skipped unread; with the limit on integers in the types, a walk of the few free-form
values and :func:`short_runs` (which bounds every string), what :func:`decode_range` accepts is
exactly what ``iter_tasks`` reads, within its limits. Anything else is declined and
parsed generically by :mod:`vietlao.dataset.stream`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

import msgspec

from vietlao import label_config as lc
from vietlao.export.reader import MAX_RUN_BYTES
from vietlao.export.rules import MAX_DEPTH, MAX_INT, MAX_TEXT_CHARS, REGION_TYPES
from vietlao.labels import EntityType, StanceLabel

_Int = Annotated[int, msgspec.Meta(ge=-MAX_INT, le=MAX_INT)]
_One = msgspec.Meta(min_length=1, max_length=1)
#: A JSON value that is not a container, within the limits of ``iter_tasks``.
Scalar = Union[str, _Int, float, bool, None]
_UNSET = msgspec.UNSET
#: A field that may be absent (then UNSET, told apart from null).
Maybe = Union[Scalar, msgspec.UnsetType]


class _Struct(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    pass


class LabelValue(_Struct):
    start: _Int
    end: _Int
    labels: Annotated[list[EntityType], _One]
    text: Union[str, None, msgspec.UnsetType] = _UNSET


class EntityIdValue(_Struct):
    """The entity picker's choice (``choices``); ``text`` is the region's surface string."""

    choices: Annotated[list[str], _One]
    text: Union[str, None, msgspec.UnsetType] = _UNSET
    start: Maybe = _UNSET
    end: Maybe = _UNSET

    def picked(self) -> str:
        """The one ID this value holds."""
        return self.choices[0]


class StanceValue(_Struct):
    choices: Annotated[list[StanceLabel], _One]


class _Region(_Struct, tag_field="from_name"):
    to_name: Maybe = _UNSET
    origin: Maybe = _UNSET


class LabelRegion(_Region, tag=lc.ENTITY_LABELS, kw_only=True):
    type: Literal[REGION_TYPES[lc.ENTITY_LABELS]]  # type: ignore[valid-type]
    value: LabelValue
    id: Union[str, None, msgspec.UnsetType] = _UNSET


class EntityIdRegion(_Region, tag=lc.ENTITY_ID, kw_only=True):
    type: Literal[REGION_TYPES[lc.ENTITY_ID]]  # type: ignore[valid-type]
    value: EntityIdValue
    id: str


class StanceRegion(_Region, tag=lc.STANCE, kw_only=True):
    type: Literal[REGION_TYPES[lc.STANCE]]  # type: ignore[valid-type]
    value: StanceValue
    id: Maybe = _UNSET


class Annotation(_Struct):
    result: Union[list[Union[LabelRegion, EntityIdRegion, StanceRegion]], None, msgspec.UnsetType] = _UNSET
    completed_by: Maybe = _UNSET
    was_cancelled: Union[bool, None, msgspec.UnsetType] = _UNSET  # Label Studio's flags are booleans
    ground_truth: Union[bool, None, msgspec.UnsetType] = _UNSET
    prediction: Any = _UNSET
    id: Maybe = _UNSET
    created_at: Maybe = _UNSET
    updated_at: Maybe = _UNSET
    draft_created_at: Maybe = _UNSET
    lead_time: Maybe = _UNSET
    result_count: Maybe = _UNSET
    unique_id: Maybe = _UNSET
    import_id: Maybe = _UNSET
    last_action: Maybe = _UNSET
    bulk_created: Maybe = _UNSET
    task: Maybe = _UNSET
    project: Maybe = _UNSET
    updated_by: Maybe = _UNSET
    parent_prediction: Maybe = _UNSET
    parent_annotation: Maybe = _UNSET
    last_created_by: Maybe = _UNSET


class Data(_Struct):
    text: str
    doc_id: str
    sentence_id: str
    lang: str
    offset: Annotated[int, msgspec.Meta(ge=0, le=MAX_INT)]
    # the annotator's context (label_config.CONTEXT_KEYS); not part of the record
    title: Union[str, None, msgspec.UnsetType] = _UNSET
    outlet: Union[str, None, msgspec.UnsetType] = _UNSET
    context_before: Union[str, None, msgspec.UnsetType] = _UNSET
    context_after: Union[str, None, msgspec.UnsetType] = _UNSET


class Task(_Struct):
    data: Data
    annotations: list[Annotation]
    id: Maybe = _UNSET
    drafts: Any = _UNSET
    predictions: Any = _UNSET
    meta: Any = _UNSET
    comment_authors: Any = _UNSET
    created_at: Maybe = _UNSET
    updated_at: Maybe = _UNSET
    inner_id: Maybe = _UNSET
    total_annotations: Maybe = _UNSET
    cancelled_annotations: Maybe = _UNSET
    total_predictions: Maybe = _UNSET
    comment_count: Maybe = _UNSET
    unresolved_comment_count: Maybe = _UNSET
    last_comment_updated_at: Maybe = _UNSET
    project: Maybe = _UNSET
    updated_by: Maybe = _UNSET
    allow_skip: Maybe = _UNSET


def task_id(task: Task) -> object:
    """The task's id as the plain route reads it (None if absent)."""
    return None if task.id is _UNSET else task.id


_DECODER = msgspec.json.Decoder(list[Task])
_ENCODER = msgspec.json.Encoder()
_ENCODED = bytearray()
#: A colon written as an escape (``\u003a``; the pattern also catches other ``\u003X``): decoded
#: and encoded again it would count as one more colon.
ESCAPED_COLON = b"\\u003"


def same_keys(text: bytes | bytearray, reencoded_colons: int) -> bool:
    """Whether the value decoded from the JSON ``text`` has every key of ``text``, given the colons
    of that value encoded again (``reencoded_colons``, with colons unescaped). A JSON decoder keeps
    the last of two equal keys in one object, and the first is lost with its value; the colons
    tell: outside strings a colon ends a key, inside them it is the same character on both sides,
    as long as ``text`` writes none as an escape (then False, to be safe)."""
    if b"\\" in text and ESCAPED_COLON in text:  # a byte is found faster than a pattern
        return False
    return text.count(b":") == reencoded_colons


def _reencoded_colons(tasks: list[Task], per_piece: int = 64) -> int:
    """The colons of ``tasks`` encoded again by msgspec, a few tasks at a time into one small
    buffer that stays in the processor's cache (one encoding of a whole range measured slower)."""
    colons = 0
    for i in range(0, len(tasks), per_piece):
        _ENCODER.encode_into(tasks[i : i + per_piece], _ENCODED)
        colons += _ENCODED.count(b":")
    return colons


def within_limits(value: object, depth: int) -> bool:
    """The limits ``iter_tasks`` enforces, for a container at ``depth`` (a task is at 2, inside
    the list): no string or key longer than MAX_TEXT_CHARS, no container deeper than MAX_DEPTH, no
    integer ijson rejects (orjson and msgspec agree with yajl on everything else they accept)."""
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
            if not within_limits(v, depth + 1):
                return False
        elif t is int and not -MAX_INT <= v <= MAX_INT:
            return False
    return True


def short_runs(piece: bytes, window: int = MAX_RUN_BYTES // 2) -> bool:
    """A quote (``\\"`` not counting) in every aligned ``window`` of ``piece`` and in the first and
    last half window: then no run without a quote, even joined with the runs at the ends of the
    neighbouring ranges, is as long as ``2 * window`` bytes. The default bounds runs by
    MAX_RUN_BYTES, the limit ``iter_tasks`` enforces."""
    text = piece.replace(b'\\"', b"__") if b"\\" in piece else piece  # a byte search is fast
    if text.find(b'"', 0, window // 2) < 0 or text.rfind(b'"', max(0, len(text) - window // 2)) < 0:
        return False
    return all(text.find(b'"', i, i + window) >= 0 for i in range(0, len(text) - window // 2, window))


def decode_range(data: bytes | bytearray) -> list[Task] | None:
    """The tasks of ``data``, a JSON list of tasks (a range of an export with its brackets), as
    typed tasks; None if it is not plainly a list of Label Studio 1.23 tasks within the limits of
    ``iter_tasks`` (the caller then parses it generically)."""
    if not short_runs(data, MAX_TEXT_CHARS // 2):  # no string as long as MAX_TEXT_CHARS
        return None
    try:
        tasks = _DECODER.decode(data)
    except (msgspec.MsgspecError, ValueError, RecursionError):  # ValueError: invalid UTF-8 in a string
        return None
    if not same_keys(data, _reencoded_colons(tasks)):
        return None  # a key twice in one object: the plain route names it
    for task in tasks:  # a task is at depth 2; its free-form values at 3, an annotation's at 5
        free = [task.meta, task.drafts, task.predictions, task.comment_authors]
        if any(free) and not within_limits(free, 2):
            return None
        free = [a.prediction for a in task.annotations]
        if any(free) and not within_limits(free, 4):
            return None
    return tasks
