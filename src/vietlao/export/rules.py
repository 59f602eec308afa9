"""The rules an exported task must follow, each written once, and what a task is checked against.

:func:`vietlao.export.task.convert_task` reports every rule a task breaks. A rule is a function of
plain values that returns the problem's message (or messages), or None.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from typing import Mapping

from vietlao import label_config as lc
from vietlao.corpus.documents import Document
from vietlao.corpus.metadata import LANGUAGES
from vietlao.corpus.segment import LINE_BREAKS
from vietlao.emails import find_email
from vietlao.export.migrate import FREE_TEXT_TYPE
from vietlao.labels import LINKABLE_TYPES

#: Longest string accepted anywhere in a task (a sentence is far shorter).
MAX_TEXT_CHARS = 100_000
#: Deepest JSON nesting accepted (a Label Studio task is about 8 levels deep).
MAX_DEPTH = 64
#: Largest integer magnitude accepted anywhere (a signed 64-bit integer, as yajl reads them).
MAX_INT = 2**63 - 1
#: The ``type`` of a result item, per control (``from_name``) of the labelling config (an entity ID
#: is the picker's per-region choice; the free-text form of older exports is converted by
#: ``vietlao migrate``, :mod:`vietlao.export.migrate`).
REGION_TYPES = {lc.ENTITY_LABELS: ("labels",), lc.ENTITY_ID: ("choices",), lc.STANCE: ("choices",),
                lc.STANCE_SUGGESTION: ("textarea",)}
#: Longest ``model_version`` of a prediction; it is quoted in the published card.
MAX_MODEL_VERSION = 64
_MODEL_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
_LINE_BREAK = re.compile(f"[{re.escape(LINE_BREAKS)}]")


@dataclass(frozen=True)
class Context:
    """What a task is checked against. ``documents`` may be empty (synthetic exports): then the
    drift check is skipped and every other rule still applies."""

    inventory: Mapping[str, str] = field(default_factory=dict)  # entity_id -> type
    documents: Mapping[str, Document] = field(default_factory=dict)
    check_inventory: bool = True

    @cached_property
    def sentence_ids(self) -> dict[str, dict[tuple[int, int], str]]:
        """doc_id -> {(start, end): sentence_id} of the documents' sentences."""
        return {
            doc_id: {(s.start, s.end): doc.sentence_id(i) for i, s in enumerate(doc.sentences)}
            for doc_id, doc in self.documents.items()
        }


def too_deep(value: object, limit: int = MAX_DEPTH) -> bool:
    """Whether ``value`` (parsed JSON, itself at depth 1) holds a container deeper than ``limit``;
    without recursion, so that any depth Python could parse is answered."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item if isinstance(v, (dict, list)))
    return False


def text_problems(text: str, doc_id: str, sentence_id: str, offset: int, lang: str, ctx: Context) -> list[str]:
    """The sentence of a task: NFC, one line, in a known language, and (when the context has
    documents) exactly a sentence of its document, in the document's language."""
    problems = []
    if not unicodedata.is_normalized("NFC", text):
        problems.append("data.text is not NFC-normalised (imported texts must stay NFC)")
    if _LINE_BREAK.search(text):
        problems.append("data.text contains a line break (\\r, \\n or another); a sentence is one line")
    if lang not in LANGUAGES:
        problems.append(f"data.lang {lang!r} is not a language of the corpus ({', '.join(LANGUAGES)})")
    if ctx.documents:
        doc = ctx.documents.get(doc_id)
        if doc is None:
            problems.append(f"unknown doc_id {doc_id!r}")
            return problems
        if doc.text[offset : offset + len(text)] != text:
            problems.append(f"data.text differs from document {doc_id} at offset {offset} (drift)")
        elif ctx.sentence_ids[doc_id].get((offset, offset + len(text))) != sentence_id:
            problems.append(f"no sentence {sentence_id} at offset {offset} in document {doc_id}")
        if lang != doc.meta.lang and lang in LANGUAGES:
            problems.append(f"data.lang {lang!r} is not the language of document {doc_id} ({doc.meta.lang!r})")
    return problems


def flag_problem(name: str, value: object) -> str | None:
    """Label Studio's flags (``was_cancelled``, ``ground_truth``) are booleans, or absent."""
    if value is None or type(value) is bool:
        return None
    return f"annotation {name} must be true or false, got {type(value).__name__} {value!r}"


def annotator_problem(who: object) -> str | None:
    """``completed_by`` is a pseudonym (a string without an e-mail address, or an integer)."""
    if isinstance(who, str) and find_email(who):
        return "completed_by holds an e-mail address; pull with `vietlao ls pull`, which pseudonymises"
    if isinstance(who, dict):
        email = any(isinstance(v, str) and find_email(v) for v in who.values())
        return ("completed_by is a user object" + (" with an e-mail address" if email else "")
                + " (as Label Studio's API lists it), not a pseudonym; pull with `vietlao ls pull`, which turns "
                "user identities into annotator-N")
    return None


def region_type_problem(name: str, kind: object) -> str | None:
    """A result item's ``type`` is the one of its control."""
    expected = REGION_TYPES[name]
    if kind in expected:
        return None
    old = (" (the free-text form of exports made before the entity picker, which Label Studio cannot show: "
           "`vietlao migrate` converts it)") if name == lc.ENTITY_ID and kind == FREE_TEXT_TYPE else ""
    return f"a {name!r} region must have type {' or '.join(map(repr, expected))}, got {kind!r}{old}"


def label_problem(start: object, end: object, text: str, value_text: object, has_text: bool,
                  region_id: object, labelled) -> str | None:
    """A labelled span: integer offsets, non-empty and inside the text, ``value.text`` (if given)
    the text it covers, and a region id that is a string (or an integer) not used by another
    labelled span (``labelled``, the ids seen)."""
    if type(start) is not int or type(end) is not int:
        return f"start/end must be integers, got {start!r}, {end!r}"
    if not 0 <= start < end <= len(text):
        return f"span [{start}, {end}) outside the text (length {len(text)}) or empty"
    if has_text and value_text != text[start:end]:
        return f"value.text {value_text!r} disagrees with text[{start}:{end}] {text[start:end]!r}"
    if type(region_id) is str and region_id not in labelled or region_id is None:
        return None
    return region_id_problem(region_id, labelled)


def edge_punctuation_problem(text: str, start: int, end: int) -> str | None:
    """A span neither starts nor ends with a punctuation mark (Unicode category P*: quotes,
    brackets, dashes, the final full stop): the guidelines (``annotations/GUIDELINES.md`` §1) leave
    surrounding punctuation outside the span. Punctuation inside a span (``Lào-Việt``) is kept."""
    edges = [(w, c) for w, c in (("starts", text[start]), ("ends", text[end - 1])) if unicodedata.category(c)[0] == "P"]
    if not edges:
        return None
    where, char = edges[0]
    return (f"span [{start}, {end}) {text[start:end]!r} {where} with the punctuation mark {char!r}; the guidelines "
            "(§1) leave surrounding quotes, brackets, punctuation and the final full stop outside the span")


def region_id_problem(region_id: object, seen) -> str | None:
    """A region id is a string (or an integer), once per kind of item."""
    if not isinstance(region_id, (str, int, type(None))) or type(region_id) is bool:
        return f"region id must be a string, got {type(region_id).__name__}"
    if region_id is not None and region_id in seen:
        return f"duplicate region id {region_id!r}"
    return None


def entity_id_problem(region_id: object, ids: Mapping) -> str | None:
    """One ``entity_id`` item per region."""
    return f"region {region_id!r} has more than one entity_id" if region_id in ids else None


def orphan_problems(ids: Mapping, labelled: Mapping) -> list[str]:
    """Every ``entity_id`` item belongs to a labelled region."""
    if ids.keys() <= labelled.keys():
        return []
    return [
        f"entity_id {ids[region_id]!r} belongs to region {region_id!r}, which does not exist"
        for region_id in ids.keys() - labelled.keys()
    ]


def mention_problem(text: str, start: int, end: int, label: str, entity_id: str | None, ctx: Context) -> str | None:
    """Linkable mentions carry an ``entity_id`` of their type in the inventory; others carry none."""
    if label in LINKABLE_TYPES:
        if entity_id and (not ctx.check_inventory or ctx.inventory.get(entity_id) == label):
            return None
    elif not entity_id:
        return None
    where = f"{label} {text[start:end]!r} [{start}, {end})"
    if label not in LINKABLE_TYPES:
        return f"{where}: {label} mentions take no entity_id"
    if not entity_id:
        return f"{where} has no entity_id"
    if entity_id not in ctx.inventory:
        return f"{where}: entity_id {entity_id!r} is not in the inventory"
    return f"{where}: entity_id {entity_id!r} is {ctx.inventory[entity_id]} in the inventory"


def stance_problem(stances: list[str]) -> str | None:
    return None if len(stances) == 1 else f"expected exactly one stance, found {len(stances)}: {stances}"


def model_version_problem(prediction: object) -> str | None:
    """A prediction's ``model_version`` (quoted in the published card): a short name of letters,
    digits and ``._+-``, or absent."""
    if not isinstance(prediction, dict) or prediction.get("model_version") is None:
        return None
    version = prediction["model_version"]
    if not isinstance(version, str) or len(version) > MAX_MODEL_VERSION or not _MODEL_VERSION.fullmatch(version):
        shown = version if not isinstance(version, str) or len(version) <= 80 else version[:80] + "…"
        return (f"prediction model_version {shown!r} is not a name of at most {MAX_MODEL_VERSION} letters, "
                "digits and ._+- (it is published in the dataset card)")
    return None
