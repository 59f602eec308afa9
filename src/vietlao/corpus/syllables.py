"""Syllables of scripts written without spaces between words: Lao, Thai, Khmer, Myanmar.

A gold span must sit on token boundaries, so in these scripts every place where a name can begin
or end must be a token boundary. Dictionary word break does not give that: ICU 77 keeps
``ນະຄອນຫຼວງວຽງຈັນ`` ("the capital Vientiane") as one word, so ``ວຽງຈັນ`` could not be marked.
Tokens here are therefore syllables, or finer units, from rule-based segmenters made for each
script (pinned in ``pyproject.toml``, so the tokens do not change under the dataset):

* Lao: the syllable pattern of ``laonlp`` (Phissamay et al., *Syllabification of Lao Script for
  Line Breaking*); a stretch the pattern does not match (``ສປປ``, an abbreviation written with
  consonants only) is cut into grapheme clusters;
* Thai: Thai Character Clusters from ``pythainlp`` (Theeramunkong et al. 2000), units designed so
  that no word boundary falls inside one; they are often finer than syllables;
* Khmer: Khmer Character Clusters from ``khmer-nltk`` (a consonant with its subscripts and signs);
* Myanmar: extended grapheme clusters (no maintained syllable segmenter for it installs here).

Whatever a segmenter says, a cut is kept only where it falls on an extended grapheme cluster
boundary (Unicode UAX #29, as the ``regex`` module's ``\\X`` implements it), so a token never
splits a cluster. Offsets are code points into the text as given; nothing is normalised.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Callable

import regex

#: The scripts whose letters form syllable runs, as ``regex`` names them.
NO_SPACE_SCRIPTS: tuple[str, ...] = ("Lao", "Thai", "Khmer", "Myanmar")

_IN_SCRIPTS = "[" + "".join(f"\\p{{{s}}}" for s in NO_SPACE_SCRIPTS) + "]"
#: One letter of those scripts, as a regex fragment.
NO_SPACE_LETTER = f"(?={_IN_SCRIPTS})\\p{{L}}"
#: One letter of any other script (``\\p{L}`` less those scripts), as a regex character class.
OTHER_LETTER = "[^\\P{L}" + _IN_SCRIPTS[1:]
#: A run: a letter of those scripts, then letters of those scripts, marks and joiners.
NO_SPACE_RUN = f"{NO_SPACE_LETTER}(?:{NO_SPACE_LETTER}|\\p{{M}}|[\\u200c\\u200d])*"

_CLUSTER = regex.compile(r"\X")
_SCRIPT = regex.compile("|".join(f"(?P<{s}>\\p{{{s}}})" for s in NO_SPACE_SCRIPTS))
has_no_space_letter = regex.compile(NO_SPACE_LETTER).search
#: The Unicode blocks of those scripts: every character of theirs is in one (a test checks every code
#: point), so a text with no character in them has none of their letters.
SCRIPT_BLOCKS = (
    (0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x19E0, 0x19FF),
    (0xA9E0, 0xA9FF), (0xAA60, 0xAA7F), (0x116D0, 0x116FF),
)
#: Any character in those blocks (``re``: four times faster than ``regex`` for this one class).
has_no_space_script = re.compile("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in SCRIPT_BLOCKS) + "]").search


@cache
def _segmenter(script: str) -> Callable[[str], set[int]] | None:
    """The cut positions a script's segmenter proposes inside a text of that script. The libraries
    are imported on first use: laonlp takes about 0.7 s and 40 MB to import."""
    if script == "Lao":
        from laonlp.tokenize.syllable import SYLLABLE_REGEX

        def lao(text: str) -> set[int]:
            cuts, covered = set(), 0
            for m in SYLLABLE_REGEX.finditer(text):
                if m.start() > covered:  # not a syllable the pattern knows: every cluster boundary
                    cuts.update(cluster_ends(text[covered : m.start()], covered))
                cuts.update(m.span())
                covered = m.end()
            cuts.update(cluster_ends(text[covered:], covered))
            return cuts

        return lao
    if script == "Thai":
        from pythainlp.tokenize.tcc import tcc_pos

        return tcc_pos
    if script == "Khmer":
        from khmernltk.utils.data import seg_kcc

        def khmer(text: str) -> set[int]:
            cuts, position = set(), 0
            for cluster in seg_kcc(text):
                position += len(cluster)
                cuts.add(position)
            if position != len(text):
                raise ValueError(f"khmer-nltk's clusters do not cover {text!r}")
            return cuts

        return khmer
    return None  # Myanmar: grapheme clusters only


def cluster_ends(text: str, offset: int = 0) -> list[int]:
    """The end of every extended grapheme cluster of ``text`` (UAX #29, ``regex``'s ``\\X``), plus ``offset``:
    the only places a text may be cut without breaking a character a reader sees as one."""
    return [offset + m.end() for m in _CLUSTER.finditer(text)]


def syllable_spans(run: str) -> list[tuple[int, int]]:
    """The tokens of one run (``NO_SPACE_RUN``) as half-open offsets into ``run``, in order,
    covering it without gaps."""
    boundaries = {0, *cluster_ends(run)}
    # Cut the run where the script changes (at the start of a cluster), then ask each script.
    pieces, start, current = [], 0, None
    for m in _CLUSTER.finditer(run):
        script = _SCRIPT.match(run, m.start())
        name = script.lastgroup if script else current
        if current is not None and name != current:
            pieces.append((start, m.start(), current))
            start = m.start()
        current = name
    pieces.append((start, len(run), current))
    cuts = {0, len(run)}
    for a, b, script in pieces:
        cuts.add(a)
        segmenter = _segmenter(script)
        proposed = segmenter(run[a:b]) if segmenter else cluster_ends(run[a:b])
        cuts.update(a + c for c in proposed)
    ordered = sorted(cuts & boundaries)
    return list(zip(ordered, ordered[1:]))
