"""Pre-annotation from trained models: Label Studio predictions for sentence tasks.

A model is an NER baseline and a stance baseline of :mod:`vietlao.models` trained on the gold
rows, alone or after the inventory gazetteer of :mod:`vietlao.labelstudio.preannotate`, or that
gazetteer alone (:data:`MODELS`).
Predicted tags are decoded into spans over the sentence's tokens (so spans sit on token
boundaries and never overlap); a span of a linkable type gets the ID of the inventory entry whose
form (in the sentence's language) it spells, with that entry's type, and is left out when no entry
matches (a linkable mention without an ID would not validate). A region's ``score`` is the mean
marginal probability of its tags, the stance's the classifier's probability, the task's the
lowest of them. A prediction that, accepted as the annotation, breaks a rule of
:mod:`vietlao.export.rules` (checked by :func:`vietlao.export.task.convert_task`) is not made.
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
from dataclasses import dataclass, field
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from vietlao import label_config as lc
from vietlao.corpus.inventory import CanonicalEntity
from vietlao.corpus.segment import tokenize
from vietlao.dataset.rows import NerRow, StanceRow
from vietlao.errors import UserError
from vietlao.export.task import Context, TaskInvalid, convert_task
from vietlao.labels import LINKABLE_TYPES
from vietlao.labelstudio import preannotate as gazetteer
from vietlao.labelstudio.tasks import ls_result
from vietlao.spans import Span

if TYPE_CHECKING:  # the baselines import scikit-learn: loaded when a model is trained
    from vietlao.models.common import KnowledgeNames

#: ``--model`` name -> (NER baseline, stance baseline, gazetteer matches first); ``gazetteer``
#: trains nothing; ``gazetteer+crf`` keeps the gazetteer's spans and adds the CRF's that overlap none.
MODELS: dict[str, tuple[str, str, bool] | None] = {
    "gazetteer": None,
    "crf": ("crf", "tfidf-char-lr", False),
    "gazetteer+crf": ("crf", "tfidf-char-lr", True),
}
#: The model with the fewest edits per 100 gold mentions in the effort protocol
#: (``benchmarks/results/results.json``, ``preannotation``); a test checks it is still so.
DEFAULT_MODEL = "gazetteer+crf"


class TaggerModel(Protocol):
    """An NER baseline a pre-annotation model trains: its CRF parameters and ``fit``."""

    NAME: str
    PARAMS: dict[str, Any]

    def fit(self, train: Sequence[Mapping[str, Any]], names: KnowledgeNames) -> Any: ...


class StanceModel(Protocol):
    """A stance baseline a pre-annotation model trains: its ``C`` and ``fit``."""

    NAME: str
    C: float

    def fit(self, train: Sequence[Mapping[str, Any]]) -> Any: ...


class CrfTaggers:
    """Tagging with a trained CRF from many threads at once.

    A ``pycrfsuite.Tagger`` holds the sentence it is working on (``set``, then ``tag`` and
    ``marginal``), so one tagger shared by the threads of a server mixes their sentences up (a
    marginal asked for position 471 of a sentence that another thread has just replaced with one of
    20 tokens). ``mode="pool"`` (the default; ``benchmarks/perf/ml_backend_concurrency.py`` measures
    both): each call takes an idle tagger opened on the same model file, opening another when all are
    busy, and gives it back; ``"lock"``: one tagger, one call at a time.
    """

    MODES = ("pool", "lock")

    def __init__(self, crf, mode: str = "pool"):
        if mode not in self.MODES:
            raise ValueError(f"mode must be one of {self.MODES}")
        self.crf, self.mode = crf, mode
        self._idle: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._shared = None

    def _open(self):
        import pycrfsuite

        tagger = pycrfsuite.Tagger()
        tagger.open(self.crf.modelfile.name)
        return tagger

    @staticmethod
    def tag_on(tagger, xseq: list[dict]) -> tuple[list[str], list[float]]:
        """Tag with one given ``pycrfsuite.Tagger`` (not safe if another thread uses it at once)."""
        tagger.set(xseq)
        tags = tagger.tag()
        return tags, [tagger.marginal(tag, i) for i, tag in enumerate(tags)]

    def tag(self, xseq: list[dict]) -> tuple[list[str], list[float]]:
        """The best tags of a sentence's token features and each tag's marginal probability."""
        if self.mode == "lock":
            with self._lock:
                if self._shared is None:
                    self._shared = self._open()
                return self.tag_on(self._shared, xseq)
        try:
            tagger = self._idle.get_nowait()
        except queue.Empty:
            tagger = self._open()
        try:
            return self.tag_on(tagger, xseq)
        finally:
            self._idle.put(tagger)


@dataclass(frozen=True)
class ScoredSpan:
    span: Span
    score: float


@dataclass
class Preannotator:
    """A trained model that pre-annotates sentences; ``version`` is its ``model_version``."""

    name: str
    version: str
    inventory: Mapping[str, CanonicalEntity]
    # the fitted models and the names they use come from the baselines (CRF, scikit-learn): untyped
    ner: Any = None
    stance: Any = None
    gazetteer_first: bool = False
    names: Any = None
    _gazetteers: dict = field(default_factory=dict)
    taggers: CrfTaggers | None = None

    def __post_init__(self) -> None:
        if self.ner is not None and self.taggers is None:
            self.taggers = CrfTaggers(self.ner)

    def spans(self, text: str, lang: str) -> list[ScoredSpan]:
        """Token-aligned, non-overlapping, linked spans (score 1.0 for the gazetteer's)."""
        matched = [ScoredSpan(s, 1.0) for s in gazetteer.preannotate(text, lang, self.inventory)]
        if self.ner is None:
            return matched
        if not self.gazetteer_first:
            return self._model_spans(text, lang)
        free = [s for s in self._model_spans(text, lang)
                if not any(s.span.start < m.span.end and m.span.start < s.span.end for m in matched)]
        return sorted(matched + free, key=lambda s: s.span.start)

    def _model_spans(self, text: str, lang: str) -> list[ScoredSpan]:
        tokens = tokenize(text)
        if not tokens:
            return []
        words = [t.text for t in tokens]
        features = self.names.features({"tokens": words, "lang": lang})
        assert self.taggers is not None  # made in __post_init__ for a model with ``ner``
        tags, marginals = self.taggers.tag(features)  # safe from many threads
        forms = self._gazetteer(lang)
        out = []
        for label, a, b in chunks(tags):
            score = sum(marginals[a:b]) / (b - a)
            entity_id = None
            if label in LINKABLE_TYPES:
                hit = forms.get(tuple(words[a:b]))
                if hit is None:
                    continue
                label, entity_id = hit
            out.append(ScoredSpan(Span(tokens[a].start, tokens[b - 1].end, label, entity_id), round(score, 4)))
        return out

    def stance_of(self, text: str) -> tuple[str, float] | None:
        if self.stance is None:
            return None
        probs = self.stance.predict_proba([text])[0]
        best = max(range(len(probs)), key=probs.__getitem__)
        return str(self.stance.classes_[best]), round(float(probs[best]), 4)

    def _gazetteer(self, lang: str):
        if lang not in self._gazetteers:
            self._gazetteers[lang] = gazetteer.build_gazetteer(self.inventory, lang)
        return self._gazetteers[lang]

    def prediction(self, task_data: dict, ctx: Context | None = None) -> dict | None:
        """The Label Studio prediction for one sentence task, or None if, accepted as the
        annotation, it would not validate against ``ctx`` (the gazetteer's is not checked: it
        proposes no stance)."""
        text = task_data["text"]
        if self.ner is None:
            return gazetteer.prediction(task_data, self.inventory, self.version)
        scored = self.spans(text, task_data["lang"])
        stance = self.stance_of(text)
        # what the annotation is once the annotator picks the suggested stance: checked below
        accepted = ls_result(task_data["sentence_id"], text, [s.span for s in scored], stance and stance[0])
        by_region = {(s.span.start, s.span.end): s.score for s in scored}
        result = [dict(item, score=by_region[(item["value"]["start"], item["value"]["end"])])
                  for item in accepted if item["from_name"] != lc.STANCE]
        if stance is not None:  # a note beside the stance, never pre-selected as the annotator's answer
            result.append(lc.stance_suggestion_item(stance[0], stance[1], self.version))
        scores = [s.score for s in scored] + ([stance[1]] if stance else [])
        pred = {"model_version": self.version, "score": min(scores, default=1.0), "result": result}
        if ctx is not None:
            try:
                convert_task({"data": task_data, "annotations": [{"result": accepted}], "predictions": [pred]}, ctx)
            except TaskInvalid:
                return None
        return pred


def chunks(tags: list[str]) -> list[tuple[str, int, int]]:
    """(type, first token, end token) of IOB2 tags; an ``I-T`` that continues nothing starts a span."""
    out: list[list] = []
    for i, tag in enumerate(tags):
        if tag == "O":
            continue
        kind, label = tag.split("-", 1)
        if kind == "I" and out and out[-1][0] == label and out[-1][2] == i:
            out[-1][2] = i + 1
        else:
            out.append([label, i, i + 1])
    return [tuple(c) for c in out]


def training_digest(ner_rows: Sequence[NerRow], stance_rows: Sequence[StanceRow],
                    inventory: Mapping[str, CanonicalEntity] | None = None) -> str:
    """8 hex digits of the sha256 of the training rows (ids, tokens, tags, stances) and of the
    inventory that links the spans."""
    inventory = inventory or {}
    payload = json.dumps(
        [[r["id"], r["tokens"], r["ner_tags"]] for r in sorted(ner_rows, key=lambda r: r["id"])]
        + [[r["id"], r["label"]] for r in sorted(stance_rows, key=lambda r: r["id"])]
        + [inventory[k].model_dump(mode="json") for k in sorted(inventory)],
        ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:8]


def _check_name(name: str) -> None:
    if name not in MODELS:
        raise UserError(f"unknown pre-annotation model {name!r}: choose from {', '.join(MODELS)}")


def _models(name: str) -> tuple[TaggerModel, StanceModel, bool] | None:
    """The NER and stance baselines of the model ``name`` and whether the gazetteer's matches come
    first; None for the gazetteer alone."""
    _check_name(name)
    spec = MODELS[name]
    if spec is None:
        return None
    from vietlao.models import ner_crf, stance_tfidf

    ner_name, stance_name, gazetteer_first = spec
    taggers: dict[str, TaggerModel] = {m.NAME: m for m in (ner_crf,)}
    stances: dict[str, StanceModel] = {m.NAME: m for m in (stance_tfidf,)}
    if ner_name not in taggers or stance_name not in stances:
        raise UserError(f"model {name}: {ner_name} and {stance_name} must be among the trainable baselines "
                        f"({', '.join([*taggers, *stances])})")
    return taggers[ner_name], stances[stance_name], gazetteer_first


def _version(models: tuple[TaggerModel, StanceModel, bool] | None, ner_rows: Sequence[NerRow], stance_rows: Sequence[StanceRow],
             inventory: Mapping[str, CanonicalEntity]) -> str:
    if models is None:
        return gazetteer.model_version()
    ner_mod, stance_mod, gazetteer_first = models
    p = ner_mod.PARAMS
    return (("gazetteer+" if gazetteer_first else "")
            + f"{ner_mod.NAME}-c1.{p['c1']}-c2.{p['c2']}-i{p['max_iterations']}+{stance_mod.NAME}-C{stance_mod.C}"
            + f"-{training_digest(ner_rows, stance_rows, inventory)}")


def version_of(name: str, ner_rows: Sequence[NerRow], stance_rows: Sequence[StanceRow],
               inventory: Mapping[str, CanonicalEntity]) -> str:
    """The ``model_version`` :func:`train` gives the model ``name`` on these rows, without training it:
    the models, their parameters and :func:`training_digest`."""
    return _version(_models(name), ner_rows, stance_rows, inventory)


def train(name: str, ner_rows: Sequence[NerRow], stance_rows: Sequence[StanceRow],
          inventory: Mapping[str, CanonicalEntity]) -> Preannotator:
    """Train the model ``name`` of :data:`MODELS` on gold rows (``load_gold('ner'|'stance', …)``)."""
    models = _models(name)
    version = _version(models, ner_rows, stance_rows, inventory)
    if models is None:
        return Preannotator(name, version, inventory)
    ner_mod, stance_mod, gazetteer_first = models
    from vietlao.models.common import KnowledgeNames

    names = KnowledgeNames(knowledge_base(inventory))
    return Preannotator(name, version, inventory, ner_mod.fit(ner_rows, names), stance_mod.fit(stance_rows),
                        gazetteer_first, names)


def knowledge_base(inventory: Mapping[str, CanonicalEntity]) -> list[dict]:
    """The inventory as the baselines' knowledge base rows (``entity_id``, ``type``, ``name``, ``names``)."""
    return [{"entity_id": e.id, "type": e.type, "name": e.name, "names": dict(e.names)} for e in inventory.values()]
