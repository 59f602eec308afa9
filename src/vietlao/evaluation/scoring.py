"""Metrics behind ``vietlao evaluate``: entity-level NER and sentence-level stance, with bootstrap CIs.

Pure functions over in-memory data (no files, no dataset); :mod:`vietlao.evaluation.evaluate` joins
predictions to gold and calls them, and documents the JSON they produce.

NER
    ``ner_scores(gold, pred)`` takes one item per sentence on each side. An item is either a
    sequence of IOB2 tag strings or a collection of spans: :class:`vietlao.spans.Span`,
    ``(start, end, label)`` tuples or ``{"start", "end", "label"}`` dicts. Tags are chunked by
    :func:`vietlao.spans.tag_chunks` under a scheme (:data:`SCHEME_DEFINITIONS`): ``iob2`` by
    default, strict IOB2 as seqeval ``mode="strict"``, ``scheme=IOB2`` (an ``I-`` tag that
    continues no chunk of its type is no entity); ``conlleval`` for the lenient reading of
    ``conlleval.pl`` (such an ``I-`` tag starts an entity). Strict scores count an entity as
    correct only with the exact span and type. Undefined ratios are 0 (seqeval's and
    scikit-learn's ``zero_division=0``). Internally every entity is a :class:`~vietlao.spans.Span`
    (token units for tag input, code points for span input).

Partial match (:data:`PARTIAL_DEFINITION`)
    SemEval-2013 Task 9.1 "type" scheme (``ent_type`` in nervaluate): a predicted and a gold
    entity of the same type match when their spans overlap; matching is one-to-one (a maximum
    bipartite matching per sentence and type), so P = matched / predicted, R = matched / gold.

Stance
    ``stance_scores(gold, pred)`` takes one label per sentence on each side. Macro-F1 averages
    the F1 of the classes present in gold; ``F_avg`` is the SemEval-2016 Task 6 measure, the mean
    of the F1 of ``favor`` and ``against`` (a class with no gold and no predicted instance has
    F1 = 0, as in the task's scorer).

Confidence intervals
    Percentile bootstrap: sentences (or, with ``groups``, whole documents) are resampled with
    replacement, every statistic is recomputed from the pooled counts of the resample, and the
    interval is the (2.5, 97.5) percentiles of the resampled values. A resample in which a ratio
    is undefined (precision with nothing predicted, recall with no gold, F1 with neither) does
    not count for that ratio's interval; an interval with no defined resample is ``None``.
    Seeded: the same inputs give the same intervals.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Hashable, Iterable, Sequence

import numpy as np

from vietlao.evaluation.schema import (
    CiMethod, ClassesInterval, ClassScores, ConfusionMatrix, Interval, LangPrfBlock, LangStanceBlock, NerScores,
    PartialBlock, PrfBlock, SchemeBlock, StanceScores,
)
from vietlao.labels import STANCE_LABELS
from vietlao.spans import CHUNK_SCHEMES, Span, tag_chunks

PARTIAL_DEFINITION = (
    "SemEval-2013 Task 9.1 'type' scheme (nervaluate ent_type): a predicted and a gold entity of "
    "the same type match when their spans overlap by at least one character (token, for tag "
    "input); matches are one-to-one (maximum bipartite matching per sentence and type); "
    "precision = matched/predicted, recall = matched/gold"
)
F_AVG_CLASSES = ("favor", "against")
SCHEME_DEFINITIONS = {
    "iob2": (
        "strict IOB2 (seqeval mode='strict', scheme=IOB2): a chunk starts at B-T and takes the "
        "I-T tags that follow it; an I-T after O or after a chunk of another type is no entity"
    ),
    "conlleval": (
        "conlleval.pl (CoNLL-2000): a chunk starts at B-T, and also at an I-T after O or after a "
        "chunk of another type; following I-T tags continue it"
    ),
}


def scheme_block(scheme: str) -> SchemeBlock:
    """The chunking scheme as it appears in the output under ``ner.scheme``."""
    return {"name": scheme, "definition": SCHEME_DEFINITIONS[scheme], "applies_to": "tag input (ner_tags)"}


# --------------------------------------------------------------------------- bootstrap


def ci_method(n_boot: int, seed: int, unit: str = "sentence", level: float = 0.95) -> CiMethod:
    """The description of the intervals, as it appears in the output under ``ci_method``."""
    return {
        "method": "percentile bootstrap",
        "unit": unit,
        "resamples": n_boot,
        "seed": seed,
        "level": level,
        "description": (
            f"{unit}s resampled with replacement (as many as were scored); every statistic "
            f"recomputed from the pooled counts of each resample; interval = the "
            f"{100 * (1 - level) / 2:g}th and {100 * (1 + level) / 2:g}th percentiles"
        ),
    }


def bootstrap_weights(
    n: int, n_boot: int, seed: int, groups: Sequence[Hashable] | None = None
) -> np.ndarray:
    """A ``(n_boot, n)`` matrix: how often each sentence occurs in each resample."""
    rng = np.random.default_rng(seed)
    index: np.ndarray
    if groups is None:
        index = np.arange(n)
    else:
        names = sorted(set(groups), key=str)
        position = {g: i for i, g in enumerate(names)}
        index = np.array([position[g] for g in groups], dtype=int)
    k = int(index.max()) + 1 if n else 0
    draws = rng.integers(0, max(k, 1), size=(n_boot, k))
    flat = (draws + np.arange(n_boot)[:, None] * k).ravel()
    counts = np.bincount(flat, minlength=n_boot * k).reshape(n_boot, k)
    return counts[:, index].astype(float)


def _interval(values: np.ndarray, level: float) -> tuple[float | None, float | None]:
    if values.size == 0:
        return None, None
    lo, hi = np.percentile(values, [100 * (1 - level) / 2, 100 * (1 + level) / 2], axis=0)
    return float(lo), float(hi)


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` elementwise, 0 where ``den`` is 0 (scikit-learn's ``zero_division=0``)."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den > 0)


def prf(tp, n_pred, n_gold) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall and F1 of (arrays of) counts; an undefined ratio is 0."""
    tp, n_pred, n_gold = (np.asarray(x, dtype=float) for x in (tp, n_pred, n_gold))
    return ratio(tp, n_pred), ratio(tp, n_gold), ratio(2 * tp, n_pred + n_gold)


# --------------------------------------------------------------------------- NER


def to_chunks(item: Iterable[Any], scheme: str = "iob2") -> tuple[str, frozenset[Span]]:
    """``(kind, spans)`` of one sentence: kind ``tags``, ``spans`` or ``empty``."""
    if isinstance(item, (str, bytes)):
        raise TypeError(f"expected a tag sequence or a collection of spans, got {item!r}")
    items = list(item)
    if not items:
        return "empty", frozenset()
    if all(isinstance(x, str) for x in items):
        return "tags", frozenset(Span(a, b, typ) for typ, a, b in tag_chunks(items, scheme))
    chunks = set()
    for x in items:
        if isinstance(x, Span):
            chunks.add(x)
        elif isinstance(x, dict):
            chunks.add(Span(int(x["start"]), int(x["end"]), str(x["label"])))
        elif isinstance(x, (tuple, list)) and len(x) == 3:
            start, end, label = x
            chunks.add(Span(int(start), int(end), str(label)))
        else:
            raise TypeError(f"cannot read {x!r} as a span")
    return "spans", frozenset(chunks)


def _max_matching(gold: list[Span], pred: list[Span]) -> int:
    """Size of a maximum one-to-one matching of overlapping spans (Kuhn's algorithm)."""
    edges = [[j for j, p in enumerate(pred) if g.start < p.end and p.start < g.end] for g in gold]
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in edges[i]:
            if j not in seen:
                seen.add(j)
                if j not in owner or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    return sum(augment(i, set()) for i in range(len(gold)))


def _sentence_counts(gold: frozenset[Span], pred: frozenset[Span], index: dict[str, int]):
    """Per-type strict TP, predicted, gold and partial matches of one sentence."""
    row = np.zeros((4, len(index)))
    by_type_gold, by_type_pred = defaultdict(list), defaultdict(list)
    for c in gold:
        row[2, index[c.label]] += 1
        by_type_gold[c.label].append(c)
    for c in pred:
        row[1, index[c.label]] += 1
        by_type_pred[c.label].append(c)
    for c in gold & pred:
        row[0, index[c.label]] += 1
    for label, g in by_type_gold.items():
        if label in by_type_pred:
            row[3, index[label]] = _max_matching(sorted(g), sorted(by_type_pred[label]))
    return row


def _prf_block(tp, n_pred, n_gold, w: np.ndarray | None, level: float) -> PrfBlock:
    """P/R/F1 of summed counts (1-D over sentences), with intervals from weights ``w``."""
    p, r, f = prf(tp.sum(), n_pred.sum(), n_gold.sum())
    if w is None or not w.shape[0]:
        return {"precision": float(p), "recall": float(r), "f1": float(f), "ci_low": None, "ci_high": None,
                "tp": int(tp.sum()), "n_pred": int(n_pred.sum()), "n_gold": int(n_gold.sum())}
    bt, bn_pred, bn_gold = w @ tp, w @ n_pred, w @ n_gold
    bp, br, bf = prf(bt, bn_pred, bn_gold)
    # a resample where a ratio is undefined (nothing predicted / no gold) gives no value
    low, high = _interval(bf[(bn_pred + bn_gold) > 0], level)
    return {"precision": float(p), "recall": float(r), "f1": float(f), "ci_low": low, "ci_high": high,
            "precision_ci": list(_interval(bp[bn_pred > 0], level)),
            "recall_ci": list(_interval(br[bn_gold > 0], level)),
            "tp": int(tp.sum()), "n_pred": int(n_pred.sum()), "n_gold": int(n_gold.sum())}


def ner_scores(
    gold: Sequence[Iterable[Any]],
    pred: Sequence[Iterable[Any]],
    *,
    types: Sequence[str] | None = None,
    langs: Sequence[str] | None = None,
    groups: Sequence[Hashable] | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    scheme: str = "iob2",
) -> NerScores:
    """Strict and partial entity-level scores of ``pred`` against ``gold``, one item per sentence.

    ``types`` fixes the rows of ``per_type`` (default: every label seen, sorted); labels outside
    it still count in ``micro``. ``langs`` (one per sentence) adds ``per_lang``; ``groups`` (one
    per sentence, e.g. a document id) makes the bootstrap resample groups instead of sentences.
    """
    counts, labels = ner_counts(gold, pred, types=types, scheme=scheme)
    out = _ner_from_counts(counts, labels, langs, groups, n_boot, seed, level, with_lang=True)
    return {"scheme": scheme_block(scheme), **out}


#: What ``ner_counts(...)[0][:, k, :]`` counts, for ``k`` in order.
NER_COUNTS = ("tp", "n_pred", "n_gold", "partial")


def ner_counts(
    gold: Sequence[Iterable[Any]],
    pred: Sequence[Iterable[Any]],
    *,
    types: Sequence[str] | None = None,
    scheme: str = "iob2",
) -> tuple[np.ndarray, list[str]]:
    """The sufficient statistics of the NER scores: per sentence and type, the counts of
    :data:`NER_COUNTS` (an ``(n_sentences, 4, n_types)`` array), and the types (its last axis).

    Every score of :func:`ner_scores` is computed from sums of these counts over sentences.
    """
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold sentences but {len(pred)} predicted")
    if scheme not in CHUNK_SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}: choose from {', '.join(CHUNK_SCHEMES)}")
    pairs = []
    for i, (g, p) in enumerate(zip(gold, pred)):
        (gk, gc), (pk, pc) = to_chunks(g, scheme), to_chunks(p, scheme)
        if {gk, pk} == {"tags", "spans"}:
            raise ValueError(f"sentence {i}: tags on one side, spans on the other")
        if gk == pk == "tags" and len(list(g)) != len(list(p)):
            raise ValueError(f"sentence {i}: {len(list(g))} gold tags but {len(list(p))} predicted")
        pairs.append((gc, pc))
    seen = sorted({c.label for g, p in pairs for c in g | p})
    labels = list(types) if types is not None else seen
    labels += [t for t in seen if t not in labels]
    index = {t: i for i, t in enumerate(labels)}
    counts = np.stack([_sentence_counts(g, p, index) for g, p in pairs]) if pairs else np.zeros((0, 4, len(labels)))
    return counts, labels


def _ner_from_counts(counts, labels, langs, groups, n_boot, seed, level, with_lang) -> NerScores:
    n = counts.shape[0]
    w = bootstrap_weights(n, n_boot, seed, groups) if n_boot and n else None
    tp, n_pred, n_gold, partial = (counts[:, k, :] for k in range(4))
    micro = _prf_block(tp.sum(1), n_pred.sum(1), n_gold.sum(1), w, level)
    per_type = {t: _prf_block(tp[:, i], n_pred[:, i], n_gold[:, i], w, level) for i, t in enumerate(labels)}
    partial_block: PartialBlock = {
        "definition": PARTIAL_DEFINITION,
        "micro": _prf_block(partial.sum(1), n_pred.sum(1), n_gold.sum(1), w, level),
        "per_type": {t: _prf_block(partial[:, i], n_pred[:, i], n_gold[:, i], w, level) for i, t in enumerate(labels)},
    }
    ci = ci_method(n_boot, seed, "sentence" if groups is None else "document", level)
    if not (with_lang and langs is not None):
        return {"n_sentences": n, "micro": micro, "per_type": per_type, "partial": partial_block, "ci_method": ci}
    per_lang: dict[str, LangPrfBlock] = {}
    for lang in sorted(set(langs)):
        mask = np.array([x == lang for x in langs])
        sub_groups = None if groups is None else [g for g, m in zip(groups, mask) if m]
        sub = _ner_from_counts(counts[mask], labels, None, sub_groups, n_boot, seed, level, False)
        per_lang[lang] = {**sub["micro"], "n_sentences": sub["n_sentences"], "partial_f1": sub["partial"]["micro"]["f1"]}
    return {"n_sentences": n, "micro": micro, "per_type": per_type, "partial": partial_block, "per_lang": per_lang,
            "ci_method": ci}


# --------------------------------------------------------------------------- stance


def _value_block(point: float, boot: np.ndarray | None, level: float) -> Interval:
    lo, hi = _interval(boot, level) if boot is not None else (None, None)
    return {"value": float(point), "ci_low": lo, "ci_high": hi}


def ci_block(point: float, boot: np.ndarray | None, level: float = 0.95) -> Interval:
    """``{"value", "ci_low", "ci_high"}``: a statistic and the percentile interval of its resampled
    values (``boot``: one value per resample; ``None`` or empty: no interval)."""
    return _value_block(point, boot, level)


def stance_onehots(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] = STANCE_LABELS):
    """One-hot ``(n_sentences, n_labels)`` matrices of gold and predicted labels (the sufficient
    statistics of the stance scores: :func:`stance_from_sums` reads sums of ``gold * pred``,
    ``gold`` and ``pred``). An unknown label is a ``ValueError``."""
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold labels but {len(pred)} predicted")
    labels = list(labels)
    unknown = sorted({x for x in [*gold, *pred] if x not in labels})
    if unknown:
        raise ValueError(f"labels {unknown} not in {labels}")
    index = {x: i for i, x in enumerate(labels)}
    n, k = len(gold), len(labels)
    g = np.zeros((n, k))
    p = np.zeros((n, k))
    g[np.arange(n), [index[x] for x in gold]] = 1
    p[np.arange(n), [index[x] for x in pred]] = 1
    return g, p


def f_avg_index(labels: Sequence[str]) -> list[int]:
    """Positions in ``labels`` of the F_avg classes (:data:`F_AVG_CLASSES`)."""
    return [list(labels).index(c) for c in F_AVG_CLASSES if c in labels]


def stance_from_sums(tp: np.ndarray, n_gold: np.ndarray, n_pred: np.ndarray, f_avg_idx: Sequence[int]):
    """Accuracy, macro-F1 over gold-present classes and F_avg from per-class sums, one value per
    row: ``tp``, ``n_gold``, ``n_pred`` are ``(m, n_labels)`` sums of ``gold * pred``, ``gold`` and
    ``pred`` (:func:`stance_onehots`) over the sentences of ``m`` samples."""
    f1 = ratio(2 * tp, n_gold + n_pred)
    total = n_gold.sum(1)
    accuracy = ratio(tp.sum(1), total)
    present = n_gold > 0
    macro = ratio((f1 * present).sum(1), present.sum(1))
    f_avg = f1[:, list(f_avg_idx)].mean(1)
    return accuracy, macro, f_avg


def stance_scores(
    gold: Sequence[str],
    pred: Sequence[str],
    *,
    labels: Sequence[str] = STANCE_LABELS,
    langs: Sequence[str] | None = None,
    groups: Sequence[Hashable] | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    _with_lang: bool = True,
) -> StanceScores:
    """Accuracy, macro-F1, F_avg, per-class scores and the confusion matrix of stance labels."""
    labels = list(labels)
    g, p = stance_onehots(gold, pred, labels)
    n = len(gold)
    index = {x: i for i, x in enumerate(labels)}
    f_avg_idx = f_avg_index(labels)
    def stats(w: np.ndarray):  # one value per row of the weights w
        return stance_from_sums(w @ (g * p), w @ g, w @ p, f_avg_idx)

    point = [float(v[0]) for v in stats(np.ones((1, n)))]
    boot = stats(bootstrap_weights(n, n_boot, seed, groups)) if n_boot and n else (None,) * 3
    support, n_pred_all = g.sum(0), p.sum(0)
    prec, rec, f1 = prf((g * p).sum(0), n_pred_all, support)
    present = [x for x in labels if support[index[x]] > 0]
    f_avg: ClassesInterval = {**_value_block(point[2], boot[2], level), "classes": list(F_AVG_CLASSES)}
    absent = [c for c in F_AVG_CLASSES if c in index and support[index[c]] == 0]
    if absent:
        f_avg["note"] = f"no gold {' or '.join(absent)}: F1 of a class without gold counts as 0 (SemEval-2016)"
    per_lang: dict[str, LangStanceBlock] = {}
    for lang in sorted(set(langs or ())) if _with_lang else ():
        sel = [i for i, x in enumerate(langs or ()) if x == lang]
        sub = stance_scores([gold[i] for i in sel], [pred[i] for i in sel], labels=labels,
                            groups=None if groups is None else [groups[i] for i in sel],
                            n_boot=n_boot, seed=seed, level=level, _with_lang=False)
        per_lang[lang] = {"n_sentences": sub["n_sentences"], "accuracy": sub["accuracy"],
                          "macro_f1": sub["macro_f1"], "f_avg": sub["f_avg"]}
    per_class: dict[str, ClassScores] = {
        x: {"precision": float(prec[i]), "recall": float(rec[i]), "f1": float(f1[i]),
            "support": int(support[i]), "n_pred": int(n_pred_all[i])}
        for i, x in enumerate(labels)
    }
    matrix: ConfusionMatrix = {"labels": labels, "rows": "gold", "columns": "predicted",
                               "matrix": (g.T @ p).astype(int).tolist()}
    accuracy = _value_block(point[0], boot[0], level)
    macro_f1: ClassesInterval = {**_value_block(point[1], boot[1], level), "classes": present}
    ci = ci_method(n_boot, seed, "sentence" if groups is None else "document", level)
    if not (_with_lang and langs is not None):
        return {"n_sentences": n, "accuracy": accuracy, "macro_f1": macro_f1, "f_avg": f_avg, "per_class": per_class,
                "confusion_matrix": matrix, "ci_method": ci}
    return {"n_sentences": n, "accuracy": accuracy, "macro_f1": macro_f1, "f_avg": f_avg, "per_class": per_class,
            "confusion_matrix": matrix, "per_lang": per_lang, "ci_method": ci}
