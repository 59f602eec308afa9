"""The scorer's contracts, as types: the prediction records it joins to the gold rows by ``id`` (the
rows are typed where they are made, :class:`vietlao.dataset.rows.NerRow` and ``StanceRow``), and the
scores it writes (``vietlao evaluate --output``, the benchmark's ``metrics``).

The keys here are the stable keys of the output; :mod:`vietlao.evaluation.scoring` builds the blocks
and the type checker holds it to them.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

# -- prediction records (one JSON line per gold sentence) --------------------------------------------


class PredictedEntity(TypedDict):
    start: int
    end: int
    label: str
    entity_id: NotRequired[str]  # the end-to-end (ner+linking) task


class NerTagsPrediction(TypedDict):
    id: str
    ner_tags: list[str]


class NerEntitiesPrediction(TypedDict):
    id: str
    entities: list[PredictedEntity]


class StancePrediction(TypedDict):
    id: str
    label: str


class LinkingPrediction(TypedDict):
    id: str  # a mention id, "<sentence id>:<start>-<end>"
    entity_id: str | None  # None: NIL, not in the inventory
    candidates: NotRequired[list[str]]  # ranked, for accuracy@k


Prediction = NerTagsPrediction | NerEntitiesPrediction | StancePrediction | LinkingPrediction

# -- scores ------------------------------------------------------------------------------------------


class SchemeBlock(TypedDict):
    name: str
    definition: str
    applies_to: str


class CiMethod(TypedDict):
    method: str
    unit: str
    resamples: int
    seed: int
    level: float
    description: str


class PrfBlock(TypedDict):
    """Precision, recall and F1 of pooled counts; ``ci_low``/``ci_high`` are F1's interval."""

    precision: float
    recall: float
    f1: float
    ci_low: float | None
    ci_high: float | None
    precision_ci: NotRequired[list[float | None]]
    recall_ci: NotRequired[list[float | None]]
    tp: int
    n_pred: int
    n_gold: int


class LangPrfBlock(PrfBlock):
    n_sentences: int
    partial_f1: float


class PartialBlock(TypedDict):
    definition: str
    micro: PrfBlock
    per_type: dict[str, PrfBlock]


class NerScores(TypedDict):
    scheme: NotRequired[SchemeBlock]
    n_sentences: int
    micro: PrfBlock
    per_type: dict[str, PrfBlock]
    partial: PartialBlock
    per_lang: NotRequired[dict[str, LangPrfBlock]]
    ci_method: CiMethod


class Interval(TypedDict):
    value: float
    ci_low: float | None
    ci_high: float | None


class ClassesInterval(Interval):
    classes: list[str]
    note: NotRequired[str]


class ClassScores(TypedDict):
    precision: float
    recall: float
    f1: float
    support: int
    n_pred: int


class ConfusionMatrix(TypedDict):
    labels: list[str]
    rows: str
    columns: str
    matrix: list[list[int]]


class LangStanceBlock(TypedDict):
    n_sentences: int
    accuracy: Interval
    macro_f1: ClassesInterval
    f_avg: ClassesInterval


class StanceScores(LangStanceBlock):
    """A language's block (:class:`LangStanceBlock`) and what only the whole has."""

    per_class: dict[str, ClassScores]
    confusion_matrix: ConfusionMatrix
    per_lang: NotRequired[dict[str, LangStanceBlock]]
    ci_method: CiMethod
