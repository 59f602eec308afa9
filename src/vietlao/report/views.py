"""One task's systems as the report shows them: the scorer's output, and per sentence every line.

Everything goes through the scorer's own joins and checks (:mod:`vietlao.evaluation.evaluate`,
:mod:`vietlao.evaluation.linking`): a file ``vietlao evaluate`` refuses is refused here with the same
message, and the figures of a system are ``evaluate_records``' output for its file. Predicted entities
are read as the scorer reads them (:func:`vietlao.evaluation.evaluate.ner_inputs`, chunked under the
same scheme), then put in code points to be shown; their errors are sorted by
:mod:`vietlao.evaluation.error_kinds`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vietlao.dataset.rows import NerRow
from vietlao.evaluation import linking
from vietlao.evaluation.error_kinds import gold_kinds, match_kind
from vietlao.evaluation.evaluate import evaluate_records, ner_inputs
from vietlao.evaluation.predictions import check_predictions, fail, join_by_id
from vietlao.evaluation.scoring import to_chunks
from vietlao.report.text import Mark, pieces
from vietlao.spans import Span

#: What the report calls each kind of error (:mod:`vietlao.evaluation.error_kinds`, and stance).
KIND_NAMES = {
    "missed": "missed", "spurious": "spurious", "boundary": "boundary", "boundary_and_type": "boundary+type",
    "wrong_type": "type", "wrong_entity": "wrong entity", "stance": "wrong stance",
}
ERROR_KINDS = tuple(dict.fromkeys(KIND_NAMES.values()))


@dataclass(frozen=True)
class System:
    """A system's predictions: its name in the report, the file's lines, and where they came from."""

    name: str
    records: list[dict]
    source: str


def signature(value: Any) -> str:
    """A short digest of a system's output on one sentence: two systems disagree where theirs differ."""
    return hashlib.blake2b(repr(value).encode("utf-8"), digest_size=4).hexdigest()


def _in_chars(spans: frozenset[Span], offsets: Sequence[Sequence[int]] | None) -> frozenset[Span]:
    """Spans in code points: token-unit spans (tag input) through the sentence's token offsets."""
    if offsets is None:
        return spans
    return frozenset(Span(offsets[s.start][0], offsets[s.end - 1][1], s.label, s.entity_id) for s in spans)


def ner_spans(gold: list[dict], system: System, tagset: str, scheme: str) -> tuple[list, list]:
    """Gold and predicted entities per sentence in code points, as the scorer reads the file."""
    preds = check_predictions("ner", gold, system.records, system.source)
    form, g_items, p_items = ner_inputs(gold, preds, tagset, scheme)
    g_out, p_out = [], []
    for row, g, p in zip(gold, g_items, p_items):
        offsets = row["token_offsets"] if form == "ner_tags" else None
        g_out.append(_in_chars(to_chunks(g, scheme)[1], offsets))
        p_out.append(_in_chars(to_chunks(p, scheme)[1], offsets))
    return g_out, p_out


def e2e_spans(gold: list[dict], system: System, kb: linking.KnowledgeBase) -> tuple[list, list]:
    """Gold and predicted linkable entities with their IDs (``NIL`` for none), as the end-to-end scorer
    reads them (:func:`vietlao.evaluation.linking.e2e_chunks`)."""
    preds = join_by_id(gold, system.records, system.source)
    problems: list[str] = []

    def spans(entities: list[dict], sid: str) -> frozenset[Span]:
        chunks = linking.e2e_chunks(entities, kb, sid, problems)
        return frozenset(Span(a, b, *label.split("=", 1)) for a, b, label in chunks)

    g_out = [spans(g["entities"], g["id"]) for g in gold]
    p_out = [spans(p.get("entities", []), g["id"]) for g, p in zip(gold, preds)]
    fail(system.source, problems)
    return g_out, p_out


def _gold_ids(row: dict) -> dict[tuple[int, int], str | None]:
    return {(e["start"], e["end"]): e.get("entity_id") for e in row.get("entities", [])}


def _span_line(row: dict, gold: frozenset[Span], pred: frozenset[Span]) -> tuple[list[Mark], list[str]]:
    """The marks of one system on one sentence (its spans, and the gold spans it missed) and its errors."""
    marks, errors = [], []
    for p in sorted(pred):
        kind = match_kind(p, gold)
        name = "" if kind == "exact" else KIND_NAMES[kind]
        marks.append(Mark(p.start, p.end, p.label, name, p.entity_id))
        if name:
            errors.append(name)
    ordered = sorted(gold)
    for g, kind in zip(ordered, gold_kinds(ordered, pred)):
        if kind == "missed":
            marks.append(Mark(g.start, g.end, g.label, "missed", g.entity_id or _gold_ids(row).get((g.start, g.end))))
            errors.append("missed")
    return marks, errors


def _gold_marks(row: dict, gold: frozenset[Span]) -> list[Mark]:
    ids = _gold_ids(row)
    return [Mark(g.start, g.end, g.label, "", g.entity_id or ids.get((g.start, g.end))) for g in sorted(gold)]


def span_task(task: str, gold: list[dict], systems: Sequence[System], *, tagset: str, scheme: str,
              n_boot: int, seed: int, context: linking.LinkingContext | None) -> dict:
    """``ner`` or ``ner+linking``: scores, per-sentence spans (for the buckets) and lines."""
    scores, spans = {}, {}
    for s in systems:
        scores[s.name] = evaluate_records(task, gold, s.records, tagset=tagset, scheme=scheme, n_boot=n_boot,
                                          seed=seed, source=s.source, context=context)
        if task == "ner":
            spans[s.name] = ner_spans(gold, s, tagset, scheme)
        else:
            assert context is not None  # build_report loads it for a linking task
            spans[s.name] = e2e_spans(gold, s, context.kb)
    gold_spans = spans[systems[0].name][0]
    sentences = {}
    for i, row in enumerate(gold):
        lines, errors, types, sigs = [], {}, set(), {}
        for s in systems:
            pred = spans[s.name][1][i]
            marks, errs = _span_line(row, gold_spans[i], pred)
            sigs[s.name] = signature(sorted(pred))
            errors[s.name] = errs
            types |= {p.label for p in pred}
            lines.append({"system": s.name, "errors": errs,
                          "pieces": None if not errs else pieces(row["text"], marks)})
        types |= {g.label for g in gold_spans[i]}
        sentences[row["id"]] = {
            "gold": pieces(row["text"], _gold_marks(row, gold_spans[i])), "lines": lines,
            "errors": errors, "types": sorted(types), "signatures": sigs,
        }
    return {"scores": scores, "sentences": sentences,
            "units": {"gold": gold_spans, "systems": {n: p for n, (_, p) in spans.items()}}}


def stance_task(gold: list[dict], systems: Sequence[System], *, n_boot: int, seed: int) -> dict:
    scores, labels = {}, {}
    for s in systems:
        scores[s.name] = evaluate_records("stance", gold, s.records, n_boot=n_boot, seed=seed, source=s.source)
        labels[s.name] = [p["label"] for p in check_predictions("stance", gold, s.records, s.source)]
    sentences = {}
    for i, row in enumerate(gold):
        errors = {n: ([] if ls[i] == row["label"] else [KIND_NAMES["stance"]]) for n, ls in labels.items()}
        sentences[row["id"]] = {
            "gold": pieces(row["text"], []), "stance": {"gold": row["label"], "systems": {n: ls[i] for n, ls in labels.items()}},
            "errors": errors, "types": [], "signatures": {n: ls[i] for n, ls in labels.items()},
        }
    return {"scores": scores, "sentences": sentences,
            "units": {"gold": [g["label"] for g in gold], "systems": labels}}


def linking_task(gold: list[dict], systems: Sequence[System], sentence_rows: Mapping[str, NerRow], *,
                 n_boot: int, seed: int, context: linking.LinkingContext) -> dict:
    """``linking``: one gold mention per row; each sentence shows its mentions and every system's ID."""
    scores, tops, ranks = {}, {}, {}
    for s in systems:
        scores[s.name] = evaluate_records("linking", gold, s.records, n_boot=n_boot, seed=seed, source=s.source,
                                          context=context)
        preds = join_by_id(gold, s.records, s.source)
        tops[s.name], ranks[s.name] = linking.ranked_predictions(gold, preds, context.kb, s.source)
    by_sentence: dict[str, list[int]] = {}
    for i, g in enumerate(gold):
        by_sentence.setdefault(g["sentence_id"], []).append(i)
    sentences = {}
    for sid, index in by_sentence.items():
        text = sentence_rows[sid]["text"]
        errors: dict[str, list[str]]
        mentions, errors = [], {s.name: [] for s in systems}
        for i in index:
            g = gold[i]
            cells = []
            for s in systems:
                top = tops[s.name][i]
                wrong = top != g["entity_id"]
                if wrong:
                    errors[s.name].append(KIND_NAMES["wrong_entity"])
                cells.append({"system": s.name, "id": top or linking.NIL, "wrong": wrong,
                              "candidates": ", ".join(ranks[s.name][i][:5])})
            mentions.append({"text": g["mention"], "type": g["type"], "gold": g["entity_id"] or linking.NIL,
                             "cells": cells})
        marks = [Mark(gold[i]["start"], gold[i]["end"], gold[i]["type"], "", gold[i]["entity_id"]) for i in index]
        sentences[sid] = {
            "gold": pieces(text, marks), "mentions": mentions, "errors": errors,
            "types": sorted({gold[i]["type"] for i in index}),
            "signatures": {s.name: signature([tops[s.name][i] for i in index]) for s in systems},
        }
    return {"scores": scores, "sentences": sentences,
            "units": {"gold": [g["entity_id"] for g in gold], "systems": tops, "ranked": ranks}}
