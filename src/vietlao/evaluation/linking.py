"""Entity-linking scores behind ``vietlao evaluate --task linking`` and ``--task ner+linking``.

``linking`` predictions are JSON Lines, one object per gold mention of the ``linking`` config, joined
by ``id`` (``<sentence_id>:<start>-<end>``) as strictly as the other tasks::

    {"id": "000-003:14-18", "entity_id": "laos"}
    {"id": "000-003:14-18", "entity_id": null}                        # NIL: not in the inventory
    {"id": "000-003:14-18", "entity_id": "laos", "candidates": ["laos", "vietnam", "cambodia"]}

``entity_id`` is an ID of the ``entities`` config, one of its ``aliases`` (mapped to the current ID),
or ``null`` (NIL). ``candidates`` (optional) is a ranked list of IDs for accuracy@k; it starts with
``entity_id`` unless that is NIL, and holds no ID twice. A line without candidates ranks only its
``entity_id``.

Metrics
    *accuracy@1*: share of mentions whose ``entity_id`` is the gold ID (a NIL gold mention is right
    when the prediction is NIL). *accuracy@k*: share whose gold ID is among the first k candidates
    (NIL gold: as @1). *macro accuracy*: the mean over gold entities of their accuracy@1 (NIL gold
    mentions form one group). Also per language, per type, and for mentions of entities *seen* in
    training or not (:class:`vietlao.dataset.linking.SeenRule`), with NIL counts. CIs: the scorer's
    percentile bootstrap (:mod:`vietlao.evaluation.scoring`), resampling sentences (or documents),
    every mention of a drawn sentence with it.

End to end (``ner+linking``)
    An NER predictions file in the ``entities`` form whose entities of linkable types carry an
    ``entity_id`` (an ID, an alias, or ``null``), over the ``ner`` sentences. A predicted mention is
    right when its span, type and ID equal a gold mention's: strict P/R/F1 (with CIs) over the
    linkable types, per language and per type (``end_to_end``), beside the same file scored on span
    and type alone over the linkable types (``ner_linkable``), so the cost of linking shows.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Hashable, Sequence

import numpy as np

from vietlao.corpus.metadata import LANGUAGES
from vietlao.dataset.linking import OTHER_DOCUMENTS, SeenRule, seen_flags
from vietlao.dataset.rows import INVENTORY_SPLIT
from vietlao.errors import UserError
from vietlao.evaluation.gold import load_gold
from vietlao.evaluation.predictions import check_predictions, fail, io_problem
from vietlao.evaluation.scoring import bootstrap_weights, ci_block, ci_method, ner_scores
from vietlao.labels import ENTITY_TYPES, LINKABLE_TYPES
from vietlao.paths import project

KS = (1, 5, 10)
NIL = "NIL"


@dataclass(frozen=True)
class KnowledgeBase:
    """The IDs a prediction may name: the ``entities`` config, with former IDs mapped to current ones."""

    ids: frozenset[str]
    aliases: dict[str, str]

    def resolve(self, value: Any) -> str | None:
        """The current ID of ``value`` (``None`` for NIL); ``ValueError`` for anything else."""
        if value is None:
            return None
        if isinstance(value, str):
            if value in self.ids:
                return value
            if value in self.aliases:
                return self.aliases[value]
            close = [x for x in sorted(self.ids | self.aliases.keys()) if x.casefold() == value.casefold()]
            close = close or difflib.get_close_matches(value, sorted(self.ids), n=1)
            if close:
                raise ValueError(f"unknown entity id {value!r} (did you mean {close[0]!r}?)")
        raise ValueError(f"unknown entity id {value!r}")


@dataclass(frozen=True)
class LinkingContext:
    """What the linking scores need beyond the gold rows: the knowledge base, every linking row
    (for seen/unseen), and the training rule (``None``: from the scored splits)."""

    kb: KnowledgeBase
    rows: tuple[dict, ...]
    rule: SeenRule | None = None


def default_rule(splits: set[str]) -> SeenRule:
    """Scoring every split: other documents (leave-one-document-out); else the splits not scored."""
    rest = tuple(s for s in ("train", "validation", "test") if s not in splits)
    return SeenRule("splits", rest) if rest else SeenRule.parse(OTHER_DOCUMENTS)


def load_entities(dataset_dir: Path | str | None = None) -> list[dict]:
    """The rows of the ``entities`` config (the knowledge base; default: the project's dataset),
    ``type`` as a name."""
    import datasets

    dataset_dir = Path(dataset_dir) if dataset_dir is not None else project().dataset
    if not (dataset_dir / "data" / "entities").is_dir():
        raise UserError(f"no 'entities' data in {dataset_dir}: build the dataset first (vietlao build)")
    datasets.disable_progress_bars()
    try:
        inventory = datasets.load_dataset(str(dataset_dir), "entities")[INVENTORY_SPLIT]
    except (OSError, ValueError, KeyError) as exc:
        raise UserError(f"cannot load the knowledge base of {dataset_dir} (entities): {exc}") from exc
    names = inventory.features["type"].names
    return [{**r, "type": names[r["type"]], "aliases": r.get("aliases") or []} for r in inventory.to_list()]


def knowledge_base(entities: Sequence[dict]) -> KnowledgeBase:
    return KnowledgeBase(
        ids=frozenset(e["entity_id"] for e in entities),
        aliases={a: e["entity_id"] for e in entities for a in e["aliases"]},
    )


def load_context(dataset_dir: Path | str | None, seen_in: str | None = None,
                 splits: Sequence[str] | None = None) -> LinkingContext:
    """The knowledge base and the linking rows of a dataset folder (``None``: the project's).

    The training rule: ``seen_in``, else :func:`default_rule` of the ``splits`` scored (the splits
    asked for, not those the chosen languages happen to occupy), else decided from the gold rows.
    """
    try:
        rule = SeenRule.parse(seen_in) if seen_in else (default_rule(set(splits)) if splits else None)
    except ValueError as exc:
        raise UserError(f"--seen-in: {exc}") from exc
    kb = knowledge_base(load_entities(dataset_dir))
    return LinkingContext(kb, tuple(load_gold("linking", "all", dataset_dir)), rule)


# --------------------------------------------------------------------------- checks


def check_form(task: str, records: list[dict], source: str) -> None:
    """Refuse a file of another task: ``linking`` lines carry ``entity_id``, ``ner+linking`` lines ``entities``."""
    keys = {k for r in records for k in r}
    if task == "linking" and "entity_id" not in keys:
        other = ("an NER file (score it with --task ner, or --task ner+linking with entity ids)"
                 if keys & {"ner_tags", "entities"} else "a stance file (score it with --task stance)"
                 if "label" in keys else "not a linking file")
        raise UserError(f"{source}: no \"entity_id\" key on any line (keys seen: {', '.join(sorted(keys))}): "
                        f"{other}; linking lines look like {{\"id\": \"000-000:201-208\", \"entity_id\": \"vietnam\"}}")
    if task == "ner+linking" and "entities" not in keys:
        raise UserError(f"{source}: no \"entities\" key on any line (keys seen: {', '.join(sorted(keys))}): "
                        "ner+linking needs the NER \"entities\" form, each linkable entity with its \"entity_id\"")


def ranked_predictions(gold: list[dict], preds: list[dict], kb: KnowledgeBase, source: str):
    """Per mention: the resolved ``entity_id`` and the ranked candidates; every problem is an error."""
    problems, top, lists = [], [], []
    for g, p in zip(gold, preds):
        mid = g["id"]
        if "entity_id" not in p:
            problems.append(f"{mid}: no \"entity_id\" (use null for NIL)")
            continue
        try:
            eid = kb.resolve(p["entity_id"])
            raw = p.get("candidates")
            if raw is not None and not isinstance(raw, list):
                raise ValueError("\"candidates\" must be a list of entity ids")
            cands = [kb.resolve(c) for c in raw] if raw is not None else ([eid] if eid else [])
        except ValueError as exc:
            problems.append(f"{mid}: {exc}")
            continue
        if None in cands:
            problems.append(f"{mid}: \"candidates\" holds null (NIL is said by \"entity_id\": null)")
        elif len(set(cands)) != len(cands):
            problems.append(f"{mid}: \"candidates\" names an entity twice (after mapping aliases)")
        elif eid is not None and (not cands or cands[0] != eid):
            problems.append(f"{mid}: \"candidates\" must start with \"entity_id\" {eid!r}")
        top.append(eid)
        lists.append(cands)
    fail(source, problems)
    return top, lists


# --------------------------------------------------------------------------- accuracy


def _mean_block(hits: np.ndarray, mask: np.ndarray, w: np.ndarray | None, level: float) -> dict:
    """Share of ``hits`` among the masked mentions, with the bootstrap interval."""
    n = int(mask.sum())
    point = float(hits[mask].mean()) if n else 0.0
    boot = None
    if w is not None and n:
        den = w[:, mask].sum(1)
        boot = (w[:, mask] @ hits[mask])[den > 0] / den[den > 0]
    return {**ci_block(point, boot, level), "n": n}


def _macro(hits: np.ndarray, keys: list[str], w: np.ndarray | None, level: float) -> dict:
    names = sorted(set(keys))
    onehot = np.array([[k == name for name in names] for k in keys], dtype=float).reshape(len(keys), len(names))
    point = float(np.mean([hits[onehot[:, j] > 0].mean() for j in range(len(names))])) if names else 0.0
    boot = None
    if w is not None and names:
        den = w @ onehot
        per = np.divide(w @ (onehot * hits[:, None]), den, out=np.zeros_like(den), where=den > 0)
        present = (den > 0).sum(1)
        boot = (per.sum(1) / np.maximum(present, 1))[present > 0]
    return {**ci_block(point, boot, level), "n_entities": len(names)}


def linking_scores(
    gold_ids: Sequence[str | None],
    top: Sequence[str | None],
    ranked: Sequence[Sequence[str]],
    *,
    langs: Sequence[str],
    types: Sequence[str],
    seen: Sequence[bool] | None = None,
    groups: Sequence[Hashable],
    unit: str = "sentence",
    ks: Sequence[int] = KS,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> dict:
    """Accuracy@1/@k, macro accuracy, per language/type/seen, NIL counts; one item per mention.

    ``groups`` (one per mention: its sentence, or its document) are what the bootstrap resamples.
    """
    n = len(gold_ids)
    hits = np.array([g == p for g, p in zip(gold_ids, top)], dtype=float)
    at = {k: np.array([(g in r[:k]) if g is not None else p is None for g, p, r in zip(gold_ids, top, ranked)],
                      dtype=float) for k in ks if k > 1}
    w = bootstrap_weights(n, n_boot, seed, groups) if n_boot and n else None
    everything = np.ones(n, dtype=bool)

    def block(mask: np.ndarray) -> dict:
        return {"accuracy": _mean_block(hits, mask, w, level),
                "accuracy_at": {str(k): _mean_block(h, mask, w, level) for k, h in at.items()}}

    def split(values: Sequence[str], order: Sequence[str]) -> dict:
        present = [v for v in order if v in set(values)] + sorted(set(values) - set(order))
        return {v: block(np.array([x == v for x in values], dtype=bool)) for v in present}

    gold_nil = np.array([g is None for g in gold_ids])
    pred_nil = np.array([p is None for p in top])
    out: dict[str, Any] = {
        "n_mentions": n,
        "n_with_alternatives": sum(len(r) > 1 for r in ranked),
        **block(everything),
        "macro_accuracy": _macro(hits, [g if g is not None else NIL for g in gold_ids], w, level),
        "per_lang": split(langs, LANGUAGES),
        "per_type": split(types, ENTITY_TYPES),
        "nil": {"gold": int(gold_nil.sum()), "predicted": int(pred_nil.sum()),
                "both": int((gold_nil & pred_nil).sum()),
                "predicted_for_linkable_gold": int((pred_nil & ~gold_nil).sum())},
    }
    if seen is not None:
        flags = np.array(seen, dtype=bool)
        out["seen"] = {"seen": block(flags), "unseen": block(~flags)}
    out["ci_method"] = ci_method(n_boot, seed, unit, level)
    return out


# --------------------------------------------------------------------------- end to end


def e2e_chunks(entities: list[dict], kb: KnowledgeBase, sid: str, problems: list[str]) -> set:
    """``(start, end, "TYPE=ID")`` of the linkable entities of one sentence (``ID``: resolved, or ``NIL``);
    problems are appended to ``problems``."""
    out = set()
    for e in entities:
        if e["label"] not in LINKABLE_TYPES:
            continue
        if "entity_id" not in e:
            problems.append(f"{sid}: {e['label']} entity [{e['start']}, {e['end']}) has no \"entity_id\" "
                            "(use null for NIL)")
            continue
        try:
            eid = kb.resolve(e["entity_id"])
        except ValueError as exc:
            problems.append(f"{sid}: {exc}")
            continue
        out.add((int(e["start"]), int(e["end"]), f"{e['label']}={eid if eid is not None else NIL}"))
    return out


def end_to_end_chunks(gold: list[dict], preds: list[dict], kb: KnowledgeBase, source: str) -> tuple[list, list]:
    """Gold and predicted ``(start, end, "TYPE=ID")`` mentions of linkable types, per sentence, of
    NER+linking predictions joined to ``gold``; every problem of the file is one error."""
    if not all("entities" in p for p in preds):
        raise UserError(f"{source}: ner+linking needs the \"entities\" form on every line (with \"entity_id\")")
    checked = check_predictions("ner", gold, preds, source)  # spans and labels checked
    if checked and "ner_tags" in checked[0]:
        io_problem(checked, source)
    problems: list[str] = []
    gold_chunks = [e2e_chunks(g["entities"], kb, g["id"], problems) for g in gold]
    pred_chunks = [e2e_chunks(p["entities"], kb, g["id"], problems) for g, p in zip(gold, preds)]
    fail(source, problems)
    return gold_chunks, pred_chunks


def end_to_end(gold: list[dict], preds: list[dict], kb: KnowledgeBase, *, unit: str, n_boot: int,
               seed: int, source: str) -> dict:
    """Strict span + type + ID scores of NER predictions (``entities`` form) against the ``ner`` gold."""
    gold_chunks, pred_chunks = end_to_end_chunks(gold, preds, kb, source)
    common: dict[str, Any] = {"langs": [g["lang"] for g in gold], "n_boot": n_boot, "seed": seed,
              "groups": [g["doc_id"] for g in gold] if unit == "document" else None}
    scores = ner_scores(gold_chunks, pred_chunks, **common)
    spans_only = [{(a, b, label.split("=", 1)[0]) for a, b, label in chunks} for chunks in gold_chunks + pred_chunks]
    ner = ner_scores(spans_only[: len(gold)], spans_only[len(gold):], types=[t for t in ENTITY_TYPES if t in LINKABLE_TYPES],
                     **common)
    per_type = {}
    for t in (t for t in ENTITY_TYPES if t in LINKABLE_TYPES):
        keep = [{c for c in chunks if c[2].split("=", 1)[0] == t} for chunks in (gold_chunks + pred_chunks)]
        sub = ner_scores(keep[: len(gold)], keep[len(gold):], **{**common, "langs": None})
        per_type[t] = sub["micro"]
    return {
        "n_sentences": len(gold),
        "end_to_end": {
            "definition": "a predicted mention of a linkable type is right when span, type and entity id "
                          "(aliases mapped, NIL never right) equal a gold mention's",
            "micro": scores["micro"], "per_lang": scores["per_lang"], "per_type": per_type,
            "ci_method": scores["ci_method"],
        },
        "ner_linkable": {"definition": "the same file scored on span and type alone, over the linkable types",
                         **{k: ner[k] for k in ("micro", "per_type", "per_lang")}},
    }


# --------------------------------------------------------------------------- the scorer's entry


def score(task: str, gold: list[dict], preds: list[dict], context: LinkingContext | None, *,
          unit: str = "sentence", n_boot: int = 1000, seed: int = 0, source: str = "predictions") -> dict:
    """The ``task`` block of ``vietlao evaluate`` for predictions already joined to ``gold`` by id."""
    if context is None:
        context = load_context(None)
    if task == "ner+linking":
        return end_to_end(gold, preds, context.kb, unit=unit, n_boot=n_boot, seed=seed, source=source)
    top, candidates = ranked_predictions(gold, preds, context.kb, source)
    rule = context.rule or default_rule({g["split"] for g in gold})
    seen = seen_flags(rule, gold, context.rows)
    key = "doc_id" if unit == "document" else "sentence_id"
    scores = linking_scores(
        [g["entity_id"] for g in gold], top, candidates, langs=[g["lang"] for g in gold],
        types=[g["type"] for g in gold], seen=seen, groups=[g[key] for g in gold], unit=unit,
        n_boot=n_boot, seed=seed,
    )
    scores["seen_rule"] = str(rule)
    return {"n_mentions": len(gold), "linking": scores}


def _ci(b: dict) -> str:
    text = f"{b['value']:.3f}"
    return text if b.get("ci_low") is None else text + f" [{b['ci_low']:.3f}, {b['ci_high']:.3f}]"


def format_summary(result: dict) -> str:
    """A few lines for the terminal."""
    head = f"{result['task']} on {result.get('split', '?')}"
    if "end_to_end" in result:
        e2e, ner = result["end_to_end"], result["ner_linkable"]
        lines = [f"{head}: {result['n_sentences']} sentences; end to end (e2e): a mention counts when span, type and id are right",
                 f"{'':<16}{'P':>7}{'R':>7}  F1 [95% CI]{'':>12}gold  pred"]
        rows = [("end to end", e2e["micro"]), ("span + type", ner["micro"])]
        rows += [(f"  e2e {t}", b) for t, b in e2e["per_type"].items() if b["n_gold"] or b["n_pred"]]
        rows += [(f"  e2e lang {k}", b) for k, b in e2e["per_lang"].items()]
        for name, b in rows:
            ci = _ci({"value": b["f1"], "ci_low": b.get("ci_low"), "ci_high": b.get("ci_high")})
            lines.append(f"{name:<16}{b['precision']:>7.3f}{b['recall']:>7.3f}  {ci:<23}{b['n_gold']:>5}{b['n_pred']:>6}")
        ci = e2e["ci_method"]
    else:
        lk = result["linking"]
        ks = list(lk["accuracy_at"])
        lines = [f"{head}: {lk['n_mentions']} mentions ({lk['n_with_alternatives']} with more than one candidate); "
                 f"seen = entity linked in {lk['seen_rule']}",
                 f"{'':<16}{'n':>5}  {'accuracy@1 [95% CI]':<25}" + "".join(f"{'@' + k:>8}" for k in ks)]
        rows = [("all", lk)] + [(f"  lang {k}", b) for k, b in lk["per_lang"].items()]
        rows += [(f"  {k}", b) for k, b in lk["per_type"].items()]
        rows += [(f"  {k}", b) for k, b in lk.get("seen", {}).items()]
        for name, b in rows:
            acc = b["accuracy"]
            lines.append(f"{name:<16}{acc['n']:>5}  {_ci(acc):<25}"
                         + "".join(f"{b['accuracy_at'][k]['value']:>8.3f}" for k in ks))
        m, nil = lk["macro_accuracy"], lk["nil"]
        lines.append(f"macro accuracy over {m['n_entities']} entities: {_ci(m)}")
        lines.append(f"NIL: gold {nil['gold']}, predicted {nil['predicted']} "
                     f"({nil['predicted_for_linkable_gold']} for a mention with a gold entity)")
        ci = lk["ci_method"]
    lines.append(f"95% CI: {ci['method']} over {ci['unit']}s, {ci['resamples']} resamples, seed {ci['seed']}")
    return "\n".join(lines)
