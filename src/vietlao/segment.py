"""Sentence segmentation and tokenisation with character offsets.

Offsets are Unicode code points (Python ``str`` indices), half-open ``[start, end)``.
The rules are language-agnostic and deterministic:

* a line is a paragraph, and a sentence never crosses a line break;
* inside a line, a sentence ends after ``.``, ``!``, ``?`` or ``…`` (plus closing quotes or
  brackets) when whitespace follows and the next character starts a new sentence
  (an upper-case letter, a digit, an opening quote or bracket), unless the word before the
  stop is a known abbreviation or a single-letter initial;
* tokens are URLs, dates and times (``17/01/2023``, ``13:55``), numbers (``5``, ``1.000,5``),
  runs of letters, marks and digits, or any other single non-space character. Hyphens and
  dashes are always their own tokens, so ``Vietnam-Laos`` and ``вьетнамско-лаосской`` give
  one token per country name.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

#: Characters that end a line (the set ``str.splitlines`` uses).
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"

#: Words that take a full stop without ending a sentence (lower-cased, without the stop).
ABBREVIATIONS = frozenset(
    {
        # nb
        "bl.a", "f.eks", "nr", "ca", "mill", "mrd", "kl", "jf", "dvs", "osv", "st",
        # id
        "dr", "ir", "h", "no", "tn", "ny", "bpk", "dll", "dsb", "jl",
        # vi
        "tp", "ts", "ths", "pgs", "gs", "th.s", "ng",
        # ru
        "г", "гг", "т.е", "т.д", "т.п", "им", "ул", "млн", "млрд", "тыс", "см", "стр",
        # en-style, common in all four
        "mr", "mrs", "ms", "prof", "vs", "etc", "e.g", "i.e",
    }
)

#: Whitespace exactly as ``str.isspace`` defines it, as a regex class body.
_WS = "".join(f"\\u{c:04x}" for c in range(0x10000) if chr(c).isspace())

_TOKEN = regex.compile(
    r"""
    https?://[^WS<>"«»]+[^WS<>"«».,;:!?)\]}|]   # URL, without trailing punctuation
    | \d{1,2}[/.]\d{1,2}[/.]\d{2,4}(?!\d)       # 17/01/2023
    | \d{4}-\d{2}-\d{2}(?!\d)                   # 2023-01-17
    | \d{1,2}:\d{2}(?::\d{2})?(?!\d)            # 13:55
    | \d+(?:[.,]\d+)*                           # 5, 1.000, 2,5
    | (?:\p{L}|\p{M}|\p{N})+                    # words: letters with their marks, digits
    | [^WS]                                     # anything else, one character at a time
    """.replace("WS", _WS),
    regex.VERBOSE,
)

_SENTENCE_END = regex.compile(r"""[.!?…]+["'”’»)\]]*(?=[WS])""".replace("WS", _WS))
_SENTENCE_START = regex.compile(r"""[WS]+(?=[\p{Lu}\p{Lt}\p{N}"'“‘«(\[])""".replace("WS", _WS))
_WORD_BEFORE = regex.compile(r"""(?:\p{L}|\p{M}|\.)+$""")


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its text and its half-open character offsets."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence: half-open offsets in its document, its text and its tokens."""

    start: int
    end: int
    text: str
    tokens: tuple[Token, ...]


def _line_spans(text: str) -> list[tuple[int, int]]:
    """Half-open spans of the lines of ``text``, without their line breaks."""
    spans, start = [], 0
    for i, ch in enumerate(text):
        if ch in LINE_BREAKS:
            spans.append((start, i))
            start = i + 1
    spans.append((start, len(text)))
    return spans


def _is_abbreviation(line: str, stop_at: int) -> bool:
    """True if the word ending at ``stop_at`` (the index of a full stop) is an abbreviation."""
    match = _WORD_BEFORE.search(line, 0, stop_at)
    if match is None:
        return False
    word = match.group().strip(".").lower()
    if len(word) == 1 and word.isalpha():
        return True  # an initial such as "A."
    return word in ABBREVIATIONS


def _split_line(line: str) -> list[tuple[int, int]]:
    """Sentence spans inside one line (offsets relative to the line), whitespace trimmed."""
    cuts = [0]
    for end in _SENTENCE_END.finditer(line):
        boundary = end.end()
        if not _SENTENCE_START.match(line, boundary):
            continue
        if line[end.start()] == "." and _is_abbreviation(line, end.start()):
            continue
        cuts.append(boundary)
    cuts.append(len(line))
    spans = []
    for a, b in zip(cuts, cuts[1:]):
        while a < b and line[a].isspace():
            a += 1
        while b > a and line[b - 1].isspace():
            b -= 1
        if a < b:
            spans.append((a, b))
    return spans


def tokenize(text: str, offset: int = 0) -> tuple[Token, ...]:
    """Tokens of ``text``; offsets are shifted by ``offset``."""
    return tuple(
        Token(m.start() + offset, m.end() + offset, m.group()) for m in _TOKEN.finditer(text)
    )


def token_offsets(text: str) -> tuple[list[str], list[int]]:
    """The tokens of ``text`` and their offsets, flat (``[start0, end0, start1, end1, …]``): what
    :func:`tokenize` gives, without ``Token`` objects and about twice as fast. A whitespace-separated
    chunk of letters only (``str.isalpha``, which every release of ``regex`` reads as ``\\p{L}``) is
    one word token; any other chunk goes through ``_TOKEN`` on its own, which gives its tokens in
    the whole text too (no pattern crosses whitespace or looks behind, and whitespace is not a digit)."""
    tokens: list[str] = []
    offsets: list[int] = []
    position, find, finditer = 0, text.find, _TOKEN.finditer
    for chunk in text.split():  # str.split cuts at str.isspace, as _WS does
        start = find(chunk, position)
        position = start + len(chunk)
        if chunk.isalpha():
            tokens.append(chunk)
            offsets += (start, position)
        else:
            for m in finditer(chunk):
                tokens.append(m.group())
                offsets += (start + m.start(), start + m.end())
    return tokens, offsets


def segment(text: str) -> tuple[Sentence, ...]:
    """Split a document into sentences with tokens, all with document offsets."""
    sentences = []
    for line_start, line_end in _line_spans(text):
        line = text[line_start:line_end]
        for a, b in _split_line(line):
            start, end = line_start + a, line_start + b
            sentence_text = text[start:end]
            sentences.append(Sentence(start, end, sentence_text, tokenize(sentence_text, start)))
    return tuple(sentences)
