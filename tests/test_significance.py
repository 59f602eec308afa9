"""Paired significance: the tests find a known large difference, find none between identical systems,
keep their false-positive rate near the level under the null, and are reproducible from the seed."""

from __future__ import annotations

import numpy as np
import pytest

from vietlao.evaluation.scoring import ner_scores, stance_scores
from vietlao.evaluation.significance import (
    PairedResult, compare_linking, compare_ner, compare_stance, paired_test,
)

GOLD_TAGS = [["B-PER", "I-PER", "O", "B-GPE"] if i % 3 else ["O", "B-ORG", "O", "O"] for i in range(60)]
NOTHING = [["O"] * 4 for _ in range(60)]


def _stance(n: int = 80, seed: int = 0):
    rng = np.random.default_rng(seed)
    labels = ("favor", "against", "neutral", "unrelated")
    gold = [labels[i] for i in rng.integers(0, 4, size=n)]
    return gold


def test_a_large_ner_difference_is_found():
    r = compare_ner(GOLD_TAGS, GOLD_TAGS, NOTHING, n_resamples=500)
    micro = r["micro"]
    assert (micro.value_a, micro.value_b, micro.difference) == (1.0, 0.0, 1.0)
    assert micro.p_bootstrap < 0.01 and micro.p_randomization < 0.01
    assert micro.ci_low > 0 and micro.significant()
    assert set(r) == {"micro", "GPE", "ORG", "PER"} and all(x.significant() for x in r.values())


def test_identical_systems_differ_in_nothing():
    half = [g if i % 2 else ["O"] * 4 for i, g in enumerate(GOLD_TAGS)]
    for r in compare_ner(GOLD_TAGS, half, half, n_resamples=300).values():
        assert r.difference == 0 and r.p_bootstrap == 1.0 and r.p_randomization == 1.0
        assert r.ci_low <= 0 <= r.ci_high and not r.significant()
    gold = _stance()
    for r in compare_stance(gold, ["neutral"] * len(gold), ["neutral"] * len(gold), n_resamples=300).values():
        assert (r.difference, r.p_bootstrap, r.p_randomization) == (0.0, 1.0, 1.0)
        assert r.ci_low <= 0 <= r.ci_high


def test_a_difference_of_one_sentence_is_not_significant():
    b = [g if i else ["O"] * 4 for i, g in enumerate(GOLD_TAGS)]
    r = compare_ner(GOLD_TAGS, GOLD_TAGS, b, n_resamples=500)["micro"]
    assert 0 < r.difference < 0.05
    assert r.p_randomization > 0.05 and r.p_bootstrap > 0.05 and not r.significant()
    assert r.ci_low <= 0 <= r.ci_high or r.ci_low < 0.05


def test_a_large_stance_difference_is_found():
    gold = _stance()
    r = compare_stance(gold, gold, ["neutral"] * len(gold), n_resamples=500)
    assert r["macro_f1"].value_a == 1.0 and r["macro_f1"].significant()
    assert r["accuracy"].value_b == pytest.approx(stance_scores(gold, ["neutral"] * len(gold), n_boot=0)["accuracy"]["value"])
    assert r["accuracy"].significant() and r["macro_f1"].ci_low > 0.5


def test_false_positives_stay_near_the_level_under_the_null():
    """Two systems with the same error rate and independent errors: few p-values below 0.05."""
    gold = _stance(60, seed=1)
    rng = np.random.default_rng(7)
    labels = ("favor", "against", "neutral", "unrelated")

    def noisy():
        return [g if rng.random() < 0.6 else labels[rng.integers(4)] for g in gold]

    rejected = [compare_stance(gold, noisy(), noisy(), n_resamples=200, seed=s)["accuracy"] for s in range(60)]
    assert sum(r.p_randomization < 0.05 for r in rejected) <= 8  # 3 expected at the 5% level
    assert sum(r.p_bootstrap < 0.05 for r in rejected) <= 8


def test_the_seed_reproduces_the_result_and_is_recorded():
    gold = _stance(50)
    a = [g if i % 4 else "neutral" for i, g in enumerate(gold)]
    b = [g if i % 3 else "neutral" for i, g in enumerate(gold)]
    one = compare_stance(gold, a, b, n_resamples=300, seed=5)["macro_f1"]
    assert one == compare_stance(gold, a, b, n_resamples=300, seed=5)["macro_f1"]
    other = compare_stance(gold, a, b, n_resamples=300, seed=6)["macro_f1"]
    assert (one.seed, one.n_resamples, other.seed) == (5, 300, 6)
    assert (one.ci_low, one.ci_high, one.p_bootstrap) != (other.ci_low, other.ci_high, other.p_bootstrap)
    assert one.difference == other.difference


def test_swapping_the_systems_negates_the_difference():
    gold = _stance(50)
    a = [g if i % 4 else "neutral" for i, g in enumerate(gold)]
    b = ["neutral"] * 50
    ab, ba = compare_stance(gold, a, b)["macro_f1"], compare_stance(gold, b, a)["macro_f1"]
    assert ab.difference == -ba.difference
    assert (ab.p_bootstrap, ab.p_randomization) == pytest.approx((ba.p_bootstrap, ba.p_randomization))
    assert (ab.ci_low, ab.ci_high) == pytest.approx((-ba.ci_high, -ba.ci_low))


@pytest.mark.parametrize("groups", [None, [f"doc{i % 7}" for i in range(60)]])
def test_the_draws_are_the_scorers(groups):
    """Against a system with F1 0 in every resample, the difference's CI is the scorer's CI of A."""
    half = [g if i % 2 else ["O"] * 4 for i, g in enumerate(GOLD_TAGS)]
    r = compare_ner(GOLD_TAGS, half, NOTHING, groups=groups, n_resamples=400, seed=3)["micro"]
    scored = ner_scores(GOLD_TAGS, half, groups=groups, n_boot=400, seed=3)["micro"]
    assert (r.ci_low, r.ci_high) == pytest.approx((scored["ci_low"], scored["ci_high"]))
    assert (r.n_units, r.unit) == ((60, "sentence") if groups is None else (7, "document"))


def test_linking_accuracy_and_its_units():
    gold = [f"e{i % 5}" for i in range(90)]
    sentences = [f"s{i // 3}" for i in range(90)]
    r = compare_linking(gold, gold, [None] * 90, groups=sentences, n_resamples=300)["accuracy"]
    assert (r.difference, r.n_units, r.unit) == (1.0, 30, "sentence") and r.significant()
    same = compare_linking(gold, gold, list(gold), groups=sentences)["accuracy"]
    assert (same.p_bootstrap, same.p_randomization) == (1.0, 1.0)


def test_any_metric_of_summed_statistics():
    rng = np.random.default_rng(0)
    hits_a, hits_b = rng.random(100) < 0.9, rng.random(100) < 0.3

    def mean(sums):
        return sums[:, 0] / 100, np.ones(len(sums), bool)  # every resample holds 100 units

    out = paired_test(hits_a[:, None], hits_b[:, None], {"share": mean}, n_resamples=200)
    assert isinstance(out["share"], PairedResult) and out["share"].significant()
    assert out["share"].to_dict()["metric"] == "share" and "bootstrap" in out["share"].method
    with pytest.raises(ValueError):
        paired_test(hits_a[:, None], hits_b[:50, None], {"share": mean})


def test_the_module_example_runs():
    import doctest

    from vietlao.evaluation import significance

    assert doctest.testmod(significance).failed == 0
