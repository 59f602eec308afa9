"""Linking baseline: exact surface-form lookup in the training mentions (NIL when the form is unseen).

Each training mention's exact string votes for its entity; a test mention takes the entity its
string linked to most often in training (ties: the ID first in order), and NIL when no training
mention had that string. The knowledge base is not used.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict

from vietlao.models.script import script_main
from vietlao.evaluation.schema import LinkingPrediction
from vietlao.models.linking_common import prediction, ranked

NAME, TASK, SEEDED = "exact-lookup", "linking", False


def predict(train: list[dict], test: list[dict], seed: int = 0, kb: list[dict] | None = None) -> list[LinkingPrediction]:
    votes: dict[str, Counter] = defaultdict(Counter)
    for r in train:
        votes[r["mention"]][r["entity_id"]] += 1
    out = []
    for r in test:
        counts = votes.get(r["mention"], Counter())
        out.append(prediction(r["id"], ranked(dict(counts), counts)))
    return out


if __name__ == "__main__":
    sys.exit(script_main(sys.modules[__name__]))
