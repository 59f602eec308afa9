"""One name matcher over tokens: the pre-annotator's and the gazetteer baseline's.

Names become token sequences with the corpus's own tokenizer (:func:`vietlao.corpus.segment.tokenize`,
so a Lao name is matched as the syllables the text is cut into), and a sentence's tokens are scanned
left to right, taking the longest entry at each position; matched tokens are not matched again. Exact
strings: no case folding, no normalisation beyond NFC.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from vietlao.corpus.segment import tokenize

Key = tuple[str, ...]
#: What a match gives: (entity type, entity ID or None).
Entry = tuple[str, str | None]
#: An entry of :func:`unambiguous` (an :data:`Entry`, or a narrower tuple such as ``(type, entity id)``).
E = TypeVar("E", bound=tuple[str, str | None])

_PARENTHESIS = re.compile(r"\s*\([^()]*\)\s*$")


def entity_names(name: str, names: Mapping[str, str | None] | None, lang: str,
                 forms: Iterable[str] = ()) -> set[str]:
    """The strings an entity is matched by in ``lang``: its canonical ``name`` (also without a
    trailing parenthesis), its name in ``lang`` from the inventory's ``names`` (native-script names,
    such as Lao) and the given ``forms``."""
    found = {name, _PARENTHESIS.sub("", name), (names or {}).get(lang), *forms}
    return {unicodedata.normalize("NFC", f).strip() for f in found if f and f.strip()}


def key(text: str) -> Key:
    """The token sequence of a name."""
    return tuple(t.text for t in tokenize(text))


def unambiguous(claims: Iterable[tuple[str, E]]) -> dict[Key, E]:
    """Token sequence -> entry from (name, entry) pairs; a sequence claimed by two entries is left out."""
    seen: dict[Key, set[E]] = {}
    for text, entry in claims:
        k = key(text)
        if k:
            seen.setdefault(k, set()).add(entry)
    return {k: next(iter(c)) for k, c in seen.items() if len(c) == 1}


@dataclass(frozen=True)
class Matcher:
    """Leftmost-longest, non-overlapping matches of ``entries`` over a token sequence."""

    entries: Mapping[Key, Entry]
    longest: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "longest", max((len(k) for k in self.entries), default=0))

    def matches(self, words: Sequence[str]) -> list[tuple[int, int, str, str | None]]:
        """(first token, end token, type, entity ID) of every match."""
        out, i = [], 0
        while i < len(words):
            for n in range(min(self.longest, len(words) - i), 0, -1):
                hit = self.entries.get(tuple(words[i : i + n]))
                if hit:
                    out.append((i, i + n, hit[0], hit[1]))
                    i += n
                    break
            else:
                i += 1
        return out

    def tags(self, words: Sequence[str]) -> list[str]:
        """IOB2 tags of the matches."""
        tags = ["O"] * len(words)
        for a, b, label, _ in self.matches(words):
            tags[a:b] = [f"B-{label}"] + [f"I-{label}"] * (b - a - 1)
        return tags
