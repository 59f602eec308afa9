"""The scorer: agreement with seqeval, metric properties, the id join and its errors, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vietlao.cli import main
from vietlao.errors import UserError
from vietlao.evaluation.evaluate import evaluate, evaluate_records, load_gold, ner_scores, write_predictions
from vietlao.spans import Span

from small_dataset import SENTENCES, gold_rows, make_dataset

# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory) -> Path:
    return make_dataset(tmp_path_factory.mktemp("dataset"))


# --------------------------------------------------------------------------- gold against itself


def test_gold_against_itself_scores_one():
    rows = gold_rows()
    for key in ("ner_tags", "ner_tags_coarse"):
        scores = ner_scores([r[key] for r in rows], [r[key] for r in rows], n_boot=100)
        assert scores["micro"]["f1"] == 1.0 and scores["partial"]["micro"]["f1"] == 1.0
        assert scores["micro"]["ci_low"] == scores["micro"]["ci_high"] == 1.0
    spans = [[Span(e["start"], e["end"], e["label"]) for e in r["entities"]] for r in rows]
    assert ner_scores(spans, spans, n_boot=0)["micro"]["f1"] == 1.0


# --------------------------------------------------------------------------- join and errors


def _tags(rows):
    return [{"id": r["id"], "ner_tags": r["ner_tags"]} for r in rows]


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda recs: recs[1:], "missing ids (1): 000-000"),
        (lambda recs: recs + [{"id": "009-000", "ner_tags": []}], "ids not in the gold split (1): 009-000"),
        (lambda recs: recs + [recs[0]], "duplicate ids (1): 000-000"),
        (lambda recs: [{**recs[0], "ner_tags": recs[0]["ner_tags"][:-1]}] + recs[1:], "000-000: 8 tags for 9 tokens"),
        (lambda recs: [{**recs[0], "ner_tags": ["B-PERSON"] * 9}] + recs[1:], "000-000: unknown tags \"B-PERSON\""),
        (lambda recs: [{"id": recs[0]["id"], "entities": []}] + recs[1:],
         '000-000: "entities" where the file uses "ner_tags" (one form on every line)'),
        (lambda recs: [{**recs[0], "entities": []}] + recs[1:], '000-000: both "ner_tags" and "entities"'),
    ],
)
def test_prediction_errors_name_the_problem(mutate, message):
    rows = gold_rows()
    with pytest.raises(UserError) as err:
        evaluate_records("ner", rows, mutate(_tags(rows)), n_boot=0)
    assert message in str(err.value)


def test_entity_and_stance_errors():
    rows = gold_rows()
    bad_label = [{"id": r["id"], "entities": [{"start": 0, "end": 3, "label": "PERSON"}]} for r in rows]
    with pytest.raises(UserError, match='unknown entity label "PERSON"'):
        evaluate_records("ner", rows, bad_label, n_boot=0)
    outside = [{"id": r["id"], "entities": [{"start": 0, "end": 999, "label": "PER"}]} for r in rows]
    with pytest.raises(UserError, match="outside the sentence"):
        evaluate_records("ner", rows, outside, n_boot=0)
    stance = [{"id": r["id"], "label": "pro"} for r in rows]
    with pytest.raises(UserError, match='label "pro" is not a stance '):
        evaluate_records("stance", rows, stance, n_boot=0)


def test_entities_are_scored_by_character_span_and_coarse_maps_types():
    rows = gold_rows()
    preds = [{"id": r["id"], "entities": [{k: e[k] for k in ("start", "end", "label")} for e in r["entities"]]} for r in rows]
    preds[0]["entities"][0]["end"] -= 1  # "Pham Minh Chin": wrong span
    fine = evaluate_records("ner", rows, preds, n_boot=0)["ner"]
    n_gold = sum(len(r["entities"]) for r in rows)
    assert fine["micro"]["tp"] == n_gold - 1 and fine["partial"]["micro"]["tp"] == n_gold
    coarse = evaluate_records("ner", rows, preds, tagset="coarse", n_boot=0)["ner"]
    assert set(coarse["per_type"]) == {"PER", "ORG", "LOC", "MISC"}
    assert coarse["micro"]["n_gold"] == n_gold - 2  # DATE and MONEY dropped
    # fine tag predictions are chunked, then mapped to coarse types
    tagged = evaluate_records("ner", rows, _tags(rows), tagset="coarse", n_boot=0)["ner"]
    assert tagged["micro"]["f1"] == 1.0 and tagged["per_type"]["LOC"]["n_gold"] == 9


# --------------------------------------------------------------------------- the dataset and the CLI


def test_load_gold_reads_the_dataset_folder(dataset_dir):
    test = load_gold("ner", "test", dataset_dir)
    assert [r["id"] for r in test] == ["000-000", "000-001", "001-000"]
    assert test[0]["ner_tags"][1] == "B-PER" and test[0]["entities"][0]["label"] == "PER"
    assert len(load_gold("stance", "all", dataset_dir)) == len(SENTENCES)
    assert [r["lang"] for r in load_gold("ner", "train,validation", dataset_dir, ["ru"])] == ["ru"]
    with pytest.raises(UserError, match="unknown split"):
        load_gold("ner", "dev", dataset_dir)


def test_cli_writes_scores_and_fails_on_bad_input(dataset_dir, tmp_path, capsys):
    rows = [r for r in gold_rows() if r["split"] == "test"]
    preds = write_predictions(tmp_path / "p.jsonl", _tags(rows))
    out = tmp_path / "scores.json"
    args = ["evaluate", "--task", "ner", "--predictions", str(preds), "--dataset", str(dataset_dir), "--bootstrap", "50"]
    assert main(args + ["--output", str(out)]) == 0
    scores = json.loads(out.read_text())
    assert scores["ner"]["micro"]["f1"] == 1.0 and scores["split"] == "test"
    assert set(scores["ner"]["per_lang"]) == {"nb", "id"} and scores["ner"]["ci_method"]["resamples"] == 50
    assert "micro (strict)" in capsys.readouterr().out
    assert main(args + ["--split", "all"]) == 1
    assert "missing ids (4)" in capsys.readouterr().err
    stance = write_predictions(tmp_path / "s.jsonl", [{"id": r["id"], "label": "favor"} for r in gold_rows()])
    result = evaluate("stance", stance, "all", dataset_dir=dataset_dir, n_boot=20)
    assert result["stance"]["accuracy"]["value"] == pytest.approx(5 / 7)
    assert "note" in result["stance"]["f_avg"]  # no gold "against"


# --------------------------------------------------------------------------- a user's first hour


def _copied_from_dataset(dataset_dir: Path, config: str, split: str, keys: tuple[str, ...]) -> list[dict]:
    """Prediction lines copied from the dataset as ``load_dataset`` returns it (ClassLabel integers)."""
    from datasets import load_dataset

    rows = load_dataset(str(dataset_dir), config)[split]
    out = []
    for r in rows:
        line = {"id": r["id"]}
        for key in keys:
            value = r[key]
            if key == "entities":
                value = [{k: e[k] for k in ("start", "end", "label")} for e in value]
            line[key] = value
        out.append(line)
    return out


@pytest.mark.parametrize("config, key", [("ner", "ner_tags"), ("ner", "entities"), ("stance", "label")])
def test_the_datasets_own_integer_labels_score_as_the_gold(dataset_dir, tmp_path, config, key):
    lines = _copied_from_dataset(dataset_dir, config, "test", (key,))
    first = lines[0][key][0] if key != "label" else lines[0][key]
    assert isinstance(first["label"] if key == "entities" else first, int)  # really the integer form
    path = write_predictions(tmp_path / "p.jsonl", lines)
    result = evaluate(config, path, dataset_dir=dataset_dir, n_boot=0, tagset="fine" if key == "ner_tags" else None)
    score = result["ner"]["micro"]["f1"] if config == "ner" else result["stance"]["accuracy"]["value"]
    assert score == 1.0


# --------------------------------------------------------------------------- no silent wrong score


def test_coarse_integer_tags_decode_with_the_coarse_list_and_need_the_tagset(dataset_dir, tmp_path):
    """Ids copied from ner_tags_coarse: scored as the coarse gold with --tagset coarse, MISC included;
    refused without a --tagset (the fine list would read coarse 5 B-LOC as B-GPE)."""
    lines = [{"id": r["id"], "ner_tags": r["ner_tags_coarse"]} for r in _copied_from_dataset(
        dataset_dir, "ner", "train", ("ner_tags_coarse",))]
    lines += [{"id": r["id"], "ner_tags": r["ner_tags_coarse"]} for split in ("validation", "test")
              for r in _copied_from_dataset(dataset_dir, "ner", split, ("ner_tags_coarse",))]
    path = write_predictions(tmp_path / "coarse.jsonl", lines)
    scores = evaluate("ner", path, "all", tagset="coarse", dataset_dir=dataset_dir, n_boot=0)["ner"]
    assert scores["micro"]["f1"] == 1.0 and scores["per_type"]["MISC"]["n_gold"] > 0
    assert scores["per_type"]["MISC"]["f1"] == 1.0
    with pytest.raises(UserError, match="integer tags on 7 line.* no --tagset: .*--tagset coarse for ids of its ner_tags_coarse"):
        evaluate("ner", path, "all", dataset_dir=dataset_dir, n_boot=0)
    lines[0]["ner_tags"] = [9] * len(lines[0]["ner_tags"])  # does not fit the coarse list (0-8)
    with pytest.raises(UserError, match="unknown tags 9 .*ClassLabel integers 0–8 of ner_tags_coarse, --tagset coarse"):
        evaluate("ner", write_predictions(tmp_path / "c9.jsonl", lines), "all", tagset="coarse",
                 dataset_dir=dataset_dir, n_boot=0)


def test_io_tags_are_refused_unless_scored_as_conlleval():
    rows = gold_rows()
    io = [{"id": r["id"], "ner_tags": ["I" + t[1:] if t != "O" else t for t in r["ner_tags"]]} for r in rows]
    with pytest.raises(UserError, match=r"only I- tags, no B- tag \(IO tagging\?\).*--scheme conlleval"):
        evaluate_records("ner", rows, io, n_boot=0)
    assert evaluate_records("ner", rows, io, n_boot=0, scheme="conlleval")["ner"]["micro"]["recall"] > 0.5


def test_no_dataset_here_names_root_and_dataset(tmp_path):
    with pytest.raises(UserError, match=f"no dataset in {tmp_path}: .*--root DIR .*--dataset DIR"):
        load_gold("ner", "test", tmp_path)


def test_document_bootstrap_over_few_documents_carries_a_note(dataset_dir, tmp_path, capsys):
    path = write_predictions(tmp_path / "s.jsonl", [{"id": r["id"], "label": "favor"} for r in gold_rows()
                                                   if r["split"] == "test"])
    result = evaluate("stance", path, dataset_dir=dataset_dir, n_boot=50, unit="document")
    assert result["notes"] == [result["notes"][0]] and "only 2 document(s)" in result["notes"][0]
    assert "notes" not in evaluate("stance", path, dataset_dir=dataset_dir, n_boot=50)
    assert main(["evaluate", "--task", "stance", "--predictions", str(path), "--dataset", str(dataset_dir),
                 "--unit", "document", "--bootstrap", "50"]) == 0
    assert "note: --unit document: the bootstrap resamples only 2 document(s)" in capsys.readouterr().out


def test_integer_labels_outside_the_classlabel_show_the_mapping():
    rows = gold_rows()
    tags = [{"id": r["id"], "ner_tags": [17] * len(r["tokens"])} for r in rows]
    with pytest.raises(UserError, match="unknown tags 17 .*ClassLabel integers 0–16"):
        evaluate_records("ner", rows, tags, n_boot=0, tagset="fine")
    entities = [{"id": r["id"], "entities": [{"start": 0, "end": 3, "label": 8}]} for r in rows]
    with pytest.raises(UserError, match="unknown entity label 8 .*0=PER, 1=ORG, 2=GPE"):
        evaluate_records("ner", rows, entities, n_boot=0)
    stance = [{"id": r["id"], "label": True} for r in rows]
    with pytest.raises(UserError, match="label true is not a stance .*0=favor, 1=against, 2=neutral, 3=unrelated"):
        evaluate_records("stance", rows, stance, n_boot=0)


@pytest.mark.parametrize(
    "entity, message",
    [
        ({"start": 10, "end": 5, "label": "PER"}, '000-000: entity [10, 5) is reversed: "end" is before "start"'),
        ({"start": 5, "end": 5, "label": "PER"}, "000-000: entity [5, 5) is empty"),
        ({"start": -1, "end": 5, "label": "PER"}, "000-000: entity [-1, 5) outside the sentence (0 to 53)"),
        ({"start": 0, "end": 54, "label": "PER"}, "000-000: entity [0, 54) outside the sentence (0 to 53)"),
        ({"start": "0", "end": 5, "label": "PER"}, '000-000: entity {"start": "0", "end": 5, "label": "PER"} needs integer'),
    ],
)
def test_entity_offsets_get_the_message_that_fits(entity, message):
    rows = gold_rows()
    preds = [{"id": r["id"], "entities": []} for r in rows]
    preds[0]["entities"] = [entity]
    with pytest.raises(UserError) as err:
        evaluate_records("ner", rows, preds, n_boot=0)
    assert message in str(err.value)


def test_a_file_of_the_other_task_or_with_another_key_is_named_as_such():
    rows = gold_rows()
    with pytest.raises(UserError) as err:
        evaluate_records("stance", rows, _tags(rows), n_boot=0, source="ner.jsonl")
    assert str(err.value) == (
        'ner.jsonl: no "label" key on any line (keys seen: id, ner_tags); is this an NER file? '
        "(score it with --task ner)"
    )
    with pytest.raises(UserError, match=r'no "label" key on any line \(keys seen: id, stance\); stance lines look like'):
        evaluate_records("stance", rows, [{"id": r["id"], "stance": "favor"} for r in rows], n_boot=0)
    with pytest.raises(UserError, match=r'no "ner_tags" or "entities" key on any line \(keys seen: id, label\); is this a stance file'):
        evaluate_records("ner", rows, [{"id": r["id"], "label": "favor"} for r in rows], n_boot=0)
    some = [{"id": r["id"], "label": "favor"} for r in rows]
    some[2] = {"id": rows[2]["id"], "stance": "favor"}
    with pytest.raises(UserError, match='001-000: no "label" key'):
        evaluate_records("stance", rows, some, n_boot=0)


def test_every_problem_of_a_file_is_reported_at_once():
    rows = gold_rows()
    preds = _tags(rows)[1:] + [{"id": "999-000", "ner_tags": []}]
    preds[0] = {**preds[0], "ner_tags": preds[0]["ner_tags"][:-1]}
    preds[1] = {**preds[1], "ner_tags": ["B-PERSON"] * len(rows[2]["tokens"])}
    with pytest.raises(UserError) as err:
        evaluate_records("ner", rows, preds, n_boot=0, source="p.jsonl")
    assert str(err.value).splitlines() == [
        "p.jsonl: 4 problem(s):",
        "  missing ids (1): 000-000",
        "  ids not in the gold split (1): 999-000 (another --split or --lang?)",
        "  000-001: 5 tags for 6 tokens",
        '  001-000: unknown tags "B-PERSON" (tags are names such as "B-PER" or the dataset\'s ClassLabel integers 0–16)',
    ]


def test_languages_are_checked_against_the_dataset_and_the_split(dataset_dir):
    with pytest.raises(UserError) as err:
        load_gold("ner", "test", dataset_dir, ["no"])
    assert str(err.value) == "unknown language no in --lang: the dataset has id, nb, ru, vi"
    with pytest.raises(UserError) as err:
        load_gold("ner", "test", dataset_dir, ["vi", "nb"])
    assert str(err.value) == (
        "no vi sentences in split test (vi is in train): choose the split with --split (e.g. --split all)"
    )
    assert {r["lang"] for r in load_gold("ner", "all", dataset_dir, ["vi"])} == {"vi"}


def test_scheme_reaches_the_output(dataset_dir, tmp_path):
    rows = [r for r in gold_rows() if r["split"] == "test"]
    preds = _tags(rows)
    preds[0] = {**preds[0], "ner_tags": ["I-" + t[2:] if t != "O" else t for t in preds[0]["ner_tags"]]}
    path = write_predictions(tmp_path / "p.jsonl", preds)
    strict = evaluate("ner", path, dataset_dir=dataset_dir, n_boot=0)["ner"]
    lenient = evaluate("ner", path, dataset_dir=dataset_dir, n_boot=0, scheme="conlleval")["ner"]
    assert strict["scheme"]["name"] == "iob2" and lenient["scheme"]["name"] == "conlleval"
    assert strict["micro"]["f1"] < 1.0 == lenient["micro"]["f1"]
    coarse = evaluate("ner", path, dataset_dir=dataset_dir, n_boot=0, tagset="coarse", scheme="conlleval")["ner"]
    assert coarse["micro"]["f1"] == 1.0
