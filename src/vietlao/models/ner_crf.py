"""NER baseline: a linear-chain CRF (sklearn-crfsuite, L-BFGS) over word, shape, script, affix, context and knowledge-base name features.

c1 = c2 = 0.1 and 100 iterations (sklearn-crfsuite's tutorial values), fixed, not tuned. L-BFGS on
this convex objective is deterministic, so there is no seed. The features are
:func:`vietlao.models.common.token_features`, with the knowledge base's names matched
over the sentence (:class:`~vietlao.models.common.KnowledgeNames`): what lets a model
trained on Vietnamese tag a name in Lao.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

import sklearn_crfsuite

from vietlao.models.script import script_main
from vietlao.evaluation.schema import NerTagsPrediction
from vietlao.models.common import KnowledgeNames

NAME, TASK, SEEDED = "crf", "ner", False
USES_KB = True
PARAMS = {"algorithm": "lbfgs", "c1": 0.1, "c2": 0.1, "max_iterations": 100, "all_possible_transitions": True}


def fit(train: Sequence[Mapping[str, Any]], names: KnowledgeNames) -> sklearn_crfsuite.CRF:
    """The CRF trained on ``train`` (also used for pre-annotation, which reads its marginals)."""
    crf = sklearn_crfsuite.CRF(**PARAMS)
    crf.fit([names.features(r) for r in train], [r["ner_tags"] for r in train])
    return crf


def predict(train: list[dict], test: list[dict], seed: int = 0, kb: list[dict] | None = None) -> list[NerTagsPrediction]:
    names = KnowledgeNames(kb)
    crf = fit(train, names)
    tags = crf.predict([names.features(r) for r in test])
    return [{"id": r["id"], "ner_tags": list(t)} for r, t in zip(test, tags)]


if __name__ == "__main__":
    sys.exit(script_main(sys.modules[__name__]))
