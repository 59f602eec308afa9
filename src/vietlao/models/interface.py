"""The interface every baseline declares (:class:`Baseline`), and the one default of each optional
member: ``EXTRA`` (the optional dependency it needs, with ``available()`` saying whether it is
installed) and ``USES_KB`` (an NER baseline given the knowledge base)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from vietlao.errors import UserError
from vietlao.evaluation.schema import Prediction

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


def checked(baseline: object) -> Baseline:
    """``baseline`` if it declares the interface, else a one-line error naming it."""
    if not isinstance(baseline, Baseline) or getattr(baseline, "TASK", None) not in TASKS:
        name = getattr(baseline, "__name__", repr(baseline))
        raise UserError(f"{name} is not a baseline: it needs NAME, TASK (one of {', '.join(TASKS)}), SEEDED and predict")
    return baseline
