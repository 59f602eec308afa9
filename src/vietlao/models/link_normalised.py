"""Linking baseline: normalised lookup against the inventory's names and the training mentions.

Keys are normalised (case folded, Cyrillic transliterated to Latin with iuliia's Wikipedia scheme,
diacritics removed, punctuation runs as one space: ``Tô Lâm``, ``To Lam`` and ``То Лам`` are one
key): every entity's canonical name, and every training mention's string. A test mention takes the
entity of its normalised string among the entities of its type (most training votes first), NIL
when no key matches. Candidates for accuracy@k: the matches, then the other entities of the type by
character similarity (difflib ratio) of their closest key.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict

from vietlao.models.script import script_main
from vietlao.evaluation.schema import LinkingPrediction
from vietlao.models.linking_common import TOP_K, knowledge_base, normalise, prediction, ranked, same_type, similarity

NAME, TASK, SEEDED = "normalised-lookup", "linking", False


def predict(train: list[dict], test: list[dict], seed: int = 0, kb: list[dict] | None = None) -> list[LinkingPrediction]:
    kb = knowledge_base() if kb is None else kb
    keys: dict[str, set[str]] = defaultdict(set)  # entity -> normalised keys
    for e in kb:
        keys[e["entity_id"]].add(normalise(e["name"]))
    counts: Counter = Counter()
    for r in train:
        keys[r["entity_id"]].add(normalise(r["mention"]))
        counts[r["entity_id"]] += 1
    out: list[LinkingPrediction] = []
    for r in test:
        query = normalise(r["mention"])
        pool = [e["entity_id"] for e in same_type(kb, r["type"])]
        exact = ranked({e: 1.0 for e in pool if query in keys[e]}, counts)
        fuzzy = ranked({e: max(similarity(query, k) for k in keys[e]) for e in pool if e not in exact}, counts)
        candidates = (exact + fuzzy)[:TOP_K]
        out.append({**prediction(r["id"], exact), "candidates": candidates} if exact else
                   {"id": r["id"], "entity_id": None, "candidates": candidates})
    return out


if __name__ == "__main__":
    sys.exit(script_main(sys.modules[__name__]))
