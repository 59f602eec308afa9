"""The README's set-up and main job on a fresh machine: a clean clone, an empty HOME (so an empty pip
cache), the venv made by the interpreter's own ``venv`` (so the pip it bundles), for every supported
Python on this machine; then the tests that depend on the interpreter, with that interpreter.

It needs the package registries and takes minutes per interpreter, so it runs when
``VIETLAO_FRESH_MACHINE=1``, which ``python3 scripts/dev.py test`` (the README's test command, and so CI)
sets; a plain ``pytest`` skips it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENV = "VIETLAO_FRESH_MACHINE"
#: Tests whose outcome has depended on the interpreter (CPython 3.11.2 matched possessive regex
#: quantifiers wrongly, so the export reader accepted lone surrogate escapes there).
INTERPRETER_TESTS = ("tests/test_reader.py", "tests/test_bad_exports.py")


def _interpreters() -> dict[str, str]:
    """Supported interpreters found on this machine, by version (Debian's python3 first)."""
    found: dict[str, str] = {}
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    for candidate in ("/usr/bin/python3", shutil.which("python3.11"), shutil.which("python3.12"),
                      *map(str, sorted(pyenv.glob("3.1[12].*/bin/python3")))):
        if not candidate or not Path(candidate).exists():
            continue
        out = subprocess.run(  # the interpreter itself, not a shim that depends on HOME
            [candidate, "-c", "import sys, ensurepip; print('%d.%d.%d' % sys.version_info[:3], sys.executable)"],
            capture_output=True, text=True)
        if out.returncode != 0:
            continue
        version, executable = out.stdout.split(maxsplit=1)
        if version[:4] in ("3.11", "3.12") and version not in found:
            found[version] = executable.strip()
    return found


PYTHONS = _interpreters()


def _clone(clone: Path) -> None:
    """A clean clone of this checkout's commit (a checkout without git: its files, committed afresh)."""
    if (ROOT / ".git").exists():
        subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(clone)], check=True)
        return
    shutil.copytree(ROOT, clone, ignore=shutil.ignore_patterns(".venv*", "build", ".cache", "__pycache__", ".ls-data*"))
    for cmd in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qm", "x"]):
        subprocess.run(["git", *cmd], cwd=clone, check=True)


@pytest.mark.skipif(os.environ.get(ENV) != "1", reason=f"set {ENV}=1 (python3 scripts/dev.py test does)")
@pytest.mark.parametrize("version", sorted(PYTHONS) or ["none"])
def test_the_readme_set_up_and_main_job_on_a_fresh_clone(version, tmp_path):
    assert version in PYTHONS, "no supported Python (3.11 or 3.12) with venv on this machine"
    python = PYTHONS[version]
    clone = tmp_path / "vietlao"
    _clone(clone)
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIETLAO_", "VIRTUAL_ENV", "PYTHON"))}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"))
    started = time.monotonic()
    main = subprocess.run([python, "scripts/dev.py", "main"], cwd=clone, env=env, capture_output=True, text=True)
    took = time.monotonic() - started
    tail = "\n".join((main.stdout + main.stderr).splitlines()[-40:])
    assert main.returncode == 0, f"python {version}: dev.py main failed after {took:.0f}s:\n{tail}"
    assert "Traceback" not in main.stderr
    assert "every row identical" in main.stdout, tail
    status = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True, check=True)
    assert status.stdout == "", f"python {version}: the main job changed the clone:\n{status.stdout}"
    venv_python = clone / ".venv" / "bin" / "python"
    reported = subprocess.run([venv_python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                              capture_output=True, text=True, check=True).stdout.strip()
    assert reported == version
    tests = subprocess.run([venv_python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *INTERPRETER_TESTS],
                           cwd=clone, env=env, capture_output=True, text=True)
    assert tests.returncode == 0, f"python {version}:\n" + "\n".join(tests.stdout.splitlines()[-30:])
    print(f"python {version} ({python}): set-up and main job {took:.0f}s")
