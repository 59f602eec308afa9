"""The HTTP side of the ML backend (:mod:`vietlao.benchmark.ml_backend`): a Flask app, served on the
loopback interface only by Werkzeug's threaded server, until Ctrl-C or SIGTERM.

Requests are checked before use: a body that is not a JSON object, ``tasks`` that is not a list or
``action`` that is not a string get HTTP 400 with a one-line ``{"error": ...}``; bodies over
:data:`~vietlao.benchmark.ml_backend.MAX_REQUEST_BYTES` get 413.
"""

from __future__ import annotations

import signal
import socket
import threading
from typing import Callable

from vietlao.benchmark.ml_backend import MAX_REQUEST_BYTES, TRAINING_ACTIONS, Trainer
from vietlao.errors import UserError

HOST = "127.0.0.1"
DEFAULT_PORT = 9090


def create_app(trainer: Trainer):
    """The Flask app of the ML-backend protocol around ``trainer``."""
    from flask import Flask, jsonify, request
    from werkzeug.exceptions import BadRequest, HTTPException

    app = Flask("vietlao.ml_backend")
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES

    def body() -> dict:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise BadRequest("the request body must be a JSON object")
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
        return jsonify(results=trainer.predict(tasks), model_version=trainer.version)

    @app.post("/webhook")
    def webhook():
        action = body().get("action")
        if not isinstance(action, str):
            raise BadRequest("`action` must be a string")
        if action not in TRAINING_ACTIONS:
            return jsonify(status="ignored", action=action)
        trainer.counts["webhook"] += 1
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


def serve(trainer: Trainer, port: int = DEFAULT_PORT, connect: Callable[[str], None] | None = None,
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
