"""Fine-grained scores: every system scored by the scorer on buckets of entities or sentences.

A bucket family sorts either entities (*entity length* in tokens; *surface form* seen or unseen in the
training part of the protocol) or sentences (*language*, *script*, *sentence length* in tokens).

* NER and NER + linking: an entity bucket keeps, in every sentence, the gold and the predicted entities
  whose attribute falls in it (a predicted entity by its own span: entity length and surface form are
  properties of a span, so a true positive is in the same bucket on both sides); strict micro F1 of
  what is kept, by :func:`vietlao.evaluation.scoring.ner_scores`. A sentence bucket scores its sentences.
* Stance: sentence buckets, accuracy (and macro-F1) by :func:`vietlao.evaluation.scoring.stance_scores`.
* Linking: every bucket keeps gold mentions, accuracy@1 by :func:`vietlao.evaluation.linking.linking_scores`.

The intervals are the scorer's percentile bootstrap over the sentences of the bucket, same resamples
and seed as ``vietlao evaluate``. Paired differences between two systems per bucket use
:mod:`vietlao.evaluation.significance` on the same kept units.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from vietlao.dataset.rows import NerRow
from vietlao.evaluation.linking import linking_scores
from vietlao.evaluation.scoring import ner_scores, stance_scores
from vietlao.evaluation.schema import PrfBlock
from vietlao.report.text import (
    ENTITY_LENGTHS,
    SENTENCE_LENGTHS,
    SurfaceForms,
    bucket_of,
    script_of,
    tokens_in,
)

ENTITY_FAMILIES = ("entity length (tokens)", "surface form in training")
SENTENCE_FAMILIES = ("language", "script", "sentence length (tokens)")
ORDER = {
    "entity length (tokens)": [name for _, name in ENTITY_LENGTHS],
    "surface form in training": ["seen", "unseen"],
    "sentence length (tokens)": [name for _, name in SENTENCE_LENGTHS],
}


def sentence_attributes(row: Mapping[str, Any]) -> dict[str, str]:
    return {"language": row["lang"], "script": script_of(row["text"]),
            "sentence length (tokens)": bucket_of(len(row["tokens"]), SENTENCE_LENGTHS)}


def entity_attributes(start: int, end: int, row: Mapping[str, Any], forms: SurfaceForms) -> dict[str, str]:
    return {"entity length (tokens)": bucket_of(tokens_in(row["token_offsets"], start, end), ENTITY_LENGTHS),
            "surface form in training": "seen" if forms.seen(row["text"][start:end], row["doc_id"]) else "unseen"}


def _ordered(family: str, values: set[str]) -> list[str]:
    order = ORDER.get(family, [])
    return [v for v in order if v in values] + sorted(values - set(order))


def _f1(block: PrfBlock) -> dict:
    return {"value": block["f1"], "ci_low": block["ci_low"], "ci_high": block["ci_high"],
            "precision": block["precision"], "recall": block["recall"],
            "n_gold": block["n_gold"], "n_pred": block["n_pred"]}


class Buckets:
    """The bucket scores of one task; ``paired(kind, gold, a, b)`` (optional) returns the paired
    difference of two systems on the kept units, or ``None``."""

    def __init__(self, n_boot: int, seed: int, paired: Callable | None = None) -> None:
        self.n_boot, self.seed, self.paired = n_boot, seed, paired

    def _pairs(self, kind: str, gold, preds: dict[str, list], **extra) -> dict:
        if self.paired is None:
            return {}
        names = list(preds)
        out = {}
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                out[f"{a}\t{b}"] = self.paired(kind, gold, preds[a], preds[b], n_resamples=self.n_boot,
                                                seed=self.seed, **extra)
        return out

    def spans(self, rows: Sequence[dict], gold: list, systems: dict[str, list], forms: SurfaceForms) -> list[dict]:
        """Entity and sentence buckets of span tasks (NER, NER + linking)."""
        sentence = [sentence_attributes(r) for r in rows]

        def attr(span, i: int) -> dict[str, str]:
            return entity_attributes(span.start, span.end, rows[i], forms)

        families = []
        for family in ENTITY_FAMILIES:
            values = {attr(s, i)[family] for side in [gold, *systems.values()] for i, ss in enumerate(side) for s in ss}
            buckets = []
            for v in _ordered(family, values):
                def keep(side: list, family: str = family, v: str = v) -> list:
                    return [frozenset(s for s in ss if attr(s, i)[family] == v) for i, ss in enumerate(side)]
                g = keep(gold)
                p = {n: keep(side) for n, side in systems.items()}
                buckets.append(self._span_bucket(v, g, p, len(rows)))
            families.append({"name": family, "unit": "entities", "buckets": buckets})
        for family in SENTENCE_FAMILIES:
            buckets = []
            for v in _ordered(family, {a[family] for a in sentence}):
                idx = [i for i, a in enumerate(sentence) if a[family] == v]
                g = [gold[i] for i in idx]
                p = {n: [side[i] for i in idx] for n, side in systems.items()}
                buckets.append(self._span_bucket(v, g, p, len(idx)))
            families.append({"name": family, "unit": "sentences", "buckets": buckets})
        return families

    def _span_bucket(self, value: str, gold: list, preds: dict[str, list], n_sentences: int) -> dict:
        scores = {n: _f1(ner_scores(gold, p, n_boot=self.n_boot, seed=self.seed)["micro"]) for n, p in preds.items()}
        return {"value": value, "n": sum(len(g) for g in gold), "n_sentences": n_sentences, "systems": scores,
                "pairs": self._pairs("ner", gold, preds)}

    def stance(self, rows: Sequence[Mapping[str, Any]], gold: list[str], systems: dict[str, list[str]]) -> list[dict]:
        sentence = [sentence_attributes(r) for r in rows]
        families = []
        for family in SENTENCE_FAMILIES:
            buckets = []
            for v in _ordered(family, {a[family] for a in sentence}):
                idx = [i for i, a in enumerate(sentence) if a[family] == v]
                g = [gold[i] for i in idx]
                p = {n: [side[i] for i in idx] for n, side in systems.items()}
                scores = {}
                for n, labels in p.items():
                    s = stance_scores(g, labels, n_boot=self.n_boot, seed=self.seed)
                    scores[n] = {**s["accuracy"], "macro_f1": s["macro_f1"]["value"]}
                buckets.append({"value": v, "n": len(idx), "n_sentences": len(idx), "systems": scores,
                                "pairs": self._pairs("stance", g, p)})
            families.append({"name": family, "unit": "sentences", "buckets": buckets})
        return families

    def linking(self, mentions: Sequence[dict], rows: Mapping[str, NerRow], gold: list, systems: dict[str, list],
                ranked: dict[str, list], forms: SurfaceForms) -> list[dict]:
        """Every bucket of mentions; a mention's sentence gives its sentence attributes."""
        attrs = [{**sentence_attributes(rows[m["sentence_id"]]),
                  **entity_attributes(m["start"], m["end"], rows[m["sentence_id"]], forms)} for m in mentions]
        families = []
        for family in (*ENTITY_FAMILIES, *SENTENCE_FAMILIES):
            buckets = []
            for v in _ordered(family, {a[family] for a in attrs}):
                idx = [i for i, a in enumerate(attrs) if a[family] == v]
                sub = [mentions[i] for i in idx]
                g = [gold[i] for i in idx]
                groups = [m["sentence_id"] for m in sub]
                scores = {}
                for n in systems:
                    s = linking_scores(g, [systems[n][i] for i in idx], [ranked[n][i] for i in idx],
                                       langs=[m["lang"] for m in sub], types=[m["type"] for m in sub],
                                       groups=groups, n_boot=self.n_boot, seed=self.seed)
                    scores[n] = s["accuracy"]
                p = {n: [systems[n][i] for i in idx] for n in systems}
                buckets.append({"value": v, "n": len(idx), "n_sentences": len(set(groups)), "systems": scores,
                                "pairs": self._pairs("linking", g, p, groups=groups)})
            families.append({"name": family, "unit": "mentions", "buckets": buckets})
        return families
