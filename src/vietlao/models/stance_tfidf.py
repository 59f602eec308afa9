"""Stance baseline: TF-IDF over character n-grams (char_wb, 2–5) + balanced logistic regression.

C = 1 (fixed, not tuned), L-BFGS: deterministic, so there is no seed.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from vietlao.models.script import script_main
from vietlao.evaluation.schema import StancePrediction


NAME, TASK, SEEDED = "tfidf-char-lr", "stance", False
C = 1.0


def fit(train: Sequence[Mapping[str, Any]]):
    """The pipeline trained on ``train`` (also used for pre-annotation, which reads its
    probabilities); None when the training rows have one class only."""
    labels = [r["label"] for r in train]
    if len(set(labels)) == 1:
        return None
    model = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, lowercase=True),
        LogisticRegression(C=C, class_weight="balanced", max_iter=2000),
    )
    return model.fit([r["text"] for r in train], labels)


def predict(train: list[dict], test: list[dict], seed: int = 0) -> list[StancePrediction]:
    model = fit(train)
    if model is None:  # nothing to learn: the one class
        return [{"id": r["id"], "label": train[0]["label"]} for r in test]
    return [{"id": r["id"], "label": str(y)} for r, y in zip(test, model.predict([r["text"] for r in test]))]


if __name__ == "__main__":
    sys.exit(script_main(sys.modules[__name__]))
