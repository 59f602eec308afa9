#!/usr/bin/env python3
"""Set up and run the project on a machine that has only python3.

    python3 scripts/dev.py main   # set up, verify the corpus, build the dataset, run the benchmark
    python3 scripts/dev.py test   # set up (incl. the Label Studio tool environment), run the tests

Set-up is idempotent: ``.venv`` holds the package with its extras, ``.venv-ls`` holds the
Label Studio server, kept apart so the dataset package's dependencies stay light.
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
LS_REQUIREMENT = "label-studio==1.23.2"
CHROMIUM = Path("/usr/bin/chromium")
EXTRAS = {"main": "bench,peers,embed", "test": "dev,peers"}


def _bin(env: Path, name: str) -> Path:
    return env / ("Scripts" if os.name == "nt" else "bin") / name


def _run(*cmd, **kwargs) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def _ensure_env(env: Path, requirements: list[str], stamp_key: str) -> None:
    """Create ``env`` and install ``requirements`` unless the same set is already installed."""
    stamp = env / ".vietlao-stamp"
    key = hashlib.sha256(stamp_key.encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == key:
        return
    if not _bin(env, "python").exists():
        venv.EnvBuilder(with_pip=True).create(env)
    pip = [_bin(env, "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    _run(*pip, "--upgrade", "pip")
    _run(*pip, *requirements)
    stamp.write_text(key)


def ensure_chromium() -> None:
    """Debian's Chromium for the browser test (driven by Playwright from pip; no browser download):
    installed with apt-get when running as root and missing; otherwise the test says what is missing."""
    if CHROMIUM.exists() or not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("apt-get"):
        return
    _run("apt-get", "update", "-q")
    _run("apt-get", "install", "-y", "-q", "chromium", env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


def setup(extras: str, with_label_studio: bool) -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    _ensure_env(VENV, ["-e", f"{ROOT}[{extras}]"], extras + pyproject)
    if with_label_studio:
        _ensure_env(LS_VENV, [LS_REQUIREMENT], LS_REQUIREMENT)
        ensure_chromium()


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in EXTRAS:
        print(__doc__, file=sys.stderr)
        return 2
    job = argv[0]
    setup(EXTRAS[job], with_label_studio=job == "test")
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", PYTHONUTF8="1")
    env.setdefault("VIETLAO_LS_VENV", str(LS_VENV))
    vietlao = _bin(VENV, "vietlao")
    if job == "main":
        commands = [[vietlao, "stats"], [vietlao, "build"], [vietlao, "benchmark"]]
    else:
        commands = [[_bin(VENV, "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"]]
    for cmd in commands:
        code = subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env).returncode
        if code != 0:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
