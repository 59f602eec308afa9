"""``vietlao evaluate`` on the command line: its help, its exit codes, a closed pipe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from vietlao.cli import build_parser, main
from vietlao.corpus.documents import load_corpus
from vietlao.cli.evaluation import DESCRIPTION, EPILOG
from vietlao.evaluation.evaluate import load_gold

import pytest  # noqa: E402

#: Reads the project's corpus, export or dataset: also run on an extended copy (tests/test_extension.py).
pytestmark = pytest.mark.corpus

ROOT = Path(__file__).resolve().parents[1]


def _help(*command: str) -> str:
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices[command[0]] if command else parser
    return sub.format_help()


def test_help_is_enough_to_write_a_predictions_file():
    text = " ".join(_help("evaluate").split())  # as one line: argparse wraps the option help
    for needle in (
        '"ner_tags": [', '"entities": [{"start": 29, "end": 35, "label": "PER"}]', '"label": "favor"',
        "{ner,stance,linking,ner+linking}", "--seen-in", "train, validation, test, a comma list, or all", "nb, id, vi, ru, lo", "{fine,coarse}",
        "{iob2,conlleval}", "0=O, 1=B-PER", "0=PER, 1=ORG", "0=favor, 1=against", "benchmarks/README.md",
    ):
        assert needle in text, needle
    assert "benchmarks/README.md" in _help()


def test_the_help_examples_are_the_real_data():
    """Each example line of the help is a correct prediction for sentence 000-003 of dataset/."""
    gold = {r["id"]: r for r in load_gold("ner", "test", ROOT / "dataset")}
    examples = [json.loads(line.strip().replace(", ...]", "]")) for line in DESCRIPTION.splitlines()
                if line.strip().startswith('{"id"')]
    assert len(examples) == 4
    tags, entities, _, link = examples
    linked = load_gold("linking", "all", ROOT / "dataset")
    assert any(r["id"] == link["id"] and r["entity_id"] == link["entity_id"] for r in linked)
    row = gold[tags["id"]]
    assert row["ner_tags"][: len(tags["ner_tags"])] == tags["ner_tags"]
    assert all(e in [{k: g[k] for k in ("start", "end", "label")} for g in row["entities"]] for e in entities["entities"])
    assert all(line.split("#")[0].split()[:2] == ["vietlao", "evaluate"]
               for line in EPILOG.splitlines() if line.strip().startswith("vietlao"))


def test_errors_are_one_line_with_exit_status_1(tmp_path, capsys):
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": "000-000", "label": "favor"}\n', encoding="utf-8")
    assert main(["evaluate", "--task", "stance", "--predictions", str(path), "--lang", "no"]) == 1
    err = capsys.readouterr().err
    languages = ", ".join(sorted({d.meta.lang for d in load_corpus()}))
    assert err == f"vietlao: error: unknown language no in --lang: the dataset has {languages}\n"
    assert main(["evaluate", "--task", "stance", "--predictions", str(path), "--lang", "vi"]) == 1
    assert "choose the split with --split" in capsys.readouterr().err


def test_scores_file_is_written_whole(tmp_path, capsys):
    gold = load_gold("stance", "test", ROOT / "dataset")
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps({"id": r["id"], "label": 2}) + "\n" for r in gold), encoding="utf-8")
    out = tmp_path / "deep" / "scores.json"
    assert main(["evaluate", "--task", "stance", "--predictions", str(path), "--bootstrap", "0", "--output", str(out)]) == 0
    assert json.loads(out.read_text())["stance"]["per_class"]["neutral"]["n_pred"] == len(gold)
    assert [p.name for p in out.parent.iterdir()] == ["scores.json"]
    assert f"scores written to {out}" in capsys.readouterr().out


def test_a_closed_pipe_ends_quietly(tmp_path):
    gold = load_gold("ner", "test", ROOT / "dataset")
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps({"id": r["id"], "ner_tags": r["ner_tags"]}) + "\n" for r in gold), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.Popen(
        [sys.executable, "-m", "vietlao", "evaluate", "--task", "ner", "--predictions", str(path), "--bootstrap", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    proc.stdout.close()  # like `| head` that has already exited: the first write finds no reader
    err = proc.stderr.read().decode()
    assert proc.wait() == 1
    assert err == ""  # no BrokenPipeError traceback, no "Exception ignored" at exit
