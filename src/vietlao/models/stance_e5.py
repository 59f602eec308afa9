"""Stance baseline: multilingual-e5-small sentence embeddings + balanced logistic regression.

The sentence is embedded with the ``query:`` prefix (the model card's choice for embeddings used as
features) by :mod:`vietlao.models.embed`; C = 1 as for the TF-IDF baseline, L-BFGS: deterministic,
so there is no seed. Needs the ``embed`` extra. The vectors come as float64 (grid-rounded, the same on
any CPU), so the regression is fitted in double precision.
"""

from __future__ import annotations

import sys

from sklearn.linear_model import LogisticRegression

from vietlao.models.script import script_main
from vietlao.evaluation.schema import StancePrediction
from vietlao.models import embed


NAME, TASK, SEEDED = "e5-lr", "stance", False
EXTRA = "embed"
C = 1.0
KIND = "query"


def available() -> bool:
    return embed.available()


def encoded_texts(rows: list[dict], kb: list[dict] | None = None) -> list[str]:
    """The texts this baseline embeds for ``rows``: their sentences."""
    return [r["text"] for r in rows]


def predict(train: list[dict], test: list[dict], seed: int = 0) -> list[StancePrediction]:
    labels = [r["label"] for r in train]
    if len(set(labels)) == 1:  # nothing to learn: the one class
        return [{"id": r["id"], "label": labels[0]} for r in test]
    encoder = embed.shared_encoder()
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=5000)
    model.fit(encoder.embed(encoded_texts(train), KIND), labels)
    predicted = model.predict(encoder.embed(encoded_texts(test), KIND)) if test else []
    return [{"id": r["id"], "label": str(y)} for r, y in zip(test, predicted)]


if __name__ == "__main__":
    sys.exit(script_main(sys.modules[__name__]))
