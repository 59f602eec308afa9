"""NER baseline: token-level logistic regression (log loss, fitted by SGD) over the CRF's features (knowledge-base names included).

Each token is classified on its own into an IOB2 tag; an ``I-T`` that continues nothing is then
repaired to ``B-T``. Stochastic gradient descent makes it fast and makes the seed matter (it
shuffles the training tokens each epoch), so it runs with several seeds.
"""

from __future__ import annotations

import sys

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import SGDClassifier

from vietlao.models.script import script_main
from vietlao.evaluation.schema import NerTagsPrediction
from vietlao.models.common import KnowledgeNames, repair_iob2

NAME, TASK, SEEDED = "token-lr", "ner", True
USES_KB = True
ALPHA = 1e-3


def _int32(X):
    """DictVectorizer may emit 64-bit sparse indices, which SGDClassifier refuses."""
    X.indices, X.indptr = X.indices.astype(np.int32), X.indptr.astype(np.int32)
    return X


def predict(train: list[dict], test: list[dict], seed: int = 0, kb: list[dict] | None = None) -> list[NerTagsPrediction]:
    names = KnowledgeNames(kb)
    vectorizer = DictVectorizer()
    X = _int32(vectorizer.fit_transform([f for r in train for f in names.features(r)]))
    y = [t for r in train for t in r["ner_tags"]]
    model = SGDClassifier(loss="log_loss", alpha=ALPHA, random_state=seed).fit(X, y)
    out: list[NerTagsPrediction] = []
    for r in test:
        tags = model.predict(_int32(vectorizer.transform(names.features(r)))) if r["tokens"] else []
        out.append({"id": r["id"], "ner_tags": repair_iob2([str(t) for t in tags])})
    return out


if __name__ == "__main__":
    sys.exit(script_main(sys.modules[__name__]))
