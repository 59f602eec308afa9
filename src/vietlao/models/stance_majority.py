"""Stance baseline: every sentence gets the most frequent training label."""

from __future__ import annotations

import sys
from collections import Counter

from vietlao.models.script import script_main
from vietlao.evaluation.schema import StancePrediction
from vietlao.labels import STANCE_LABELS



NAME, TASK, SEEDED = "majority", "stance", False


def predict(train: list[dict], test: list[dict], seed: int = 0) -> list[StancePrediction]:
    counts = Counter(r["label"] for r in train)
    label = max(STANCE_LABELS, key=lambda x: (counts[x], -STANCE_LABELS.index(x)))
    return [{"id": r["id"], "label": label} for r in test]


if __name__ == "__main__":
    sys.exit(script_main(sys.modules[__name__]))
