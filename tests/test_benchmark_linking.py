"""vietlao.benchmark.linking and the linking baselines: the seen rule of each protocol is what its
folds train on, the baselines' knowledge base has no gold forms, and each baseline links as documented."""

from __future__ import annotations

import pytest

from vietlao.benchmark.linking import linking_table, seen_in
from vietlao.models.linking_common import KB_FIELDS, knowledge_base
from vietlao.models.registry import select_baselines as load_baselines
from vietlao.benchmark.protocols import protocols
from vietlao.dataset.linking import SeenRule, seen_flags
from vietlao.evaluation.evaluate import load_gold


@pytest.fixture(scope="module")
def baselines():
    return {m.NAME: m for m in load_baselines() if m.TASK == "linking"}


def test_seen_rule_of_each_protocol_is_what_its_folds_train_on():
    rows = load_gold("linking", "all")
    for protocol in protocols(rows):
        by_fold = {}
        for train, test in protocol.folds:
            trained = {r["entity_id"] for r in rows if train(r)}
            by_fold.update({r["id"]: r["entity_id"] in trained for r in rows if test(r)})
        gold = protocol.gold(rows)
        expected = [by_fold[g["id"]] for g in gold]
        assert seen_flags(SeenRule.parse(seen_in(protocol.name)), gold, rows) == expected, protocol.name
        assert 0 < sum(expected) < len(expected), protocol.name  # both kinds occur under every protocol


def test_the_baselines_knowledge_base_has_no_gold_forms():
    kb = knowledge_base()
    assert kb and all(tuple(e) == KB_FIELDS for e in kb)


def test_normalise_folds_case_diacritics_and_cyrillic(baselines):
    from vietlao.models import linking_common as common
    assert common.normalise("То Лам") == common.normalise("Tô Lâm") == common.normalise("TO LAM") == "to lam"
    assert common.normalise("Đảng Cộng sản") == "dang cong san"
    assert common.normalise("Vietnam–Laos") == common.normalise("Vietnam - Laos") == "vietnam laos"


KB = [{"entity_id": "laos", "type": "GPE", "name": "Laos"}, {"entity_id": "vietnam", "type": "GPE", "name": "Vietnam"},
      {"entity_id": "to_lam", "type": "PER", "name": "Tô Lâm"}]


def _row(i: int, mention: str, type_: str, entity_id: str | None = None) -> dict:
    return {"id": f"x:{i}", "mention": mention, "type": type_, "entity_id": entity_id}


def test_exact_lookup_takes_the_majority_and_says_nil_for_an_unseen_form(baselines):
    train = [_row(0, "Lào", "GPE", "laos"), _row(1, "Lào", "GPE", "laos"), _row(2, "Lào", "GPE", "vietnam")]
    out = baselines["exact-lookup"].predict(train, [_row(3, "Lào", "GPE"), _row(4, "Laos", "GPE")], kb=KB)
    assert out == [{"id": "x:3", "entity_id": "laos", "candidates": ["laos", "vietnam"]},
                   {"id": "x:4", "entity_id": None, "candidates": []}]


def test_normalised_lookup_matches_across_scripts_within_the_type(baselines):
    test = [_row(0, "То Лам", "PER"), _row(1, "LAOS", "GPE"), _row(2, "Лаоса", "GPE")]
    out = baselines["normalised-lookup"].predict([], test, kb=KB)
    assert [o["entity_id"] for o in out] == ["to_lam", "laos", None]  # the genitive is no exact key
    assert out[2]["candidates"][0] == "laos"  # but the closest by characters
    assert out[0]["candidates"] == ["to_lam"]  # the only PER


def test_encoder_links_a_transliterated_inflected_form(baselines):
    test = [_row(0, "Лаоса", "GPE"), _row(1, "Việt Nam", "GPE")]
    out = baselines["e5-nn"].predict([], test, kb=KB)
    assert [o["entity_id"] for o in out] == ["laos", "vietnam"]
    train = [_row(5, "Lào", "GPE", "laos")]
    plus = baselines["e5-nn+train"].predict(train, [_row(2, "Lào", "GPE")], kb=KB)
    assert plus[0]["entity_id"] == "laos" and plus[0]["candidates"] == ["laos", "vietnam"]


def test_linking_table_has_a_row_per_result_with_intervals():
    block = {"value": 0.5, "ci_low": 0.25, "ci_high": 0.75}
    row = {"task": "linking", "baseline": "b", "protocol": "lodo", "setting": "s", "n_mentions": 4,
           "metrics": {"accuracy": block, "accuracy_seen": block, "accuracy_unseen": block,
                       "accuracy_at_5": block, "macro_accuracy": block},
           "per_lang": {"vi": {**block, "n": 4}}, "n_seen": 2, "n_unseen": 2, "nil": {"predicted": 1}}
    table = linking_table({"rows": [row, {"task": "ner"}]}, ("fixed", "lodo"))
    lines = table.splitlines()
    assert len(lines) == 3 and "acc@1 vi" in lines[0]
    assert lines[2].startswith("| b | lodo | s | 4 | 0.500 [0.25, 0.75] | 0.500 [0.25, 0.75] (n=4) |")
    assert linking_table({"rows": []}, ()) == ""
