"""The project root comes from $VIETLAO_ROOT, ``--root`` or the current directory; paths live in one module."""

import os
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

import vietlao
from vietlao.paths import ROOT_ENV, project

CHECKOUT = Path(__file__).resolve().parents[1]
#: A project path written out: a folder or file of the project joined to a path.
PROJECT_PATH = re.compile(r'/ "(annotations|dataset|benchmarks|results|entities\.yaml|export\.json|DATASET_CARD\.md|\.venv-ls|\.ls-data)"')


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != ROOT_ENV}
    env["PYTHONPATH"] = str(CHECKOUT / "src")
    return {**env, **extra}


def _vietlao(*args, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vietlao", *args], cwd=cwd, env=env, capture_output=True, text=True)


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "copy"
    shutil.copytree(CHECKOUT / "annotations", root / "annotations")
    return root


def test_root_is_the_environment_variable_else_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.setenv(ROOT_ENV, str(tmp_path))
    assert project().export == tmp_path / "annotations" / "export.json"
    monkeypatch.delenv(ROOT_ENV)
    monkeypatch.chdir(tmp_path)
    assert project().root == tmp_path and project().dataset == tmp_path / "dataset"
    assert project(CHECKOUT).card == CHECKOUT / "DATASET_CARD.md"


def test_a_copy_of_the_repository_is_used_when_run_from_it(tmp_path):
    """The package never reads the checkout it was installed from: a broken copy fails, by its own path."""
    root = _copy(tmp_path)
    (root / "annotations" / "export.json").write_text("{}", encoding="utf-8")
    for args, cwd, env in [
        ((), root, _env()),  # the current directory
        (("--root", str(root)), tmp_path, _env()),  # the option
        ((), tmp_path, _env(**{ROOT_ENV: str(root)})),  # the environment
    ]:
        done = _vietlao(*args, "validate", cwd=cwd, env=env)
        assert done.returncode == 1, done.stderr
        assert done.stderr.startswith(f"vietlao: error: {root / 'annotations' / 'export.json'}: ")
        assert "must be a JSON list" in done.stderr and "Traceback" not in done.stderr
    done = _vietlao("validate", cwd=root, env=_env())
    assert done.returncode == 1


def test_a_folder_that_is_not_a_project_is_named_in_the_error(tmp_path):
    done = _vietlao("stats", cwd=tmp_path, env=_env())
    assert done.returncode == 1 and str(tmp_path / "annotations" / "documents" / "metadata.json") in done.stderr


def test_no_module_reads_files_or_finds_paths_at_import(tmp_path):
    """Every module imports from an empty folder, and only ``vietlao.paths`` names project paths."""
    names = [m.name for m in pkgutil.walk_packages(vietlao.__path__, "vietlao.") if m.name != "vietlao.__main__"]
    code = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    done = subprocess.run([sys.executable, "-c", code, *names], cwd=tmp_path, env=_env(**{ROOT_ENV: str(tmp_path / "none")}),
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for path in Path(vietlao.__file__).parent.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "__file__" not in text, path
        if path.name != "paths.py":
            assert not PROJECT_PATH.search(text), path
