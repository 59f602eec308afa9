"""The paired difference of two systems on a bucket: :mod:`vietlao.evaluation.significance` on the kept units.

NER (and NER + linking): strict micro F1; stance: accuracy; linking: accuracy@1, resampling sentences
(every mention of a drawn sentence with it), as the bucket's own intervals do.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from vietlao.evaluation.significance import (
    PairedResult,
    compare_linking,
    compare_ner,
    compare_stance,
)


def paired_difference(kind: str, gold: Sequence, a: Sequence, b: Sequence, *,
                      groups: Sequence[Hashable] | None = None, n_resamples: int = 1000,
                      seed: int = 0) -> PairedResult | None:
    """System A minus system B on one bucket (``None`` without resamples)."""
    if not n_resamples or not len(gold):
        return None
    if kind == "ner":
        if not any(map(len, [*gold, *a, *b])):  # no entity on any side: F1 is undefined for both
            return None
        return compare_ner(gold, a, b, n_resamples=n_resamples, seed=seed)["micro"]
    if kind == "stance":
        return compare_stance(gold, a, b, n_resamples=n_resamples, seed=seed)["accuracy"]
    return compare_linking(gold, a, b, groups=groups, unit="sentence", n_resamples=n_resamples, seed=seed)["accuracy"]
