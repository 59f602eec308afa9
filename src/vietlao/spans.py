"""Character spans and their conversion to and from IOB2 tag sequences.

A span is half-open ``[start, end)`` in code points. Conversion to tags needs token offsets;
a span must start on a token start and end on a token end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A labelled half-open character span."""

    start: int
    end: int
    label: str

    def __post_init__(self) -> None:
        if not (0 <= self.start < self.end):
            raise ValueError(f"bad span [{self.start}, {self.end}) for {self.label!r}")


class AlignmentError(ValueError):
    """A span whose boundaries do not fall on token boundaries."""


def spans_to_tags(
    token_offsets: Sequence[tuple[int, int]], spans: Iterable[Span]
) -> list[str]:
    """IOB2 tags for tokens, from non-overlapping token-aligned spans."""
    starts = {s: i for i, (s, _) in enumerate(token_offsets)}
    ends = {e: i for i, (_, e) in enumerate(token_offsets)}
    tags = ["O"] * len(token_offsets)
    for span in sorted(spans):
        first, last = starts.get(span.start), ends.get(span.end)
        if first is None or last is None or last < first:
            raise AlignmentError(
                f"span [{span.start}, {span.end}) {span.label} is not on token boundaries"
            )
        if any(tag != "O" for tag in tags[first : last + 1]):
            raise AlignmentError(f"span [{span.start}, {span.end}) {span.label} overlaps another")
        tags[first] = f"B-{span.label}"
        for i in range(first + 1, last + 1):
            tags[i] = f"I-{span.label}"
    return tags


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
