"""vietlao.models: every registered baseline keeps the contract the benchmark relies on. Trained on the
small test dataset's train split, it gives one prediction per test row that the one scorer accepts
(joined by id, labels from the vocabularies), and a baseline that declares itself unseeded gives the
same predictions for every seed."""

from __future__ import annotations

from pathlib import Path

import pytest

from vietlao.evaluation.evaluate import evaluate_records, load_gold
from vietlao.evaluation.linking import load_context
from vietlao.models.linking_common import knowledge_base
from vietlao.models.interface import available, extra, uses_kb
from vietlao.models.registry import BASELINES

from small_dataset import make_dataset


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory) -> Path:
    return make_dataset(tmp_path_factory.mktemp("dataset"))


@pytest.mark.parametrize("baseline", BASELINES, ids=lambda b: b.NAME)
def test_every_baseline_gives_what_the_scorer_accepts(baseline, dataset_dir):
    if not available(baseline):
        pytest.skip(f"{baseline.NAME} needs the {extra(baseline)!r} extra")
    train, test = load_gold(baseline.TASK, "train", dataset_dir), load_gold(baseline.TASK, "test", dataset_dir)
    assert train and test
    kwargs = {"kb": knowledge_base(dataset_dir)} if uses_kb(baseline) else {}
    runs = [list(baseline.predict(train, test, seed=seed, **kwargs)) for seed in (0, 1)]
    assert [r["id"] for r in runs[0]] == [r["id"] for r in test]
    context = load_context(dataset_dir, "train") if baseline.TASK == "linking" else None
    scores = evaluate_records(baseline.TASK, test, runs[0], n_boot=0, context=context)  # raises on a bad record
    assert scores["task"] == baseline.TASK
    if baseline.TASK in ("ner", "stance"):
        assert scores["n_sentences"] == len(test) and scores[baseline.TASK]["n_sentences"] == len(test)
    if not baseline.SEEDED:
        assert runs[0] == runs[1]
