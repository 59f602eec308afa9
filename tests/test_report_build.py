"""vietlao.report.build (with views, buckets, paired): the report's model comes from the scorer.

The figures of every system are ``evaluate_records``' own; a sentence bucket scores exactly what the
scorer's per-language figures score; entity buckets partition the gold and the predicted entities;
known errors come out with their kinds; a file the scorer refuses is refused with its message.
"""

from __future__ import annotations

import pytest
from report_fixtures import LODO, SENTENCE, with_errors

from vietlao.corpus.segment import tokenize
from vietlao.dataset.linking import SeenRule
from vietlao.errors import UserError
from vietlao.evaluation.evaluate import evaluate_records, load_gold
from vietlao.report.build import Setting, build_report
from vietlao.report.render import render
from vietlao.report.views import System

N_BOOT = 60


@pytest.fixture(scope="module")
def gold():
    return load_gold("ner", "all")


@pytest.fixture(scope="module")
def ner(gold):
    a, b = with_errors(gold)
    systems = [System("A", a, "a.jsonl"), System("B", b, "b.jsonl")]
    return build_report({"ner": systems}, LODO, n_boot=N_BOOT, sentences=gold)["tasks"][0], a, b


def test_known_errors_have_their_kinds(ner):
    task, _, _ = ner
    card = next(c for c in task["cards"] if c["id"] == SENTENCE)
    assert card["view"]["errors"] == {"A": ["missed"], "B": ["type"]}
    assert card["err"] == "s0:missed s1:type" and card["lang"] == "vi"
    a_line, _ = card["view"]["lines"]
    missed = [m for p in a_line["pieces"] for m in p.marks if m.kind]
    assert [(m.label, m.kind, m.entity) for m in missed] == [("PER", "missed", "to_lam")]
    assert sum(bool(c["view"]["errors"]["A"]) for c in task["cards"]) == 1  # elsewhere A is the gold
    assert task["filters"]["kind"] == ["missed", "type"]


def test_the_figures_are_the_scorers(ner, gold):
    task, a, b = ner
    for row, records in zip(task["scores"], (a, b)):
        result = evaluate_records("ner", gold, records, n_boot=N_BOOT)["ner"]
        f1 = dict(row["columns"])["F1"]
        assert (f1["value"], f1["ci_low"], f1["ci_high"]) == (
            result["micro"]["f1"], result["micro"]["ci_low"], result["micro"]["ci_high"])
        language = next(f for f in task["families"] if f["name"] == "language")
        for bucket in language["buckets"]:
            mine, theirs = bucket["systems"][row["system"]], result["per_lang"][bucket["value"]]
            assert (mine["value"], mine["ci_low"], mine["ci_high"]) == (theirs["f1"], theirs["ci_low"], theirs["ci_high"])
        for family in task["families"]:
            blocks = [bk["systems"][row["system"]] for bk in family["buckets"]]
            assert sum(x["n_gold"] for x in blocks) == result["micro"]["n_gold"]
            assert sum(x["n_pred"] for x in blocks) == result["micro"]["n_pred"]


def test_paired_difference_per_bucket(ner):
    task, _, _ = ner
    assert task["paired"]
    for family in task["families"]:
        for bucket in family["buckets"]:
            r = bucket["pairs"]["A\tB"]
            s = bucket["systems"]
            assert r is None or r.difference == pytest.approx(s["A"]["value"] - s["B"]["value"])
    vi = next(b for f in task["families"] if f["name"] == "language" for b in f["buckets"] if b["value"] == "vi")
    assert vi["pairs"]["A\tB"].difference != 0


def test_stance_linking_and_end_to_end(gold):
    stance_gold = load_gold("stance", "all")
    flipped = [{"id": r["id"], "label": "against" if r["id"] == SENTENCE else r["label"]} for r in stance_gold]
    link_gold = load_gold("linking", "all")
    links = [{"id": r["id"], "entity_id": "cambodia" if r["id"] == f"{SENTENCE}:50-53" else r["entity_id"]}
             for r in link_gold]
    e2e = [{"id": r["id"], "entities": [{k: e[k] for k in ("start", "end", "label", "entity_id")}
                                        for e in r["entities"]]} for r in gold]
    e2e[[r["id"] for r in gold].index(SENTENCE)]["entities"][1]["entity_id"] = "thongloun_sisoulith"
    model = build_report({"stance": [System("s", flipped, "s.jsonl")], "linking": [System("l", links, "l.jsonl")],
                          "ner+linking": [System("e", e2e, "e.jsonl")]}, LODO, n_boot=0, sentences=gold)
    by_task = {t["task"]: {c["id"]: c for c in t["cards"]} for t in model["tasks"]}
    assert by_task["stance"][SENTENCE]["kinds"] == ["wrong stance"]
    assert by_task["linking"][SENTENCE]["view"]["mentions"][0]["cells"][0] == {
        "system": "l", "id": "cambodia", "wrong": True, "candidates": "cambodia"}
    assert by_task["ner+linking"][SENTENCE]["kinds"] == ["wrong entity"]
    assert sum(bool(c["kinds"]) for t in by_task.values() for c in t.values()) == 3
    assert "thongloun_sisoulith" in render(model)


def test_a_file_the_scorer_refuses_is_refused_with_its_message(gold):
    records = [{"id": r["id"], "entities": []} for r in gold][1:]
    with pytest.raises(UserError) as mine:
        build_report({"ner": [System("x", records, "x.jsonl")]}, LODO, n_boot=0, sentences=gold)
    with pytest.raises(UserError) as scorer:
        evaluate_records("ner", gold, records, n_boot=0, source="x.jsonl")
    assert str(mine.value) == str(scorer.value)


def test_a_lao_sentence_is_shown_whole():
    text = "ທ່ານ ທອງລຸນ ສີສຸລິດ ໄດ້ຕ້ອນຮັບ ທ່ານ ໂຕເລິມ ທີ່ນະຄອນຫຼວງວຽງຈັນ."
    tokens = tokenize(text)
    name = text.index("ທອງລຸນ")
    row = {"id": "900-000", "doc_id": "900", "lang": "lo", "text": text, "split": "test", "fold": 0,
           "tokens": [t.text for t in tokens], "token_offsets": [[t.start, t.end] for t in tokens],
           "entities": [{"start": name, "end": text.index(" ໄດ້"), "label": "PER", "entity_id": "thongloun_sisoulith"}]}
    # a prediction ending inside a cluster (before the vowel sign of ລຸ) is a boundary error, shown widened
    records = [{"id": "900-000", "entities": [{"start": name, "end": name + 4, "label": "PER"}]}]
    setting = Setting("test", "a Lao sentence", SeenRule.parse("train"))
    model = build_report({"ner": [System("x", records, "x.jsonl")]}, setting, n_boot=0, gold={"ner": [row]},
                         sentences=[row])
    card = model["tasks"][0]["cards"][0]
    assert card["kinds"] == ["boundary"]
    (line,) = card["view"]["lines"]
    assert "".join(p.text for p in line["pieces"]) == text
    assert [p.text for p in line["pieces"] if p.marks] == ["ທອງລຸ"]
    html = render(model)
    assert 'lang="lo"' in html and "edge inside a character cluster" in html
