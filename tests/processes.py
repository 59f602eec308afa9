"""Stopping a server a test started (by its PID). Not a test module: tests import it."""

from __future__ import annotations

import subprocess
from pathlib import Path


def stop(process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    """SIGTERM ``process`` and assert it exits with 0 within ``seconds`` (the tail of ``log`` says
    why not); it is killed if it is still running after that."""
    process.terminate()
    try:
        assert process.wait(seconds) == 0, log.read_text(encoding="utf-8", errors="replace")[-3000:]
    finally:
        if process.poll() is None:
            process.kill()
