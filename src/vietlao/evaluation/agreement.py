"""Inter-annotator agreement between two annotation passes: span F1 per type, Cohen's kappa.

A pass is read from any of:

- a Label Studio JSON export (``vietlao ls pull --output FILE``, e.g. of the blind second-pass
  project ``vietlao-pass2``), validated like any partial export, but with entity IDs compared
  rather than looked up in the inventory;
- one annotator's annotations in an export of a project several annotators worked in:
  ``FILE#annotator-2`` (the pseudonym ``pull`` gave them);
- a folder of annotators' sheets (``annotations/passes/<pass>/``).

Only sentences present in both passes are compared. Spans are scored by the one scorer
(:func:`vietlao.evaluation.scoring.ner_scores`, strict: same start, end and type), pass A as the
reference; F1 is symmetric in A and B. The stance's Cohen's kappa is :func:`cohen_kappa` (scikit-learn's
``cohen_kappa_score`` is its oracle in the tests; written here so that ``vietlao build`` needs no scikit-learn).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from vietlao.corpus.documents import Document
from vietlao.errors import UserError
from vietlao.evaluation.scoring import ner_scores
from vietlao.export.reader import convert_tasks, iter_tasks
from vietlao.export.task import Context
from vietlao.export.validate import gold_context
from vietlao.labels import ENTITY_TYPES, LINKABLE_TYPES, STANCE_LABELS
from vietlao.labelstudio.sheets import read_sheet
from vietlao.paths import project
from vietlao.spans import Span
from vietlao.tables import markdown_table

ANNOTATOR_SEPARATOR = "#"


def cohen_kappa(a: Sequence[str], b: Sequence[str], labels: Sequence[str]) -> float:
    """Unweighted Cohen's kappa of two raters' labels over ``labels``: (observed - expected agreement)
    / (1 - expected); ``math.nan`` (one object, so two reports of it compare equal) when chance agreement
    is certain, as scikit-learn's is NaN then."""
    index = {label: i for i, label in enumerate(labels)}
    counts = np.zeros((len(labels), len(labels)))
    np.add.at(counts, ([index[x] for x in a], [index[y] for y in b]), 1)
    n = counts.sum()
    observed = np.trace(counts) / n
    expected = float(counts.sum(axis=1) @ counts.sum(axis=0)) / n**2
    return math.nan if expected == 1 else float((observed - expected) / (1 - expected))


@dataclass(frozen=True)
class Decision:
    """One pass's annotation of one sentence."""

    doc_id: str
    sentence_id: str
    text: str
    mentions: tuple[Span, ...]
    stance: str

    @property
    def spans(self) -> frozenset[Span]:
        return frozenset(m.unlinked for m in self.mentions)


def _from_export(path: Path, ctx: Context, annotator: str | None) -> list[Decision]:
    if not path.is_file():
        raise UserError(f"{path}: no such export file or sheets folder")
    tasks: Iterable[Any] = iter_tasks(path)
    source = str(path)
    if annotator is not None:
        source = f"{path}{ANNOTATOR_SEPARATOR}{annotator}"
        tasks = (
            dict(t, annotations=[a for a in t.get("annotations") or [] if a.get("completed_by") == annotator])
            for t in tasks if isinstance(t, dict)
        )
        tasks = [t for t in tasks if t["annotations"]]
        if not tasks:
            raise UserError(f"{path}: no annotation by {annotator!r} (pull names annotators annotator-1, annotator-2, …)")
    records = convert_tasks(tasks, ctx, source=source)
    return [Decision(r.doc_id, r.sentence_id, r.text, r.mentions, r.stance) for r in records]


def _from_sheets(directory: Path, documents: dict[str, Document]) -> list[Decision]:
    out = []
    for path in sorted(directory.glob("[0-9][0-9][0-9].yaml")):
        if path.stem not in documents:
            raise UserError(f"{path}: no document {path.stem} in the corpus")
        doc = documents[path.stem]
        out += [Decision(doc.doc_id, s.sentence_id, s.text, s.mentions, s.stance) for s in read_sheet(path, doc)]
    if not out:
        raise UserError(f"{directory}: no sheets (<doc_id>.yaml)")
    return out


def read_pass(source: str, ctx: Context) -> dict[str, Decision]:
    """The decisions of one pass by sentence id, from an export, ``EXPORT#annotator`` or sheets.

    An export is validated against ``ctx`` except for the inventory: a pass may hold an entity ID
    the inventory does not (yet) have, and the ID agreement is part of what is measured."""
    ctx = replace(ctx, check_inventory=False)
    path, _, annotator = source.partition(ANNOTATOR_SEPARATOR)
    decisions = (
        _from_sheets(Path(path), dict(ctx.documents)) if Path(path).is_dir() and not annotator
        else _from_export(Path(path), ctx, annotator or None)
    )
    return {d.sentence_id: d for d in decisions}


def _surface(d: Decision, spans) -> str:
    return "; ".join(f"{d.text[s.start:s.end]} {s.label}" for s in sorted(spans))


def compare(a: dict[str, Decision], b: dict[str, Decision]) -> dict:
    """Span agreement per type (the scorer, A as reference), entity-ID agreement on shared
    linkable spans, the stance's Cohen's kappa, and every disagreement by sentence."""
    shared = sorted(a.keys() & b.keys())
    if not shared:
        raise UserError("the two passes have no sentence in common")
    scores = ner_scores([a[s].spans for s in shared], [b[s].spans for s in shared], types=ENTITY_TYPES, n_boot=0)
    stance_a, stance_b = [a[s].stance for s in shared], [b[s].stance for s in shared]
    ids_same = ids_both = 0
    disagreements = []
    for s in shared:
        da, db = a[s], b[s]
        ids_a = {m.unlinked: m.entity_id for m in da.mentions}
        ids_b = {m.unlinked: m.entity_id for m in db.mentions}
        both = [span for span in ids_a.keys() & ids_b.keys() if span.label in LINKABLE_TYPES]
        ids_both += len(both)
        ids_same += sum(ids_a[x] == ids_b[x] for x in both)
        other_id = sorted(x for x in both if ids_a[x] != ids_b[x])
        only_a, only_b = da.spans - db.spans, db.spans - da.spans
        if only_a or only_b or other_id or da.stance != db.stance:
            disagreements.append({
                "sentence_id": s, "stance_a": da.stance, "stance_b": db.stance,
                "only_a": _surface(da, only_a), "only_b": _surface(db, only_b),
                "entity_ids": "; ".join(f"{da.text[x.start:x.end]}: {ids_a[x]} / {ids_b[x]}" for x in other_id),
            })
    per_type = {
        t: {"a": r["n_gold"], "b": r["n_pred"], "both": r["tp"], "f1": r["f1"]}
        for t, r in scores["per_type"].items()
    }
    micro = scores["micro"]
    return {
        "documents": sorted({a[s].doc_id for s in shared}),
        "sentences": len(shared),
        "only_in_a": len(a.keys() - b.keys()),
        "only_in_b": len(b.keys() - a.keys()),
        "per_type": per_type,
        "micro": {"a": micro["n_gold"], "b": micro["n_pred"], "both": micro["tp"], "f1": micro["f1"]},
        "entity_ids": {"shared_linkable_spans": ids_both, "same_id": ids_same},
        "stance_kappa": cohen_kappa(stance_a, stance_b, STANCE_LABELS),
        "stance_agreement": sum(x == y for x, y in zip(stance_a, stance_b)) / len(shared),
        "disagreements": disagreements,
    }


def agreement(source_a: str, source_b: str, ctx: Context) -> dict:
    """:func:`compare` of two passes read with :func:`read_pass`."""
    return compare(read_pass(source_a, ctx), read_pass(source_b, ctx))


def compare_passes(dir_a: Path, dir_b: Path) -> dict:
    """:func:`compare` of two folders of sheets (the project's ``annotations/passes/``)."""
    return agreement(str(dir_a), str(dir_b), gold_context())


def card_block(passes: Path | None = None) -> str:
    """The card's agreement block: the two passes (default: the committed sheets) compared."""
    passes = passes or project().passes
    res = compare_passes(passes / "pass1", passes / "pass2")
    rows = [[t, r["a"], r["b"], r["both"], f"{r['f1']:.3f}"]
            for t, r in [*res["per_type"].items(), ("micro", res["micro"])] if r["a"] or r["b"]]
    return (
        f"Documents {', '.join(res['documents'])} ({res['sentences']} sentences), pass 1 vs the independent "
        "pass 2, strict span match (same offsets and type):\n\n"
        + markdown_table(["type", "pass 1", "pass 2", "both", "F1"], rows)
        + f"\n\nStance: observed agreement {res['stance_agreement']:.3f}, Cohen's κ {res['stance_kappa']:.3f}"
        f" ({len(res['disagreements'])} sentence(s) with any disagreement; see `annotations/ADJUDICATION.md`).\n"
        "Reproduce: `vietlao agreement annotations/passes/pass1 annotations/passes/pass2`.\n"
    )
