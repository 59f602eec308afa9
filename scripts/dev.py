#!/usr/bin/env python3
"""Set up and run the project on a machine that has only python3.

    python3 scripts/dev.py main   # set up, verify the corpus, build the dataset, run the benchmark
    python3 scripts/dev.py test   # set up (incl. the Label Studio tool environment), run the tests
    python3 scripts/dev.py lock   # refresh the lock files from pyproject.toml (needs PyPI)

Set-up is idempotent: ``.venv`` holds the package with its extras, ``.venv-ls`` holds the
Label Studio server, kept apart so the dataset package's dependencies stay light. Both are
installed from lock files with hashes (``requirements/venv.txt``, ``requirements/venv-ls.txt``,
made by ``uv pip compile --generate-hashes``). The installer is pinned too: a new venv first
replaces the pip its Python bundled (23.x reads a dependency's *extra*, such as
``smart-open[http]``, as an unpinned requirement, so a new upstream release broke the hash-checked
install) by the hash-checked pip of ``requirements/pip.txt``; then ``pip install --require-hashes``
of the lock, then the package itself with ``--no-deps``. ``lock`` keeps every pin it can (uv prefers the versions
already in a lock file) and adds what pyproject.toml newly lists.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
LS_VENV = ROOT / ".venv-ls"
LOCK_VENV = ROOT / ".venv-lock"
LS_REQUIREMENT = "label-studio==1.23.2"
LOCKS = ROOT / "requirements"
VENV_LOCK = LOCKS / "venv.txt"  # the package's dependencies with all its extras (main and test use them)
LS_LOCK = LOCKS / "venv-ls.txt"
PIP_LOCK = LOCKS / "pip.txt"  # the installer itself, pinned and hash-checked before it installs a lock
UV = "uv==0.13.8"
PYTHON = "3.11"
#: The interpreters the set-up and the tests are run with (tests/test_fresh_machine.py): 3.11 (Debian's
#: 3.11.2 included) and 3.12; pyproject's requires-python says the same.
SUPPORTED = ((3, 11), (3, 12))
JOBS = ("main", "test", "lock")
CHROMIUM = Path("/usr/bin/chromium")


def _bin(env: Path, name: str) -> Path:
    return env / ("Scripts" if os.name == "nt" else "bin") / name


class SetupError(Exception):
    """A set-up step failed: one line says which and what to do."""


def _run(*cmd, **kwargs) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    try:
        subprocess.run([str(c) for c in cmd], check=True, **kwargs)
    except (subprocess.CalledProcessError, OSError) as error:
        code = getattr(error, "returncode", None)
        what = f"exit {code}" if code is not None else str(error)
        raise SetupError(f"set-up step failed ({what}): {' '.join(str(c) for c in cmd)}") from None


def _pip(env: Path) -> list:
    return [_bin(env, "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]


def _ensure_env(env: Path, lock: Path, editable: bool) -> None:
    """Create ``env`` and install ``lock`` (hash-checked) unless that lock is already installed."""
    stamp = env / ".vietlao-stamp"
    package = (ROOT / "pyproject.toml").read_bytes() if editable else b""
    key = hashlib.sha256(PIP_LOCK.read_bytes() + lock.read_bytes() + package).hexdigest()
    if stamp.exists() and stamp.read_text() == key:
        return
    if not _bin(env, "python").exists():
        venv.EnvBuilder(with_pip=True).create(env)
    _run(*_pip(env), "--require-hashes", "--no-deps", "-r", PIP_LOCK)
    _run(*_pip(env), "--require-hashes", "-r", lock)
    if editable:
        _run(*_pip(env), "--no-deps", "-e", ROOT)
    stamp.write_text(key)


def ensure_chromium() -> None:
    """Debian's Chromium for the browser test (driven by Playwright from pip; no browser download):
    installed with apt-get when running as root and missing; otherwise the test says what is missing."""
    if CHROMIUM.exists() or not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("apt-get"):
        return
    _run("apt-get", "update", "-q")
    _run("apt-get", "install", "-y", "-q", "chromium", env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


def setup(with_label_studio: bool) -> None:
    _ensure_env(VENV, VENV_LOCK, editable=True)
    if with_label_studio:
        _ensure_env(LS_VENV, LS_LOCK, editable=False)
        ensure_chromium()


def lock() -> int:
    """Rewrite both lock files with ``uv pip compile --generate-hashes`` (kept pins preferred)."""
    if not _bin(LOCK_VENV, "python").exists():
        venv.EnvBuilder(with_pip=True).create(LOCK_VENV)
    _run(*_pip(LOCK_VENV), UV)
    uv = _bin(LOCK_VENV, "uv")
    common = ["pip", "compile", "--quiet", "--generate-hashes", "--python-version", PYTHON,
              "--python-platform", "linux", "--custom-compile-command", "python3 scripts/dev.py lock"]
    LOCKS.mkdir(exist_ok=True)
    _run(uv, *common, "--all-extras", "pyproject.toml", "-o", VENV_LOCK.relative_to(ROOT), cwd=ROOT)
    requirement = LOCKS / "venv-ls.in"
    requirement.write_text(LS_REQUIREMENT + "\n")
    _run(uv, *common, requirement.relative_to(ROOT), "-o", LS_LOCK.relative_to(ROOT), cwd=ROOT)
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in JOBS:
        print(__doc__, file=sys.stderr)
        return 2
    job = argv[0]
    if sys.version_info[:2] not in SUPPORTED:
        versions = " or ".join(".".join(map(str, v)) for v in SUPPORTED)
        print(f"dev.py: error: Python {sys.version.split()[0]} is not supported; run it with Python {versions}",
              file=sys.stderr)
        return 2
    if job == "lock":
        return lock()
    try:
        setup(with_label_studio=job == "test")
    except SetupError as error:
        print(f"dev.py: error: {error}; the output above says why (a network or registry problem: run the"
              f" command again; a lock that no longer installs: `python3 scripts/dev.py lock`)", file=sys.stderr)
        return 1
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", PYTHONUTF8="1")
    env.setdefault("VIETLAO_LS_VENV", str(LS_VENV))
    if job == "test":
        env["VIETLAO_FRESH_MACHINE"] = "1"  # tests/test_fresh_machine.py: set-up and main job in a clean clone
    vietlao = _bin(VENV, "vietlao")
    if job == "main":
        commands = [[vietlao, "stats"], [vietlao, "build"], [vietlao, "benchmark", "--check"]]
    else:
        commands = [[_bin(VENV, "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"]]
    for cmd in commands:
        code = subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env).returncode
        if code != 0:
            return code
    if job == "main":
        print(f"\nThe vietlao command is in {VENV.name}/bin: `source {VENV.name}/bin/activate` puts it on the PATH.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
