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


def _stance_predictions(path: Path) -> Path:
    gold = load_gold("stance", "test", ROOT / "dataset")
    path.write_text("".join(json.dumps({"id": r["id"], "label": 2}) + "\n" for r in gold), encoding="utf-8")
    return path


def test_output_never_lands_on_the_project_inputs(tmp_path, monkeypatch, capsys):
    """--output naming the source of truth, the dataset, the card, a folder, the predictions file
    itself, an empty path or a pipe: one error line, nothing written, no temporary file left.
    The project is a copy, so a failure cannot harm the checkout."""
    import shutil

    from vietlao.paths import ROOT_ENV

    root = tmp_path / "project"
    shutil.copytree(ROOT / "annotations", root / "annotations")
    shutil.copytree(ROOT / "dataset", root / "dataset")
    shutil.copy(ROOT / "DATASET_CARD.md", root / "DATASET_CARD.md")
    monkeypatch.setenv(ROOT_ENV, str(root))
    predictions = _stance_predictions(tmp_path / "p.jsonl")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "link.json"
    link.symlink_to(root / "annotations" / "export.json")

    def snapshot():
        return sorted((str(p), p.read_bytes() if p.is_file() and not p.is_fifo() else None)
                      for p in tmp_path.rglob("*"))

    before = snapshot()
    for output, message in [
        (root / "annotations" / "export.json", "one of the project's inputs or published files"),
        (link, "one of the project's inputs or published files"),
        (root / "dataset", "one of the project's inputs or published files"),
        (root / "DATASET_CARD.md", "one of the project's inputs or published files"),
        (tmp_path, "is a folder, not a file"),
        (predictions, "is also this command's input"),
        (fifo, "is a pipe"),
        ("", "--output is empty"),
    ]:
        code = main(["evaluate", "--task", "stance", "--predictions", str(predictions), "--bootstrap", "0",
                     "--output", str(output)])
        err = capsys.readouterr().err
        assert code == 1 and err.startswith("vietlao: error: ") and err.count("\n") == 1, (output, err)
        assert message in err, (output, err)
        assert snapshot() == before, output


def test_unusable_predictions_paths_are_one_line(tmp_path, capsys):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # opening it would block until a writer came
    for path, message in [(fifo, "is a pipe"), (tmp_path, "is a folder"), (tmp_path / "missing", "cannot read"),
                          ("", "--predictions is empty")]:
        assert main(["evaluate", "--task", "stance", "--predictions", str(path), "--bootstrap", "0"]) == 1
        err = capsys.readouterr().err
        assert err.startswith("vietlao: error: ") and message in err and err.count("\n") == 1, err


def test_output_through_a_symlink_replaces_the_target_and_keeps_the_link(tmp_path, capsys):
    predictions = _stance_predictions(tmp_path / "p.jsonl")
    target = tmp_path / "scores" / "real.json"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "scores.json"
    link.symlink_to(target)
    assert main(["evaluate", "--task", "stance", "--predictions", str(predictions), "--bootstrap", "0",
                 "--output", str(link)]) == 0
    assert link.is_symlink() and json.loads(target.read_text(encoding="utf-8"))["stance"]
    assert sorted(p.name for p in target.parent.iterdir()) == ["real.json"]


def test_ids_from_the_predictions_are_escaped_and_cut(tmp_path, capsys):
    gold = load_gold("stance", "test", ROOT / "dataset")
    lines = [json.dumps({"id": r["id"], "label": 2}) for r in gold]
    lines += [json.dumps({"id": "\x1b[2Jclear", "label": 2}), json.dumps({"id": "y" * 1_000_000, "label": 2})]
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["evaluate", "--task", "stance", "--predictions", str(path), "--bootstrap", "0"]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[2Jclear" in err and len(err) < 2_000, err[:500]
