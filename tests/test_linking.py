"""vietlao.evaluation.linking: the linking and end-to-end scores, hand-computed oracles, NIL,
aliases, and the strict join of ``vietlao evaluate --task linking``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vietlao.cli import main
from vietlao.dataset.linking import SeenRule
from vietlao.errors import UserError
from vietlao.evaluation.evaluate import evaluate, evaluate_records, load_gold, write_predictions
from vietlao.evaluation.linking import KnowledgeBase, LinkingContext, linking_scores, load_context
from vietlao.labels import LINKABLE_TYPES

from small_dataset import ALIAS, make_dataset

@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory) -> Path:

    return make_dataset(tmp_path_factory.mktemp("dataset"))


# --------------------------------------------------------------------------- oracles


def test_accuracy_at_k_macro_nil_and_breakdowns_by_hand():
    gold = ["a", "a", "b", "c", None]
    top = ["a", "b", "b", None, None]
    ranked = [["a", "b"], ["b", "a"], ["b"], [], []]
    s = linking_scores(gold, top, ranked, langs=["nb", "nb", "vi", "vi", "ru"], types=["PER"] * 4 + ["ORG"],
                       seen=[True, True, False, False, False], groups=list("12345"), n_boot=0)
    assert s["accuracy"]["value"] == pytest.approx(3 / 5)  # a, b, NIL=NIL
    assert s["accuracy_at"]["5"]["value"] == pytest.approx(4 / 5)  # + the a ranked second
    assert s["macro_accuracy"]["value"] == pytest.approx((0.5 + 1 + 0 + 1) / 4)  # a, b, c, NIL
    assert s["macro_accuracy"]["n_entities"] == 4
    assert {k: b["accuracy"]["value"] for k, b in s["per_lang"].items()} == {"nb": 0.5, "vi": 0.5, "ru": 1.0}
    assert list(s["per_lang"]) == ["nb", "vi", "ru"]  # the project's language order
    assert s["per_type"]["PER"]["accuracy"]["value"] == 0.5 and s["per_type"]["ORG"]["accuracy"]["n"] == 1
    assert s["seen"]["seen"]["accuracy"]["value"] == 0.5
    assert s["seen"]["unseen"]["accuracy"]["value"] == pytest.approx(2 / 3)
    assert s["nil"] == {"gold": 1, "predicted": 2, "both": 1, "predicted_for_linkable_gold": 1}
    assert s["accuracy"]["ci_low"] is None  # no resamples, no interval


def test_bootstrap_resamples_whole_sentences():
    gold, top = ["a", "b", "a", "b"], ["a", "a", "a", "b"]
    args = dict(langs=["vi"] * 4, types=["PER"] * 4, n_boot=200, seed=3)
    one_sentence = linking_scores(gold, top, [[t] for t in top], groups=["s"] * 4, **args)
    acc = one_sentence["accuracy"]
    assert acc["ci_low"] == acc["ci_high"] == acc["value"] == 0.75  # every resample is that one sentence
    apart = linking_scores(gold, top, [[t] for t in top], groups=list("wxyz"), **args)
    assert apart["accuracy"]["ci_low"] < 0.75 < apart["accuracy"]["ci_high"]
    again = linking_scores(gold, top, [[t] for t in top], groups=list("wxyz"), **args)
    assert again == apart


def _context(rows, rule=None):
    return LinkingContext(KnowledgeBase(frozenset({"a", "b"}), {"old_a": "a"}), tuple(rows), rule)


ROWS = [  # linking rows: two documents, two languages
    {"id": "000-000:0-1", "sentence_id": "000-000", "doc_id": "000", "lang": "nb", "type": "PER",
     "entity_id": "a", "split": "test"},
    {"id": "000-000:2-3", "sentence_id": "000-000", "doc_id": "000", "lang": "nb", "type": "PER",
     "entity_id": "b", "split": "test"},
    {"id": "002-000:0-1", "sentence_id": "002-000", "doc_id": "002", "lang": "vi", "type": "PER",
     "entity_id": "a", "split": "train"},
]


def test_aliases_map_to_the_current_id_and_nil_is_null():
    gold = ROWS[:2]
    preds = [{"id": "000-000:0-1", "entity_id": "old_a", "candidates": ["old_a", "b"]},
             {"id": "000-000:2-3", "entity_id": None, "candidates": ["a", "b"]}]
    out = evaluate_records("linking", gold, preds, n_boot=0, context=_context(ROWS))["linking"]
    assert out["accuracy"]["value"] == 0.5  # the alias is right; NIL is wrong for a gold entity
    assert out["accuracy_at"]["5"]["value"] == 1.0  # a NIL line's ranked candidates still count for @k
    assert out["nil"]["predicted"] == 1
    assert out["seen_rule"] == "train,validation"  # scoring test: the other splits trained
    assert out["seen"]["seen"]["accuracy"]["n"] == 1  # a is linked in train, b is not


@pytest.mark.parametrize("pred, message", [
    ({"entity_id": "zzz"}, "unknown entity id 'zzz'"),
    ({}, 'no "entity_id" (use null for NIL)'),
    ({"entity_id": "a", "candidates": ["b", "a"]}, "\"candidates\" must start with \"entity_id\" 'a'"),
    ({"entity_id": "a", "candidates": ["a", "old_a"]}, "\"candidates\" names an entity twice (after mapping aliases)"),
    ({"entity_id": "a", "candidates": "a"}, "\"candidates\" must be a list"),
    ({"entity_id": None, "candidates": [None]}, "\"candidates\" holds null"),
])
def test_bad_predictions_name_the_mention_and_the_problem(pred, message):
    preds = [{"id": "000-000:0-1", **pred}, {"id": "000-000:2-3", "entity_id": "b"}]
    with pytest.raises(UserError) as err:
        evaluate_records("linking", ROWS[:2], preds, n_boot=0, context=_context(ROWS), source="p.jsonl")
    assert str(err.value).startswith("p.jsonl: 1 problem(s):") and f"000-000:0-1: {message}" in str(err.value)


def test_the_join_is_as_strict_as_for_the_other_tasks():
    preds = [{"id": "000-000:0-1", "entity_id": "a"}, {"id": "000-000:0-1", "entity_id": "a"},
             {"id": "000-000:9-9", "entity_id": "a"}]
    with pytest.raises(UserError) as err:
        evaluate_records("linking", ROWS[:2], preds, n_boot=0, context=_context(ROWS))
    text = str(err.value)
    assert "duplicate ids (1): 000-000:0-1" in text and "missing ids (1): 000-000:2-3" in text
    assert "ids not in the gold split (1): 000-000:9-9" in text


def test_seen_rules():
    assert str(SeenRule.parse("train,validation")) == "train,validation"
    assert SeenRule.parse("other-documents").kind == "documents" and SeenRule.parse("lang:vi").value == ("vi",)
    with pytest.raises(ValueError, match="unknown seen rule 'dev'"):
        SeenRule.parse("dev")
    from vietlao.dataset.linking import seen_flags

    assert seen_flags(SeenRule.parse("other-documents"), ROWS, ROWS) == [True, False, True]  # own doc not counted
    assert seen_flags(SeenRule.parse("lang:vi"), ROWS, ROWS) == [True, False, True]
    assert seen_flags(SeenRule.parse("train"), ROWS, ROWS) == [True, False, True]


# --------------------------------------------------------------------------- end to end


def test_end_to_end_needs_span_type_and_id(dataset_dir):
    gold = load_gold("ner+linking", "test", dataset_dir)
    context = load_context(dataset_dir)
    preds = []
    for r in gold:  # every gold entity, then: one id wrong, one id an alias, one NIL
        ents = [{k: e[k] for k in ("start", "end", "label", "entity_id")} for e in r["entities"]]
        preds.append({"id": r["id"], "entities": ents})
    linkable = [e for p in preds for e in p["entities"] if e["label"] in LINKABLE_TYPES]
    linkable[0]["entity_id"] = "org"  # wrong id (right span and type)
    gpe = next(e for e in linkable if e["entity_id"] == ALIAS[0])
    gpe["entity_id"] = ALIAS[1]  # former id: still right
    linkable[-1]["entity_id"] = None  # NIL: never right
    out = evaluate_records("ner+linking", gold, preds, n_boot=0, context=context)
    n = len(linkable)
    micro = out["end_to_end"]["micro"]
    assert (micro["tp"], micro["n_pred"], micro["n_gold"]) == (n - 2, n, n)
    assert out["ner_linkable"]["micro"]["f1"] == 1.0  # spans and types are all right
    assert sum(b["tp"] for b in out["end_to_end"]["per_type"].values()) == n - 2
    del preds[0]["entities"][0]["entity_id"]
    with pytest.raises(UserError, match='has no "entity_id"'):
        evaluate_records("ner+linking", gold, preds, n_boot=0, context=context)


# --------------------------------------------------------------------------- the command


def test_cli_scores_a_file_and_fails_with_one_line(dataset_dir, tmp_path, capsys):
    gold = load_gold("linking", "test", dataset_dir)
    path = write_predictions(tmp_path / "p.jsonl", [{"id": g["id"], "entity_id": g["entity_id"]} for g in gold])
    out = tmp_path / "scores.json"
    args = ["evaluate", "--task", "linking", "--predictions", str(path), "--dataset", str(dataset_dir),
            "--bootstrap", "20", "--output", str(out)]
    assert main(args) == 0
    scores = json.loads(out.read_text())
    assert scores["linking"]["accuracy"]["value"] == 1.0 and scores["n_mentions"] == len(gold)
    assert "accuracy@1" in capsys.readouterr().out
    assert evaluate("linking", path, dataset_dir=dataset_dir, n_boot=20) == {k: v for k, v in scores.items()}
    path.write_text(path.read_text().replace(gold[0]["entity_id"], "nobody", 1))
    assert main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("vietlao: error: ") and f"{gold[0]['id']}: unknown entity id 'nobody'" in err[-1]
    assert main(args[:-2] + ["--seen-in", "dev"]) == 1
    assert "--seen-in: unknown seen rule 'dev'" in capsys.readouterr().err


def test_an_id_in_another_case_or_misspelt_gets_a_suggestion():
    kb = KnowledgeBase(frozenset({"vietnam", "laos"}), {})
    with pytest.raises(ValueError, match="unknown entity id 'Vietnam' \\(did you mean 'vietnam'\\?\\)"):
        kb.resolve("Vietnam")
    with pytest.raises(ValueError, match="did you mean 'laos'"):
        kb.resolve("lao")
    with pytest.raises(ValueError, match=r"unknown entity id 'zzz'$"):
        kb.resolve("zzz")


def test_a_file_of_another_task_is_named(dataset_dir, tmp_path, capsys):
    gold = load_gold("ner", "test", dataset_dir)
    path = write_predictions(tmp_path / "ner.jsonl", [{"id": g["id"], "ner_tags": g["ner_tags"]} for g in gold])
    assert main(["evaluate", "--task", "linking", "--predictions", str(path), "--dataset", str(dataset_dir)]) == 1
    err = capsys.readouterr().err
    assert 'no "entity_id" key on any line (keys seen: id, ner_tags): an NER file (score it with --task ner' in err
    assert "another --split" not in err


def test_end_to_end_rows_say_they_are_end_to_end(dataset_dir, tmp_path, capsys):
    gold = load_gold("ner+linking", "test", dataset_dir)
    preds = [{"id": r["id"], "entities": [{k: e[k] for k in ("start", "end", "label", "entity_id")}
                                          for e in r["entities"]]} for r in gold]
    path = write_predictions(tmp_path / "e2e.jsonl", preds)
    assert main(["evaluate", "--task", "ner+linking", "--predictions", str(path), "--dataset", str(dataset_dir),
                 "--bootstrap", "0"]) == 0
    lines = capsys.readouterr().out.splitlines()
    typed = [x for x in lines if x.startswith("  ") and not x.startswith("   ")]
    assert typed and all(x.startswith("  e2e ") for x in typed)


def test_seen_in_default_follows_the_split_asked_not_the_language(dataset_dir):
    """--split all: other documents, whatever --lang keeps (as benchmarks/README says)."""
    from vietlao.evaluation.evaluate import parse_splits

    assert str(load_context(dataset_dir, None, parse_splits("all")).rule) == "other-documents"
    assert str(load_context(dataset_dir, None, parse_splits("test")).rule) == "train,validation"
