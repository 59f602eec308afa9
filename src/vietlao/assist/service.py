"""What ``vietlao ls push`` and ``vietlao ls backend`` run: a pre-annotation model trained on the
current gold, given to ``push`` as a predictor (trained on the first task that needs one), or served
as Label Studio's ML backend (attached to a project and retrained on its annotations)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from vietlao.assist.ml_backend import Trainer
from vietlao.assist.ml_server import log_handler, serve
from vietlao.assist.model_preannotate import Preannotator, train, version_of
from vietlao.corpus.inventory import CanonicalEntity, load_inventory
from vietlao.errors import UserError
from vietlao.evaluation.evaluate import load_gold
from vietlao.dataset.rows import NerRow, StanceRow
from vietlao.export.task import Context
from vietlao.export.validate import gold_context
from vietlao.labelstudio.client import Client
from vietlao.labelstudio.project import connect_ml_backend
from vietlao.paths import project

Sources = tuple[list[NerRow], list[StanceRow], Mapping[str, CanonicalEntity], Context]


def gold_sources() -> Sources:
    """What a model trains on and checks with: the ``ner`` and ``stance`` gold rows of every split,
    the inventory and the validation context."""
    every = "train,validation,test"
    return load_gold("ner", every), load_gold("stance", every), load_inventory(), gold_context()


def sources_stamp() -> tuple:
    """Size and modification time of the inventory and of every file of the documents folder."""
    files = [project().inventory, *sorted(p for p in project().documents.rglob("*") if p.is_file())]
    return tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files if p.exists())


def push_predictor(model: str) -> tuple[str, Callable[[dict], dict | None]]:
    """The ``model_version`` of ``model`` on the current gold and a predictor for ``push`` that trains
    the model on the first task that needs a prediction (a push that restores every task trains nothing)."""
    ner_rows, stance_rows, inventory, ctx = gold_sources()
    trained: list[Preannotator] = []

    def predictor(task_data: dict) -> dict | None:
        if not trained:
            trained.append(train(model, ner_rows, stance_rows, inventory))
        return trained[0].prediction(task_data, ctx)

    return version_of(model, ner_rows, stance_rows, inventory), predictor


def run_backend(model: str, port: int, debounce: float, client: Client | None, project_title: str) -> int:
    """Serve ``model`` as an ML backend on 127.0.0.1:``port`` until stopped; with a ``client``,
    attach it to the project titled ``project_title`` and retrain it on the project's annotations."""
    fetch, connect = None, None
    if client is not None:
        project_id = client.find_project(project_title)
        if project_id is None:
            raise UserError(f"no project titled {project_title!r} at {client.url}: create it with `vietlao ls push`")
        fetch = lambda: client.within_deadline(lambda: client.tasks(project_id))  # noqa: E731
        connect = lambda url: connect_ml_backend(client, project_id, url, f"vietlao-{model}")  # noqa: E731
    logging.basicConfig(level=logging.INFO, handlers=[log_handler()])  # control characters escaped
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per API call otherwise
    trainer = Trainer(model, *gold_sources(), fetch, debounce, stamp=sources_stamp, reload=gold_sources)
    trainer.refresh()  # records the files' state
    trainer.retrain()
    if trainer.model is None:
        raise UserError(f"the first training failed: {trainer.last_error}")
    return serve(trainer, port, connect)
