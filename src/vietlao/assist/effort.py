"""Effort saved by pre-annotation: each document pre-annotated by a model trained on the others,
compared with its gold as an annotator meets it.

Per sentence, a predicted span equal to a gold mention (offsets, label, entity ID) is accepted
unchanged; the remaining predicted and gold spans that overlap are paired (largest overlap first)
and each pair needs a fix (boundary, label or ID); gold mentions left over must be added and
predicted spans left over deleted. Edits = fixes + additions + deletions; stance choices = sentences
whose stance the annotator must pick or change; all edits = both. Counts are per 100 gold mentions; stances accepted are the share of sentences whose predicted stance is the gold one (a
model without stance accepts none); entity IDs correct are gold linked mentions whose paired or
equal prediction carries their ID, per 100. A prediction that would not validate is not sent, so
its sentence counts as met empty. Intervals: percentile bootstrap over sentences.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from vietlao.assist.model_preannotate import MODELS, train
from vietlao.corpus.documents import load_corpus
from vietlao.corpus.inventory import CanonicalEntity
from vietlao.dataset.rows import NerRow, StanceRow
from vietlao.evaluation.schema import Interval
from vietlao.evaluation.scoring import bootstrap_weights, ci_block
from vietlao.export.task import Context
from vietlao.labelstudio.tasks import sentence_tasks
from vietlao.spans import Span

#: Counts per sentence, in this order (``gold``, ``linked``: the gold mentions, those with an ID).
COUNTS = ("gold", "linked", "unchanged", "fix", "add", "delete", "ids_correct", "stance_accepted")
PER_100 = ("unchanged", "fix", "add", "delete", "edits", "stance_choices", "all_edits")


def compare(gold: list[Span], predicted: list[Span]) -> dict[str, int]:
    """How an annotator turns ``predicted`` into ``gold`` (one sentence)."""
    exact = set(gold) & set(predicted)
    rest_gold = [g for g in gold if g not in exact]
    rest_pred = [p for p in predicted if p not in exact]
    pairs = sorted(
        ((min(g.end, p.end) - max(g.start, p.start), i, j)
         for i, g in enumerate(rest_gold) for j, p in enumerate(rest_pred) if g.start < p.end and p.start < g.end),
        reverse=True,
    )
    used_g, used_p, paired = set(), set(), []
    for _, i, j in pairs:
        if i not in used_g and j not in used_p:
            used_g.add(i)
            used_p.add(j)
            paired.append((rest_gold[i], rest_pred[j]))
    ids = sum(1 for g in exact if g.entity_id) + sum(1 for g, p in paired if g.entity_id and g.entity_id == p.entity_id)
    return {
        "gold": len(gold), "linked": sum(1 for g in gold if g.entity_id), "unchanged": len(exact),
        "fix": len(paired), "add": len(rest_gold) - len(used_g), "delete": len(rest_pred) - len(used_p),
        "ids_correct": ids,
    }


def _gold_spans(row: NerRow) -> list[Span]:
    return [Span(e["start"], e["end"], e["label"], e["entity_id"] or None) for e in row["entities"]]


def seen_inventory(inventory: Mapping[str, CanonicalEntity], rows: Sequence[NerRow]) -> dict[str, CanonicalEntity]:
    """The inventory as it stood before the held-out document: every entry keeps its names, and its
    per-language forms only where ``rows`` (the training documents) spell them."""
    seen: dict[tuple[str, str], set[str]] = {}
    for r in rows:
        for e in r["entities"]:
            if e["entity_id"]:
                seen.setdefault((e["entity_id"], r["lang"]), set()).add(e["text"])
    return {
        k: e.model_copy(update={"forms": {lang: [f for f in fs if f in seen.get((k, lang), ())]
                                          for lang, fs in e.forms.items()}})
        for k, e in inventory.items()
    }


def sentence_counts(name: str, ner_rows: list[NerRow], stance_rows: list[StanceRow],
                    inventory: Mapping[str, CanonicalEntity], ctx: Context) -> np.ndarray:
    """``(n_sentences, len(COUNTS))``: every document pre-annotated by ``name`` trained on the
    others, with the inventory's forms from the others only (:func:`seen_inventory`)."""
    tasks = {d["sentence_id"]: d for d in sentence_tasks(load_corpus())}
    stance = {r["id"]: r["label"] for r in stance_rows}
    out = []
    for doc in sorted({r["doc_id"] for r in ner_rows}):
        rest = [r for r in ner_rows if r["doc_id"] != doc]
        model = train(name, rest, [r for r in stance_rows if r["doc_id"] != doc], seen_inventory(inventory, rest))
        for row in (r for r in ner_rows if r["doc_id"] == doc):
            data = tasks[row["id"]]
            sent = model.ner is None or model.prediction(data, ctx) is not None
            spans = [s.span for s in model.spans(data["text"], data["lang"])] if sent else []
            guess = model.stance_of(data["text"]) if sent else None
            counts = compare(_gold_spans(row), spans)
            counts["stance_accepted"] = int(guess is not None and guess[0] == stance[row["id"]])
            out.append([counts[k] for k in COUNTS])
    return np.array(out, dtype=float)


def summarise(counts: np.ndarray, n_boot: int, boot_seed: int) -> dict:
    """Per-100 figures and shares with bootstrap intervals over sentences."""
    col = {k: counts[:, i] for i, k in enumerate(COUNTS)}
    col["edits"] = col["fix"] + col["add"] + col["delete"]
    col["stance_choices"] = 1.0 - col["stance_accepted"]
    col["all_edits"] = col["edits"] + col["stance_choices"]
    w = bootstrap_weights(len(counts), n_boot, boot_seed)

    def ratio(num: np.ndarray, den: np.ndarray, scale: float) -> Interval:
        boot_den = w @ den
        boot = scale * (w @ num) / np.where(boot_den > 0, boot_den, np.nan)
        return ci_block(float(scale * num.sum() / den.sum()), boot[~np.isnan(boot)])

    block: dict[str, Any] = {k: ratio(col[k], col["gold"], 100.0) for k in PER_100}
    block["ids_correct"] = ratio(col["ids_correct"], col["linked"], 100.0)
    block["stance_accepted"] = ratio(col["stance_accepted"], np.ones(len(counts)), 1.0)
    block["n_sentences"], block["n_gold"] = len(counts), int(col["gold"].sum())
    return block


def effort_protocol(ner_rows: list[NerRow], stance_rows: list[StanceRow], inventory: Mapping[str, CanonicalEntity],
                    ctx: Context, n_boot: int = 1000, boot_seed: int = 0) -> dict:
    """Every model of :data:`MODELS` under leave-one-document-out; ``fewest_edits``: the one with
    the fewest edits of spans and stances together."""
    rows = {name: summarise(sentence_counts(name, ner_rows, stance_rows, inventory, ctx), n_boot, boot_seed)
            for name in MODELS}
    return {"rows": rows, "fewest_edits": min(rows, key=lambda n: rows[n]["all_edits"]["value"])}


def _cell(block: dict) -> str:
    if block.get("ci_low") is None:
        return f"{block['value']:.1f}"
    return f"{block['value']:.1f} [{block['ci_low']:.1f}, {block['ci_high']:.1f}]"


def effort_table(result: dict) -> str:
    """The Markdown table of :func:`effort_protocol`'s result."""
    header = ["model", "sentences", "gold mentions", *(h.replace("_", " ") for h in PER_100),
              "entity IDs correct (per 100 linked)", "stances accepted (%)", "push default"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, b in result["rows"].items():
        stance = {k: (v * 100 if isinstance(v, float) else v) for k, v in b["stance_accepted"].items()}
        cells = [f"`{name}`", str(b["n_sentences"]), str(b["n_gold"]), *(_cell(b[k]) for k in PER_100),
                 _cell(b["ids_correct"]), _cell(stance), "yes" if name == result["fewest_edits"] else ""]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


SECTION = """## Pre-annotation: effort saved

Each document pre-annotated by a model trained on the other four (inventory forms from those four
only), met by an annotator as a Label Studio prediction and compared with its gold
(`vietlao.assist.effort`): spans per 100 gold mentions accepted unchanged, needing a fix
(boundary, label or ID), to add, to delete; edits = fix + add + delete; stance choices = sentences
whose stance must be picked or changed, per 100 gold mentions; all edits = both. 95% percentile
bootstrap intervals over sentences. `vietlao ls push --model NAME` sends these models' predictions;
its default (push default) is the row with the fewest edits in all.

<!-- preannotation -->
{table}
<!-- /preannotation -->
"""


def effort_section(results: dict) -> str:
    """The ``RESULTS.md`` section of the benchmark results' ``preannotation`` ('' without one)."""
    block = results.get("preannotation")
    if not block:
        return ""
    return SECTION.format(table=effort_table(block)) + "\n"
