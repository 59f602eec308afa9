"""Every code example of README.md, benchmarks/README.md and the deep dives in docs/, run as written.

The fenced blocks of each README run in order, in one scratch folder laid out like the repository
(``dataset``, ``annotations`` and ``benchmarks`` link to the real ones), so a later block sees the
files an earlier one wrote, as a reader following the page would:

* ``python`` blocks run with the test's interpreter; a block of ``>>>`` lines runs as a doctest;
* ``sh`` blocks run under ``bash -e`` with ``vietlao``, ``python`` and ``.venv/bin/python`` meaning
  this interpreter and this checkout of the package;
* ``json`` blocks are prediction lines: each must be a correct prediction of the real gold.

A block preceded by ``<!-- not run by the README test: REASON (tests/test_X.py ...) -->`` is not
run; the reason must name the test file that covers it, and that file must exist.
"""

from __future__ import annotations

import doctest
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from vietlao.evaluation.evaluate import evaluate_records, load_gold
from vietlao.evaluation.predictions import check_predictions

ROOT = Path(__file__).resolve().parents[1]
#: Each page and the fewest of its blocks that must run (the others are skipped, naming their test).
RUN_AT_LEAST = {"README.md": 3, "benchmarks/README.md": 3, "docs/annotating.md": 0, "docs/publishing.md": 1,
                "docs/large-projects.md": 1}
READMES = tuple(RUN_AT_LEAST)
LINKED = ("dataset", "annotations", "benchmarks")
_FENCE = re.compile(r"(?:<!-- (not run by the README test:.*?) -->\n)?```(\w*)\n(.*?)```", re.S)


def blocks(readme: str) -> list[tuple[str, str, str | None]]:
    """``(language, code, skip reason)`` of every fenced block of ``readme``, in order."""
    text = (ROOT / readme).read_text(encoding="utf-8")
    return [(m[2], m[3], m[1]) for m in _FENCE.finditer(text)]


@pytest.fixture
def scratch(tmp_path: Path) -> tuple[Path, dict]:
    """A folder laid out like the repository, and an environment whose commands are this checkout's."""
    for name in LINKED:
        (tmp_path / name).symlink_to(ROOT / name)
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name, target in (("vietlao", f'"{sys.executable}" -m vietlao'), ("python", f'"{sys.executable}"')):
        shim = bin_dir / name
        shim.write_text(f'#!/bin/sh\nexec {target} "$@"\n')
        shim.chmod(0o755)
    (bin_dir / "activate").write_text(f'export PATH="{bin_dir}{os.pathsep}$PATH"\n')
    env = dict(
        os.environ,
        PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        PYTHONPATH=os.pathsep.join(p for p in sys.path if p),
        HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", PYTHONUTF8="1",
    )
    env.pop("VIETLAO_ROOT", None)  # the project is the current folder, as for a reader at the repository root
    return tmp_path, env


def _run(language: str, code: str, cwd: Path, env: dict) -> None:
    if language == "python" and code.lstrip().startswith(">>>"):
        test = doctest.DocTestParser().get_doctest(code, {}, "README", None, 0)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        old = Path.cwd()
        os.chdir(cwd)
        try:
            runner.run(test)
        finally:
            os.chdir(old)
        assert runner.failures == 0, f"doctest failed:\n{code}"
        return
    if language == "python":
        command = [sys.executable, "-c", code]
    elif language == "sh":
        command = ["bash", "-e", "-c", code]
    else:
        raise AssertionError(f"no runner for a {language!r} block")
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{language} block failed ({done.returncode}):\n{code}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"


def _check_predictions(code: str) -> None:
    records = [json.loads(line) for line in code.splitlines() if line.strip()]
    assert records
    if "entity_id" in records[0]:  # linking: each line alone scores against its gold mention
        gold = {row["id"]: row for row in load_gold("linking", "all", ROOT / "dataset")}
        for record in records:
            evaluate_records("linking", [gold[record["id"]]], [record], n_boot=0, source="README")
        return
    task = "stance" if "label" in records[0] else "ner"
    gold = {row["id"]: row for row in load_gold(task, "all", ROOT / "dataset")}
    for record in records:  # each line alone is a valid prediction of its sentence
        check_predictions(task, [gold[record["id"]]], [record], source="README")
        for e in record.get("entities", []):
            assert e in [{k: g[k] for k in ("start", "end", "label")} for g in gold[record["id"]]["entities"]], e
        if "ner_tags" in record:
            assert record["ner_tags"] == gold[record["id"]]["ner_tags"]


@pytest.mark.parametrize("readme", READMES)
def test_every_example_runs_as_written(readme, scratch):
    cwd, env = scratch
    found = blocks(readme)
    assert found, f"no code blocks in {readme}"
    ran = 0
    for language, code, skipped in found:
        if skipped:
            named = re.findall(r"tests/test_\w+\.py", skipped)
            assert named and all((ROOT / t).exists() for t in named), f"{readme}: {skipped!r} names no existing test"
            continue
        if language == "json":
            _check_predictions(code)
        else:
            _run(language, code, cwd, env)
        ran += 1
    assert ran >= RUN_AT_LEAST[readme]


def test_inline_prediction_examples_are_real():
    """The one-line stance example of benchmarks/README.md is a correct prediction too."""
    text = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")
    lines = re.findall(r'`(\{"id": "[^`]*\})`', text)
    assert lines
    for line in lines:
        _check_predictions(line)


def test_quick_start_is_first_and_short():
    text = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")
    first = text.index("\n## ")
    assert text[first:].startswith("\n## Quick start: score your model")
    section = text[first: text.index("\n## ", first + 1)]
    code = [line for lang, body, _ in _FENCE.findall(section) for line in body.splitlines() if line.strip()]
    assert 0 < len(code) < 20


def test_the_vietlao_command_is_on_the_path_after_activating():
    """README's "source .venv/bin/activate" works in a repository set up by scripts/dev.py."""
    activate = ROOT / ".venv" / "bin" / "activate"
    if not activate.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{activate} missing: scripts/dev.py did not set up .venv")
        pytest.skip("no .venv in this checkout (scripts/dev.py sets it up)")
    done = subprocess.run(["bash", "-c", "source .venv/bin/activate && vietlao --help"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0 and "evaluate" in done.stdout, done.stderr
