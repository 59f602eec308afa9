"""Pre-annotation from trained models: predictions that validate, token-aligned, versioned."""

from __future__ import annotations

import pytest

from vietlao import label_config as lc
from vietlao.assist.model_preannotate import MODELS, chunks, train, training_digest, version_of
from vietlao.corpus.documents import load_corpus
from vietlao.corpus.inventory import load_inventory
from vietlao.corpus.segment import tokenize
from vietlao.errors import UserError
from vietlao.evaluation.evaluate import load_gold
from vietlao.export.rules import model_version_problem
from vietlao.export.task import convert_task
from vietlao.export.validate import gold_context
from vietlao.labelstudio.tasks import sentence_tasks

#: Reads the project's corpus, export or dataset: also run on an extended copy (tests/test_extension.py).
pytestmark = pytest.mark.corpus

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
        assert not any(item["from_name"] == lc.STANCE for item in pred["result"])  # never pre-selected
        (note,) = [item for item in pred["result"] if item["from_name"] == lc.STANCE_SUGGESTION]
        assert note["readonly"] and model.version in note["value"]["text"][0]
        stance, _ = model.stance_of(d["text"])
        record = convert_task({"data": d, "annotations": [{"result": pred["result"] + [lc.stance_item(stance)]}]}, ctx)
        assert record.stance == stance  # the note is skipped, the annotator's pick is read
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
    inventory = load_inventory()
    assert model.version.endswith(training_digest([r for r in ner if r["doc_id"] != "002"],
                                                  [r for r in stance if r["doc_id"] != "002"], inventory))
    assert training_digest(ner, stance, inventory) != training_digest(ner[1:], stance, inventory)
    assert training_digest(ner, stance, inventory) != training_digest(ner, stance, {})
    # the version is known without training (push needs it before it knows whether to predict)
    rest = [r for r in ner if r["doc_id"] != "002"], [r for r in stance if r["doc_id"] != "002"]
    assert version_of("crf", *rest, inventory) == model.version


def test_gazetteer_stays_available_and_unknown_models_are_refused():
    model = train("gazetteer", [], [], load_inventory())
    assert model.version.startswith("gazetteer-") and set(MODELS) >= {"gazetteer", "crf"}
    with pytest.raises(UserError, match="unknown pre-annotation model"):
        train("nope", [], [], load_inventory())


@pytest.mark.server
def test_push_sends_trained_predictions_that_validate_when_accepted(tmp_path, ls_venv):
    """A real Label Studio: push document 003 with the trained model's predictions, re-push with a
    newer version (unannotated tasks updated, no duplicates), accept them as annotations, pull, validate."""
    import secrets

    from vietlao.export.reader import read_export
    from vietlao.labelstudio.client import Client
    from vietlao.labelstudio.commands import pull, push
    from vietlao.labelstudio.server import free_port, start_server

    ner, stance = load_gold("ner", EVERY), load_gold("stance", EVERY)
    model = train("gazetteer+crf", ner, stance, load_inventory())
    ctx = gold_context()
    docs = [d for d in load_corpus() if d.doc_id == "003"]
    n = len(docs[0].sentences)
    token = secrets.token_hex(20)
    handle = start_server(free_port(), tmp_path / "ls-data", token)
    try:
        client = Client(handle.url, token, timeout=60, attempts=3, backoff=0.5)
        title = "vietlao-model-preannotate"

        def predictor(version):
            def predict(d):
                pred = model.prediction(d, ctx)
                return pred and {**pred, "model_version": version}
            return predict

        first = push(client, title, model_version=model.version, documents=docs, restore=False, predictor=predictor(model.version))
        assert first["new"] == n
        tasks = client.tasks(first["project_id"])
        assert all([p["model_version"] for p in t["predictions"]] == [model.version] for t in tasks)
        again = push(client, title, model_version=model.version, documents=docs, restore=False, predictor=predictor(model.version))
        assert again["new"] == 0 and again["repredicted"] == 0
        annotated = sorted(tasks, key=lambda t: t["data"]["sentence_id"])[0]
        def accept(t):  # the prediction, with the suggested stance picked by the annotator
            picked = lc.stance_item(model.stance_of(t["data"]["text"])[0])
            return client.annotate(t, t["predictions"][0]["result"] + [picked], replace=False)

        assert accept(annotated) == "created"
        newer = push(client, title, model_version="newer-1", documents=docs, restore=False, predictor=predictor("newer-1"))
        assert newer["repredicted"] == n - 1 and newer["tasks"] == n
        for t in client.tasks(first["project_id"]):
            versions = [p["model_version"] for p in t["predictions"]]
            assert versions == ([model.version] if t["id"] == annotated["id"] else ["newer-1"])
            if t["id"] != annotated["id"]:
                assert accept(t) == "created"
        out = tmp_path / "export.json"
        pull(client, out, title, validate=False)
        records = read_export(out, ctx)
        assert len(records) == n
        expected = {d["sentence_id"]: model.prediction(d, ctx) for d in sentence_tasks(docs)}
        for r in records:
            spans = sorted((m.start, m.end, m.label, m.entity_id) for m in r.mentions)
            data = next(d for d in sentence_tasks(docs) if d["sentence_id"] == r.sentence_id)
            result = expected[r.sentence_id]["result"] + [lc.stance_item(model.stance_of(data["text"])[0])]
            accepted = convert_task({"data": data, "annotations": [{"result": result}]}, ctx)
            assert spans == sorted((m.start, m.end, m.label, m.entity_id) for m in accepted.mentions)
            assert r.stance == accepted.stance
    finally:
        handle.stop()
