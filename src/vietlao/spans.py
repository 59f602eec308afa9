"""Character spans, and the one conversion between spans and IOB2 tags.

A span is half-open ``[start, end)`` in code points. Conversion to tags needs token offsets: a span
must start on a token start and end on a token end, and spans must not overlap.
:func:`token_ranges` and :func:`iob2_codes` do it for any number of spans at once (the dataset's
columns are built with them); :func:`spans_to_tags` is the same for one sentence, with tag strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A labelled half-open character span; a mention of a canonical entity carries its ``entity_id``."""

    start: int
    end: int
    label: str
    entity_id: str | None = None

    def __post_init__(self) -> None:
        if not (0 <= self.start < self.end):
            raise ValueError(f"bad span [{self.start}, {self.end}) for {self.label!r}")

    @property
    def unlinked(self) -> Span:
        """The same extent and type without the entity ID (to compare spans only)."""
        return Span(self.start, self.end, self.label)


class AlignmentError(ValueError):
    """A span whose boundaries do not fall on token boundaries, or that overlaps another."""


def on_token_boundaries(token_starts: np.ndarray, token_ends: np.ndarray, starts, ends) -> np.ndarray:
    """Whether each span ``[starts[i], ends[i])`` starts on a token start and ends on a token end
    (``token_starts`` and ``token_ends`` sorted, as a tokenizer gives them)."""
    starts, ends = np.asarray(starts, np.int64), np.asarray(ends, np.int64)
    n = len(token_starts)
    if n == 0:
        return np.zeros(starts.shape, bool)
    first = np.minimum(np.searchsorted(token_starts, starts), n - 1)
    last = np.minimum(np.searchsorted(token_ends, ends), n - 1)
    return (token_starts[first] == starts) & (token_ends[last] == ends)


def overlapping(starts, ends) -> np.ndarray:
    """For spans sorted by ``(start, end)``: whether span ``i + 1`` starts before span ``i`` ends."""
    starts, ends = np.asarray(starts, np.int64), np.asarray(ends, np.int64)
    return starts[1:] < ends[:-1]


def token_ranges(token_starts: np.ndarray, token_ends: np.ndarray, starts, ends, labels=None) -> tuple[np.ndarray, np.ndarray]:
    """First and last token of each span (spans sorted by ``(start, end)``); raises
    :class:`AlignmentError` naming the first span off token boundaries or overlapping the one before."""
    starts, ends = np.asarray(starts, np.int64), np.asarray(ends, np.int64)

    def named(i: int) -> str:
        return f"span [{starts[i]}, {ends[i]})" + (f" {labels[i]}" if labels is not None else "")

    aligned = on_token_boundaries(token_starts, token_ends, starts, ends)
    if not aligned.all():
        raise AlignmentError(f"{named(int(np.argmin(aligned)))} is not on token boundaries")
    overlaps = overlapping(starts, ends)
    if overlaps.any():
        raise AlignmentError(f"{named(int(np.argmax(overlaps)) + 1)} overlaps another")
    return np.searchsorted(token_starts, starts), np.searchsorted(token_ends, ends)


def iob2_codes(n_tokens: int, first: np.ndarray, last: np.ndarray, begin, inside) -> np.ndarray:
    """IOB2 tag codes of ``n_tokens`` tokens (0 is ``O``) for the token ranges ``[first[i], last[i]]``
    of non-overlapping spans, span ``i`` tagged ``begin[i]`` then ``inside[i]``."""
    tags = np.zeros(n_tokens, np.int64)
    first, last = np.asarray(first, np.int64), np.asarray(last, np.int64)
    tags[first] = begin
    lengths = last - first
    total = int(lengths.sum())
    if total:
        steps = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        tags[np.repeat(first + 1, lengths) + steps] = np.repeat(np.asarray(inside, np.int64), lengths)
    return tags


def spans_to_tags(token_offsets: Sequence[tuple[int, int]], spans: Iterable[Span]) -> list[str]:
    """IOB2 tags for tokens, from non-overlapping token-aligned spans."""
    spans = sorted(spans, key=lambda s: (s.start, s.end))
    labels = [s.label for s in spans]
    offsets = np.asarray(token_offsets, np.int64).reshape(-1, 2)
    first, last = token_ranges(offsets[:, 0], offsets[:, 1], [s.start for s in spans], [s.end for s in spans], labels)
    names = ["O", *(f"{p}-{label}" for label in labels for p in "BI")]
    codes = np.arange(1, 2 * len(spans), 2)
    return [names[c] for c in iob2_codes(len(offsets), first, last, codes, codes + 1)]


#: Chunking schemes as data (in the manner of seqeval's ``scheme`` classes): what a tag does,
#: by its prefix and its relation to the chunk open before it (``same`` type, ``other`` type,
#: ``none`` open). Actions: ``continue`` the open chunk; ``start`` a chunk here (closing any open
#: one); ``close`` any open chunk, this token being in no chunk. A tag without a ``B``/``I`` prefix
#: acts as ``O``.
#:
#: * ``iob2`` — strict IOB2 (seqeval ``mode="strict"``, ``scheme=IOB2``): only ``B-T`` starts a
#:   chunk; an ``I-T`` that continues no ``T`` chunk is not part of any entity.
#: * ``conlleval`` — the lenient reading of CoNLL's ``conlleval.pl``: an ``I-T`` after ``O`` or
#:   after a chunk of another type starts an entity of type ``T``.
CHUNK_SCHEMES: dict[str, dict[tuple[str, str], str]] = {
    "iob2": {
        ("B", "same"): "start", ("B", "other"): "start", ("B", "none"): "start",
        ("I", "same"): "continue", ("I", "other"): "close", ("I", "none"): "close",
    },
    "conlleval": {
        ("B", "same"): "start", ("B", "other"): "start", ("B", "none"): "start",
        ("I", "same"): "continue", ("I", "other"): "start", ("I", "none"): "start",
    },
}


def tag_chunks(tags: Sequence[str], scheme: str = "iob2") -> list[tuple[str, int, int]]:
    """Entity chunks ``(type, first, last_exclusive)`` of a tag sequence under ``scheme``.

    ``scheme`` names a table of :data:`CHUNK_SCHEMES`; the default is strict IOB2.
    """
    table = CHUNK_SCHEMES[scheme]
    chunks: list[tuple[str, int, int]] = []
    current: list | None = None
    for i, tag in enumerate(tags):
        prefix, _, typ = tag.partition("-")
        relation = "none" if current is None else "same" if current[0] == typ else "other"
        action = table.get((prefix, relation), "close")
        if action == "continue":
            assert current is not None  # every scheme continues only the "same" open chunk
            current[2] = i + 1
            continue
        if current is not None:
            chunks.append(tuple(current))
            current = None
        if action == "start":
            current = [typ, i, i + 1]
    if current is not None:
        chunks.append(tuple(current))
    return chunks


def tags_to_spans(token_offsets: Sequence[tuple[int, int]], tags: Sequence[str]) -> list[Span]:
    """Character spans of the strict IOB2 chunks of ``tags``."""
    if len(tags) != len(token_offsets):
        raise ValueError(f"{len(tags)} tags for {len(token_offsets)} tokens")
    return [
        Span(token_offsets[a][0], token_offsets[b - 1][1], typ) for typ, a, b in tag_chunks(tags)
    ]
