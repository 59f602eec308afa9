"""The round trip against a REAL Label Studio (from the tool environment), started once per module.

Without the tool environment the tests are skipped locally, but fail when ``CI=true``.
"""

import json
import os
import secrets
import shutil
import socket
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from vietlao.cli import main
from vietlao.corpus.documents import load_corpus
from vietlao.paths import project
from vietlao.labelstudio.client import Client
from vietlao.labelstudio.commands import annotate, push
from vietlao.labelstudio.server import VENV_ENV, free_port, start_server
from vietlao.labelstudio.preannotate import model_version
from vietlao.labelstudio.tasks import sentence_tasks
from vietlao.export.validate import validate_gold

pytestmark = pytest.mark.server

TITLE = "vietlao-integration"
SENTENCES = len(sentence_tasks(load_corpus()))
TIMINGS: dict[str, float] = {}


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    venv = Path(os.environ.get(VENV_ENV) or project().ls_venv)
    if not (venv / "bin" / "label-studio").exists():
        message = f"no Label Studio in {venv}; `python3 scripts/dev.py test` creates it"
        if _in_ci():
            pytest.fail(message + " (CI=true: this must not be skipped)")
        pytest.skip(message)
    token = secrets.token_hex(20)
    data_dir = tmp_path_factory.mktemp("ls-data")
    start = time.monotonic()
    handle = start_server(free_port(), data_dir, token)
    TIMINGS["server start"] = time.monotonic() - start
    try:
        yield SimpleNamespace(handle=handle, token=token, url=handle.url, data_dir=data_dir)
    finally:
        handle.stop()
        assert not handle.alive()
        print("\nLabel Studio timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in TIMINGS.items()))


@pytest.fixture(scope="module")
def client(server):
    return Client(server.url, server.token, timeout=60, attempts=3, backoff=0.5)


def _non_loopback_ipv4():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent for UDP connect
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def test_server_listens_on_loopback_only(server):
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    address = _non_loopback_ipv4()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to probe")
    with pytest.raises(OSError):
        socket.create_connection((address, port), timeout=5).close()


def test_push_imports_every_sentence_with_predictions(client):
    start = time.monotonic()
    report = push(client, TITLE)
    TIMINGS["push"] = time.monotonic() - start
    assert report["created"] and report["new"] == SENTENCES
    tasks = client.tasks(report["project_id"])
    assert len(tasks) == SENTENCES
    assert sorted(t["data"]["sentence_id"] for t in tasks) == sorted(d["sentence_id"] for d in sentence_tasks(load_corpus()))
    for t in tasks:
        (p,) = t["predictions"]
        assert p["model_version"] == model_version() and 0.0 <= p["score"] <= 1.0
        assert all(r["from_name"] in {"label", "entity_id"} for r in p["result"])
    assert sum(len(t["predictions"][0]["result"]) for t in tasks) > 0


def test_annotate_pull_validate(client, server, tmp_path, monkeypatch, capsys):
    sheets = tmp_path / "pass1"
    sheets.mkdir()
    shutil.copy(project().passes / "pass1" / "003.yaml", sheets)
    start = time.monotonic()
    assert annotate(client, sheets, TITLE) == {"created": 7}
    TIMINGS["annotate 7 tasks"] = time.monotonic() - start
    assert annotate(client, sheets, TITLE) == {"unchanged": 7}

    out = tmp_path / "export.json"
    monkeypatch.setenv("VIETLAO_LS_TOKEN", server.token)
    monkeypatch.setenv("VIETLAO_LS_URL", server.url)
    start = time.monotonic()
    assert main(["ls", "pull", "--project-title", TITLE, "--output", str(out)]) == 0
    TIMINGS["pull"] = time.monotonic() - start
    records = validate_gold(out, complete=False)
    assert sorted(r.sentence_id for r in records) == [f"003-{i:03d}" for i in range(7)]
    text = out.read_text(encoding="utf-8")
    assert "@" not in text and server.token not in text
    who = {a["completed_by"] for t in json.loads(text) for a in t["annotations"]}
    assert who == {"annotator-1"}
    captured = capsys.readouterr()
    assert server.token not in captured.out + captured.err


def test_push_again_adds_nothing(client):
    report = push(client, TITLE)
    assert not report["created"] and report["new"] == 0 and not report["duplicated"]
    assert len(client.tasks(report["project_id"])) == SENTENCES


def test_token_stays_out_of_the_server_log(server):
    assert server.token not in server.handle.log.read_text(encoding="utf-8", errors="replace")
