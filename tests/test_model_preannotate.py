"""Pre-annotation from trained models: predictions that validate, token-aligned, versioned."""

from __future__ import annotations

import pytest

from vietlao.benchmark.model_preannotate import MODELS, chunks, train, training_digest
from vietlao.corpus.documents import load_corpus
from vietlao.corpus.inventory import load_inventory
from vietlao.corpus.segment import tokenize
from vietlao.errors import UserError
from vietlao.evaluation.evaluate import load_gold
from vietlao.export.rules import model_version_problem
from vietlao.export.task import convert_task
from vietlao.export.validate import gold_context
from vietlao.labelstudio.tasks import sentence_tasks

EVERY = "train,validation,test"


@pytest.fixture(scope="module")
def trained():
    ner, stance = load_gold("ner", EVERY), load_gold("stance", EVERY)
    # trained without document 002, so its sentences are new to the model
    keep = lambda r: r["doc_id"] != "002"  # noqa: E731
    model = train("crf", [r for r in ner if keep(r)], [r for r in stance if keep(r)], load_inventory())
    tasks = [d for d in sentence_tasks(load_corpus()) if d["doc_id"] == "002"]
    return model, tasks


def test_chunks_decode_iob2_and_repair_orphan_continuations():
    assert chunks(["B-PER", "I-PER", "O", "I-GPE", "B-GPE", "I-ORG"]) == [
        ("PER", 0, 2), ("GPE", 3, 4), ("GPE", 4, 5), ("ORG", 5, 6)]


def test_predictions_validate_when_accepted_and_sit_on_tokens(trained):
    model, tasks = trained
    ctx = gold_context()
    made = [(d, model.prediction(d, ctx)) for d in tasks]
    assert sum(p is not None for _, p in made) >= len(tasks) // 2
    regions = 0
    for d, pred in made:
        if pred is None:
            continue
        assert model_version_problem(pred) is None
        record = convert_task({"data": d, "annotations": [{"result": pred["result"]}]}, ctx)
        bounds = {t.start for t in tokenize(d["text"])}, {t.end for t in tokenize(d["text"])}
        for m in record.mentions:
            assert m.start in bounds[0] and m.end in bounds[1]
        assert 0.0 <= pred["score"] <= 1.0
        assert all(0.0 <= item["score"] <= 1.0 for item in pred["result"])
        assert pred["score"] == min(item["score"] for item in pred["result"])
        regions += len(record.mentions)
    assert regions > 0


def test_model_version_names_model_parameters_and_training_data(trained):
    model, _ = trained
    assert model.version.startswith("crf-c1.0.1-c2.0.1-i100+tfidf-char-lr-C1.0-")
    ner, stance = load_gold("ner", EVERY), load_gold("stance", EVERY)
    assert model.version.endswith(training_digest([r for r in ner if r["doc_id"] != "002"],
                                                  [r for r in stance if r["doc_id"] != "002"]))
    assert training_digest(ner, stance) != training_digest(ner[1:], stance)


def test_gazetteer_stays_available_and_unknown_models_are_refused():
    model = train("gazetteer", [], [], load_inventory())
    assert model.version.startswith("gazetteer-") and set(MODELS) >= {"gazetteer", "crf"}
    with pytest.raises(UserError, match="unknown pre-annotation model"):
        train("nope", [], [], load_inventory())
