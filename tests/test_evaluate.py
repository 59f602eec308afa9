"""The scorer: agreement with seqeval, metric properties, the id join and its errors, the CLI."""

from __future__ import annotations

import json
import random
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.metrics import classification_report, f1_score, precision_score, recall_score
from seqeval.scheme import IOB2
from sklearn.metrics import confusion_matrix
from sklearn.metrics import f1_score as sk_f1

from vietlao.cli import main
from vietlao.errors import UserError
from vietlao.evaluation.evaluate import evaluate, evaluate_records, load_gold, ner_scores, stance_scores, write_predictions
from vietlao.labels import COARSE_OF, ENTITY_TYPES, NER_TAGS, NER_TAGS_COARSE, STANCE_LABELS
from vietlao.evaluation.scoring import bootstrap_weights
from vietlao.corpus.segment import tokenize
from vietlao.spans import Span, spans_to_tags

TYPES = ("PER", "ORG", "LOC")
TAGS = ["O"] + [f"{p}-{t}" for t in TYPES for p in "BI"]


# --------------------------------------------------------------------------- fixtures

SENTENCES = [  # id, lang, text, [(surface, label)], stance
    ("000-000", "nb", "Statsminister Pham Minh Chinh besøkte Laos i januar .", [("Pham Minh Chinh", "PER"), ("Laos", "GPE"), ("januar", "DATE")], "favor"),
    ("000-001", "nb", "Vietnam og Laos signerte avtaler .", [("Vietnam", "GPE"), ("Laos", "GPE")], "favor"),
    ("001-000", "id", "Presiden Joko Widodo tidak hadir di Vientiane .", [("Joko Widodo", "PER"), ("Vientiane", "GPE")], "unrelated"),
    ("002-000", "vi", "Tô Lâm gặp Thongloun Sisoulith tại Hà Nội .", [("Tô Lâm", "PER"), ("Thongloun Sisoulith", "PER"), ("Hà Nội", "GPE")], "favor"),
    ("002-001", "vi", "Đảng Cộng sản Việt Nam chúc mừng .", [("Đảng Cộng sản Việt Nam", "ORG")], "neutral"),
    ("003-000", "ru", "Вьетнам и Лаос подписали соглашение на 5 млн долларов .", [("Вьетнам", "GPE"), ("Лаос", "GPE"), ("5 млн долларов", "MONEY")], "favor"),
    ("004-000", "vi", "Lào và Việt Nam tổ chức Năm Đoàn kết .", [("Lào", "GPE"), ("Việt Nam", "GPE"), ("Năm Đoàn kết", "EVENT")], "favor"),
]
SPLIT_OF_DOC = {"000": "test", "001": "test", "002": "train", "003": "validation", "004": "train"}


def _spans(text: str, mentions) -> list[Span]:
    out, pos = [], 0
    for surface, label in mentions:
        start = text.index(surface, pos)
        out.append(Span(start, start + len(surface), label))
        pos = start + len(surface)
    return out


def gold_rows() -> list[dict]:
    """Gold rows as ``load_gold`` returns them (labels as strings)."""
    rows = []
    for sid, lang, text, mentions, stance in SENTENCES:
        toks = tokenize(text)
        offsets = [(t.start, t.end) for t in toks]
        spans = _spans(text, mentions)
        coarse = [Span(s.start, s.end, COARSE_OF[s.label]) for s in spans if COARSE_OF[s.label]]
        doc = sid[:3]
        rows.append({
            "id": sid, "doc_id": doc, "lang": lang, "text": text, "target": "Vietnam–Laos relations",
            "tokens": [t.text for t in toks], "token_offsets": [list(o) for o in offsets],
            "ner_tags": spans_to_tags(offsets, spans), "ner_tags_coarse": spans_to_tags(offsets, coarse),
            "entities": [{"start": s.start, "end": s.end, "label": s.label, "text": text[s.start:s.end],
                          "entity_id": s.label.lower()} for s in spans],
            "label": stance, "fold": int(doc), "split": SPLIT_OF_DOC[doc],
        })
    return rows


def make_dataset(directory: Path) -> Path:
    """A small dataset folder laid out like the real one, written with the build's own features."""
    from vietlao.dataset.rows import ARROW_SCHEMAS, write_rows

    def encode(row: dict, config: str) -> dict:
        if config == "stance":
            keys = ("id", "doc_id", "lang", "target", "text", "label", "fold")
            return {**{k: row[k] for k in keys}, "label": STANCE_LABELS.index(row["label"])}
        keys = ("id", "doc_id", "lang", "text", "tokens", "token_offsets", "fold")
        return {
            **{k: row[k] for k in keys},
            "ner_tags": [NER_TAGS.index(t) for t in row["ner_tags"]],
            "ner_tags_coarse": [NER_TAGS_COARSE.index(t) for t in row["ner_tags_coarse"]],
            "entities": [{**e, "label": ENTITY_TYPES.index(e["label"])} for e in row["entities"]],
        }

    lines = ["---", "configs:"]
    for config in ("ner", "stance"):
        lines += [f"- config_name: {config}", "  data_files:"]
        for split in ("train", "validation", "test"):
            rows = [encode(r, config) for r in gold_rows() if r["split"] == split]
            write_rows(rows, directory / "data" / config / f"{split}.arrow", ARROW_SCHEMAS[config])
            lines += [f"  - split: {split}", f"    path: data/{config}/{split}.arrow"]
    from test_linking import linking_configs

    lines += linking_configs(gold_rows(), directory)
    (directory / "README.md").write_text("\n".join(lines + ["---", ""]), encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory) -> Path:
    return make_dataset(tmp_path_factory.mktemp("dataset"))


def random_tags(rng: random.Random, n: int) -> list[str]:
    return [rng.choice(TAGS) if rng.random() < 0.6 else "O" for _ in range(n)]


# --------------------------------------------------------------------------- seqeval as reference


def test_strict_scores_agree_with_seqeval_on_random_prediction_sets():
    rng = random.Random(20240601)
    for _ in range(300):
        lengths = [rng.randint(1, 12) for _ in range(rng.randint(1, 8))]
        gold = [random_tags(rng, n) for n in lengths]
        pred = [random_tags(rng, n) for n in lengths]
        ours = ner_scores(gold, pred, n_boot=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref_f1 = f1_score(gold, pred, mode="strict", scheme=IOB2)
            ref_p = precision_score(gold, pred, mode="strict", scheme=IOB2)
            ref_r = recall_score(gold, pred, mode="strict", scheme=IOB2)
            report = classification_report(gold, pred, mode="strict", scheme=IOB2, output_dict=True)
        assert ours["micro"]["f1"] == pytest.approx(ref_f1, abs=1e-9)
        assert ours["micro"]["precision"] == pytest.approx(ref_p, abs=1e-9)
        assert ours["micro"]["recall"] == pytest.approx(ref_r, abs=1e-9)
        for typ, ref in report.items():
            if typ in TYPES:
                mine = ours["per_type"][typ]
                assert mine["f1"] == pytest.approx(ref["f1-score"], abs=1e-9), typ
                assert mine["precision"] == pytest.approx(ref["precision"], abs=1e-9), typ
                assert mine["recall"] == pytest.approx(ref["recall"], abs=1e-9), typ
                assert mine["n_gold"] == ref["support"]


def test_invalid_i_start_is_not_an_entity():
    scores = ner_scores([["B-PER", "I-PER", "O"]], [["I-PER", "I-PER", "O"]], n_boot=0)
    assert scores["micro"]["n_pred"] == 0 and scores["micro"]["f1"] == 0.0


def test_gold_against_itself_scores_one():
    rows = gold_rows()
    for key in ("ner_tags", "ner_tags_coarse"):
        scores = ner_scores([r[key] for r in rows], [r[key] for r in rows], n_boot=100)
        assert scores["micro"]["f1"] == 1.0 and scores["partial"]["micro"]["f1"] == 1.0
        assert scores["micro"]["ci_low"] == scores["micro"]["ci_high"] == 1.0
    spans = [[Span(e["start"], e["end"], e["label"]) for e in r["entities"]] for r in rows]
    assert ner_scores(spans, spans, n_boot=0)["micro"]["f1"] == 1.0


# --------------------------------------------------------------------------- properties

tag_lists = st.lists(st.sampled_from(TAGS), min_size=1, max_size=10)
paired = st.lists(tag_lists, min_size=1, max_size=6).flatmap(
    lambda gold: st.tuples(
        st.just(gold), st.tuples(*[st.lists(st.sampled_from(TAGS), min_size=len(g), max_size=len(g)) for g in gold])
    )
)


@settings(max_examples=150, deadline=None)
@given(paired)
def test_swapping_gold_and_prediction_swaps_precision_and_recall(pair):
    gold, pred = pair
    pred = list(pred)
    a, b = ner_scores(gold, pred, n_boot=0), ner_scores(pred, gold, n_boot=0)
    for key in ("micro",):
        for x, y in ((a[key], b[key]), (a["partial"][key], b["partial"][key])):
            assert x["precision"] == pytest.approx(y["recall"])
            assert x["recall"] == pytest.approx(y["precision"])
            assert x["f1"] == pytest.approx(y["f1"])
    for typ in a["per_type"]:
        assert a["per_type"][typ]["f1"] == pytest.approx(b["per_type"][typ]["f1"])


@settings(max_examples=150, deadline=None)
@given(paired)
def test_partial_is_at_least_strict_and_counts_are_bounded(pair):
    gold, pred = pair
    s = ner_scores(gold, list(pred), n_boot=0)
    strict, partial = s["micro"], s["partial"]["micro"]
    assert strict["tp"] <= partial["tp"] <= min(strict["n_pred"], strict["n_gold"])
    assert partial["f1"] >= strict["f1"] - 1e-12
    assert 0.0 <= strict["f1"] <= 1.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(STANCE_LABELS), st.sampled_from(STANCE_LABELS)), min_size=1, max_size=30))
def test_stance_matches_scikit_learn(pairs):
    gold, pred = [g for g, _ in pairs], [p for _, p in pairs]
    s = stance_scores(gold, pred, n_boot=0)
    present = [x for x in STANCE_LABELS if x in gold]
    assert s["accuracy"]["value"] == pytest.approx(sum(g == p for g, p in pairs) / len(pairs))
    ref = sk_f1(gold, pred, labels=present, average="macro", zero_division=0)
    assert s["macro_f1"]["value"] == pytest.approx(ref)
    per = sk_f1(gold, pred, labels=["favor", "against"], average=None, zero_division=0)
    assert s["f_avg"]["value"] == pytest.approx(per.mean())
    assert s["confusion_matrix"]["matrix"] == confusion_matrix(gold, pred, labels=list(STANCE_LABELS)).tolist()


# --------------------------------------------------------------------------- partial, bootstrap


def test_partial_match_needs_overlap_and_same_type_and_is_one_to_one():
    gold = [[(0, 10, "PER"), (20, 30, "ORG")]]
    pred = [[(5, 12, "PER"), (6, 8, "PER"), (20, 30, "LOC")]]
    s = ner_scores(gold, pred, n_boot=0)
    assert s["micro"]["tp"] == 0
    assert s["partial"]["micro"]["tp"] == 1  # two PER overlaps, one gold PER; LOC ≠ ORG
    assert s["partial"]["micro"]["precision"] == pytest.approx(1 / 3)
    assert s["partial"]["micro"]["recall"] == pytest.approx(1 / 2)
    assert "SemEval-2013" in s["partial"]["definition"]


def test_bootstrap_is_seeded_and_resamples_the_requested_unit():
    rng = random.Random(3)
    gold = [random_tags(rng, 8) for _ in range(30)]
    pred = [random_tags(rng, 8) for _ in range(30)]
    a = ner_scores(gold, pred, seed=7)
    assert a == ner_scores(gold, pred, seed=7)
    assert a["micro"]["ci_low"] <= a["micro"]["f1"] <= a["micro"]["ci_high"]
    assert a["ci_method"]["unit"] == "sentence" and a["ci_method"]["resamples"] == 1000
    docs = [i // 10 for i in range(30)]
    w = bootstrap_weights(30, 50, 0, docs)
    assert w.shape == (50, 30) and (w.sum(1) % 10 == 0).all()  # whole documents of 10
    assert ner_scores(gold, pred, groups=docs, n_boot=50)["ci_method"]["unit"] == "document"


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
        (lambda recs: [{**recs[0], "ner_tags": ["B-PERSON"] * 9}] + recs[1:], "unknown tags ['B-PERSON']"),
        (lambda recs: [{"id": recs[0]["id"], "entities": []}] + recs[1:], "exactly one of"),
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
    with pytest.raises(UserError, match="unknown entity label 'PERSON'"):
        evaluate_records("ner", rows, bad_label, n_boot=0)
    outside = [{"id": r["id"], "entities": [{"start": 0, "end": 999, "label": "PER"}]} for r in rows]
    with pytest.raises(UserError, match="outside the sentence"):
        evaluate_records("ner", rows, outside, n_boot=0)
    stance = [{"id": r["id"], "label": "pro"} for r in rows]
    with pytest.raises(UserError, match="label 'pro'"):
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
