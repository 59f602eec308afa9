"""The headless Chromium the browser tests drive (Debian's, through Playwright; never downloaded), and
how a test that needs it is skipped locally and fails under CI. Not a test module: tests import it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vietlao.paths import project

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
#: Set to a folder of the project (``docs``) to keep the screenshots there.
SCREENSHOTS_ENV = "VIETLAO_SCREENSHOTS"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def unavailable(message: str):
    """Skip the test, or fail it under CI (which must run it)."""
    if in_ci():
        pytest.fail(message + " (CI=true: this must not be skipped)")
    pytest.skip(message)


def shot_dir(tmp_path: Path) -> Path:
    """Where screenshots go: ``$VIETLAO_SCREENSHOTS`` under the project, else ``tmp_path``."""
    where = os.environ.get(SCREENSHOTS_ENV)
    path = (project().root / where) if where else tmp_path
    path.mkdir(parents=True, exist_ok=True)
    return path
