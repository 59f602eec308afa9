"""The metrics: strict IOB2 against seqeval, the conlleval scheme against conlleval.pl, properties.

References: seqeval (``mode="strict"``, ``scheme=IOB2``) for the default scheme, and the original
``conlleval.pl`` (Erik Tjong Kim Sang, CoNLL-2000 shared task, version 2004-01-26) for
``scheme="conlleval"``, run by Perl. The script is not copied into this repository: it ships in
the source distribution of seqeval (``seqeval-<version>/tests/conlleval.pl``; seqeval is MIT
licensed), which the test downloads with pip, checked against the sha256 that
``requirements/venv.txt`` locks for seqeval.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
import tarfile
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.metrics import classification_report, f1_score, precision_score, recall_score
from seqeval.scheme import IOB2
from sklearn.metrics import confusion_matrix
from sklearn.metrics import f1_score as sk_f1

from vietlao.evaluation.scoring import SCHEME_DEFINITIONS, bootstrap_weights, ner_scores, stance_scores
from vietlao.labels import STANCE_LABELS
from vietlao.spans import CHUNK_SCHEMES, Span

LOCK = Path(__file__).resolve().parents[1] / "requirements" / "venv.txt"
TYPES = ("PER", "ORG", "LOC")
TAGS = ["O"] + [f"{p}-{t}" for t in TYPES for p in "BI"]


def random_tags(rng: random.Random, n: int) -> list[str]:
    return [rng.choice(TAGS) if rng.random() < 0.6 else "O" for _ in range(n)]


def valid_iob2(tags: list[str]) -> list[str]:
    """``tags`` with every I- tag that continues nothing turned into a B- tag."""
    out = []
    for tag in tags:
        prev = out[-1] if out else "O"
        if tag.startswith("I-") and (prev == "O" or prev[2:] != tag[2:]):
            tag = "B-" + tag[2:]
        out.append(tag)
    return out


def test_every_scheme_has_a_definition():
    assert SCHEME_DEFINITIONS.keys() == CHUNK_SCHEMES.keys() == {"iob2", "conlleval"}
    assert ner_scores([["O"]], [["O"]], n_boot=0)["scheme"]["name"] == "iob2"
    with pytest.raises(ValueError, match="unknown scheme 'iobes'"):
        ner_scores([["O"]], [["O"]], scheme="iobes")


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




# --------------------------------------------------------------------------- conlleval.pl as reference


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def conlleval_pl(tmp_path_factory) -> Path:
    """``conlleval.pl`` from the seqeval source distribution locked in requirements/venv.txt."""
    if shutil.which("perl") is None:
        _unavailable("no perl on the PATH")
    match = re.search(r"^seqeval==(\S+) \\\n\s+--hash=sha256:([0-9a-f]{64})", LOCK.read_text(), re.M)
    assert match, f"seqeval is not locked with a hash in {LOCK}"
    version, sha256 = match.groups()
    folder = tmp_path_factory.mktemp("seqeval-sdist")
    (folder / "seqeval.txt").write_text(f"seqeval=={version} --hash=sha256:{sha256}\n")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
         "--no-binary", ":all:", "--require-hashes", "-r", folder / "seqeval.txt", "-d", folder],
        capture_output=True, text=True,
    )
    if done.returncode != 0:
        _unavailable(f"cannot download the seqeval {version} source distribution: {done.stderr[-400:]}")
    with tarfile.open(next(folder.glob("seqeval-*.tar.gz"))) as tar:
        script = tar.extractfile(f"seqeval-{version}/tests/conlleval.pl").read()
    path = folder / "conlleval.pl"
    path.write_bytes(script)
    return path


def run_conlleval(script: Path, gold: list[list[str]], pred: list[list[str]]) -> dict:
    """Counts and per-type F1 (in %) that conlleval.pl prints for one corpus."""
    lines = []
    for g, p in zip(gold, pred):
        lines += [f"w {a} {b}" for a, b in zip(g, p)] + [""]
    done = subprocess.run(["perl", script], input="\n".join(lines) + "\n", capture_output=True, text=True, check=True)
    head = re.search(r"with (\d+) phrases; found: (\d+) phrases; correct: (\d+)\.", done.stdout)
    n_gold, n_pred, tp = map(int, head.groups())
    overall = re.search(r"FB1:\s+([\d.]+)\n", done.stdout)
    per_type = {m[0]: float(m[1]) for m in re.findall(r"^\s*(\w+): precision: .*FB1:\s+([\d.]+)", done.stdout, re.M)}
    return {"n_gold": n_gold, "n_pred": n_pred, "tp": tp, "f1": float(overall[1]) if overall else 0.0, "per_type": per_type}


def test_conlleval_scheme_agrees_with_conlleval_pl(conlleval_pl):
    rng = random.Random(13)
    for _ in range(40):
        lengths = [rng.randint(1, 12) for _ in range(rng.randint(1, 10))]
        gold = [random_tags(rng, n) for n in lengths]  # I- after O or another type included
        pred = [random_tags(rng, n) for n in lengths]
        ref = run_conlleval(conlleval_pl, gold, pred)
        ours = ner_scores(gold, pred, n_boot=0, scheme="conlleval")
        assert ours["scheme"]["name"] == "conlleval"
        assert (ours["micro"]["n_gold"], ours["micro"]["n_pred"], ours["micro"]["tp"]) == (
            ref["n_gold"], ref["n_pred"], ref["tp"])
        assert 100 * ours["micro"]["f1"] == pytest.approx(ref["f1"], abs=5e-3)  # printed with 2 decimals
        for typ, f1 in ref["per_type"].items():
            assert 100 * ours["per_type"][typ]["f1"] == pytest.approx(f1, abs=5e-3), typ


def test_strict_iob2_equals_conlleval_pl_on_valid_iob2_and_differs_on_stray_i_tags(conlleval_pl):
    rng = random.Random(14)
    differed = 0
    for _ in range(30):
        lengths = [rng.randint(1, 12) for _ in range(rng.randint(2, 10))]
        gold = [valid_iob2(random_tags(rng, n)) for n in lengths]
        pred = [random_tags(rng, n) for n in lengths]
        strict_valid = ner_scores(gold, [valid_iob2(p) for p in pred], n_boot=0)["micro"]
        ref_valid = run_conlleval(conlleval_pl, gold, [valid_iob2(p) for p in pred])
        assert (strict_valid["n_pred"], strict_valid["tp"]) == (ref_valid["n_pred"], ref_valid["tp"])
        strict = ner_scores(gold, pred, n_boot=0)["micro"]
        ref = run_conlleval(conlleval_pl, gold, pred)
        assert strict["n_pred"] <= ref["n_pred"]  # strict drops the stray I- chunks conlleval counts
        differed += strict["n_pred"] != ref["n_pred"]
    assert differed > 0


def test_the_two_schemes_on_stray_i_tags():
    gold = [["B-PER", "I-PER", "O", "B-LOC"]]
    pred = [["I-PER", "I-PER", "O", "I-LOC"]]
    strict = ner_scores(gold, pred, n_boot=0)
    lenient = ner_scores(gold, pred, n_boot=0, scheme="conlleval")
    assert strict["micro"]["n_pred"] == 0 and strict["micro"]["f1"] == 0.0
    assert lenient["micro"]["tp"] == 2 and lenient["micro"]["f1"] == 1.0
    assert "strict IOB2" in strict["scheme"]["definition"] and "conlleval.pl" in lenient["scheme"]["definition"]
    spans = [[Span(0, 5, "PER")]]  # span input is never chunked: the scheme does not matter
    assert ner_scores(spans, spans, n_boot=0, scheme="conlleval")["micro"]["f1"] == 1.0
