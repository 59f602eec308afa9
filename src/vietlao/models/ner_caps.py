"""NER baseline: capitalised runs (after the first token) as entities of the most frequent training type.

A sanity floor with no lexical knowledge, so it transfers across languages as well as it works in
any one: each maximal run of capitalised tokens not at the start of the sentence becomes one entity,
typed with the entity type most frequent in training.
"""

from __future__ import annotations

import sys
from collections import Counter

from vietlao.models.script import script_main
from vietlao.evaluation.schema import NerTagsPrediction
from vietlao.labels import ENTITY_TYPES
from vietlao.spans import tag_chunks



NAME, TASK, SEEDED = "caps-rule", "ner", False


def tag(tokens: list[str], label: str) -> list[str]:
    tags, previous = [], False
    for i, token in enumerate(tokens):
        capital = i > 0 and token[:1].isupper()
        tags.append(("I-" if previous else "B-") + label if capital else "O")
        previous = capital
    return tags


def predict(train: list[dict], test: list[dict], seed: int = 0) -> list[NerTagsPrediction]:
    counts = Counter(t for r in train for t, _, _ in tag_chunks(r["ner_tags"]))
    label = max(ENTITY_TYPES, key=lambda t: (counts[t], -ENTITY_TYPES.index(t)))
    return [{"id": r["id"], "ner_tags": tag(r["tokens"], label)} for r in test]


if __name__ == "__main__":
    sys.exit(script_main(sys.modules[__name__]))
