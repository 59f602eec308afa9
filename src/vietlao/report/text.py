"""Sentences as the report shows them: pieces of text under spans, cut only between grapheme clusters,
and the attributes a sentence or an entity is bucketed by (script, length, seen surface form).

Offsets are code points into the NFC text, as everywhere in the project. A predicted span may start or
end inside an extended grapheme cluster (a Lao vowel sign or tone mark after its consonant, a
Vietnamese letter with a combining mark): the text is never cut there. The shown edge moves out to the
cluster's edge (a start back, an end forward) and the span says so (``widened``).
"""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from dataclasses import dataclass, field

from vietlao.corpus.syllables import cluster_ends
from vietlao.dataset.linking import SeenRule


@dataclass
class Mark:
    """One span of one line: type, kind of error ('' when right), entity IDs, and a note for the tooltip."""

    start: int
    end: int
    label: str
    kind: str = ""
    entity: str | None = None
    note: str = ""
    widened: bool = False


@dataclass
class Piece:
    """A stretch of text covered by the same marks; ``ends`` are the marks that end with it (their tag)."""

    text: str
    marks: list[Mark] = field(default_factory=list)
    ends: list[Mark] = field(default_factory=list)


def snap(text: str, marks: Sequence[Mark]) -> list[Mark]:
    """The marks with their edges moved out to grapheme cluster edges (``widened`` when moved)."""
    edges = [0, *cluster_ends(text)]
    out = []
    for m in marks:
        start = edges[bisect.bisect_right(edges, m.start) - 1]
        end = edges[min(bisect.bisect_left(edges, m.end), len(edges) - 1)]
        moved = (start, end) != (m.start, m.end)
        out.append(Mark(start, end, m.label, m.kind, m.entity, m.note, m.widened or moved))
    return out


def pieces(text: str, marks: Sequence[Mark]) -> list[Piece]:
    """``text`` cut at the (snapped) edges of ``marks``: every piece with the marks covering it."""
    marks = sorted(snap(text, marks), key=lambda m: (m.start, -m.end))
    cuts = sorted({0, len(text), *(m.start for m in marks), *(m.end for m in marks)})
    out = []
    for a, b in itertools.pairwise(cuts):
        covering = [m for m in marks if m.start <= a and b <= m.end]
        out.append(Piece(text[a:b], covering, [m for m in covering if m.end == b]))
    return out


def slug(text: str) -> str:
    """A class or attribute value for a kind or label: ``wrong entity`` → ``wrong-entity``."""
    return re.sub(r"[^A-Za-z0-9]+", "-", str(text)).strip("-")


# --------------------------------------------------------------------------- attributes


def script_of(text: str) -> str:
    """The script most of the letters of ``text`` are written in (the first word of their Unicode names:
    Latin, Cyrillic, Lao …); ``none`` without letters."""
    counts = Counter(unicodedata.name(c, "UNKNOWN").split()[0].title() for c in text if c.isalpha())
    return counts.most_common(1)[0][0] if counts else "none"


#: Sentence length buckets: (upper bound in tokens, name), the last open.
SENTENCE_LENGTHS = ((15, "1–15"), (30, "16–30"), (50, "31–50"), (None, "51+"))
#: Entity length buckets in tokens.
ENTITY_LENGTHS = ((1, "1"), (2, "2"), (3, "3"), (None, "4+"))


def bucket_of(n: int, bounds: Sequence[tuple[int | None, str]]) -> str:
    return next(name for top, name in bounds if top is None or n <= top)


def tokens_in(offsets: Sequence[Sequence[int]], start: int, end: int) -> int:
    """How many tokens of a sentence overlap ``[start, end)`` (at least 1: a span off the tokens counts 1)."""
    return max(1, sum(1 for a, b in offsets if a < end and start < b))


class SurfaceForms:
    """The surface forms annotated as entities in the training part of a protocol (:class:`SeenRule`).

    ``rows`` are every NER gold row (with ``split``, ``lang``, ``doc_id``); with ``other-documents``
    a sentence's own document does not count, as in leave-one-document-out training.
    """

    def __init__(self, rule: SeenRule, rows: Iterable[Mapping[str, Any]]) -> None:
        self.rule = rule
        self.docs_of: dict[str, set[str]] = {}
        for r in rule.training(rows):
            for e in r["entities"]:
                self.docs_of.setdefault(r["text"][e["start"]:e["end"]], set()).add(r["doc_id"])

    def seen(self, surface: str, doc_id: str) -> bool:
        docs = self.docs_of.get(surface, set())
        return bool(docs - {doc_id}) if self.rule.kind == "documents" else bool(docs)
