"""The baselines and the interface they declare.

A baseline is a module that satisfies :class:`Baseline`: ``NAME``, ``TASK``, ``SEEDED`` and
``predict``. Optional, with their defaults here (:func:`available`, :func:`uses_kb`,
:func:`extra`): ``EXTRA`` (the optional dependency it needs, with ``available()`` saying whether it
is installed) and ``USES_KB`` (an NER baseline given the knowledge base). :data:`BASELINES` lists
them in the benchmark's order; the type checker checks each against :class:`Baseline`, and
:func:`select_baselines` checks at run time too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from vietlao.errors import UserError
from vietlao.evaluation.schema import Prediction
from vietlao.models import (
    link_encoder, link_encoder_train, link_exact, link_normalised, ner_caps, ner_crf, ner_e5_crf, ner_gazetteer,
    ner_logreg, stance_e5, stance_majority, stance_tfidf,
)

#: The tasks a baseline may have.
TASKS = ("ner", "stance", "linking")


@runtime_checkable
class Baseline(Protocol):
    """What every baseline module declares."""

    NAME: str  # its name in the results and on the command line
    TASK: str  # one of TASKS
    SEEDED: bool  # whether its predictions depend on ``seed`` (such baselines run with several seeds)

    def predict(self, train: list[dict], test: list[dict], seed: int = 0) -> Sequence[Prediction]:
        """Train on the gold rows ``train``; one prediction record per row of ``test``, in the
        scorer's format. Linking baselines and those with ``USES_KB`` also take ``kb``."""
        ...


BASELINES: tuple[Baseline, ...] = (
    stance_majority, stance_tfidf, stance_e5, ner_caps, ner_gazetteer, ner_crf, ner_logreg, ner_e5_crf,
    link_exact, link_normalised, link_encoder, link_encoder_train,
)


def available(baseline: Baseline) -> bool:
    """Whether what ``baseline`` needs is installed (a baseline without an ``EXTRA`` needs nothing)."""
    check = getattr(baseline, "available", None)
    return bool(check()) if check is not None else True


def uses_kb(baseline: Baseline) -> bool:
    """Whether ``baseline`` is given the knowledge base (every linking baseline, and NER baselines
    that say ``USES_KB``)."""
    return baseline.TASK == "linking" or bool(getattr(baseline, "USES_KB", False))


def extra(baseline: Baseline) -> str | None:
    """The optional dependency ``baseline`` needs, if any."""
    return getattr(baseline, "EXTRA", None)


def _checked(baseline: object) -> Baseline:
    if not isinstance(baseline, Baseline) or getattr(baseline, "TASK", None) not in TASKS:
        name = getattr(baseline, "__name__", repr(baseline))
        raise UserError(f"{name} is not a baseline: it needs NAME, TASK (one of {', '.join(TASKS)}), SEEDED and predict")
    return baseline


def all_baselines() -> list[Baseline]:
    return [_checked(b) for b in BASELINES]


def select_baselines(names: list[str] | None = None) -> list[Baseline]:
    """The baselines named (all by default); an unknown name is an error."""
    baselines = all_baselines()
    if names:
        unknown = sorted(set(names) - {b.NAME for b in baselines})
        if unknown:
            raise UserError(f"unknown baseline(s) {', '.join(unknown)}: choose from {', '.join(b.NAME for b in baselines)}")
        baselines = [b for b in baselines if b.NAME in names]
    return baselines
