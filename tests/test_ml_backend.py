"""vietlao.assist.ml_backend: the ML backend's model, trained on the gold and the project's
annotations, retrained on events (debounced), predicting only what validates."""

from __future__ import annotations

import copy
import json
import threading
import time

import pytest

from vietlao.assist.ml_backend import NO_FOLD, Trainer, annotated_records, merged, training_rows
from vietlao.assist.model_preannotate import Preannotator, train, training_digest
from vietlao.corpus.inventory import load_inventory
from vietlao.errors import UserError
from vietlao.evaluation.evaluate import load_gold
from vietlao.export.validate import gold_context, validate_gold
from vietlao.paths import project

EVERY = "train,validation,test"


@pytest.fixture(scope="module")
def gold():
    return load_gold("ner", EVERY), load_gold("stance", EVERY)


@pytest.fixture(scope="module")
def export_tasks():
    return json.loads(project().export.read_text(encoding="utf-8"))


def _fake_train(calls: list | None = None, delay: float = 0.0):
    """A stand-in for ``train``: the gazetteer, versioned by the training data's digest."""
    def fake(name, ner, stance, inventory):
        if calls is not None:
            calls.append(len(ner))
        time.sleep(delay)
        return Preannotator(name, f"fake-{training_digest(ner, stance, inventory)}", inventory)
    return fake


def test_training_rows_of_the_gold_records_are_the_published_gold_rows(gold):
    """The rows the backend derives from validated tasks hash like the dataset's gold rows: a
    project holding exactly the gold trains the model ``vietlao ls push --model`` sends."""
    ner, stance = training_rows(validate_gold())
    assert training_digest(ner, stance) == training_digest(*gold)
    wanted = {r["id"]: r["ner_tags"] for r in gold[0]}
    assert {r["id"]: r["ner_tags"] for r in ner} == wanted
    # one row builder: the backend's rows are the dataset's rows, all but the fold (and the split)
    def unfolded(rows):
        return sorted(({k: v for k, v in r.items() if k not in ("fold", "split")} for r in rows), key=lambda r: r["id"])
    assert unfolded(ner) == unfolded(gold[0]) and unfolded(stance) == unfolded(gold[1])
    assert {r["fold"] for r in ner + stance} == {NO_FOLD}


def test_annotated_records_skip_unannotated_and_name_invalid_tasks(export_tasks):
    tasks = copy.deepcopy(export_tasks[:4])
    tasks[0]["annotations"] = []
    tasks[1]["annotations"] = [{**tasks[1]["annotations"][0], "was_cancelled": True}]
    tasks[2]["annotations"][0]["result"] = [r for r in tasks[2]["annotations"][0]["result"] if r["from_name"] != "stance"]
    records, problems = annotated_records(tasks, gold_context())
    assert [r.task_id for r in records] == [tasks[3]["id"]]
    assert len(problems) == 1 and problems[0].startswith(f"task {tasks[2]['id']}: ") and "stance" in problems[0]


def test_merged_puts_annotations_in_place_of_the_gold_and_adds_new_sentences():
    gold = [{"id": "a", "label": "favor"}, {"id": "b", "label": "neutral"}]
    assert merged(gold, [{"id": "b", "label": "against"}, {"id": "c", "label": "favor"}]) == [
        {"id": "a", "label": "favor"}, {"id": "b", "label": "against"}, {"id": "c", "label": "favor"}]


def _changed_stance(task: dict) -> dict:
    """The task with its annotation's stance set to another class."""
    task = copy.deepcopy(task)
    for region in task["annotations"][0]["result"]:
        if region["from_name"] == "stance":
            region["value"]["choices"] = ["against" if region["value"]["choices"] != ["against"] else "favor"]
    return task


def test_the_version_changes_exactly_when_the_training_data_change(gold, export_tasks):
    project_tasks = copy.deepcopy(export_tasks)
    trainer = Trainer("gazetteer", *gold, load_inventory(), gold_context(), lambda: project_tasks,
                      train_fn=_fake_train())
    trainer.retrain()
    on_gold = trainer.version
    assert on_gold == f"fake-{training_digest(*gold, load_inventory())}"
    trainer.retrain()
    assert trainer.version == on_gold
    project_tasks[5] = _changed_stance(project_tasks[5])
    trainer.retrain()
    assert trainer.version != on_gold and trainer.trained_on == len(gold[0])


def test_the_real_model_trained_on_gold_in_the_project_is_the_push_model(gold, export_tasks):
    trainer = Trainer("crf", *gold, load_inventory(), gold_context(), lambda: export_tasks)
    trainer.retrain()
    assert trainer.version == train("crf", *gold, load_inventory()).version


def test_a_project_that_cannot_be_read_keeps_the_model_and_says_why(gold):
    def unreachable():
        raise UserError("cannot connect to Label Studio at http://127.0.0.1:1")

    trainer = Trainer("gazetteer", *gold, load_inventory(), gold_context(), train_fn=_fake_train())
    trainer.retrain()
    version = trainer.version
    trainer.fetch_tasks = unreachable
    trainer.retrain()
    assert trainer.version == version and "cannot connect" in trainer.last_error


def _wait_idle(trainer: Trainer, limit: float = 30.0) -> None:
    ends = time.monotonic() + limit
    while trainer.busy and time.monotonic() < ends:
        time.sleep(0.02)
    assert not trainer.busy


def test_events_in_a_burst_give_one_retraining(gold):
    calls: list = []
    trainer = Trainer("gazetteer", *gold, load_inventory(), gold_context(), debounce=0.5, train_fn=_fake_train(calls))
    trainer.start()
    try:
        for _ in range(5):
            trainer.schedule()
        assert trainer.busy
        _wait_idle(trainer)
        assert len(calls) == 1
    finally:
        trainer.stop()


def test_an_event_during_a_retraining_gives_another_one_after_it(gold):
    calls: list = []
    started = threading.Event()

    def slow(name, ner, stance, inventory):
        started.set()
        return _fake_train(calls, delay=0.5)(name, ner, stance, inventory)

    trainer = Trainer("gazetteer", *gold, load_inventory(), gold_context(), debounce=0.05, train_fn=slow)
    trainer.start()
    try:
        trainer.schedule()
        assert started.wait(10)
        trainer.schedule()
        _wait_idle(trainer)
        assert len(calls) == 2
    finally:
        trainer.stop()


def test_predictions_only_for_sentence_tasks_and_only_what_validates(gold, export_tasks):
    trainer = Trainer("crf", *gold, load_inventory(), gold_context())
    trainer.retrain()
    good = {"id": 1, "data": export_tasks[0]["data"]}
    not_nfc = {"id": 2, "data": {**export_tasks[0]["data"], "text": export_tasks[0]["data"]["text"] + " e\u0301"}}
    results = trainer.predict([good, {"id": 3}, {"id": 4, "data": {"text": 1}}, not_nfc, "task"])
    assert len(results) == 5
    assert len(results[0]) == 1 and results[0][0]["model_version"] == trainer.version
    assert results[1:] == [[], [], [], []]
    assert trainer.counts["predictions"] == 1


def test_the_inventory_and_corpus_are_reloaded_when_their_files_change(gold):
    state = {"stamp": 1}
    fresh = (gold[0][:3], gold[1][:3], {}, gold_context())
    trainer = Trainer("gazetteer", *gold, load_inventory(), gold_context(), train_fn=_fake_train(),
                      stamp=lambda: state["stamp"], reload=lambda: fresh)
    assert trainer.refresh() is False and trainer.refresh() is False  # the first call records the state
    state["stamp"] = 2
    assert trainer.refresh() is True
    assert (trainer.gold_ner, trainer.gold_stance, trainer.inventory) == fresh[:3]
    assert trainer.refresh() is False
