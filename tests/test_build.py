import json
import os
from collections import Counter
import subprocess
import sys
import venv
from pathlib import Path

import pyarrow as pa
import pytest
from datasets import load_dataset

from vietlao.dataset.build import build_dataset, checksums, run_build
from vietlao.dataset.layout import data_files
from vietlao.dataset.rows import splits_and_folds
from vietlao.corpus.documents import load_corpus, load_metadata
from vietlao.export.task import ExportError
from vietlao.export.reader import read_export
from vietlao.corpus.inventory import load_inventory
from vietlao.labels import NER_TAGS
from vietlao.labelstudio.sheets import sheets_to_tasks
from vietlao.spans import Span, tags_to_spans
from vietlao.export.validate import gold_context
from vietlao.paths import project

REPO = Path(__file__).resolve().parents[1]
DATASET = REPO / "dataset"
CONFIGS = ("ner", "stance", "documents", "entities", "linking")


@pytest.fixture(scope="module")
def export_file(tmp_path_factory) -> Path:
    """The committed export if there is one, else an export made from the adjudicated sheets."""
    if project().export.exists():
        return project().export
    path = tmp_path_factory.mktemp("export") / "export.json"
    tasks = sheets_to_tasks(project().passes / "adjudicated", load_corpus())
    path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory, export_file) -> Path:
    out = tmp_path_factory.mktemp("build") / "ds"
    build_dataset(read_export(export_file, gold_context()), load_corpus(), load_inventory(), out)
    return out


@pytest.mark.corpus
def test_rebuild_gives_identical_bytes(tmp_path, built, export_file):
    again = tmp_path / "again"
    build_dataset(read_export(export_file, gold_context()), load_corpus(), load_inventory(), again)
    assert checksums(again) == checksums(built)
    files = data_files(built)
    assert set(files) == set(CONFIGS)
    assert set(files["ner"]) == set(files["stance"]) == {m.split for m in load_metadata()}
    assert len(checksums(built)) == sum(map(len, files.values()))


@pytest.mark.corpus
def test_committed_dataset_is_up_to_date(built):
    committed = checksums(DATASET)
    assert committed == checksums(built), "dataset/ is stale: run `vietlao build`"


@pytest.mark.corpus
def test_arrow_files_are_ipc_streams_with_hf_features(built):
    with pa.OSFile(str(built / data_files(built)["ner"]["train"]), "rb") as f:
        schema = pa.ipc.open_stream(f).schema
    features = json.loads(schema.metadata[b"huggingface"])["info"]["features"]
    assert features["ner_tags"]["feature"]["_type"] == "ClassLabel"
    assert features["ner_tags"]["feature"]["names"] == list(NER_TAGS)


def _load(config):
    return load_dataset(str(DATASET), config)


@pytest.mark.corpus
def test_entity_spans_equal_their_text():
    for split in _load("ner").values():
        for row in split:
            for e in row["entities"]:
                assert row["text"][e["start"] : e["end"]] == e["text"]
    for split in _load("documents").values():
        for row in split:
            for e in row["entities"]:
                assert row["text"][e["start"] : e["end"]] == e["text"]
            for s in row["sentences"]:
                assert row["text"][s["start"] : s["end"]].strip()


@pytest.mark.corpus
def test_ner_tags_decode_back_to_the_spans():
    ds = _load("ner")
    names = ds["train"].features["ner_tags"].feature.names
    types = ds["train"].features["entities"].feature["label"].names
    n = 0
    for split in ds.values():
        for row in split:
            tags = [names[t] for t in row["ner_tags"]]
            spans = tags_to_spans([tuple(o) for o in row["token_offsets"]], tags)
            expected = sorted(Span(e["start"], e["end"], types[e["label"]]) for e in row["entities"])
            assert spans == expected
            n += len(spans)
    assert n > 100


@pytest.mark.corpus
def test_no_document_in_two_splits():
    for config in ("ner", "stance", "documents"):
        seen = {}
        for split, data in _load(config).items():
            for doc_id in set(data["doc_id"]):
                assert seen.setdefault(doc_id, split) == split
                assert splits_and_folds()[0][doc_id] == split


def test_load_dataset_in_a_fresh_venv_with_only_datasets(tmp_path):
    """The published folder loads with nothing but `datasets`, offline, with ClassLabel features."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "datasets>=4"], check=True)
    script = f"""
import json
from datasets import ClassLabel, load_dataset
out = {{}}
for config in {list(CONFIGS)!r}:
    ds = load_dataset({str(DATASET)!r}, config)
    out[config] = {{split: d.num_rows for split, d in ds.items()}}
    first = next(iter(ds.values()))
    if config == "ner":
        assert isinstance(first.features["ner_tags"].feature, ClassLabel)
    if config == "stance":
        assert isinstance(first.features["label"], ClassLabel)
print(json.dumps(out))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", HF_HOME=str(tmp_path / "hf"))
    done = subprocess.run([python, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    sentences = sum(len(d.sentences) for d in load_corpus())
    assert sum(rows["ner"].values()) == sum(rows["stance"].values()) == sentences
    assert rows["documents"] == dict(Counter(m.split for m in load_metadata()))
    assert rows["entities"]["train"] > 0
    assert "vietlao" not in subprocess.run([python, "-m", "pip", "list"], capture_output=True, text=True).stdout


def test_bad_export_writes_nothing(tmp_path, export_file):
    out = tmp_path / "ds"
    out.mkdir()
    (out / "marker").write_text("previous build")
    tasks = json.loads(export_file.read_text(encoding="utf-8"))
    tasks[3]["annotations"][0]["result"][0]["value"]["end"] += 1  # off a token boundary or text
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ExportError, match=f"task {tasks[3]['id']}"):
        run_build(bad, out)
    assert [p.name for p in out.iterdir()] == ["marker"]
    assert not list(tmp_path.glob(".ds.*")), "no temporary folder left behind"


def test_cli_build_fails_cleanly_on_a_bad_export(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('[{"id": 1, "data": {}}', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "vietlao", "build", "--export", str(bad), "--output", str(tmp_path / "out")],
        capture_output=True, text=True,
    )
    assert done.returncode == 1
    assert "malformed or truncated JSON" in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.corpus
def test_a_rebuild_is_what_loads_next_in_the_same_cache(tmp_path, export_file):
    """datasets caches a local folder by its data file paths: every build must name its files anew."""
    from vietlao.evaluation.evaluate import load_gold

    card = tmp_path / "card.md"
    card.write_text(project().card.read_text(encoding="utf-8"), encoding="utf-8")
    out, cache = tmp_path / "ds", tmp_path / "cache"
    run_build(export_file, out, card)
    first = load_dataset(str(out), "stance", cache_dir=str(cache))
    tasks = json.loads(export_file.read_text(encoding="utf-8"))
    changed = {}
    for task in tasks:  # every sentence of the validation split changes its stance
        if splits_and_folds()[0][task["data"]["doc_id"]] != "validation":
            continue
        for region in task["annotations"][0]["result"]:
            if region["from_name"] == "stance":
                new = "against" if region["value"]["choices"] != ["against"] else "neutral"
                region["value"]["choices"] = [new]
                changed[task["data"]["sentence_id"]] = new
    assert changed
    edited = tmp_path / "export.json"
    edited.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    run_build(edited, out, card)
    second = load_dataset(str(out), "stance", cache_dir=str(cache))
    names = second["validation"].features["label"].names
    assert {r["id"]: names[r["label"]] for r in second["validation"]} == changed
    assert {r["id"]: names[r["label"]] for r in first["validation"]} != changed
    assert {r["id"]: r["label"] for r in load_gold("stance", "validation", out)} == changed


# -- where a build may write (--output) ----------------------------------------------------------------


def _build_cli(export: Path, output: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vietlao", "build", "--export", str(export), "--output", output],
                          capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("kind", ["unrelated_folder", "file", "current_directory"])
def test_build_refuses_an_output_that_is_not_a_previous_build(tmp_path, export_file, kind):
    """Nothing of what is there is touched, nothing else is written, one error line."""
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me", encoding="utf-8")
    (tmp_path / "file.txt").write_text("keep me too", encoding="utf-8")
    output = {"unrelated_folder": str(tmp_path / "mine"), "file": str(tmp_path / "file.txt"), "current_directory": "."}[kind]
    before = sorted((p.relative_to(tmp_path), p.read_bytes() if p.is_file() else None) for p in tmp_path.rglob("*"))
    card = project().card.read_bytes()
    done = _build_cli(export_file, output, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("vietlao: error: ") and done.stderr.count("\n") == 1, done.stderr
    assert ("is not a previous build" if kind != "file" else "is not a folder") in done.stderr
    assert sorted((p.relative_to(tmp_path), p.read_bytes() if p.is_file() else None) for p in tmp_path.rglob("*")) == before
    assert project().card.read_bytes() == card


def test_build_creates_parents_publishes_0755_and_leaves_no_old_copy(tmp_path, export_file):
    card = tmp_path / "card.md"
    card.write_text(project().card.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "missing" / "parent" / "ds"
    run_build(export_file, out, card)
    first = checksums(out)
    assert first and (out / "README.md").is_file()
    assert out.stat().st_mode & 0o777 == 0o755
    run_build(export_file, out, card)  # a previous build is replaced
    assert checksums(out) == first
    assert sorted(p.name for p in out.parent.iterdir()) == ["ds"], "a temporary or .old folder was left"
    empty = tmp_path / "empty"
    empty.mkdir()
    run_build(export_file, empty, card)  # so is an empty folder
    assert checksums(empty) == first


# -- outputs only where named; nothing half-written ------------------------------------------------------


def _project_copy(tmp_path: Path) -> Path:
    """A copy of what a build reads (annotations, the card, the benchmark table), as a project root."""
    import shutil

    root = tmp_path / "project"
    shutil.copytree(REPO / "annotations", root / "annotations")
    shutil.copytree(REPO / "benchmarks" / "results", root / "benchmarks" / "results")
    shutil.copy(REPO / "DATASET_CARD.md", root / "DATASET_CARD.md")
    return root


def _vietlao(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vietlao", "--root", str(root), *args], capture_output=True, text=True)


def _other_export(export_file: Path, path: Path) -> Path:
    """The export with one stance changed: other statistics and checksums than the committed one."""
    tasks = json.loads(export_file.read_text(encoding="utf-8"))
    region = next(r for r in tasks[0]["annotations"][0]["result"] if r["from_name"] == "stance")
    region["value"]["choices"] = ["against" if region["value"]["choices"] != ["against"] else "favor"]
    path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_build_elsewhere_leaves_the_project_card_and_config_alone(tmp_path, export_file):
    root = _project_copy(tmp_path)
    other = _other_export(export_file, tmp_path / "other.json")
    card, config = (root / "DATASET_CARD.md").read_bytes(), (root / "annotations" / "label_config.xml").read_bytes()
    (root / "annotations" / "label_config.xml").write_bytes(b"<View/>")  # stale: only a build of dataset/ rewrites it
    done = _vietlao(root, "build", "--export", str(other), "--output", str(tmp_path / "elsewhere"))
    assert done.returncode == 0, done.stderr
    assert (root / "DATASET_CARD.md").read_bytes() == card
    assert (root / "annotations" / "label_config.xml").read_bytes() == b"<View/>"
    assert not (root / "dataset").exists()
    readme = (tmp_path / "elsewhere" / "README.md").read_text(encoding="utf-8")
    assert all(digest in readme for digest in checksums(tmp_path / "elsewhere").values())  # the card went with it
    # the project's own dataset/: the card describes it, so it is refreshed (from whatever export built it)
    done = _vietlao(root, "build", "--export", str(other))
    assert done.returncode == 0, done.stderr
    new_card = (root / "DATASET_CARD.md").read_text(encoding="utf-8")
    assert new_card.encode() != card and all(d in new_card for d in checksums(root / "dataset").values())
    assert (root / "annotations" / "label_config.xml").read_bytes() == config


def test_a_rebuild_refuses_to_delete_files_it_did_not_write(tmp_path, export_file):
    card = tmp_path / "card.md"
    card.write_text(project().card.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "ds"
    run_build(export_file, out, card)
    (out / "NOTES.md").write_text("mine", encoding="utf-8")
    (out / "mywork").mkdir()
    (out / "mywork" / "x.txt").write_text("mine too", encoding="utf-8")
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    done = _build_cli(export_file, str(out), cwd=REPO)
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert "also holds files a build does not write (NOTES.md, mywork, mywork/x.txt)" in done.stderr
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    (out / "NOTES.md").unlink()
    (out / "mywork" / "x.txt").unlink()
    (out / "mywork").rmdir()
    run_build(export_file, out, card)  # a clean previous build is replaced


@pytest.mark.parametrize("output, message", [
    ("", "--output is empty"),
    ("/proc/x", "cannot write /proc/x: "),
    ("/dev/null/x", "cannot write /dev/null/x: /dev/null is not a folder"),
    ("annotations/new", "one of the project's inputs or published files"),
    ("dataset/data", "one of the project's inputs or published files"),
])
def test_unwritable_outputs_are_one_line(tmp_path, export_file, output, message):
    root = _project_copy(tmp_path)
    done = _vietlao(root, "build", "--export", str(export_file), "--output",
                    str(root / output) if output.startswith(("annotations", "dataset")) else output)
    assert done.returncode == 1 and done.stderr.startswith("vietlao: error: ") and done.stderr.count("\n") == 1, done.stderr
    assert message in done.stderr
    assert not (root / "annotations" / "new").exists() and not (root / "dataset").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_a_folder_without_write_permission_is_one_line(tmp_path, export_file):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    done = _build_cli(export_file, str(locked / "ds"), cwd=REPO)
    assert done.returncode == 1 and "Permission denied" in done.stderr and done.stderr.count("\n") == 1


_SIGTERM_BUILD = """
import os, signal, sys
import vietlao.dataset.build as build
real = build.build_dataset
def interrupted(records, documents, inventory, out_dir):
    real(records, documents, inventory, out_dir)
    print(sorted(p.name for p in out_dir.parent.iterdir()), flush=True)
    os.kill(os.getpid(), signal.SIGTERM)
build.build_dataset = interrupted
from vietlao.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_sigterm_during_a_build_removes_its_temporary_folder(tmp_path, export_file):
    """SIGTERM arrives with the build written in its temporary folder: the folder is removed, the
    parents the build created too, and the exit status says SIGTERM."""
    out = tmp_path / "new" / "ds"
    done = subprocess.run([sys.executable, "-c", _SIGTERM_BUILD, "build", "--export", str(export_file), "--output", str(out)],
                          capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 128 + 15, done.stderr
    assert ".vietlao-tmp" in done.stdout  # it was there when the signal came
    assert list(tmp_path.iterdir()) == []


def test_a_later_build_removes_what_a_killed_one_left(tmp_path, export_file):
    card = tmp_path / "card.md"
    card.write_text(project().card.read_text(encoding="utf-8"), encoding="utf-8")
    dead = int(Path("/proc/sys/kernel/pid_max").read_text()) + 1  # no process has it
    stale = tmp_path / f".ds.{dead}.abcd1234.vietlao-tmp"
    (stale / "data").mkdir(parents=True)
    running = tmp_path / f".ds.{os.getpid()}.efgh5678.vietlao-tmp"  # a build still at work: left alone
    running.mkdir()
    run_build(export_file, tmp_path / "ds", card)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([running.name, "ds", "card.md"])
