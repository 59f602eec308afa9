"""Entity linking in the benchmark: what the baselines may see, seen entities per protocol, the table.

The linking baselines (``TASK = "linking"``) get the ``linking`` rows of each fold and the knowledge
base reduced to :data:`vietlao.models.linking_common.KB_FIELDS` (``entities`` without ``forms``: the surface forms of every gold
mention, test mentions included; ``names`` are the inventory's names per language, from knowledge
sources). NER baselines that declare ``USES_KB`` get it too. A protocol's training rows define which entities are *seen*
(:data:`SEEN_IN`: ``fixed`` trains on train+validation, ``lodo`` on the other documents, ``xling-L``
on vi), and the row's command passes it to ``vietlao evaluate --seen-in``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import cast

from vietlao.benchmark.differences import versus_cell
from vietlao.corpus.metadata import LANGUAGES
from vietlao.dataset.linking import mention_id
from vietlao.evaluation.evaluate import evaluate_records, read_predictions
from vietlao.evaluation.linking import LinkingContext, SeenRule, load_context
from vietlao.evaluation.schema import LinkingPrediction
from vietlao.labels import LINKABLE_TYPES
from vietlao.models.interface import Baseline
from vietlao.models.linking_common import knowledge_base
from vietlao.spans import tags_to_spans

TASK = "linking"
E2E_TASK = "ner+linking"
#: NER baseline → linking baseline pipelines scored end to end (``ner+linking``) under every protocol.
E2E_PIPELINES = (("crf", "normalised-lookup"), ("e5-crf", "e5-nn"))
#: The accuracy@k columns of the table (also in the scorer's default ``KS``).
TABLE_KS = ("5",)


def seen_in(protocol: str, source_lang: str = "vi") -> str:
    """The ``--seen-in`` rule of a protocol (what its folds train on)."""
    if protocol == "fixed":
        return "train,validation"
    if protocol == "lodo":
        return "other-documents"
    if protocol.startswith("xling-"):
        return f"lang:{source_lang}"
    raise ValueError(f"no seen rule for protocol {protocol!r}")


@dataclass(frozen=True)
class LinkingBench:
    """The dataset-side inputs of the linking rows of one benchmark run."""

    kb: tuple[dict, ...]
    context: LinkingContext

    @classmethod
    def load(cls, dataset_dir: Path | str | None) -> "LinkingBench":
        return cls(tuple(knowledge_base(dataset_dir)), load_context(dataset_dir))

    def predict_kwargs(self) -> dict:
        return {"kb": [dict(e) for e in self.kb]}

    def metrics(self, gold: list[dict], path: Path, protocol: str, n_boot: int, seed: int,
                source: str) -> tuple[dict, dict]:
        """Headline metrics and extras of one predictions file, as ``vietlao evaluate`` scores it."""
        context = LinkingContext(self.context.kb, self.context.rows, SeenRule.parse(seen_in(protocol)))
        lk = evaluate_records(TASK, gold, read_predictions(path), n_boot=n_boot, seed=seed, source=source,
                              context=context)["linking"]

        def value(block: dict) -> dict:
            return {k: block[k] for k in ("value", "ci_low", "ci_high")}

        metrics = {"accuracy": value(lk["accuracy"]), "macro_accuracy": value(lk["macro_accuracy"])}
        metrics.update({f"accuracy_at_{k}": value(b) for k, b in lk["accuracy_at"].items()})
        for part in ("seen", "unseen"):
            metrics[f"accuracy_{part}"] = value(lk["seen"][part]["accuracy"])
        extra = {
            "n_mentions": lk["n_mentions"], "seen_rule": lk["seen_rule"], "nil": lk["nil"],
            "n_seen": lk["seen"]["seen"]["accuracy"]["n"], "n_unseen": lk["seen"]["unseen"]["accuracy"]["n"],
            "per_lang": {k: {**value(b["accuracy"]), "n": b["accuracy"]["n"]} for k, b in lk["per_lang"].items()},
            "per_type": {k: {**value(b["accuracy"]), "n": b["accuracy"]["n"]} for k, b in lk["per_type"].items()},
        }
        return metrics, extra


    def end_to_end(self, linker: Baseline, folds, ner_rows: list[dict], link_rows: list[dict],
                   ner_predictions: list[dict]) -> list[dict]:
        """NER predictions with an ``entity_id`` on every linkable entity: per fold, the predicted
        spans of the test sentences are linked by ``linker`` trained on the fold's linking rows.

        ``folds``: (train, test) row filters; ``ner_predictions``: the NER file's lines (``ner_tags``
        over the row's tokens, or ``entities``), one per test sentence of the folds.
        """
        by_id = {p["id"]: p for p in ner_predictions}
        out = []
        for train_filter, test_filter in folds:
            sentences = [r for r in ner_rows if test_filter(r)]
            spans = {s["id"]: _predicted_spans(s, by_id[s["id"]]) for s in sentences}
            mentions = [{"id": mention_id(s["id"], a, b), "sentence_id": s["id"], "doc_id": s["doc_id"],
                         "lang": s["lang"], "mention": s["text"][a:b], "start": a, "end": b, "type": label,
                         "context": s["text"], "fold": s["fold"]}
                        for s in sentences for a, b, label in spans[s["id"]] if label in LINKABLE_TYPES]
            train = [r for r in link_rows if train_filter(r)]
            links = {p["id"]: cast(LinkingPrediction, p)["entity_id"] for p in linker.predict(train, mentions, seed=0, **self.predict_kwargs())}
            for s in sentences:
                out.append({"id": s["id"], "entities": [
                    {"start": a, "end": b, "label": label,
                     **({"entity_id": links[mention_id(s["id"], a, b)]} if label in LINKABLE_TYPES else {})}
                    for a, b, label in spans[s["id"]]]})
        return out

    def end_to_end_metrics(self, gold: list[dict], path: Path, n_boot: int, seed: int, source: str) -> tuple[dict, dict]:
        """End-to-end and NER-only strict F1 of an NER+linking file, as ``vietlao evaluate`` scores it."""
        result = evaluate_records(E2E_TASK, gold, read_predictions(path), n_boot=n_boot, seed=seed, source=source,
                                  context=self.context)

        def f1(block: dict) -> dict:
            return {"value": block["f1"], "ci_low": block["ci_low"], "ci_high": block["ci_high"]}

        e2e = result["end_to_end"]
        metrics = {"f1": f1(e2e["micro"]), "precision": {"value": e2e["micro"]["precision"]},
                   "recall": {"value": e2e["micro"]["recall"]}, "f1_ner": f1(result["ner_linkable"]["micro"])}
        extra = {"per_lang": {k: {**f1(b), "n_gold": b["n_gold"]} for k, b in e2e["per_lang"].items()},
                 "n_gold": e2e["micro"]["n_gold"]}
        return metrics, extra


def _predicted_spans(row: dict, prediction: dict) -> list[tuple[int, int, str]]:
    """(start, end, label) of an NER prediction line, sentence-relative characters."""
    if "entities" in prediction:
        return sorted((e["start"], e["end"], e["label"]) for e in prediction["entities"])
    return [(s.start, s.end, s.label) for s in tags_to_spans([tuple(o) for o in row["token_offsets"]],
                                                              prediction["ner_tags"])]


def command(protocol: str, base: str) -> str:
    """The row's ``vietlao evaluate`` command: the protocol's command plus its seen rule."""
    return f"{base} --seen-in {seen_in(protocol)}"


# --------------------------------------------------------------------------- report


def _cell(block: dict | None, n: int | None = None) -> str:
    if block is None:
        return "—"
    text = f"{block['value']:.3f}"
    if block.get("ci_low") is not None:
        text += f" [{block['ci_low']:.2f}, {block['ci_high']:.2f}]"
    return text + (f" (n={n})" if n is not None else "")


def linking_table(results: dict, protocol_order: tuple[str, ...]) -> str:
    """One Markdown table of the linking rows: accuracy@1 overall, per language, seen/unseen, @k, macro."""
    rows = [r for r in results["rows"] if r["task"] == TASK]
    if not rows:
        return ""
    rank = {p: i for i, p in enumerate(protocol_order)}
    rows.sort(key=lambda r: (rank.get(r["protocol"], len(rank)), r["protocol"]))
    langs = [x for x in LANGUAGES if any(x in r["per_lang"] for r in rows)]
    header = (["baseline", "protocol", "train → test", "mentions", "acc@1"] + [f"acc@1 {x}" for x in langs]
              + ["acc@1 seen", "acc@1 unseen"] + [f"acc@{k}" for k in TABLE_KS] + ["macro acc", "NIL predicted",
                                                                                   "vs best"])
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for r in rows:
        m = r["metrics"]
        cells = [r["baseline"], r["protocol"], r["setting"], str(r["n_mentions"]), _cell(m["accuracy"])]
        cells += [_cell(r["per_lang"][x], r["per_lang"][x]["n"]) if x in r["per_lang"] else "—" for x in langs]
        cells += [_cell(m["accuracy_seen"], r["n_seen"]), _cell(m["accuracy_unseen"], r["n_unseen"])]
        cells += [_cell(m.get(f"accuracy_at_{k}")) for k in TABLE_KS]
        cells += [_cell(m["macro_accuracy"]), str(r["nil"]["predicted"]), versus_cell(r)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


NOTES = """\
**Entity linking** (`linking` config: each gold PER/ORG/GPE/LOC/EVENT mention, with its type and
sentence, to an `entities` ID; scored by `vietlao evaluate --task linking`). *acc@1*: the predicted ID
is the gold one (NIL is wrong: every gold mention has an ID); per language with the number of mentions;
*seen*/*unseen*: mentions whose entity is / is not linked by a training mention of the protocol
(fixed: train+validation; lodo: the other documents; xling: vi); *acc@k*: gold among the first k
candidates; *macro acc*: mean accuracy@1 over gold entities. 95% percentile bootstrap CIs over
sentences. The baselines see the inventory's IDs, types and canonical names — not its `forms`,
which are the gold surface forms of all documents, test included — and the gold type of the mention
(they choose among entities of that type).
"""


def end_to_end_table(results: dict, protocol_order: tuple[str, ...]) -> str:
    """The ``ner+linking`` rows: end-to-end strict F1 beside the same file's span + type F1."""
    rows = [r for r in results["rows"] if r["task"] == E2E_TASK]
    if not rows:
        return ""
    rank = {p: i for i, p in enumerate(protocol_order)}
    rows.sort(key=lambda r: (rank.get(r["protocol"], len(rank)), r["protocol"]))
    header = ["NER → linking", "protocol", "train → test", "n", "gold mentions", "P", "R", "F1 end to end",
              "F1 span + type", "vs best"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for r in rows:
        m = r["metrics"]
        cells = [r["baseline"].replace("+", " → ", 1), r["protocol"], r["setting"], str(r["n_sentences"]),
                 str(r["n_gold"]), f"{m['precision']['value']:.3f}", f"{m['recall']['value']:.3f}", _cell(m["f1"]),
                 _cell(m["f1_ner"]), versus_cell(r)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


E2E_NOTES = """\
**NER + linking, end to end** (`vietlao evaluate --task ner+linking`): an NER baseline's seed-0 spans,
each linkable one linked by a linking baseline trained on the same fold; a mention counts when its
span, type and entity ID are all right (strict micro P/R/F1 over PER/ORG/GPE/LOC/EVENT). *F1 span +
type*: the same file scored without the IDs, over the same types; the gap is what linking costs.
"""
