"""The committed results: every published row is re-scored from its committed predictions file with the
exact command RESULTS.md lists for it, and gives the figures of ``results.json``."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from vietlao.cli import main

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
KEYS = ("value", "ci_low", "ci_high")


def _published() -> list[tuple[str, dict]]:
    results = json.loads((RESULTS / "results.json").read_text(encoding="utf-8"))
    rows = [(f"{r['task']}/{r['protocol']}/{r['baseline']}", r) for r in results["rows"]]
    rows += [(f"peers/{r['system']}/{r['protocol']}/{r.get('lang')}", {**r, "task": "peer"})
             for r in results["peer_comparison"]["rows"]]
    return rows


PUBLISHED = _published()


def _f1(block: dict) -> list:
    return [block["f1"], block["ci_low"], block["ci_high"]]


def _want(block: dict) -> list:
    return [block[k] for k in KEYS]


def test_every_row_has_its_command_in_results_md():
    markdown = (RESULTS / "RESULTS.md").read_text(encoding="utf-8")
    commands = markdown[markdown.index("## Commands"):]
    assert all(f"`{row['command']}`" in commands for _, row in PUBLISHED)
    tasks = {row["task"] for _, row in PUBLISHED}
    assert {"ner", "stance", "linking", "ner+linking", "peer"} <= tasks


@pytest.mark.parametrize("row", [r for _, r in PUBLISHED], ids=[name for name, _ in PUBLISHED])
def test_the_listed_command_reproduces_the_row(row, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("VIETLAO_ROOT", raising=False)
    words = shlex.split(row["command"])
    assert words[:2] == ["vietlao", "evaluate"] and "--bootstrap" not in words and "--seed" not in words
    out = tmp_path / "scores.json"
    assert main(words[1:] + ["--output", str(out)]) == 0  # the defaults: 1000 resamples, seed 0, as the run's
    capsys.readouterr()
    got = json.loads(out.read_text(encoding="utf-8"))
    task = row["task"]
    if task == "ner" and row.get("source") == "peers":
        assert got["tagset"] == "coarse" and _f1(got["ner"]["micro"]) == _want(row["metrics"]["f1_coarse"])
    elif task == "ner":
        m = row["metrics"]
        assert _f1(got["ner"]["micro"]) == _want(m["f1"])
        assert got["ner"]["micro"]["precision"] == m["precision"]["value"]
        assert _f1(got["ner"]["partial"]["micro"]) == _want(m["f1_partial"])
    elif task == "stance":
        for key in ("accuracy", "macro_f1", "f_avg"):
            assert _want(got["stance"][key]) == _want(row["metrics"][key])
    elif task == "linking":
        lk, m = got["linking"], row["metrics"]
        assert _want(lk["accuracy"]) == _want(m["accuracy"]) and _want(lk["macro_accuracy"]) == _want(m["macro_accuracy"])
        assert _want(lk["seen"]["seen"]["accuracy"]) == _want(m["accuracy_seen"])
        assert _want(lk["seen"]["unseen"]["accuracy"]) == _want(m["accuracy_unseen"])
        assert {k: b["accuracy"]["value"] for k, b in lk["per_lang"].items()} == {
            k: b["value"] for k, b in row["per_lang"].items()}
    elif task == "ner+linking":
        assert _f1(got["end_to_end"]["micro"]) == _want(row["metrics"]["f1"])
        assert _f1(got["ner_linkable"]["micro"]) == _want(row["metrics"]["f1_ner"])
    else:  # a peer beside the baselines, on coarse types
        assert _f1(got["ner"]["micro"]) == _want(row["f1"])
        assert got["ner"]["partial"]["micro"]["f1"] == row["f1_partial"]


def test_compare_with_a_baseline_by_name(monkeypatch, capsys):
    """--compare NAME finds the baseline's committed file on the same gold; both p-values are 1 against itself."""
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("VIETLAO_ROOT", raising=False)
    mine = "benchmarks/results/predictions/stance/lodo/e5-lr.jsonl"
    base = ["evaluate", "--task", "stance", "--predictions", mine, "--split", "all", "--bootstrap", "200"]
    assert main(base + ["--compare", "e5-lr"]) == 0
    out = capsys.readouterr().out
    assert f"B = {mine}" in out and "macro_f1" in out
    compared = out[out.index("paired comparison"):].splitlines()
    assert [line.split()[-3:] for line in compared if line.startswith("macro_f1")] == [["1.000", "1.000", "no"]]
    assert main(base + ["--compare", "e5-lr@xling-ru"]) == 1
    assert "that row scores --split all --lang ru" in capsys.readouterr().err
    assert main(base + ["--compare", "nosuch"]) == 1
    assert "no such file, nor a stance baseline of the benchmark (e5-lr, majority, tfidf-char-lr)" in capsys.readouterr().err
