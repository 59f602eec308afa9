"""What the NER baselines share: token features, the knowledge base's names as features, IOB2 repair."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from collections.abc import Iterable, Mapping, Sequence

from vietlao.corpus.gazetteer import Matcher, entity_names, unambiguous


def shape(word: str) -> str:
    """Word shape with runs collapsed: ``Vientiane`` → ``Xx``, ``17/01`` → ``d/d``; a letter of a script
    without case (Lao, Thai …) counts as small: ``ວຽງ`` → ``x``."""
    out: list[str] = []
    for ch in word:
        cat = unicodedata.category(ch)
        if cat in ("Lu", "Lt"):
            s = "X"
        elif cat[0] in "LM":
            s = "x"
        else:
            s = "d" if cat == "Nd" else ch
        if not out or out[-1] != s:
            out.append(s)
    return "".join(out)


def script(word: str) -> str:
    """The Unicode script of the word's first letter (``LATIN``, ``CYRILLIC``, ``LAO``, ``THAI`` …),
    ``-`` for a word without letters."""
    letter = next((ch for ch in word if ch.isalpha()), None)
    return unicodedata.name(letter, "?").split()[0] if letter else "-"


def _word(word: str, prefix: str) -> dict[str, object]:
    lower = word.lower()
    return {
        f"{prefix}lower": lower,
        f"{prefix}shape": shape(word),
        f"{prefix}title": word[:1].isupper(),
        f"{prefix}upper": word.isupper() and len(word) > 1,
    }


def token_features(tokens: Sequence[str], i: int, names: Sequence[str] | None = None) -> dict[str, object]:
    """Features of token ``i``: the word, its shape, script and affixes, a ±2 window of neighbours, the
    word joined with each neighbour (a name written in syllables, as Lao is, spans several tokens,
    and a syllable pair says more than a syllable), and, given ``names`` (the IOB2 tags of the
    knowledge base's names matched over the sentence, :class:`KnowledgeNames`), the name tag of the
    token and its neighbours, in place of the spelling of a token inside a name: what carries to a
    language the training data do not have."""
    word = tokens[i]
    named = names is not None and names[i] != "O"
    feats: dict[str, object] = {"bias": 1.0, **_word(word, "")}
    feats.update({
        "pre2": word[:2].lower(), "pre3": word[:3].lower(),
        "suf2": word[-2:].lower(), "suf3": word[-3:].lower(),
        "digit": word.isdigit(), "alpha": word.isalpha(), "len": min(len(word), 8) / 8,
        "first": i == 0, "script": script(word),
    })
    if named:  # described by its name tag, not its spelling, so that what is learnt carries across languages
        for spelling in ("lower", "shape", "title", "upper", "pre2", "pre3", "suf2", "suf3"):
            del feats[spelling]
    for off in (-2, -1, 1, 2):
        j = i + off
        if 0 <= j < len(tokens):
            feats.update(_word(tokens[j], f"{off:+d}:"))
        else:
            feats[f"{off:+d}:pad"] = True
    if i > 0 and not named:
        feats["-1:pair"] = f"{tokens[i - 1].lower()}|{word.lower()}"
    if i + 1 < len(tokens) and not named:
        feats["+1:pair"] = f"{word.lower()}|{tokens[i + 1].lower()}"
    if names is not None:
        for off in (-1, 0, 1):
            j = i + off
            feats[f"{off:+d}:name"] = names[j] if 0 <= j < len(tokens) else "pad"
    return feats


def sentence_features(tokens: Sequence[str], names: Sequence[str] | None = None) -> list[dict[str, object]]:
    """Features of every token (cached: the protocols featurise the same sentences many times)."""
    return _cached_features(tuple(tokens), None if names is None else tuple(names))


@lru_cache(maxsize=4096)
def _cached_features(tokens: tuple[str, ...], names: tuple[str, ...] | None) -> list[dict[str, object]]:
    return [token_features(tokens, i, names) for i in range(len(tokens))]


class KnowledgeNames:
    """The knowledge base's names (canonical ``name`` and ``names`` in each language, never the gold's
    surface forms) matched over tokens with the pre-annotator's matcher, one per language.

    ``kb`` rows are the ``entities`` config's (:func:`vietlao.models.linking_common.knowledge_base`):
    ``entity_id``, ``type``, ``name``, ``names``.
    """

    def __init__(self, kb: Iterable[Mapping] | None) -> None:
        self.kb = list(kb or [])
        self._matchers: dict[str, Matcher] = {}

    def entries(self, lang: str) -> dict[tuple[str, ...], tuple[str, str | None]]:
        return unambiguous((name, (e["type"], e["entity_id"])) for e in self.kb
                           for name in entity_names(e["name"], e.get("names"), lang))

    def matcher(self, lang: str) -> Matcher:
        if lang not in self._matchers:
            self._matchers[lang] = Matcher(self.entries(lang))
        return self._matchers[lang]

    def tags(self, tokens: Sequence[str], lang: str) -> list[str]:
        return self.matcher(lang).tags(tokens)

    def features(self, row: Mapping) -> list[dict[str, object]]:
        """:func:`sentence_features` of a row (``tokens``, ``lang``) with its name tags."""
        return sentence_features(row["tokens"], self.tags(row["tokens"], row["lang"]))


def repair_iob2(tags: Sequence[str]) -> list[str]:
    """Turn an ``I-T`` that continues nothing of type T into ``B-T`` (a classifier's usual slip)."""
    out: list[str] = []
    for tag in tags:
        if tag.startswith("I-") and (not out or out[-1] == "O" or out[-1][2:] != tag[2:]):
            tag = "B-" + tag[2:]
        out.append(tag)
    return out

