"""vietlao.assist.ml_server: Label Studio's ML-backend protocol over HTTP. The endpoints on
Flask's test client, then a real Label Studio that asks the backend for predictions when a task
is opened and tells it (``/webhook``) to retrain when an annotation is created."""

from __future__ import annotations

import copy
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from vietlao import label_config as lc
from vietlao.assist.ml_backend import MAX_REQUEST_BYTES, Trainer
from vietlao.assist.ml_server import create_app
from vietlao.assist.model_preannotate import Preannotator, training_digest
from vietlao.corpus.inventory import load_inventory
from vietlao.evaluation.evaluate import load_gold
from vietlao.export.task import convert_task
from vietlao.export.validate import gold_context
from vietlao.paths import project

from processes import stop

EVERY = "train,validation,test"
EXPORT = json.loads(project().export.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def trainer():
    def fake(name, ner, stance, inventory):
        return Preannotator(name, f"fake-{training_digest(ner, stance, inventory)}", inventory)

    t = Trainer("gazetteer", load_gold("ner", EVERY), load_gold("stance", EVERY), load_inventory(), gold_context(),
                debounce=60, train_fn=fake)
    t.retrain()
    return t


@pytest.fixture()
def http(trainer):
    return create_app(trainer).test_client()


def test_health_and_setup_report_the_model_version(http, trainer):
    health = http.get("/health").get_json()
    assert health["status"] == "UP" and health["model_version"] == trainer.version
    setup = http.post("/setup", json={"project": "1.1700000000", "schema": "<View/>", "access_token": "t0ken"})
    assert setup.status_code == 200 and setup.get_json() == {"model_version": trainer.version}
    assert http.get("/versions").get_json() == {"versions": [trainer.version]}


def test_predict_answers_one_entry_per_task_in_order(http, trainer):
    tasks = [{"id": 7, "data": EXPORT[0]["data"]}, {"id": 8, "data": {"url": "x"}}, {"id": 9, "data": EXPORT[1]["data"]}]
    answer = http.post("/predict", json={"tasks": tasks, "project": "1.1700000000", "label_config": "<View/>"})
    results = answer.get_json()["results"]
    assert answer.status_code == 200 and len(results) == 3 and results[1] == []
    for task, entry in zip((tasks[0], tasks[2]), (results[0], results[2])):
        [prediction] = entry  # the gazetteer's: spans of the sentence, no stance
        assert prediction["model_version"] == trainer.version and prediction["result"]
        text = task["data"]["text"]
        assert all(r["value"]["text"] == text[r["value"]["start"]:r["value"]["end"]] for r in prediction["result"])


@pytest.mark.parametrize("body, message", [
    (b"not json", "must be a JSON object"),
    (b"[1, 2]", "must be a JSON object"),
    (b'{"tasks": {"id": 1}}', "`tasks` must be a list"),
])
def test_bad_predict_requests_get_400_and_one_line(http, body, message):
    answer = http.post("/predict", data=body, content_type="application/json")
    assert answer.status_code == 400
    error = answer.get_json()["error"]
    assert message in error and "\n" not in error


def test_a_body_over_the_limit_gets_413(http):
    answer = http.post("/predict", data=b" " * (MAX_REQUEST_BYTES + 1), content_type="application/json")
    assert answer.status_code == 413 and "error" in answer.get_json()


def test_webhook_schedules_a_retraining_for_annotation_events_only(http, trainer):
    before = trainer.counts["webhook"]
    assert http.post("/webhook", json={"action": "PROJECT_UPDATED"}).get_json()["status"] == "ignored"
    assert not trainer.busy
    answer = http.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 1}})
    assert answer.status_code == 201 and answer.get_json()["status"] == "scheduled"
    assert trainer.busy and trainer.counts["webhook"] == before + 1
    assert http.post("/webhook", json={"action": 3}).status_code == 400
    assert http.get("/predict").status_code == 405 and "error" in http.get("/predict").get_json()


# -- a real Label Studio -----------------------------------------------------------------------------


def _health(url: str) -> dict | None:
    try:
        return httpx.get(f"{url}/health", timeout=5).json()
    except httpx.HTTPError:
        return None


def _until(what: str, check, limit: float, log: Path, process=None):
    ends = time.monotonic() + limit
    while time.monotonic() < ends and (process is None or process.poll() is None):
        value = check()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"{what} within {limit:g} s; backend log:\n{log.read_text(encoding='utf-8', errors='replace')[-3000:]}")


def _with_stance(result: list[dict]) -> list[dict]:
    """A prediction's result as an annotator submits it: the stance picked (a prediction only
    suggests one, in a read-only note)."""
    return [*result, lc.stance_item("neutral")]


def _open_afresh(client, task: dict) -> list[dict]:
    """Delete the task's predictions and open it as an annotator would (``GET /api/tasks/ID``):
    Label Studio then asks the project's ML backend; the task's predictions afterwards."""
    for prediction in task["predictions"]:
        client.sdk.predictions.delete(prediction["id"])
    client.sdk.tasks.get(str(task["id"]))
    return [p.model_dump(mode="json") for p in client.sdk.predictions.list(task=task["id"])]


@pytest.mark.server
def test_label_studio_gets_predictions_from_the_backend_and_makes_it_retrain_also_after_a_restart(tmp_path, ls_venv):
    from vietlao.cli import main
    from vietlao.labelstudio.client import TOKEN_ENV, Client
    from vietlao.labelstudio.server import free_port, start_server

    token, title, ctx = secrets.token_hex(20), "vietlao-backend", gold_context()
    handle = start_server(free_port(), tmp_path / "ls-data", token)
    backend, log = None, tmp_path / "backend.log"
    env = {**os.environ, TOKEN_ENV: token}
    try:
        client = Client(handle.url, token, timeout=60, attempts=3, backoff=0.5)
        os.environ[TOKEN_ENV] = token
        try:
            assert main(["ls", "push", "--url", handle.url, "--project-title", title, "--model", "crf", "--no-restore"]) == 0
        finally:
            del os.environ[TOKEN_ENV]
        project_id = client.find_project(title)
        tasks = sorted(client.tasks(project_id), key=lambda t: t["data"]["sentence_id"])
        pushed = {p["model_version"] for t in tasks for p in t["predictions"]}
        assert len(pushed) == 1 and pushed.pop().startswith("crf-")
        for t in tasks:  # the pushed predictions validate when accepted with a stance picked
            for p in t["predictions"]:
                convert_task({"data": t["data"], "annotations": [{"result": _with_stance(p["result"])}]}, ctx)

        port = free_port()
        url = f"http://127.0.0.1:{port}"

        def start_backend():
            with log.open("ab") as out:
                process = subprocess.Popen(
                    [sys.executable, "-m", "vietlao", "ls", "backend", "--url", handle.url, "--project-title", title,
                     "--port", str(port), "--model", "crf", "--debounce", "1"],
                    env=env, stdout=out, stderr=subprocess.STDOUT, cwd=project().root)
            _until("the backend attached to the project",
                   lambda: log.read_text(encoding="utf-8", errors="replace").count("listening on") > starts,
                   180, log, process)
            return process

        starts = 0
        backend = start_backend()
        v0 = _health(url)["model_version"]
        assert v0 == tasks[0]["predictions"][0]["model_version"]  # the project holds no annotation yet: the gold

        # the label stream pre-labels a task with its pushed prediction of the backend's version: no second one
        served = httpx.get(f"{handle.url}/api/projects/{project_id}/next", headers={"Authorization": f"Token {token}"},
                           timeout=60)
        assert served.status_code == 200, served.text[:300]
        stream_task = served.json()["id"]
        assert [p.model_version for p in client.sdk.predictions.list(task=stream_task)] == [v0]

        predictions = _open_afresh(client, tasks[0])
        assert [p["model_version"] for p in predictions] == [v0]
        assert _health(url)["counts"]["predict"] >= 1
        convert_task({"data": tasks[0]["data"], "annotations": [{"result": _with_stance(predictions[0]["result"])}]}, ctx)

        gold = next(t for t in EXPORT if t["data"]["sentence_id"] == tasks[1]["data"]["sentence_id"])
        result = copy.deepcopy(gold["annotations"][0]["result"])
        stance = next(r for r in result if r["from_name"] == "stance")
        stance["value"]["choices"] = ["against" if stance["value"]["choices"] != ["against"] else "favor"]
        assert client.annotate(tasks[1], result, replace=False) == "created"
        health = _until("a new model version after the annotation",
                        lambda: (h := _health(url)) and h["model_version"] != v0 and not h["retraining"] and h, 180, log, backend)
        assert health["counts"]["webhook"] >= 1 and health["last_error"] is None
        v1 = health["model_version"]

        predictions = _open_afresh(client, tasks[2])
        assert [p["model_version"] for p in predictions] == [v1]

        # a restarted backend re-attaches to the project that already has it, and serves suggestions
        stop(backend, log)
        starts = 1
        backend = start_backend()
        assert len(client.sdk.ml.list(project=project_id)) == 1
        v2 = _health(url)["model_version"]
        predictions = _open_afresh(client, tasks[3])
        assert [p["model_version"] for p in predictions] == [v2]
        # and its retraining still follows new annotations
        gold = next(t for t in EXPORT if t["data"]["sentence_id"] == tasks[4]["data"]["sentence_id"])
        result = copy.deepcopy(gold["annotations"][0]["result"])
        stance = next(r for r in result if r["from_name"] == "stance")
        stance["value"]["choices"] = ["against" if stance["value"]["choices"] != ["against"] else "favor"]
        assert client.annotate(tasks[4], result, replace=False) == "created"
        _until("a new model version after an annotation made once the backend was restarted",
               lambda: (h := _health(url)) and h["model_version"] != v2 and not h["retraining"] and h, 180, log, backend)
    finally:
        try:
            if backend is not None:
                stop(backend, log)
        finally:
            handle.stop()  # whatever happened to the backend
    assert not handle.alive()
    assert token not in log.read_text(encoding="utf-8", errors="replace")


def test_a_port_in_use_is_one_error_line(trainer):
    import socket

    from vietlao.assist.ml_server import HOST, serve
    from vietlao.errors import UserError

    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        with pytest.raises(UserError, match=rf"cannot listen on {HOST}:{taken.getsockname()[1]}"):
            serve(trainer, taken.getsockname()[1])


# -- malformed bodies, limits, concurrency -----------------------------------------------------------


@pytest.mark.parametrize("body, message", [
    (b"[" * 100_000 + b"]" * 100_000, "must be a JSON object"),  # deeper than orjson goes
    (b'{"tasks": ' + b"[" * 100 + b"]" * 100 + b"}", "nested deeper than 64 levels"),
    (b'{"tasks": [{"id": 1, "data": {"text": "\\ud800", "lang": "vi", "sentence_id": "x"}}]}', "must be a JSON object"),
    (b'{"tasks": [{"id": 1, "data": {"text": "\xed\xa0\x80"}}]}', "must be a JSON object"),  # an encoded surrogate
    (b'{"tasks": [], "score": NaN}', "must be a JSON object"),
    (b'{"tasks": []', "must be a JSON object"),
    (b"\xff\xfe{}", "must be a JSON object"),
])
@pytest.mark.parametrize("endpoint", ["/predict", "/webhook", "/setup"])
def test_every_malformed_body_is_a_400_with_one_line(http, body, message, endpoint):
    answer = http.post(endpoint, data=body, content_type="application/json")
    assert answer.status_code == 400, answer.data[:200]
    error = answer.get_json()["error"]
    assert message in error and "\n" not in error


def test_work_per_request_is_bounded_with_a_413_naming_the_limit(http, trainer, monkeypatch):
    from vietlao.assist import ml_server

    sentence = EXPORT[0]["data"]
    many = [{"id": i, "data": sentence} for i in range(ml_server.MAX_TASKS + 1)]
    answer = http.post("/predict", json={"tasks": many})
    assert answer.status_code == 413 and f"the limit is {ml_server.MAX_TASKS}" in answer.get_json()["error"]
    long = dict(sentence, text="Hà Nội " * (ml_server.MAX_TEXT_CHARS // 7 + 1))
    answer = http.post("/predict", json={"tasks": [{"id": 1, "data": sentence}, {"id": 2, "data": long}]})
    assert answer.status_code == 413
    assert f"the limit is {ml_server.MAX_TEXT_CHARS}" in answer.get_json()["error"] and "task 1 " in answer.get_json()["error"]

    slow = trainer.model.prediction

    def sleepy(data, ctx=None):
        time.sleep(0.2)
        return slow(data, ctx)

    monkeypatch.setattr(ml_server, "PREDICT_SECONDS", 0.3)
    monkeypatch.setattr(trainer.model, "prediction", sleepy)
    answer = create_app(trainer).test_client().post("/predict", json={"tasks": [{"id": i, "data": sentence} for i in range(5)]})
    assert answer.status_code == 413 and "took over 0.3 s (the limit)" in answer.get_json()["error"]


def test_requests_beyond_the_workers_wait_then_get_429(trainer, monkeypatch):
    import threading

    from vietlao.assist import ml_server

    monkeypatch.setattr(ml_server, "MAX_WORKERS", 1)
    monkeypatch.setattr(ml_server, "PREDICT_SECONDS", 0.5)
    release, started = threading.Event(), threading.Event()
    plain = trainer.model.prediction

    def held(data, ctx=None):
        started.set()
        release.wait(10)
        return plain(data, ctx)

    monkeypatch.setattr(trainer.model, "prediction", held)
    app = create_app(trainer)
    body = {"tasks": [{"id": 1, "data": EXPORT[0]["data"]}]}
    first = []
    worker = threading.Thread(target=lambda: first.append(app.test_client().post("/predict", json=body)))
    worker.start()
    assert started.wait(10)
    answer = app.test_client().post("/predict", json=body)
    release.set()
    worker.join(10)
    assert answer.status_code == 429 and "1 predictions at work" in answer.get_json()["error"]
    assert first[0].status_code == 200


def test_log_lines_escape_control_characters_from_the_request(http, trainer):
    import io
    import logging

    from vietlao.assist.ml_server import log_handler

    handler, out = log_handler(), io.StringIO()
    handler.setStream(out)
    logger = logging.getLogger("vietlao.ml_backend")
    logger.addHandler(handler)
    try:
        forged = "7\n2024-01-01 00:00:00 vietlao.ml_backend: model retrained\x1b[2J" + "x" * 10_000
        answer = http.post("/predict", json={"tasks": [{"id": forged, "data": {"url": "x"}}]})
    finally:
        logger.removeHandler(handler)
    assert answer.status_code == 200 and answer.get_json()["results"] == [[]]
    text = out.getvalue()
    assert text.count("\n") == 1 and "\x1b" not in text and "\\x1b[2J" in text and "7\\n2024" in text
    assert len(text) < 1_000  # the 10,000-character id is cut


def _serve_in_thread(trainer):
    """The app on Werkzeug's threaded server (as `vietlao ls backend` serves it) on a free loopback port."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, create_app(trainer), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread, f"http://127.0.0.1:{server.port}"


def test_concurrent_predictions_equal_the_sequential_ones():
    """The CRF model (whose tagger holds the sentence it works on) under 24 threads at once, long and
    short texts mixed: every answer equals the one the same request got alone. The tasks are not
    checked against the corpus (no context), so that the long texts get predictions too."""
    import threading

    from vietlao.assist.model_preannotate import train

    gold_ner, gold_stance = load_gold("ner", EVERY), load_gold("stance", EVERY)
    model = train("crf", gold_ner, gold_stance, load_inventory())
    trainer = Trainer("crf", gold_ner, gold_stance, load_inventory(), None, debounce=60)
    trainer.model = model
    sentences = [t["data"] for t in EXPORT]
    tasks = []
    for i, data in enumerate(sentences[:24]):
        short = {"id": 2 * i, "data": data}
        text = " ".join(s["text"] for s in sentences[i : i + 12])[:9_000]  # hundreds of tokens
        long = {"id": 2 * i + 1, "data": dict(data, text=text)}
        tasks += [short, long]
    server, thread, url = _serve_in_thread(trainer)
    try:
        with httpx.Client(timeout=120) as http_client:
            alone = {t["id"]: http_client.post(f"{url}/predict", json={"tasks": [t]}).json() for t in tasks}
        assert all(a["results"][0] for a in alone.values()), "every text gets a prediction"
        answers, errors = {}, []

        def worker(n: int) -> None:
            mine = (tasks[n::24] + tasks[(n + 7) % 24::24]) * 2  # long and short texts, each four times
            with httpx.Client(timeout=300) as c:
                for t in mine:
                    r = c.post(f"{url}/predict", json={"tasks": [t]})
                    if r.status_code != 200:
                        errors.append((t["id"], r.status_code, r.text[:200]))
                    else:
                        answers.setdefault(t["id"], []).append(r.json())

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(24)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(600)
    finally:
        server.shutdown()
        thread.join()
    assert errors == []
    assert sum(len(v) for v in answers.values()) == 24 * 8
    for task_id, got in answers.items():
        assert all(g == alone[task_id] for g in got), task_id
    assert trainer.counts["predict"] == len(tasks) + 24 * 8  # no count lost between threads
