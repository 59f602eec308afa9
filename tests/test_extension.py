"""A copy of the repository extended with new documents, the README's way: the corpus-dependent tests
(marker ``corpus``) pass on it, and the benchmark scores the new language.

The copy gets the Lao and the Indonesian documents written for the tests (:mod:`extension`: text and
metadata, pre-annotation, the annotations of their sheets in the export, ``stats``, ``validate``,
``inventory``, ``build``); pytest then runs in the copy, whose ``tests/conftest.py`` makes the copy
the project root.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from extension import copy_env, copy_repository, extend, run_vietlao


@pytest.fixture(scope="module")
def extended(tmp_path_factory):
    work = tmp_path_factory.mktemp("extended")
    repo = copy_repository(work / "repo")
    env = copy_env(repo, work / "hf")
    ids = extend(repo, env, work)
    return repo, env, ids, work


def test_the_new_documents_are_in_the_corpus_and_the_dataset(extended):
    repo, env, ids, _ = extended
    stats = run_vietlao(repo, env, "stats")
    assert f"{ids[0]}  lo" in stats and f"{ids[1]}  id" in stats
    rows = {t["data"]["sentence_id"] for t in json.loads((repo / "annotations" / "export.json").read_text(encoding="utf-8"))}
    assert {f"{ids[0]}-000", f"{ids[1]}-000"} <= rows


def test_the_corpus_tests_pass_on_the_extended_copy(extended):
    repo, env, _, _ = extended
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "corpus and not server",
                           "tests"], cwd=repo, env=env, capture_output=True, text=True)
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    print(f"\ncorpus tests on the extended copy: {summary}")
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert " passed" in summary and "failed" not in summary and "error" not in summary


def test_the_benchmark_scores_lao_ner_above_zero(extended):
    """The knowledge base's Lao names reach the gazetteer and the CRF under ``xling-lo`` (trained on
    Vietnamese only)."""
    repo, env, _, work = extended
    out = work / "results"
    run_vietlao(repo, env, "benchmark", "--baselines", "gazetteer,crf", "--no-peers", "--bootstrap", "0",
                "--output", str(out))
    rows = json.loads((out / "results.json").read_text(encoding="utf-8"))["rows"]
    lao = {r["baseline"]: r["metrics"]["f1"]["value"] for r in rows if r["protocol"] == "xling-lo"}
    print(f"\nxling-lo NER F1: {lao}")
    assert set(lao) == {"gazetteer", "crf"} and all(f1 > 0 for f1 in lao.values())
