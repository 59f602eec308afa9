"""Copies of the repository, and extending one with the test documents (not a test module).

``copy_repository`` copies what git would commit now: the tracked files and the untracked ones that
are not ignored, so a build that is not committed yet (new ``dataset/`` files named by their hash) is
copied whole. Outside a git checkout it copies the project's folders.

``extend`` adds the documents written for the tests (``tests/data``: the Lao ``lao_leaders.txt`` and the
Indonesian ``extension/005_extension_test.txt``, neither a news text nor ever part of the dataset) the
way the README's *Extending the data with new documents* does, without a Label Studio server: the text
and its metadata entry under the next free document id, an inventory entry for a new entity, each new
sentence as a task with the pre-annotator's prediction and the annotation its sheet decides, appended to
``annotations/export.json``; then ``vietlao stats``, ``validate``, ``inventory`` and ``build`` in the copy.
(``tests/test_ls_integration.py`` does the same through a real Label Studio.)
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
#: Never copied outside a git checkout: environments, servers' data, caches and build leftovers.
_IGNORED = shutil.ignore_patterns(".git", ".venv*", ".ls-data*", "__pycache__", "*.egg-info", ".hypothesis",
                                  ".pytest_cache", "build", "*.tmp", ".cache")
TOP = ("annotations", "benchmarks", "dataset", "docs", "scripts", "src", "tests", "requirements")
FILES = ("README.md", "DATASET_CARD.md", "LICENSE", "pyproject.toml", ".gitignore")


def _not_copied(directory: str, names: list[str]) -> set[str]:
    return set(_IGNORED(directory, names)) | ({"data"} if Path(directory).name == "perf" else set())


def copy_repository(dest: Path, source: Path = REPO) -> Path:
    """The repository's files as they stand (tracked and untracked, not ignored) under ``dest``."""
    listed = subprocess.run(["git", "-C", str(source), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            capture_output=True)
    dest.mkdir(parents=True, exist_ok=True)
    if listed.returncode == 0 and listed.stdout:
        for name in filter(None, listed.stdout.decode().split("\0")):
            if (source / name).is_file():  # a tracked file deleted in the work tree is not copied
                (dest / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source / name, dest / name)
    else:
        for top in TOP:
            if (source / top).is_dir():
                shutil.copytree(source / top, dest / top, ignore=_not_copied)
        for name in FILES:
            if (source / name).is_file():
                shutil.copy2(source / name, dest / name)
    return dest


def copy_env(repo: Path, home: Path) -> dict[str, str]:
    """The environment of a command run in the copy: its own source first, offline, its own Hugging
    Face home; none of the caller's ``VIETLAO_*`` settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIETLAO_", "PYTHONPATH"))}
    env.update(PYTHONPATH=str(repo / "src"), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", HF_HOME=str(home),
               PYTHONUTF8="1")
    return env


def run_vietlao(repo: Path, env: dict[str, str], *args: str) -> str:
    """``vietlao ARGS`` in ``repo``; it must succeed. Returns its standard output."""
    done = subprocess.run([sys.executable, "-m", "vietlao", *args], cwd=repo, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"vietlao {' '.join(args)}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@dataclass(frozen=True)
class TestDocument:
    """A document written for the tests: its text, metadata (without ``doc_id``, ``source_file`` and
    ``sha256``, which the extension derives), its sheet (``annotations/passes`` format, sentence ids
    ``NNN-iii`` with any ``NNN``) and the inventory entries it needs if they are missing."""

    text: Path
    meta: dict
    sheet: list[dict]
    entities: tuple[dict, ...] = ()


def _mentions_sheet(spec: dict, doc_id: str) -> list[dict]:
    """A sheet from ``extension/annotations.json``'s ``[surface, type, id]`` lists."""
    return [{"id": f"{doc_id}-{i:03d}", "stance": s["stance"],
             "entities": [{"text": t, "type": typ, "id": eid} for t, typ, eid in s["mentions"]]}
            for i, s in enumerate(spec["sentences"])]


def lao_document() -> TestDocument:
    return TestDocument(
        text=DATA / "lao_leaders.txt",
        meta={"lang": "lo", "title": None, "outlet": None, "source_url": None, "published": None,
              "is_translation": False, "translated_from": None, "split": "test",
              "notes": "Written for the tests; not a news text."},
        sheet=yaml.safe_load((DATA / "lao_leaders.yaml").read_text(encoding="utf-8")),
        entities=({"id": "hanoi", "name": "Hanoi", "names": {"lo": "ຮ່າໂນ້ຍ"}, "type": "GPE",
                   "sources": {"lo": "https://la.qdnd.vn/cid-7638/7659/nid-528889.html"}},),
    )


def indonesian_document() -> TestDocument:
    spec = json.loads((DATA / "extension" / "annotations.json").read_text(encoding="utf-8"))
    meta = {k: v for k, v in spec["metadata"].items() if k not in {"doc_id", "source_file"}}
    return TestDocument(text=DATA / "extension" / "005_extension_test.txt", meta=meta, sheet=_mentions_sheet(spec, "000"))


def add_document(repo: Path, document: TestDocument) -> str:
    """Text, metadata entry and missing inventory entries of ``document`` in ``repo``; its doc id."""
    documents = repo / "annotations" / "documents"
    rows = json.loads((documents / "metadata.json").read_text(encoding="utf-8"))
    doc_id = f"{max(int(r['doc_id']) for r in rows) + 1:03d}"
    data = document.text.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    source_file = f"{doc_id}_{digest[:16]}.txt"
    (documents / source_file).write_bytes(data)
    rows.append({"doc_id": doc_id, "source_file": source_file, **document.meta, "sha256": digest})
    (documents / "metadata.json").write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    inventory = repo / "annotations" / "entities.yaml"
    known = {e["id"] for e in yaml.safe_load(inventory.read_text(encoding="utf-8"))}
    with open(inventory, "a", encoding="utf-8") as handle:
        for entity in document.entities:
            if entity["id"] not in known:
                handle.write("- " + yaml.safe_dump(entity, allow_unicode=True, default_flow_style=True,
                                                   width=10**6).strip() + "\n")
    return doc_id


def annotate_offline(repo: Path, doc_id: str, sheet: list[dict], sheets: Path) -> int:
    """The document's sentences as tasks in ``annotations/export.json``: the pre-annotator's prediction
    and the sheet's decisions as the completed annotation, ids after the export's; the number added."""
    from vietlao.corpus.documents import load_corpus
    from vietlao.corpus.inventory import load_inventory
    from vietlao.labelstudio.preannotate import model_version, prediction
    from vietlao.labelstudio.sheets import sheets_to_tasks
    from vietlao.paths import Project

    paths = Project(repo)
    (sheets / f"{doc_id}.yaml").write_text(
        yaml.safe_dump([{**s, "id": f"{doc_id}-{s['id'].split('-')[1]}"} for s in sheet], allow_unicode=True),
        encoding="utf-8")
    doc = next(d for d in load_corpus(paths.metadata) if d.doc_id == doc_id)
    inventory, version = load_inventory(paths.inventory), model_version(paths.inventory)
    export = json.loads(paths.export.read_text(encoding="utf-8"))
    task_id = max(t["id"] for t in export)
    annotation_id = max(a["id"] for t in export for a in t["annotations"])
    for offset, task in enumerate(sheets_to_tasks(sheets, [doc]), start=1):
        task["id"] = task_id + offset
        task["annotations"][0]["id"] = annotation_id + offset
        task["predictions"] = [prediction(task["data"], inventory, version)]
        task["meta"] = {"annotation_pass": "extension-test"}
        export.append(task)
    paths.export.write_text(json.dumps(export, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return len(export) - task_id


def extend(repo: Path, env: dict[str, str], work: Path, documents: list[TestDocument] | None = None) -> list[str]:
    """Add ``documents`` (default: the Lao and the Indonesian test documents) to the copy ``repo`` and
    rebuild it with the project's commands; their doc ids."""
    ids = []
    for document in documents if documents is not None else [lao_document(), indonesian_document()]:
        doc_id = add_document(repo, document)
        run_vietlao(repo, env, "stats")
        sheets = work / f"sheets-{doc_id}"
        sheets.mkdir(parents=True)
        annotate_offline(repo, doc_id, document.sheet, sheets)
        ids.append(doc_id)
    for command in (("validate",), ("inventory",), ("build",)):
        run_vietlao(repo, env, *command)
    return ids
