"""The committed export and a Label Studio project: restore payloads, merging a pull, listing changes."""

import copy
import json

import pytest

from vietlao.errors import UserError
from vietlao.paths import project
from vietlao.labelstudio.restore import changes, load_json, merge_pull, restore_payload, restore_payloads, same_decisions

#: Reads the project's corpus, export or dataset: also run on an extended copy (tests/test_extension.py).
pytestmark = pytest.mark.corpus

GOLD = json.loads(project().export.read_text(encoding="utf-8"))


def _as_server_sends(task, new_id):
    """The task as a restored project exports it: new ids and timestamps, same decisions."""
    t = copy.deepcopy(task)
    t.update(id=new_id, created_at="2030-01-01T00:00:00Z", project=99)
    for a in t["annotations"]:
        a.update(id=new_id * 10, task=new_id, created_at="2030-01-01T00:00:00Z", prediction=None)
        a["result"] = list(reversed(a["result"]))
    return t


def test_a_payload_carries_the_decisions_predictions_and_meta():
    payload = restore_payload(GOLD[0])
    assert payload["data"] == GOLD[0]["data"] and payload["meta"] == GOLD[0]["meta"]
    assert payload["annotations"] == [{k: a[k] for k in ("result", "was_cancelled", "ground_truth")}
                                      for a in GOLD[0]["annotations"]]
    (prediction,) = payload["predictions"]
    assert prediction["model_version"].startswith("gazetteer-") and prediction["result"]


def test_only_tasks_matching_the_corpus_are_restored_in_export_order():
    wanted = [t["data"] for t in reversed(GOLD[:3])]
    drifted = copy.deepcopy(GOLD[1])
    drifted["data"]["text"] += " "
    payloads = restore_payloads([GOLD[2], drifted, GOLD[0]], wanted)
    assert list(payloads) == [GOLD[0]["data"]["sentence_id"], GOLD[2]["data"]["sentence_id"]]


def test_an_unchanged_pull_is_the_committed_export():
    pulled = [_as_server_sends(t, 1000 + i) for i, t in enumerate(reversed(GOLD))]
    assert all(same_decisions(a, b) for a, b in zip(reversed(GOLD), pulled))
    merged = merge_pull(pulled, GOLD)
    assert merged == GOLD and changes(merged, GOLD) == []


def test_a_changed_task_keeps_its_id_and_a_new_one_gets_a_free_id():
    pulled = [_as_server_sends(t, i + 1) for i, t in enumerate(GOLD)]
    stance = next(r for r in pulled[5]["annotations"][0]["result"] if r["from_name"] == "stance")
    stance["value"]["choices"] = ["against"]
    extra = _as_server_sends(GOLD[0], 3)  # a new sentence whose server id the export already uses
    extra["data"] = dict(extra["data"], sentence_id="999-000", doc_id="999")
    merged = merge_pull(pulled + [extra], GOLD)
    by_sentence = {t["data"]["sentence_id"]: t for t in merged}
    sid = GOLD[5]["data"]["sentence_id"]
    assert by_sentence[sid]["id"] == GOLD[5]["id"] and by_sentence[sid]["annotations"][0]["task"] == GOLD[5]["id"]
    assert by_sentence["999-000"]["id"] == max(t["id"] for t in GOLD) + 1
    (line,) = changes(merged, GOLD)
    assert line.startswith(f"{sid}: ") and line.endswith("stance against")


def test_dropped_sentences_are_listed():
    lines = changes(GOLD[1:], GOLD)
    assert lines == [f"{GOLD[0]['data']['sentence_id']}: dropped (was 2 spans, stance favor)"]


@pytest.mark.parametrize("text, message", [("[NaN]", "NaN is not a JSON value"), ("[Infinity]", "Infinity"),
                                           ("[" * 100_000, "nested deeper than 64 levels"), ("[1,", "not valid JSON")])
def test_strict_json(text, message):
    with pytest.raises(UserError, match=message):
        load_json(text, "x")


def test_a_changed_span_is_named_with_what_was_removed_and_added():
    pulled = [_as_server_sends(t, i + 1) for i, t in enumerate(GOLD)]
    task = next(t for t in pulled if any(r["from_name"] == "label" for r in t["annotations"][0]["result"]))
    region = next(r for r in task["annotations"][0]["result"] if r["from_name"] == "label")
    old = dict(region["value"])
    region["value"] = dict(old, end=old["end"] - 1, text=old["text"][:-1])
    (line,) = changes(merge_pull(pulled, GOLD), GOLD)
    sid = task["data"]["sentence_id"]
    label = old["labels"][0]
    assert line.startswith(f"{sid}: - [{old['start']}, {old['end']}) {label} ")
    # the new span is read as validate reads it: off token boundaries, so named with that rule
    assert "; + result[" in line and f"span [{old['start']}, {old['end'] - 1}) {old['text'][:-1]!r} is not on token boundaries" in line
