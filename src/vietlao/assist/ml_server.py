"""The HTTP side of the ML backend (:mod:`vietlao.assist.ml_backend`): a Flask app, served on the
loopback interface only by Werkzeug's threaded server, until Ctrl-C or SIGTERM.

Requests are checked before use, each with a one-line ``{"error": ...}``:

- a body that is not a JSON object (malformed, nested deeper than
  :data:`~vietlao.export.rules.MAX_DEPTH`, a lone UTF-16 surrogate, NaN), ``tasks`` that is not a
  list or ``action`` that is not a string: HTTP 400;
- a body over :data:`~vietlao.assist.ml_backend.MAX_REQUEST_BYTES`, more than
  :data:`MAX_TASKS` tasks, a task text over :data:`MAX_TEXT_CHARS` characters, or predictions that
  take longer than :data:`PREDICT_SECONDS`: HTTP 413, naming the limit;
- more than :data:`MAX_WORKERS` ``/predict`` requests at work and one waiting longer than
  :data:`PREDICT_SECONDS` for its turn: HTTP 429.

Requests are served concurrently; the model is safe to share
(:class:`~vietlao.assist.model_preannotate.CrfTaggers`). Log lines escape control characters
(:class:`EscapedLog`), so a task id holding a newline cannot forge one.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
import time
from typing import Callable

import orjson

from vietlao.assist.ml_backend import MAX_REQUEST_BYTES, TRAINING_ACTIONS, Trainer
from vietlao.errors import UserError, escape_controls
from vietlao.export.rules import MAX_DEPTH, too_deep

HOST = "127.0.0.1"
DEFAULT_PORT = 9090
#: Most tasks in one ``/predict`` request (Label Studio sends one when a task is opened).
MAX_TASKS = 100
#: Longest task text predicted, in characters (a sentence; the corpus's longest has under 1,000).
MAX_TEXT_CHARS = 10_000
#: Most seconds one ``/predict`` request may wait for its turn, and then predict.
PREDICT_SECONDS = 30.0
#: ``/predict`` requests at work at once; others wait (:data:`PREDICT_SECONDS` at most).
MAX_WORKERS = 4


class EscapedLog(logging.Filter):
    """Escapes control characters in a log record's message (a task id with a newline or an ANSI
    escape stays on its line); installed on the handlers of ``vietlao ls backend``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = escape_controls(record.getMessage()), None
        return True


def log_handler() -> logging.Handler:
    """The backend's log handler: stderr, one line per record, control characters escaped."""
    handler = logging.StreamHandler()
    handler.addFilter(EscapedLog())
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
    return handler


def task_limit_problem(tasks: list) -> str | None:
    """Which limit of one ``/predict`` request ``tasks`` exceeds (None if none)."""
    if len(tasks) > MAX_TASKS:
        return f"{len(tasks)} tasks in one request; the limit is {MAX_TASKS}: send fewer tasks per request"
    for i, task in enumerate(tasks):
        data = task.get("data") if isinstance(task, dict) else None
        text = data.get("text") if isinstance(data, dict) else None
        if isinstance(text, str) and len(text) > MAX_TEXT_CHARS:
            return (f"task {i} of the request has a text of {len(text)} characters; the limit is {MAX_TEXT_CHARS} "
                    "(a task is one sentence)")
    return None


def create_app(trainer: Trainer):
    """The Flask app of the ML-backend protocol around ``trainer``."""
    from flask import Flask, jsonify, request
    from werkzeug.exceptions import BadRequest, HTTPException, RequestEntityTooLarge, TooManyRequests

    app = Flask("vietlao.ml_backend")
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    workers = threading.BoundedSemaphore(MAX_WORKERS)

    def body() -> dict:
        """The request's JSON object: strict JSON (orjson: no NaN, no lone surrogate), not deeper
        than MAX_DEPTH; anything else is a 400 (never a 500 with a traceback in the log)."""
        try:
            data = orjson.loads(request.get_data(cache=False))
        except orjson.JSONDecodeError as exc:
            raise BadRequest(f"the request body must be a JSON object ({escape_controls(str(exc))[:200]})") from None
        if not isinstance(data, dict):
            raise BadRequest("the request body must be a JSON object")
        if too_deep(data):
            raise BadRequest(f"the request body is nested deeper than {MAX_DEPTH} levels")
        return data

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return jsonify(error=f"{exc.name}: {exc.description}"), exc.code

    @app.get("/health")
    def health():
        return jsonify(status="UP", model_class=f"vietlao {trainer.model_name}", model_version=trainer.version,
                       retraining=trainer.busy, trained_on=trainer.trained_on, last_error=trainer.last_error,
                       counts=trainer.counts)

    @app.post("/setup")
    def setup():
        body()  # Label Studio's project, config and access token: nothing of it is kept
        return jsonify(model_version=trainer.version)

    @app.post("/predict")
    def predict():
        tasks = body().get("tasks")
        if not isinstance(tasks, list):
            raise BadRequest("`tasks` must be a list of tasks")
        problem = task_limit_problem(tasks)
        if problem:
            raise RequestEntityTooLarge(problem)
        ends = time.monotonic() + PREDICT_SECONDS
        if not workers.acquire(timeout=PREDICT_SECONDS):
            raise TooManyRequests(f"{MAX_WORKERS} predictions at work for over {PREDICT_SECONDS:g} s; try again later")
        try:
            results = trainer.predict(tasks, deadline=ends)
        finally:
            workers.release()
        if results is None:
            raise RequestEntityTooLarge(f"predicting the request's {len(tasks)} tasks took over {PREDICT_SECONDS:g} s "
                                        "(the limit): send fewer tasks per request")
        return jsonify(results=results, model_version=trainer.version)

    @app.post("/webhook")
    def webhook():
        action = body().get("action")
        if not isinstance(action, str):
            raise BadRequest("`action` must be a string")
        if action not in TRAINING_ACTIONS:
            return jsonify(status="ignored", action=action)
        trainer.count("webhook")
        trainer.schedule()
        return jsonify(status="scheduled", action=action), 201

    @app.post("/train")
    def train():
        body()
        trainer.schedule()
        return jsonify(status="scheduled"), 201

    @app.get("/versions")
    def versions():
        return jsonify(versions=[trainer.version])

    return app


def serve(trainer: Trainer, port: int = DEFAULT_PORT, connect: Callable[[str], object] | None = None,
          ready: Callable[[str], None] = print) -> int:
    """Serve ``trainer`` on ``127.0.0.1:port`` (0: a free port) until Ctrl-C or SIGTERM; once
    listening, call ``connect`` with the backend's URL (to attach it to a Label Studio project),
    then ``ready`` with a line saying where it listens."""
    from werkzeug.serving import make_server

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:  # bound here: Werkzeug exits the process on a port in use
            listener.bind((HOST, port))
        except OSError as exc:
            raise UserError(f"cannot listen on {HOST}:{port}: {exc.strerror}") from None
        listener.listen()
        server = make_server(HOST, port, create_app(trainer), threaded=True, fd=listener.fileno())
    url = f"http://{HOST}:{server.port}"
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    worker = threading.Thread(target=server.serve_forever, name="http", daemon=True)
    worker.start()
    trainer.start()
    try:
        if connect is not None:
            connect(url)
        ready(f"ML backend {trainer.version} listening on {url} (Ctrl-C stops it)")
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.shutdown()
        worker.join()
        trainer.stop()
    return 0
