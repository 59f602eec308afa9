"""Baselines: each module trains on gold rows and returns predictions in the scorer's JSONL format.

Every module defines ``NAME``, ``TASK`` (``ner``, ``stance`` or ``linking``), ``SEEDED`` (whether
the result depends on ``seed``: such baselines run with several seeds) and
``predict(train_rows, test_rows, seed=0) -> list[dict]`` (linking baselines also take ``kb``, the
knowledge base of :func:`vietlao.models.linking_common.knowledge_base`); a module that needs an optional extra
names it in ``EXTRA`` and says whether it is installed with ``available()``. Each runs as a module
that writes a predictions file::

    python -m vietlao.models.ner_crf --train train,validation --test test --out crf.jsonl
    vietlao evaluate --task ner --predictions crf.jsonl

The registry: :data:`MODULES`, loaded by :func:`all_baselines` and :func:`select_baselines`.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from vietlao.errors import UserError

MODULES = (
    "stance_majority", "stance_tfidf", "stance_e5", "ner_caps", "ner_gazetteer", "ner_crf", "ner_logreg",
    "ner_e5_crf", "link_exact", "link_normalised", "link_encoder", "link_encoder_train",
)


def all_baselines() -> list[ModuleType]:
    return [importlib.import_module(f"{__name__}.{m}") for m in MODULES]


def select_baselines(names: list[str] | None = None) -> list[ModuleType]:
    """The baselines named (all by default); an unknown name is an error."""
    modules = all_baselines()
    if names:
        unknown = sorted(set(names) - {m.NAME for m in modules})
        if unknown:
            raise UserError(f"unknown baseline(s) {', '.join(unknown)}: choose from {', '.join(m.NAME for m in modules)}")
        modules = [m for m in modules if m.NAME in names]
    return modules
