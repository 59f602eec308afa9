"""Paired significance between two systems scored on the same gold: is a difference real?

Two systems' outputs on the same units are compared on one metric with two tests, as sacreBLEU
compares MT systems (``--paired-bs``, ``--paired-ar``):

Paired bootstrap resampling (Koehn 2004)
    ``n_resamples`` resamples of the units with replacement — the draws of the scorer's own
    confidence intervals (:func:`vietlao.evaluation.scoring.bootstrap_weights`, same seed) — each
    applied to *both* systems; the metric is recomputed from the pooled sufficient statistics of
    each system in each resample. The CI of the difference is the percentile interval of the
    resampled differences ``d_b``; the two-sided p-value compares them, shifted to the null of no
    difference, with the observed difference ``d``: ``p = (1 + #{b: |d_b - d| >= |d|}) / (B + 1)``.
Approximate randomization (Noreen 1989; Riezler & Maxwell 2005)
    ``n_resamples`` trials; in each, every unit's outputs of the two systems are swapped with
    probability 1/2 (generator seeded with ``(seed, 1)``) and the difference recomputed:
    ``p = (1 + #{r: |d_r| >= |d|}) / (R + 1)``.

Units are sentences, or whole documents (``groups``: one group per sentence; a group's statistics
are summed and resampled or swapped together). For two identical systems every resampled
difference is 0, so both p-values are 1 and the CI is [0, 0]. A resample in which the metric is
undefined for both systems (e.g. F1 of a type with neither gold nor predictions) counts for
neither test; where it is undefined for one system only, that system's value is 0, as in the
point scores.

The metrics are the scorer's, from the sufficient statistics it computes per sentence
(:mod:`vietlao.evaluation.scoring`): NER strict (or partial) F1, micro and per type
(:func:`compare_ner`); stance macro-F1, accuracy and F_avg (:func:`compare_stance`); linking
accuracy@1 (:func:`compare_linking`). Any other metric that is a function of summed per-unit
statistics goes through :func:`paired_test`.

>>> gold = [["B-PER", "O"]] * 20
>>> r = compare_ner(gold, gold, [["O", "O"]] * 20, n_resamples=200)["micro"]
>>> (r.value_a, r.value_b, r.difference, r.significant())
(1.0, 0.0, 1.0, True)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Callable, Hashable, Iterable, Mapping, Sequence

import numpy as np

from vietlao.evaluation.scoring import (
    bootstrap_weights, ci_block, f_avg_index, ner_counts, prf, ratio, stance_from_sums, stance_onehots,
)
from vietlao.labels import STANCE_LABELS

__all__ = [
    "METHOD", "Metric", "PairedResult", "compare_linking", "compare_ner", "compare_stance", "paired_test",
]

METHOD = (
    "paired bootstrap resampling (the same resampled units for both systems; percentile CI of the "
    "difference, two-sided p from the differences shifted to the null) and approximate randomization "
    "(each unit's outputs swapped with probability 1/2; two-sided p)"
)
#: A metric: sums of per-unit statistics, ``(m, d)``, to ``(values, defined)``, both ``(m,)``.
Metric = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
_TIE = 1e-9  # differences within this of each other are equal (sums of floats)


@dataclass(frozen=True)
class PairedResult:
    """System A against system B on one metric, over the same units.

    ``difference`` is ``value_a - value_b``; ``ci_low``/``ci_high`` its paired-bootstrap
    percentile interval at ``level`` (``None`` when no resample defines the metric);
    ``p_bootstrap`` and ``p_randomization`` the two-sided p-values of the two tests (module
    docstring), each over ``n_resamples`` draws seeded by ``seed``.
    """

    metric: str
    value_a: float
    value_b: float
    difference: float
    ci_low: float | None
    ci_high: float | None
    p_bootstrap: float
    p_randomization: float
    n_units: int
    unit: str
    n_resamples: int
    seed: int
    level: float = 0.95
    method: str = METHOD

    def significant(self, alpha: float = 0.05) -> bool:
        """Both tests reject "no difference" at ``alpha``."""
        return self.p_bootstrap < alpha and self.p_randomization < alpha

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict (the ``comparison`` blocks of ``vietlao evaluate``)."""
        return asdict(self)


def _units(stats: Any, groups: Sequence[Hashable] | None) -> np.ndarray:
    """Per-unit statistics ``(n_units, d)``: rows summed per group (groups sorted as the scorer's)."""
    stats = np.asarray(stats, dtype=float)
    stats = stats.reshape(stats.shape[0], -1)
    if groups is None:
        return stats
    if len(groups) != stats.shape[0]:
        raise ValueError(f"{len(groups)} groups for {stats.shape[0]} rows of statistics")
    names = sorted(set(groups), key=str)
    position = {g: i for i, g in enumerate(names)}
    out = np.zeros((len(names), stats.shape[1]))
    np.add.at(out, [position[g] for g in groups], stats)
    return out


def _p_value(differences: np.ndarray, observed: float) -> float:
    return float((1 + np.sum(np.abs(differences) >= abs(observed) - _TIE)) / (differences.size + 1))


def paired_test(
    stats_a: Any,
    stats_b: Any,
    metrics: Mapping[str, Metric],
    *,
    groups: Sequence[Hashable] | None = None,
    unit: str = "sentence",
    n_resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, PairedResult]:
    """Both tests for every metric of ``metrics`` (name → :data:`Metric`), on the same draws.

    ``stats_a``, ``stats_b``: one row of sufficient statistics per sentence (any shape after the
    first axis, flattened), aligned; ``groups`` (one per row, e.g. a document id) makes the units
    the groups, named ``unit``.
    """
    a, b = _units(stats_a, groups), _units(stats_b, groups)
    if a.shape != b.shape:
        raise ValueError(f"statistics of different shapes: {a.shape} and {b.shape}")
    n = a.shape[0]
    if n == 0:
        raise ValueError("no units to compare")
    if n_resamples < 1:
        raise ValueError(f"n_resamples {n_resamples}: at least 1")
    w = bootstrap_weights(n, n_resamples, seed)
    swap = np.random.default_rng((seed, 1)).integers(0, 2, size=(n_resamples, n)).astype(float)
    total_a, total_b = a.sum(0, keepdims=True), b.sum(0, keepdims=True)
    moved = swap @ (b - a)
    boot_a, boot_b, shuffled_a, shuffled_b = w @ a, w @ b, total_a + moved, total_b - moved
    out = {}
    for name, metric in metrics.items():
        value_a, value_b = float(metric(total_a)[0][0]), float(metric(total_b)[0][0])
        observed = value_a - value_b
        (ba, da), (bb, db) = metric(boot_a), metric(boot_b)
        diffs = (ba - bb)[da | db]
        (ra, ea), (rb, eb) = metric(shuffled_a), metric(shuffled_b)
        ci = ci_block(observed, diffs, level)
        out[name] = PairedResult(
            metric=name, value_a=value_a, value_b=value_b, difference=observed,
            ci_low=ci["ci_low"], ci_high=ci["ci_high"],
            p_bootstrap=_p_value(diffs - observed, observed),
            p_randomization=_p_value((ra - rb)[ea | eb], observed),
            n_units=n, unit=unit, n_resamples=n_resamples, seed=seed, level=level,
        )
    return out


# --------------------------------------------------------------------------- the scorer's metrics


def _ner_metric(row: int, k: int, column: int | None) -> Metric:
    """F1 from summed :func:`ner_counts` (flattened ``(4, k)``): TP taken from ``row`` (0 strict,
    3 partial), over every type (``column`` None) or one."""

    def metric(sums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c = sums.reshape(-1, 4, k)
        pick = (lambda x: x.sum(1)) if column is None else (lambda x: x[:, column])
        tp, n_pred, n_gold = pick(c[:, row]), pick(c[:, 1]), pick(c[:, 2])
        return prf(tp, n_pred, n_gold)[2], (n_pred + n_gold) > 0

    return metric


def compare_ner(
    gold: Sequence[Iterable[Any]],
    pred_a: Sequence[Iterable[Any]],
    pred_b: Sequence[Iterable[Any]],
    *,
    types: Sequence[str] | None = None,
    scheme: str = "iob2",
    partial: bool = False,
    groups: Sequence[Hashable] | None = None,
    unit: str | None = None,
    n_resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, PairedResult]:
    """Entity-level F1 of ``pred_a`` against ``pred_b``: ``"micro"``, then one key per type.

    Items as :func:`vietlao.evaluation.scoring.ner_scores` takes them (tag sequences or spans, one
    per sentence); strict F1, or the partial-match F1 with ``partial``. ``types`` fixes the
    per-type keys (default: every label seen on any side, sorted).
    """
    counts_a, labels = ner_counts(gold, pred_a, types=types, scheme=scheme)
    counts_b, labels_b = ner_counts(gold, pred_b, types=labels, scheme=scheme)
    if labels_b != labels:  # a type only system B predicts
        counts_a, labels = ner_counts(gold, pred_a, types=labels_b, scheme=scheme)
    row, k = (3 if partial else 0), len(labels)
    metrics = {"micro": _ner_metric(row, k, None)}
    metrics.update({t: _ner_metric(row, k, i) for i, t in enumerate(labels)})
    return paired_test(counts_a, counts_b, metrics, groups=groups, unit=unit or _unit(groups),
                       n_resamples=n_resamples, seed=seed, level=level)


def _stance_metric(which: int, k: int, f_avg_idx: list[int]) -> Metric:
    def metric(sums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        tp, n_gold, n_pred = sums[:, :k], sums[:, k:2 * k], sums[:, 2 * k:]
        return stance_from_sums(tp, n_gold, n_pred, f_avg_idx)[which], n_gold.sum(1) > 0

    return metric


#: The stance metrics :func:`compare_stance` tests, in :func:`stance_from_sums` order.
STANCE_METRICS = ("accuracy", "macro_f1", "f_avg")


def compare_stance(
    gold: Sequence[str],
    pred_a: Sequence[str],
    pred_b: Sequence[str],
    *,
    labels: Sequence[str] = STANCE_LABELS,
    groups: Sequence[Hashable] | None = None,
    unit: str | None = None,
    n_resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, PairedResult]:
    """Stance labels of ``pred_a`` against ``pred_b``: ``"macro_f1"``, ``"accuracy"``, ``"f_avg"``."""
    g, pa = stance_onehots(gold, pred_a, labels)
    _, pb = stance_onehots(gold, pred_b, labels)
    k, idx = len(labels), f_avg_index(labels)
    metrics = {name: _stance_metric(STANCE_METRICS.index(name), k, idx) for name in ("macro_f1", "accuracy", "f_avg")}
    return paired_test(np.hstack([g * pa, g, pa]), np.hstack([g * pb, g, pb]), metrics, groups=groups,
                       unit=unit or _unit(groups), n_resamples=n_resamples, seed=seed, level=level)


def _accuracy(sums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return ratio(sums[:, 0], sums[:, 1]), sums[:, 1] > 0


def compare_linking(
    gold_ids: Sequence[str | None],
    pred_a: Sequence[str | None],
    pred_b: Sequence[str | None],
    *,
    groups: Sequence[Hashable] | None = None,
    unit: str | None = None,
    n_resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, PairedResult]:
    """Linking accuracy@1 (``"accuracy"``) of two systems' IDs, one per gold mention (``None``: NIL).

    ``groups``: the sentence (or document) of every mention — the scorer's bootstrap unit; without
    it every mention is a unit.
    """
    if not len(gold_ids) == len(pred_a) == len(pred_b):
        raise ValueError(f"{len(gold_ids)} gold mentions, {len(pred_a)} and {len(pred_b)} predicted")
    ones = np.ones(len(gold_ids))
    hits_a = np.array([g == p for g, p in zip(gold_ids, pred_a)], dtype=float)
    hits_b = np.array([g == p for g, p in zip(gold_ids, pred_b)], dtype=float)
    return paired_test(np.column_stack([hits_a, ones]), np.column_stack([hits_b, ones]), {"accuracy": _accuracy},
                       groups=groups, unit=unit or ("mention" if groups is None else "sentence"),
                       n_resamples=n_resamples, seed=seed, level=level)


def _unit(groups: Sequence[Hashable] | None) -> str:
    return "sentence" if groups is None else "document"
