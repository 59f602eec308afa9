"""NER baseline: a linear-chain CRF (sklearn-crfsuite, L-BFGS) over word, shape, affix and context features.

c1 = c2 = 0.1 and 100 iterations (sklearn-crfsuite's tutorial values), fixed, not tuned. L-BFGS on
this convex objective is deterministic, so there is no seed.
"""

from __future__ import annotations

import sys

import sklearn_crfsuite

from vietlao.benchmark.baselines.common import script_main, sentence_features

NAME, TASK, SEEDED = "crf", "ner", False
PARAMS = {"algorithm": "lbfgs", "c1": 0.1, "c2": 0.1, "max_iterations": 100, "all_possible_transitions": True}


def fit(train: list[dict]) -> sklearn_crfsuite.CRF:
    """The CRF trained on ``train`` (also used for pre-annotation, which reads its marginals)."""
    crf = sklearn_crfsuite.CRF(**PARAMS)
    crf.fit([sentence_features(r["tokens"]) for r in train], [r["ner_tags"] for r in train])
    return crf


def predict(train: list[dict], test: list[dict], seed: int = 0) -> list[dict]:
    crf = fit(train)
    tags = crf.predict([sentence_features(r["tokens"]) for r in test])
    return [{"id": r["id"], "ner_tags": list(t)} for r, t in zip(test, tags)]


if __name__ == "__main__":
    sys.exit(script_main(TASK, predict))
