"""What the entity-linking baselines share: the knowledge base they may use, name normalisation and
ranking.

The knowledge base a baseline sees is the ``entities`` config **without** ``forms``: those are the
surface forms of every gold mention, test mentions included, so they would hand a baseline the test
answers. A baseline links with the canonical ``name`` of each entity and, where it learns, with the
training mentions only.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import iuliia

from vietlao.evaluation.linking import load_entities
from vietlao.evaluation.schema import LinkingPrediction

#: Rows of a knowledge base as the baselines see it.
KB_FIELDS = ("entity_id", "type", "name", "names")
#: Candidates written per mention (for accuracy@k).
TOP_K = 10
#: Letters that Unicode does not decompose into a base letter and a mark.
_UNDECOMPOSED = str.maketrans({"đ": "d", "Đ": "D", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ł": "l", "Ł": "L"})
_NOT_WORD = re.compile(r"[\W_]+")


def knowledge_base(dataset_dir: Path | str | None = None) -> list[dict]:
    """The ``entities`` rows reduced to :data:`KB_FIELDS` (default: the project's dataset), ``names``
    as ``{lang: name}``: the knowledge base every linking baseline, and every NER baseline that
    declares ``USES_KB``, is given."""
    return [{**{k: e[k] for k in KB_FIELDS}, "names": {n["lang"]: n["name"] for n in e["names"]}}
            for e in load_entities(dataset_dir)]


def normalise(text: str) -> str:
    """Case-folded, Cyrillic transliterated to Latin (iuliia, Wikipedia scheme), diacritics removed,
    every run of non-word characters one space: ``То Лам`` → ``to lam``, ``Tô Lâm`` → ``to lam``."""
    text = iuliia.WIKIPEDIA.translate(unicodedata.normalize("NFC", text))
    text = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSED))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NOT_WORD.sub(" ", text.casefold()).strip()


def ranked(scores: dict[str, float], counts: Counter | None = None, k: int = TOP_K) -> list[str]:
    """Entity IDs by score, then by training count, then by ID; the first ``k``."""
    counts = counts or Counter()
    return sorted(scores, key=lambda e: (-scores[e], -counts[e], e))[:k]


def similarity(a: str, b: str) -> float:
    """Character similarity of two normalised names (difflib's ratio)."""
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def same_type(kb: Iterable[dict], type_: str) -> list[dict]:
    """The entries of the mention's type (the task gives the gold type), else all of them."""
    kb = list(kb)
    return [e for e in kb if e["type"] == type_] or kb


def prediction(mention_id: str, candidates: list[str]) -> LinkingPrediction:
    """A predictions line: the first candidate, or NIL when there is none."""
    return {"id": mention_id, "entity_id": candidates[0] if candidates else None, "candidates": candidates}

