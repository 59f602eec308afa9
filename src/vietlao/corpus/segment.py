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
  one token per country name;
* a run of letters of a script written without spaces between words (Lao, Thai, Khmer, Myanmar)
  is cut into syllables or finer units (:mod:`vietlao.corpus.syllables`), so that every place a
  name can begin or end is a token boundary (``ວຽງຈັນ`` inside ``ນະຄອນຫຼວງວຽງຈັນ``);
* in those scripts a space does not end a sentence: it also separates the parts of one name
  (``ສປປ ລາວ``, ``ທອງລຸນ ສີສຸລິດ``) and the phrases of a sentence, so cutting there would split
  names across sentences. A full stop, ``!``, ``?`` or ``…`` followed by whitespace ends a sentence
  before a letter of those (caseless) scripts as before an upper-case letter; the Khmer ``។`` and
  ``៕`` and the Myanmar ``။`` end a sentence wherever they stand. A Lao or Thai paragraph written
  without any of these marks stays one sentence.

One rule, three routes: :func:`tokenize` applies ``_TOKEN`` (and the syllable cuts) to a text;
:func:`token_offsets` and :func:`tokenize_texts` are faster routes that take a whitespace chunk of
plain letters as one token (what ``_TOKEN`` gives for it) and send every other chunk to the same
code as :func:`tokenize`; which chunks are plain comes from :func:`character_classes`, computed
from ``_TOKEN``'s own character classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import regex

from vietlao.corpus.syllables import (
    NO_SPACE_LETTER,
    NO_SPACE_RUN,
    OTHER_LETTER,
    has_no_space_letter,
    has_no_space_script,
    syllable_spans,
)

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
    | (?P<run>NSRUN)                            # Lao, Thai, Khmer, Myanmar: cut into syllables
    | (?:OTHERL|\p{M}|\p{N})+                   # words: letters with their marks, digits
    | [^WS]                                     # anything else, one character at a time
    """.replace("WS", _WS).replace("NSRUN", NO_SPACE_RUN).replace("OTHERL", OTHER_LETTER),
    regex.VERBOSE,
)

#: Characters that end a sentence wherever they stand (Khmer khan and bariyosan, Myanmar section).
SENTENCE_MARKS = "។៕။"

_SENTENCE_END = regex.compile(r"""[.!?…]+["'”’»)\]]*(?=[WS])""".replace("WS", _WS))
_SENTENCE_START = regex.compile(
    r"""[WS]+(?=[\p{Lu}\p{Lt}\p{N}"'“‘«(\[]|NSL)""".replace("WS", _WS).replace("NSL", NO_SPACE_LETTER)
)
_SENTENCE_MARK = regex.compile(f"""[{SENTENCE_MARKS}]+["'”’»)\\]]*""")
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
    cuts += (m.end() for m in _SENTENCE_MARK.finditer(line))
    cuts.append(len(line))
    cuts = sorted(set(cuts))
    spans = []
    for a, b in zip(cuts, cuts[1:]):
        while a < b and line[a].isspace():
            a += 1
        while b > a and line[b - 1].isspace():
            b -= 1
        if a < b:
            spans.append((a, b))
    return spans


def _spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """The rule: half-open token offsets in ``text[start:end]`` (offsets into ``text``)."""
    spans = []
    for m in _TOKEN.finditer(text, start, len(text) if end is None else end):
        if m.lastgroup is None:
            spans.append(m.span())
        else:  # a run of a script written without spaces
            base = m.start()
            spans += ((base + a, base + b) for a, b in syllable_spans(m.group()))
    return spans


def tokenize(text: str, offset: int = 0) -> tuple[Token, ...]:
    """Tokens of ``text``; offsets are shifted by ``offset``."""
    return tuple(Token(a + offset, b + offset, text[a:b]) for a, b in _spans(text))


def token_offsets(text: str) -> list[int]:
    """The offsets of the tokens of ``text``, flat: ``[start0, end0, start1, end1, …]`` as
    :func:`tokenize` gives them, without ``Token`` objects and about twice as fast. A
    whitespace-separated chunk of letters only (``str.isalpha``, which every release of ``regex``
    reads as ``\\p{L}``) is one word token; any other chunk goes through ``_TOKEN`` on its own, which
    gives its tokens in the whole text too (no pattern crosses whitespace or looks behind, and
    whitespace is not a digit). Letters of the scripts cut into syllables are not plain."""
    offsets: list[int] = []
    position, find, finditer = 0, text.find, _TOKEN.finditer
    plain = not has_no_space_script(text)  # no letter of a script cut into syllables anywhere
    for chunk in text.split():  # str.split cuts at str.isspace, as _WS does
        start = find(chunk, position)
        position = start + len(chunk)
        if chunk.isalpha() and (plain or not has_no_space_letter(chunk)):
            offsets += (start, position)
        else:  # as _spans does, inline: most chunks are short and have no syllable runs
            for m in finditer(text, start, position):
                if m.lastgroup is None:
                    offsets += m.span()
                else:
                    offsets += (x for span in _spans(text, m.start(), m.end()) for x in span)
    return offsets


# -- many texts at once ----------------------------------------------------------------------------
#
# Character classes of the Basic Multilingual Plane, for :func:`tokenize_texts`. A chunk (a run of
# non-space characters) of plain letters (ALPHA: ``str.isalpha`` and not a letter of a script cut into
# syllables) and PUNCT characters only is tokenised by _TOKEN as its
# maximal letter runs and one token per PUNCT character (with no digit and no ``:``, no URL, date,
# time or number pattern can start; PUNCT is neither a letter, a mark nor a number for ``regex``); a
# chunk of DIGITs only is one number token. Any other chunk goes through _TOKEN.
_SPACE, _ALPHA, _PUNCT, _DIGIT, _OTHER = range(5)


@cache
def character_classes() -> np.ndarray:
    """The class of every BMP character for :func:`tokenize_texts` (built once per process)."""
    bmp = "".join(map(chr, range(0x10000)))
    word = np.zeros(0x10000, bool)
    word[[m.start() for m in regex.finditer(r"[\p{L}\p{M}\p{N}]", bmp)]] = True
    classes = np.where(word, _OTHER, _PUNCT).astype(np.uint8)
    classes[[m.start() for m in regex.finditer(r"\d", bmp)]] = _DIGIT
    plain = np.fromiter(map(str.isalpha, bmp), bool, 0x10000)  # isalpha implies \p{L}
    plain[[m.start() for m in regex.finditer(NO_SPACE_LETTER, bmp)]] = False
    classes[plain] = _ALPHA
    classes[np.fromiter(map(str.isspace, bmp), bool, 0x10000)] = _SPACE
    classes[ord(":")] = _OTHER  # may start the "://" of a URL
    return classes


def tokenize_texts(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The tokens of many texts at once, as :func:`token_offsets` gives them one text at a time:
    ``(offsets, counts)``, an ``(n_tokens, 2)`` array of half-open offsets relative to each text,
    in order, and the number of tokens of each text."""
    joined = " ".join(texts)  # a space never belongs to a token
    bases = np.zeros(len(texts), np.int64)
    np.cumsum(np.fromiter(map(len, texts), np.int64, len(texts))[:-1] + 1, out=bases[1:])
    cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), np.uint32)
    if len(cps) and cps.max() >= 0x10000:
        cls = np.where(cps < 0x10000, character_classes()[cps & 0xFFFF], _OTHER)
    else:
        cls = character_classes()[cps]
    # Letter runs and PUNCT characters, wherever they are ...
    edges = np.diff((cls == _ALPHA).view(np.int8), prepend=np.int8(0), append=np.int8(0))
    punct = np.flatnonzero(cls == _PUNCT)
    starts = np.concatenate((np.flatnonzero(edges == 1), punct))
    ends = np.concatenate((np.flatnonzero(edges == -1), punct + 1))
    # ... except in chunks with a DIGIT or OTHER character: all digits is one number, else _TOKEN.
    special = np.flatnonzero(cls >= _DIGIT)
    if len(special):
        spaces = np.concatenate(([-1], np.flatnonzero(cls == _SPACE), [len(cps)]))
        around = np.searchsorted(spaces, special)  # the space (or end) after each special character
        chunk_start, chunk_end = spaces[around - 1] + 1, spaces[around]
        chunk_start, first = np.unique(chunk_start, return_index=True)
        chunk_end = chunk_end[first]
        digits = np.bincount(
            np.searchsorted(chunk_start, special[cls[special] == _DIGIT], side="right") - 1,
            minlength=len(chunk_start),
        ) == chunk_end - chunk_start
        at = np.searchsorted(chunk_start, starts, side="right") - 1
        keep = (at < 0) | (starts >= chunk_end[np.maximum(at, 0)])
        found_starts, found_ends = [], []
        for a, b in zip(chunk_start[~digits].tolist(), chunk_end[~digits].tolist()):
            for start, end in _spans(joined, a, b):
                found_starts.append(start)
                found_ends.append(end)
        starts = np.concatenate((starts[keep], chunk_start[digits], np.array(found_starts, np.int64)))
        ends = np.concatenate((ends[keep], chunk_end[digits], np.array(found_ends, np.int64)))
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    text_of = np.searchsorted(bases, starts, side="right") - 1
    offsets = np.stack((starts - bases[text_of], ends - bases[text_of]), axis=1)
    return offsets, np.bincount(text_of, minlength=len(texts))


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
