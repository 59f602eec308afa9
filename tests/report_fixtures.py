"""Predictions with known errors, made from the gold, for the report's tests (shared by its test files)."""

from __future__ import annotations

import copy

from vietlao.dataset.linking import SeenRule
from vietlao.report.build import Setting

SENTENCE = "002-000"  # Vietnamese: Lào GPE, Tô Lâm PER, Việt Nam GPE, Lào GPE
LODO = Setting("lodo", "leave one document out", SeenRule.parse("other-documents"), "all")


def with_errors(gold: list[dict]) -> tuple[list[dict], list[dict]]:
    """Two systems' ``entities`` lines: A misses Tô Lâm in :data:`SENTENCE`; B gives Việt Nam the type ORG."""
    a, b = [], []
    for row in gold:
        entities = [{k: e[k] for k in ("start", "end", "label")} for e in row["entities"]]
        ea, eb = copy.deepcopy(entities), copy.deepcopy(entities)
        if row["id"] == SENTENCE:
            ea = [e for e in ea if row["text"][e["start"]:e["end"]] != "Tô Lâm"]
            for e in eb:
                if row["text"][e["start"]:e["end"]] == "Việt Nam":
                    e["label"] = "ORG"
        a.append({"id": row["id"], "entities": ea})
        b.append({"id": row["id"], "entities": eb})
    return a, b
