"""``vietlao ls serve`` in the foreground: it says it is starting, and a stop sent to Label Studio's own
pid from outside ends it cleanly, named as such (not as a crash)."""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time

import pytest

from vietlao.labelstudio.server import free_port

pytestmark = pytest.mark.server


def test_a_stop_sent_to_label_studios_pid_ends_serve_cleanly(tmp_path, ls_venv):
    token, log = secrets.token_hex(20), tmp_path / "serve.log"
    env = {**os.environ, "VIETLAO_LS_TOKEN": token, "VIETLAO_LS_VENV": str(ls_venv)}
    with log.open("wb") as sink:
        serve = subprocess.Popen(
            [sys.executable, "-m", "vietlao", "ls", "serve", "--port", str(free_port()), "--data-dir", str(tmp_path / "ls")],
            env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        ends = time.monotonic() + 240
        while "Ctrl-C stops it" not in log.read_text(encoding="utf-8", errors="replace"):
            assert serve.poll() is None and time.monotonic() < ends, log.read_text(encoding="utf-8")[-3000:]
            time.sleep(0.5)
        out = log.read_text(encoding="utf-8")
        assert out.startswith("starting Label Studio on port ")
        pid = int(re.search(r"\(pid (\d+),", out).group(1))
        os.kill(pid, signal.SIGTERM)
        assert serve.wait(60) == 0, log.read_text(encoding="utf-8")[-3000:]
        out = log.read_text(encoding="utf-8")
        assert f"Label Studio (pid {pid}) was stopped by SIGTERM" in out and "Traceback" not in out
        assert token not in out
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGTERM)
            serve.wait(60)
