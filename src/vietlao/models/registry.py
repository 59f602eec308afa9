"""The baselines, in the benchmark's order: :data:`BASELINES`, each a module that declares
:class:`~vietlao.models.interface.Baseline` (the type checker checks each; :func:`select_baselines`
checks at run time too)."""

from __future__ import annotations

from vietlao.errors import UserError
from vietlao.models import (
    link_encoder, link_encoder_train, link_exact, link_normalised, ner_caps, ner_crf, ner_e5_crf, ner_gazetteer,
    ner_logreg, stance_e5, stance_majority, stance_tfidf,
)
from vietlao.models.interface import Baseline, checked

BASELINES: tuple[Baseline, ...] = (
    stance_majority, stance_tfidf, stance_e5, ner_caps, ner_gazetteer, ner_crf, ner_logreg, ner_e5_crf,
    link_exact, link_normalised, link_encoder, link_encoder_train,
)


def all_baselines() -> list[Baseline]:
    return [checked(b) for b in BASELINES]


def select_baselines(names: list[str] | None = None) -> list[Baseline]:
    """The baselines named (all by default); an unknown name is an error."""
    baselines = all_baselines()
    if names:
        unknown = sorted(set(names) - {b.NAME for b in baselines})
        if unknown:
            raise UserError(f"unknown baseline(s) {', '.join(unknown)}: choose from {', '.join(b.NAME for b in baselines)}")
        baselines = [b for b in baselines if b.NAME in names]
    return baselines
