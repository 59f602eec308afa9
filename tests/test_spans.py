"""Property tests of span <-> IOB2 conversion over the project's tokenizer, and of strict chunking."""

from __future__ import annotations

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from vietlao.labels import ENTITY_TYPES
from vietlao.corpus.segment import tokenize
from vietlao.spans import AlignmentError, Span, spans_to_tags, tag_chunks, tags_to_spans

#: Characters the corpus is made of: four scripts, combining marks, digits, dates, URLs, dashes.
_SAMPLES = (
    "Vietnam-Laos Việt Nam – Lào, Вьетнамом и Лаосом 17/01/2023 13:55 5,5 1.000 "
    "https://vov.vn/a-b. «Bộ» (ASEAN) Tiếng Việt\u0301 ñ 'x' “y” … ! ? ; : / 2023-01-17\u00a0\t"
)
texts = st.one_of(
    st.text(alphabet=st.sampled_from(_SAMPLES), max_size=80),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60),
    st.lists(st.sampled_from(_SAMPLES.split()), max_size=15).map(" ".join),
)
labels = st.sampled_from(ENTITY_TYPES)
tag_sets = st.sampled_from(["O"] + [f"{p}-{t}" for t in ("PER", "ORG", "GPE") for p in "BI"])


def offsets_of(text: str, shift: int = 0) -> list[tuple[int, int]]:
    return [(t.start, t.end) for t in tokenize(text, shift)]


@st.composite
def aligned_spans(draw, offsets: list[tuple[int, int]]) -> list[Span]:
    """Non-overlapping spans, each from a token start to a token end, possibly adjacent."""
    spans, i = [], 0
    while i < len(offsets):
        if draw(st.booleans()):
            last = draw(st.integers(i, min(len(offsets) - 1, i + 4)))
            spans.append(Span(offsets[i][0], offsets[last][1], draw(labels)))
            i = last + 1
        else:
            i += 1
    return spans


@settings(max_examples=300, deadline=None)
@given(text=texts, shift=st.integers(0, 10_000), data=st.data())
@example(text="Vietnam-Laos", shift=0, data=None)
def test_spans_to_tags_to_spans_is_the_identity(text, shift, data):
    offsets = offsets_of(text, shift)
    spans = data.draw(aligned_spans(offsets)) if data is not None else [
        Span(0, 7, "GPE"), Span(8, 12, "GPE")
    ]
    tags = spans_to_tags(offsets, spans)
    assert len(tags) == len(offsets)
    assert tags_to_spans(offsets, tags) == sorted(spans)
    assert sum(tag.startswith("B-") for tag in tags) == len(spans)


@settings(max_examples=300, deadline=None)
@given(text=texts, data=st.data())
def test_a_span_off_token_boundaries_is_an_alignment_error(text, data):
    assume(text)
    offsets = offsets_of(text)
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    starts, ends = {s for s, _ in offsets}, {e for _, e in offsets}
    span = Span(start, end, data.draw(labels))
    if start in starts and end in ends:
        assert tags_to_spans(offsets, spans_to_tags(offsets, [span])) == [span]
    else:
        with pytest.raises(AlignmentError, match="not on token boundaries"):
            spans_to_tags(offsets, [span])


@settings(max_examples=300, deadline=None)
@given(text=texts, data=st.data())
def test_overlapping_spans_are_an_alignment_error(text, data):
    offsets = offsets_of(text)
    assume(offsets)
    n = len(offsets)
    a1 = data.draw(st.integers(0, n - 1))
    b1 = data.draw(st.integers(a1, n - 1))
    a2 = data.draw(st.integers(0, b1))  # the second span starts at or before the first one's last token...
    b2 = data.draw(st.integers(max(a1, a2), n - 1))  # ...and ends at or after its first token
    first = Span(offsets[a1][0], offsets[b1][1], data.draw(labels))
    second = Span(offsets[a2][0], offsets[b2][1], data.draw(labels))
    with pytest.raises(AlignmentError, match="overlaps another"):
        spans_to_tags(offsets, [first, second])


def test_alignment_errors_on_a_known_sentence():
    text = "Vietnam-Laos"  # three tokens: Vietnam, -, Laos
    offsets = offsets_of(text)
    assert offsets == [(0, 7), (7, 8), (8, 12)]
    with pytest.raises(AlignmentError, match="not on token boundaries"):
        spans_to_tags(offsets, [Span(0, 6, "GPE")])  # ends inside "Vietnam"
    with pytest.raises(AlignmentError, match="not on token boundaries"):
        spans_to_tags(offsets, [Span(1, 7, "GPE")])  # starts inside "Vietnam"
    with pytest.raises(AlignmentError, match="overlaps another"):
        spans_to_tags(offsets, [Span(0, 12, "MISC"), Span(8, 12, "GPE")])
    assert spans_to_tags(offsets, [Span(0, 7, "GPE"), Span(8, 12, "GPE")]) == ["B-GPE", "O", "B-GPE"]


# --- strict chunking ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "chunks"),
    [
        (["O", "I-PER"], []),  # I- after O is not an entity
        (["I-PER", "I-PER"], []),  # nor at the start, nor continued
        (["B-PER", "I-ORG"], [("PER", 0, 1)]),  # I- of another type ends the chunk and is no entity
        (["B-PER", "I-ORG", "I-ORG"], [("PER", 0, 1)]),
        (["B-PER", "I-PER", "I-ORG", "I-PER"], [("PER", 0, 2)]),  # no resuming after a break
        (["B-PER", "O", "I-PER"], [("PER", 0, 1)]),
        (["B-PER", "B-PER", "I-PER"], [("PER", 0, 1), ("PER", 1, 3)]),  # B- always starts a new chunk
        (["B-ORG", "I-ORG", "B-GPE"], [("ORG", 0, 2), ("GPE", 2, 3)]),
        ([], []),
    ],
)
def test_tag_chunks_strict(tags, chunks):
    assert tag_chunks(tags) == chunks


def _strict_oracle(tags: list[str]) -> list[str]:
    """``tags`` with every I- tag that continues no chunk of its type replaced by O."""
    out: list[str] = []
    for tag in tags:
        prev = out[-1] if out else "O"
        if tag.startswith("I-") and (prev == "O" or prev[2:] != tag[2:]):
            tag = "O"
        out.append(tag)
    return out


@settings(max_examples=500, deadline=None)
@given(tags=st.lists(tag_sets, max_size=30))
def test_decoding_any_tag_sequence_drops_exactly_the_invalid_i_tags(tags):
    offsets = [(2 * i, 2 * i + 1) for i in range(len(tags))]  # one-character tokens, one space apart
    spans = tags_to_spans(offsets, tags)
    assert spans_to_tags(offsets, spans) == _strict_oracle(tags)
    for typ, a, b in tag_chunks(tags):
        assert tags[a] == f"B-{typ}"
        assert all(t == f"I-{typ}" for t in tags[a + 1 : b])
        assert b == len(tags) or tags[b] != f"I-{typ}"  # maximal


@settings(max_examples=500, deadline=None)
@given(tags=st.lists(tag_sets, max_size=30))
def test_tag_chunks_agrees_with_seqeval_strict_iob2(tags):
    scheme = pytest.importorskip("seqeval.scheme")
    expected = [(e.tag, e.start, e.end) for e in scheme.Entities([tags], scheme.IOB2).entities[0]]
    assert tag_chunks(tags) == expected


def test_tags_to_spans_rejects_a_length_mismatch():
    with pytest.raises(ValueError, match="2 tags for 1 tokens"):
        tags_to_spans([(0, 1)], ["O", "O"])
