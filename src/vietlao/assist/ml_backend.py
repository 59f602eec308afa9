"""A Label Studio ML backend serving a pre-annotation model, retrained on the project's annotations.

It speaks the protocol Label Studio 1.23 uses with ML backends (``label_studio/ml/api_connector.py``):

- ``GET /health``: ``{"status": "UP", "model_version": ...}`` and the backend's counters;
- ``POST /setup``: ``{"model_version": ...}`` (Label Studio also sends its project's access token:
  it is neither kept nor logged);
- ``POST /predict`` with ``{"tasks": [...]}``: ``{"results": [...]}``, one entry per task in order,
  each a list of zero or one prediction, made by
  :meth:`vietlao.assist.model_preannotate.Preannotator.prediction` (a prediction that, accepted as
  the annotation, would not validate is not made);
- ``POST /webhook``: an ``ANNOTATION*`` event of the project webhook Label Studio creates when the
  backend is attached (:func:`vietlao.labelstudio.project.connect_ml_backend`), or ``START_TRAINING``
  (Label Studio's "start training"): a retraining is scheduled; ``POST /train`` likewise.

The model is one of :data:`~vietlao.assist.model_preannotate.MODELS`, trained on the gold rows with
every valid annotated task of the project in place of (or in addition to) the gold of its sentence.
Retraining is debounced (it starts ``debounce`` seconds after the last event) and runs in a
background thread while the old model goes on predicting; its ``model_version`` names the model and
a hash of the training data, so it changes exactly when the training data do.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from collections.abc import Sequence
from typing import Callable, Mapping, TypeVar

from vietlao.assist.model_preannotate import Preannotator, train
from vietlao.corpus.inventory import CanonicalEntity
from vietlao.dataset.rows import NerRow, StanceRow, ner_gold_row, stance_gold_row
from vietlao.errors import UserError, shown
from vietlao.export.task import Context, SentenceRecord, TaskInvalid, convert_task

log = logging.getLogger("vietlao.ml_backend")

#: Webhook actions that schedule a retraining.
TRAINING_ACTIONS = frozenset({
    "START_TRAINING", "ANNOTATION_CREATED", "ANNOTATIONS_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_DELETED",
})
#: Largest request body accepted (Label Studio sends a few tasks per request).
MAX_REQUEST_BYTES = 16 * 1024 * 1024


Row = TypeVar("Row", NerRow, StanceRow)
#: The fold of a row annotated in Label Studio: it trains the backend's model and is in no fold.
NO_FOLD = -1


def training_rows(records: list[SentenceRecord]) -> tuple[list[NerRow], list[StanceRow]]:
    """``ner`` and ``stance`` training rows of validated records, as the dataset's rows are made
    (labels as names, as ``load_gold`` gives them)."""
    return [ner_gold_row(r, NO_FOLD) for r in records], [stance_gold_row(r, NO_FOLD) for r in records]


def annotated_records(tasks: list[dict], ctx: Context) -> tuple[list[SentenceRecord], list[str]]:
    """The valid records of the tasks that hold a completed annotation, and one line per task that
    holds one but does not validate (it is left out of the training data)."""
    records, problems = [], []
    for task in tasks:
        annotations = task.get("annotations") or []
        if not any(isinstance(a, dict) and not a.get("was_cancelled") for a in annotations):
            continue
        try:
            records.append(convert_task(task, ctx))
        except TaskInvalid as invalid:
            problems.append(f"task {task.get('id')}: {invalid.messages[0]}")
    return records, problems


def merged(gold: Sequence[Row], annotated: Sequence[Row]) -> list[Row]:
    """The gold rows with each annotated sentence's row in place of its gold row (new sentences added)."""
    by_id = {r["id"]: r for r in gold}
    by_id.update((r["id"], r) for r in annotated)
    return list(by_id.values())


@dataclass
class Trainer:
    """The current model and its debounced retraining.

    ``fetch_tasks`` returns the project's tasks with their annotations (None: train on the gold
    only); ``train_fn`` is :func:`~vietlao.assist.model_preannotate.train`'s signature.
    """

    model_name: str
    gold_ner: list[NerRow]
    gold_stance: list[StanceRow]
    inventory: Mapping[str, CanonicalEntity]
    ctx: Context
    fetch_tasks: Callable[[], list[dict]] | None = None
    debounce: float = 5.0
    train_fn: Callable[..., Preannotator] = train
    model: Preannotator | None = None
    counts: dict = field(default_factory=lambda: {"predict": 0, "webhook": 0, "trainings": 0, "predictions": 0})
    trained_on: int = 0
    last_error: str | None = None
    _due: float | None = None
    _stopping: bool = False
    _training: bool = False
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _counts_lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None
    #: What the inventory and corpus are now (e.g. their files' sizes and times), and how to load
    #: ``(gold_ner, gold_stance, inventory, ctx)`` again when it changes; None: never reloaded.
    stamp: Callable[[], object] | None = None
    reload: Callable[[], tuple] | None = None
    _stamp: object = None

    def refresh(self) -> bool:
        """Reload the gold, inventory and corpus if their files changed since the last load (a new
        entity or document pushed while the backend runs); whether they were reloaded."""
        if self.stamp is None or self.reload is None:
            return False
        now = self.stamp()
        if self._stamp is None:
            self._stamp = now
            return False
        if now == self._stamp:
            return False
        self.gold_ner, self.gold_stance, self.inventory, self.ctx = self.reload()
        self._stamp = now
        log.info("inventory and corpus changed: reloaded (%d entities, %d documents)",
                 len(self.inventory), len(self.ctx.documents))
        return True

    @property
    def version(self) -> str | None:
        return self.model.version if self.model else None

    def retrain(self) -> None:
        """Train on the gold and the project's valid annotations, and swap the model in. A failure
        to read the project keeps the current model and is reported (``last_error``, the log)."""
        self.refresh()
        ner, stance = self.gold_ner, self.gold_stance
        if self.fetch_tasks is not None:
            try:
                tasks = self.fetch_tasks()
            except UserError as exc:
                self.last_error = str(exc)
                log.error("retraining skipped: %s", exc)
                return
            records, problems = annotated_records(tasks, self.ctx)
            for problem in problems:
                log.warning("not trained on %s", problem)
            more_ner, more_stance = training_rows(records)
            ner, stance = merged(ner, more_ner), merged(stance, more_stance)
        model = self.train_fn(self.model_name, ner, stance, self.inventory)
        previous, self.model, self.trained_on, self.last_error = self.version, model, len(ner), None
        self.counts["trainings"] += 1
        log.info("model %s (was %s), trained on %d sentences", model.version, previous, len(ner))

    def predict(self, tasks: list[dict], deadline: float | None = None) -> list[list[dict]] | None:
        """Per task, a list of zero or one prediction: none for a task whose data is not a corpus
        sentence (the reason is logged) or whose prediction would not validate. Safe to call from
        many threads at once. ``None`` if ``time.monotonic()`` passes ``deadline`` before the end."""
        if self.refresh():
            self.schedule()  # the model's gazetteer follows the new inventory after a retraining
        out: list[list[dict]]
        model, out = self.model, []
        self.count("predict")
        for task in tasks:
            if deadline is not None and time.monotonic() > deadline:
                return None
            problem = task_data_problem(task)
            if problem:
                log.warning("no prediction for task %s: %s", shown(task.get("id") if isinstance(task, dict) else None, 80),
                            problem)
                out.append([])
                continue
            assert model is not None  # the server starts once a first model is trained
            prediction = model.prediction(task["data"], self.ctx)
            out.append([prediction] if prediction else [])
            self.count("predictions", bool(prediction))
        return out

    def count(self, key: str, n: int = 1) -> None:
        with self._counts_lock:  # `+=` on a shared dict loses counts between threads
            self.counts[key] += n

    # -- debounced retraining ------------------------------------------------------------------

    def start(self) -> None:
        """Start the background thread that runs the scheduled retrainings."""
        self._thread = threading.Thread(target=self._loop, name="retrain", daemon=True)
        self._thread.start()

    def schedule(self) -> None:
        """Retrain ``debounce`` seconds after the last call (a call during a retraining schedules
        another one after it)."""
        with self._cond:
            self._due = time.monotonic() + self.debounce
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join()

    @property
    def busy(self) -> bool:
        """Whether a retraining is scheduled or running."""
        with self._cond:
            return self._due is not None or self._training

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (self._due is None or time.monotonic() < self._due):
                    self._cond.wait(None if self._due is None else self._due - time.monotonic())
                if self._stopping:
                    return
                self._due, self._training = None, True
            try:
                self.retrain()
            finally:
                with self._cond:
                    self._training = False


def task_data_problem(task: object) -> str | None:
    """Why ``task`` is not a sentence task the model can pre-annotate (None if it is)."""
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        return "a task must be an object with a `data` object"
    data = task["data"]
    missing = [k for k in ("text", "lang", "sentence_id") if not isinstance(data.get(k), str)]
    return f"data lacks the string(s) {', '.join(missing)}" if missing else None
