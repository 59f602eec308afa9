"""``vietlao evaluate``: score a predictions file against the gold dataset — one scorer for every model.

Predictions are JSON Lines, one object per sentence, joined to gold by ``id`` (a sentence id such
as ``"002-017"``). Every gold sentence of the chosen split(s) needs exactly one line; a missing, an
extra or a repeated id is an error that names the ids. Reading and checking the file:
:mod:`vietlao.evaluation.predictions` (labels as names or as the dataset's ClassLabel integers).

NER, either form (one form per file)::

    {"id": "000-003", "ner_tags": ["O", "O", "O", "B-PER", "I-PER", "O", ...]}  # one per token
    {"id": "000-003", "entities": [{"start": 29, "end": 35, "label": "PER"}]}

``ner_tags`` are IOB2 tags of ``vietlao.labels.NER_TAGS``, one per gold token, chunked under the
scheme ``--scheme`` names (:data:`vietlao.spans.CHUNK_SCHEMES`): ``iob2`` (default) is strict
IOB2, seqeval ``mode="strict"``, ``scheme=IOB2`` — an ``I-`` tag that continues no chunk of its
type is not an entity; ``conlleval`` reads such a tag as the start of an entity, as
``conlleval.pl`` does. Chunks are compared with the chunks of the gold tags. ``entities`` are half-open,
sentence-relative character spans (code points) compared with the gold ``entities``, so a tool's
own tokenisation never matters. With ``--tagset coarse`` both sides are mapped through
``vietlao.labels.COARSE_OF`` (GPE→LOC, EVENT→MISC; DATE and MONEY dropped); predictions may use
fine or coarse labels. Stance::

    {"id": "000-003", "label": "favor"}

Output (``--output``; stable keys, typed in :mod:`vietlao.evaluation.schema`: ``NerScores``,
``StanceScores``)::

    {"task": "ner", "split": "test", "langs": null, "tagset": "fine",
     "input": "ner_tags" | "entities", "predictions": "<path>", "n_sentences": 49,
     "ner": {
       "scheme":   {"name": "iob2" | "conlleval", "definition": "...", "applies_to": "..."},
       "micro":    {"precision", "recall", "f1", "ci_low", "ci_high",        # CI of F1
                    "precision_ci": [lo, hi], "recall_ci": [lo, hi], "tp", "n_pred", "n_gold"},
       "per_type": {"PER": {same keys}, ...},          # every type of the tag set
       "per_lang": {"nb": {same keys, "n_sentences", "partial_f1"}, ...},
       "partial":  {"definition": "...", "micro": {same keys}, "per_type": {...}},
       "n_sentences": 49,
       "ci_method": {"method": "percentile bootstrap", "unit": "sentence", "resamples": 1000,
                     "seed": 0, "level": 0.95, "description": "..."}}}

    {"task": "stance", ...,
     "stance": {
       "accuracy": {"value", "ci_low", "ci_high"},
       "macro_f1": {"value", "ci_low", "ci_high", "classes": [classes present in gold]},
       "f_avg":    {"value", "ci_low", "ci_high", "classes": ["favor", "against"], "note"?},
       "per_class": {"favor": {"precision", "recall", "f1", "support", "n_pred"}, ...},
       "confusion_matrix": {"labels": [...], "rows": "gold", "columns": "predicted",
                            "matrix": [[int]]},
       "per_lang": {"nb": {"n_sentences", "accuracy", "macro_f1", "f_avg"}, ...},
       "n_sentences": 49, "ci_method": {...}}}

The metric definitions (strict, partial, F_avg, the bootstrap) are in :mod:`vietlao.evaluation.scoring`;
``ner_scores`` and ``stance_scores`` are re-exported here for use from Python.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Sequence

from vietlao.errors import UserError
from vietlao.evaluation import linking
from vietlao.evaluation.gold import LINKING_TASKS, TASKS, load_gold, parse_splits
from vietlao.evaluation.predictions import (
    check_predictions, io_problem, join_by_id, read_predictions, write_predictions,
)
from vietlao.evaluation.scoring import ner_scores, stance_scores
from vietlao.labels import COARSE_OF, COARSE_TYPES, ENTITY_TYPES, SPLITS
from vietlao.spans import CHUNK_SCHEMES, Span, tag_chunks

__all__ = [
    "SCHEMES", "SPLITS", "TAGSETS", "TASKS", "UNITS", "evaluate", "evaluate_records", "load_gold", "ner_inputs",
    "ner_scores", "read_predictions", "stance_scores", "write_predictions",
]

TAGSETS = ("fine", "coarse")
SCHEMES = tuple(CHUNK_SCHEMES)
UNITS = ("sentence", "document")
#: Below this many documents, ``--unit document`` intervals come with a note.
FEW_DOCUMENTS = 10


# --------------------------------------------------------------------------- scoring


def _entity_spans(entities: Iterable[dict], coarse: bool) -> frozenset[Span]:
    out = set()
    for e in entities:
        label = COARSE_OF[e["label"]] if coarse else e["label"]
        if label is not None:
            out.add(Span(int(e["start"]), int(e["end"]), label))
    return frozenset(out)


def _coarse_tag_spans(tags: Sequence[str], scheme: str) -> frozenset[Span]:
    """Token-unit spans of fine (or coarse) tags, chunked first, then mapped to coarse types."""
    return frozenset(Span(a, b, coarse) for t, a, b in tag_chunks(tags, scheme) if (coarse := COARSE_OF[t]))


def ner_inputs(gold: list[dict], preds: list[dict], tagset: str | None, scheme: str, source: str = "predictions"):
    """``(form, gold items, predicted items)`` of checked NER predictions, as ``ner_scores`` takes them."""
    form = "ner_tags" if "ner_tags" in preds[0] else "entities"
    if form == "ner_tags" and scheme == "iob2":
        io_problem(preds, source)
    coarse = tagset == "coarse"
    if form == "entities":
        return form, [_entity_spans(g["entities"], coarse) for g in gold], [
            _entity_spans(p["entities"], coarse) for p in preds
        ]
    if not coarse:
        return form, [g["ner_tags"] for g in gold], [p["ner_tags"] for p in preds]
    return form, [_coarse_tag_spans(g["ner_tags_coarse"], scheme) for g in gold], [
        _coarse_tag_spans(p["ner_tags"], scheme) for p in preds
    ]


def evaluate_records(
    task: str,
    gold: list[dict],
    records: list[dict],
    *,
    tagset: str | None = None,
    scheme: str = "iob2",
    n_boot: int = 1000,
    seed: int = 0,
    unit: str = "sentence",
    source: str = "predictions",
    context: linking.LinkingContext | None = None,
) -> dict:
    """Scores of prediction ``records`` against ``gold`` rows (as :func:`load_gold` returns them).

    ``context``: the knowledge base and training rule of the linking tasks (default: the dataset's).
    """
    if task not in TASKS:
        raise UserError(f"unknown task {task!r}: choose from {', '.join(TASKS)}")
    if tagset is not None and tagset not in TAGSETS:
        raise UserError(f"unknown tag set {tagset!r}: choose from {', '.join(TAGSETS)}")
    if scheme not in SCHEMES:
        raise UserError(f"unknown scheme {scheme!r}: choose from {', '.join(SCHEMES)}")
    if unit not in UNITS:
        raise UserError(f"unknown bootstrap unit {unit!r}: choose from {', '.join(UNITS)}")
    if task in LINKING_TASKS:
        linking.check_form(task, records, source)
        preds = join_by_id(gold, records, source)
        return {"task": task, **linking.score(task, gold, preds, context, unit=unit, n_boot=n_boot, seed=seed,
                                              source=source)}
    preds = check_predictions(task, gold, records, source, tagset)
    common: dict[str, Any] = {
        "langs": [g["lang"] for g in gold],
        "groups": [g["doc_id"] for g in gold] if unit == "document" else None,
        "n_boot": n_boot,
        "seed": seed,
    }
    out: dict[str, Any] = {"task": task, "n_sentences": len(gold)}
    if task == "ner":
        form, g, p = ner_inputs(gold, preds, tagset, scheme, source)
        types = COARSE_TYPES if tagset == "coarse" else ENTITY_TYPES
        out.update(tagset=tagset or "fine", input=form)
        out["ner"] = ner_scores(g, p, types=types, scheme=scheme, **common)
    else:
        out["stance"] = stance_scores([x["label"] for x in gold], [x["label"] for x in preds], **common)
    return out


def evaluate(
    task: str,
    predictions: Path | str,
    split: str | Sequence[str] = "test",
    *,
    tagset: str | None = None,
    scheme: str = "iob2",
    langs: Iterable[str] | None = None,
    dataset_dir: Path | str | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    unit: str = "sentence",
    seen_in: str | None = None,
) -> dict:
    """Score a predictions file against the gold of ``split`` (optionally only some languages).

    ``seen_in`` (linking): what the system was trained on (:class:`vietlao.dataset.linking.SeenRule`).
    """
    langs = sorted(langs) if langs else None
    gold = load_gold(task, split, dataset_dir, langs)
    splits = parse_splits(split)
    context = linking.load_context(dataset_dir, seen_in, splits) if task in LINKING_TASKS else None
    result = evaluate_records(
        task, gold, read_predictions(predictions),
        tagset=tagset, scheme=scheme, n_boot=n_boot, seed=seed, unit=unit, source=str(predictions),
        context=context,
    )
    head = {"task": task, "split": "+".join(parse_splits(split)), "langs": langs}
    if task == "ner":
        head["tagset"] = tagset or "fine"
    n_docs = len({g["doc_id"] for g in gold})
    if unit == "document" and n_boot and n_docs < FEW_DOCUMENTS:
        head["notes"] = [f"--unit document: the bootstrap resamples only {n_docs} document(s); with so few units "
                         "the intervals say little (--unit sentence resamples the sentences)"]
    return {**head, **result, "predictions": str(predictions)}


# --------------------------------------------------------------------------- summary


def _ci(block: dict, key: str = "f1") -> str:
    value = block[key] if key in block else block["value"]
    if block.get("ci_low") is None:
        return f"{value:.3f}"
    return f"{value:.3f} [{block['ci_low']:.3f}, {block['ci_high']:.3f}]"


def format_summary(result: dict) -> str:
    """A few lines for the terminal."""
    if result["task"] in LINKING_TASKS:
        return "\n".join([linking.format_summary(result)] + [f"note: {x}" for x in result.get("notes", [])])
    lines = [f"{result['task']} on {result.get('split', '?')}: {result['n_sentences']} sentences"]
    if "ner" in result:
        ner = result["ner"]
        lines[0] += f", tag set {result['tagset']}, scored from {result['input']}"
        if result["input"] == "ner_tags":
            lines[0] += f", scheme {ner['scheme']['name']}"
        lines.append(f"{'':<16}{'P':>7}{'R':>7}  F1 [95% CI]{'':>12}gold  pred")
        rows = [("micro (strict)", ner["micro"]), ("micro (partial)", ner["partial"]["micro"])]
        rows += [(f"  {t}", b) for t, b in ner["per_type"].items() if b["n_gold"] or b["n_pred"]]
        rows += [(f"  lang {k}", b) for k, b in ner.get("per_lang", {}).items()]
        for name, b in rows:
            lines.append(
                f"{name:<16}{b['precision']:>7.3f}{b['recall']:>7.3f}  {_ci(b):<23}{b['n_gold']:>5}{b['n_pred']:>6}"
            )
    else:
        st = result["stance"]
        for key in ("accuracy", "macro_f1", "f_avg"):
            lines.append(f"{key:<10}{_ci(st[key])}" + (f"  ({st[key]['note']})" if "note" in st[key] else ""))
        for lang, b in st.get("per_lang", {}).items():
            lines.append(f"  {lang}: n={b['n_sentences']} accuracy {_ci(b['accuracy'])}, macro-F1 {_ci(b['macro_f1'])}")
        cm = st["confusion_matrix"]
        lines.append("confusion (rows gold, columns predicted): " + " ".join(cm["labels"]))
        for label, row in zip(cm["labels"], cm["matrix"]):
            lines.append(f"  {label:<10}" + "".join(f"{v:>6}" for v in row))
    block = result.get("ner") or result.get("stance")
    assert block is not None  # the ner or stance block read above
    ci = block["ci_method"]
    lines.append(f"95% CI: {ci['method']} over {ci['unit']}s, {ci['resamples']} resamples, seed {ci['seed']}")
    return "\n".join(lines + [f"note: {x}" for x in result.get("notes", [])])
