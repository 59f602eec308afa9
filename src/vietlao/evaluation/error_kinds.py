"""Why a predicted entity is not a true positive, and why a gold one was not found: one rule for every reader.

The scorer counts a predicted entity as correct only with the exact span and type (and, end to end,
entity ID). Readers of errors — the peers' error anatomy in ``RESULTS.md`` and the HTML error report —
sort the rest by kind, with :func:`match_kind` for a prediction against the gold spans of its sentence:

* ``exact``: same span, same type (and same entity ID where both carry one): a true positive;
* ``wrong_entity``: same span and type, another entity ID (end to end);
* ``wrong_type``: same span, other type;
* ``boundary``: overlapping a gold span of the same type, other extent;
* ``boundary_and_type``: overlapping, other extent and other type;
* ``spurious``: overlapping no gold span;

and with :func:`gold_kinds` for the gold side: ``exact``, ``missed`` (no prediction overlaps it) or
``overlapped`` (a prediction overlaps it: its error is the prediction's kind). Spans are
:class:`vietlao.spans.Span` or ``(start, end, label)`` tuples, half-open, in one unit per sentence.
"""

from __future__ import annotations

from collections.abc import Collection

from vietlao.spans import Span

PREDICTION_KINDS = ("exact", "wrong_entity", "wrong_type", "boundary", "boundary_and_type", "spurious")
GOLD_KINDS = ("exact", "overlapped", "missed")


def _parts(span) -> tuple[int, int, str, str | None]:
    if isinstance(span, Span):
        return span.start, span.end, span.label, span.entity_id
    start, end, label = span[:3]
    return start, end, label, None


def match_kind(pred, gold: Collection) -> str:
    """The kind (:data:`PREDICTION_KINDS`) of one predicted span against the gold spans of its sentence."""
    start, end, label, entity = _parts(pred)
    same, over = [], []
    for g in map(_parts, gold):
        if g[0] < end and start < g[1]:
            over.append(g)
            if (g[0], g[1]) == (start, end):
                same.append(g)
    if any(g[2] == label and g[3] == entity for g in same):
        return "exact"
    if any(g[2] == label for g in same):
        return "wrong_entity"
    if same:
        return "wrong_type"
    if any(g[2] == label for g in over):
        return "boundary"
    return "boundary_and_type" if over else "spurious"


def gold_kinds(gold: Collection, pred: Collection) -> list[str]:
    """The kind (:data:`GOLD_KINDS`) of every gold span of a sentence, in the order given."""
    preds = [_parts(p) for p in pred]
    out = []
    for g in map(_parts, gold):
        if any(p == g for p in preds):
            out.append("exact")
        elif any(g[0] < p[1] and p[0] < g[1] for p in preds):
            out.append("overlapped")
        else:
            out.append("missed")
    return out
