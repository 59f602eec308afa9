"""vietlao.benchmark.reproduce: a run compared with the committed results, row by row."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from vietlao.benchmark.reproduce import compare_rows, reproduced, verdict_table

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "benchmarks" / "results"


def _copy(tmp_path: Path) -> Path:
    """The committed results as a run in another folder would write them (paths under that folder)."""
    run = tmp_path / "build" / "benchmark"
    shutil.copytree(COMMITTED, run)
    text = (COMMITTED / "results.json").read_text(encoding="utf-8")
    (run / "results.json").write_text(text.replace("benchmarks/results/", "build/benchmark/"), encoding="utf-8")
    return run


def _rows(root: Path):
    return compare_rows(root / "build" / "benchmark", root / "benchmarks" / "results", root)


def _project(tmp_path: Path) -> Path:
    (tmp_path / "benchmarks").mkdir()
    shutil.copytree(COMMITTED, tmp_path / "benchmarks" / "results")
    _copy(tmp_path)
    return tmp_path


def test_the_committed_results_reproduce_themselves(tmp_path):
    verdicts = _rows(_project(tmp_path))
    committed = json.loads((COMMITTED / "results.json").read_text(encoding="utf-8"))
    assert sum(v.part == "rows" for v in verdicts) == len(committed["rows"])
    assert reproduced(verdicts), verdict_table(verdicts)


def test_a_moved_figure_is_named_with_its_size(tmp_path):
    root = _project(tmp_path)
    path = root / "build" / "benchmark" / "results.json"
    results = json.loads(path.read_text(encoding="utf-8"))
    row = next(r for r in results["rows"] if r["task"] == "ner")
    old = row["metrics"]["f1"]["value"]
    row["metrics"]["f1"]["value"] = old - 0.25
    path.write_text(json.dumps(results), encoding="utf-8")
    verdicts = _rows(root)
    assert not reproduced(verdicts)
    moved = [v for v in verdicts if v.status != "identical"]
    assert [v.name for v in moved] == [f"ner {row['baseline']} {row['protocol']}"]
    assert moved[0].figure == "metrics.f1.value" and abs(moved[0].delta - 0.25) < 1e-12
    assert "metrics.f1.value" in verdict_table(verdicts)


def test_a_changed_prediction_file_is_a_difference_even_with_equal_figures(tmp_path):
    root = _project(tmp_path)
    results = json.loads((COMMITTED / "results.json").read_text(encoding="utf-8"))
    row = next(r for r in results["rows"] if r["predictions"])
    inside = row["predictions"][0][len("benchmarks/results/"):]
    with (root / "build" / "benchmark" / inside).open("a", encoding="utf-8") as f:
        f.write("\n")
    moved = [v for v in _rows(root) if v.status != "identical"]
    assert len(moved) == 1 and moved[0].files_differ == (inside,)


def test_rows_missing_from_a_run_or_new_in_it_are_named(tmp_path):
    root = _project(tmp_path)
    path = root / "build" / "benchmark" / "results.json"
    results = json.loads(path.read_text(encoding="utf-8"))
    dropped = results["rows"].pop(0)
    extra = dict(results["rows"][0], baseline="my-model")
    results["rows"].append(extra)
    path.write_text(json.dumps(results), encoding="utf-8")
    status = {v.name: v.status for v in _rows(root)}
    assert status[f"{dropped['task']} {dropped['baseline']} {dropped['protocol']}"] == "missing"
    assert status[f"{extra['task']} my-model {extra['protocol']}"] == "new"
