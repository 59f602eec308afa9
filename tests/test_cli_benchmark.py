"""``vietlao benchmark``'s command line: arguments checked first, the committed results never lost."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from small_dataset import make_dataset
from vietlao.benchmark import run as bench_run
from vietlao.cli import main
from vietlao.paths import ROOT_ENV


CARD = ("# card\n<!-- generated:results -->\nfull table\n<!-- /generated:results -->\n"
        "<!-- generated:preannotation -->\neffort\n<!-- /generated:preannotation -->\n")


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A project root whose committed results are a previous full run (as far as files go)."""
    monkeypatch.setenv(ROOT_ENV, os.environ.get(ROOT_ENV, ""))  # `--root` sets it: restored after the test
    root = tmp_path / "project"
    results = root / "benchmarks" / "results"
    (results / "predictions" / "ner" / "lodo").mkdir(parents=True)
    (results / "predictions" / "ner" / "lodo" / "crf.jsonl").write_text('{"id": "x"}\n')
    (results / "results.json").write_text('{"rows": []}\n')
    (results / "RESULTS.md").write_text("# full results\n")
    (root / "DATASET_CARD.md").write_text(CARD)
    (root / "annotations" / "documents").mkdir(parents=True)  # the card reads the corpus metadata
    shutil.copy(Path(os.environ[ROOT_ENV]) / "annotations" / "documents" / "metadata.json",
                root / "annotations" / "documents" / "metadata.json")
    make_dataset(root / "dataset")
    return root


def _bench(root: Path, *args: str) -> int:
    return main(["--root", str(root), "benchmark", "--dataset", str(root / "dataset"), "--bootstrap", "0", *args])


def test_an_unknown_baseline_is_refused_before_anything_is_touched(project, capsys):
    before = _digests(project)
    assert _bench(project, "--baselines", "foo", "--no-peers") == 1
    err = capsys.readouterr().err
    assert err.startswith("vietlao: error: unknown baseline(s) foo: choose from majority")
    assert _digests(project) == before


@pytest.mark.parametrize("args", [["--seeds", "0"], ["--bootstrap", "-1"], ["--baselines", ","]])
def test_bad_arguments_are_refused_before_anything_is_touched(project, capsys, args):
    before = _digests(project)
    assert _bench(project, *args) == 1
    assert capsys.readouterr().err.startswith("vietlao: error: ")
    assert _digests(project) == before


def test_a_narrowed_run_writes_elsewhere_and_keeps_the_full_results(project, capsys):
    before = _digests(project)
    assert _bench(project, "--baselines", "majority", "--no-peers", "--seeds", "1") == 0
    assert _digests(project / "benchmarks") == {k.removeprefix("benchmarks/"): v for k, v in before.items()
                                                if k.startswith("benchmarks/")}
    assert (project / "DATASET_CARD.md").read_text() == CARD
    narrowed = project / "build" / "benchmark"
    assert {"results.json", "RESULTS.md"} <= set(_digests(narrowed))
    assert "(narrowed run)" in capsys.readouterr().out


def test_a_narrowed_run_replaces_the_full_results_only_when_asked(project, capsys):
    results = project / "benchmarks" / "results"
    before = _digests(results)
    assert _bench(project, "--baselines", "majority", "--output", str(results)) == 1
    assert "--replace-results" in capsys.readouterr().err
    assert _digests(results) == before
    assert _bench(project, "--baselines", "majority", "--no-peers", "--seeds", "1", "--output", str(results),
                  "--replace-results") == 0
    assert not (results / "predictions" / "ner" / "lodo" / "crf.jsonl").exists()
    assert "majority" in (results / "RESULTS.md").read_text()
    assert "| stance | majority |" in (project / "DATASET_CARD.md").read_text()  # asked for: the card follows


def test_an_unrelated_folder_is_never_replaced(project, tmp_path, capsys):
    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("keep me\n")
    assert _bench(project, "--baselines", "majority", "--no-peers", "--output", str(other)) == 1
    assert "not a benchmark output" in capsys.readouterr().err
    assert (other / "mine.txt").read_text() == "keep me\n" and len(list(other.iterdir())) == 1


def test_a_run_that_fails_midway_leaves_the_previous_output_as_it_was(project, tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert _bench(project, "--baselines", "majority", "--no-peers", "--seeds", "1", "--output", str(out)) == 0
    before = _digests(out)
    calls = []

    def failing(module, protocol, *args, **kwargs):
        calls.append(protocol.name)
        if len(calls) == 2:
            raise RuntimeError("a baseline broke")
        return real(module, protocol, *args, **kwargs)

    real = bench_run.run_baseline
    monkeypatch.setattr(bench_run, "run_baseline", failing)
    with pytest.raises(RuntimeError):
        _bench(project, "--baselines", "majority", "--no-peers", "--seeds", "1", "--output", str(out))
    assert _digests(out) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
