"""underthesea (Vietnamese CRF NER; PER/LOC/ORG/MISC) as an off-the-shelf peer.

``underthesea.ner(sentence)`` (the default, ``deep=False``) runs the CRF word segmenter, POS tagger,
chunker and the CRF NER model ``ner_crf_2017_10_12.bin``, all shipped inside the ``underthesea`` wheel:
it needs neither torch nor a download. It returns *words* — syllables joined with spaces, after the
tool's own token normalisation (``hoà`` -> ``hòa``, ``ð`` -> ``đ``, a few respellings) — with IOB tags,
not offsets. Offsets are recovered by re-finding each syllable in the sentence string with a
left-to-right cursor search, so no token positions are ever compared across tokenisers.

    python -m vietlao.benchmark.peers.underthesea OUT.jsonl
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

from vietlao.benchmark.peers.common import fold, run_runner, runner_main

TOOL = "underthesea"
LANG = "vi"
MODEL = "CRF ner_crf_2017_10_12.bin (bundled in the wheel; deep=False)"

#: underthesea (VLSP 2016) type -> coarse CoNLL type.
LABEL_MAP = {"PER": "PER", "LOC": "LOC", "ORG": "ORG", "MISC": "MISC"}

#: How each syllable was re-found, over the whole run (``exact``, ``folded``, ``respelled``, ``searched``).
ALIGNMENT_COUNTS: Counter = Counter()

_WORD_RUN = re.compile(r"\w+|\S")


class AlignmentError(ValueError):
    """A token of the tool's output cannot be found in the sentence."""


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _find_piece(text: str, folded: str, piece: str, cursor: int, counts: Counter) -> tuple[int, int]:
    """Half-open offsets of ``piece`` at or after ``cursor`` in ``text``."""
    i = _skip_space(text, cursor)
    j = i + len(piece)
    if text.startswith(piece, i):
        counts["exact"] += 1
        return i, j
    if fold(piece) == folded[i:j]:
        counts["folded"] += 1  # the tool moved a tone mark or changed case
        return i, j
    run = _WORD_RUN.match(text, i)
    if run and piece.isalnum() and abs(len(run.group()) - len(piece)) <= 2 and fold(piece[0]) == folded[i]:
        counts["respelled"] += 1  # the tool respelled the word (``nghành`` -> ``ngành``)
        return run.start(), run.end()
    k = folded.find(fold(piece), i)
    if k >= 0:
        counts["searched"] += 1
        return k, k + len(piece)
    raise AlignmentError(f"cannot find {piece!r} after offset {cursor} in {text!r}")


def align(text: str, words: list[str], counts: Counter | None = None) -> list[tuple[int, int]]:
    """Sentence offsets of each of the tool's ``words``, found left to right.

    A word is one or more syllables joined by spaces (``ner``) or underscores (``format="text"``).
    """
    counts = ALIGNMENT_COUNTS if counts is None else counts
    folded = fold(text)
    cursor, spans = 0, []
    for word in words:
        queue = word.split()
        if not queue:
            raise AlignmentError(f"empty word in {words!r}")
        start = end = None
        while queue:
            piece = queue.pop(0)
            try:
                a, b = _find_piece(text, folded, piece, cursor, counts)
            except AlignmentError:
                subs = [s for s in piece.split("_") if s]
                if len(subs) > 1:  # word_tokenize's underscore joining
                    queue[:0] = subs
                    continue
                raise
            start = a if start is None else start
            end = cursor = b
        assert start is not None and end is not None  # the word's last piece was found (or raised)
        spans.append((start, end))
    return spans


def bio_spans(tags: list[str], offsets: list[tuple[int, int]]) -> list[dict]:
    """Coarse character spans from IOB/IOB2 ``tags`` over words at ``offsets``.

    An ``I-X`` that does not continue an ``X`` starts a new span (the CoNLL reading).
    """
    entities: list[dict] = []
    current: dict | None = None
    for tag, (start, end) in zip(tags, offsets, strict=True):
        prefix, _, kind = tag.partition("-")
        label = LABEL_MAP.get(kind) if prefix in ("B", "I") else None
        if label is None:
            current = None
            continue
        if prefix == "I" and current is not None and current["label"] == label:
            current["end"] = end
            continue
        current = {"start": start, "end": end, "label": label}
        entities.append(current)
    return entities


def predict(text: str) -> list[dict]:
    """Coarse entity spans of one sentence, sentence-relative and sorted."""
    from underthesea import ner

    tagged = ner(text)
    words = [row[0] for row in tagged]
    tags = [row[-1] for row in tagged]
    return bio_spans(tags, align(text, words))


def word_offsets(text: str) -> list[tuple[int, int]]:
    """Offsets of the words ``ner`` tags in ``text``: the edges its spans can have."""
    from underthesea import ner

    return align(text, [row[0] for row in ner(text)], Counter())


def run(out_path: Path, source: str = "auto") -> dict:
    """Tag every sentence of the language, write ``out_path``; returns what was run on what."""
    ALIGNMENT_COUNTS.clear()
    return run_runner(sys.modules[__name__], out_path, source, alignment=lambda: dict(ALIGNMENT_COUNTS))


def main(argv: list[str]) -> int:
    return runner_main(sys.modules[__name__], argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
