"""The error report of one setting: every task's systems scored, bucketed and shown sentence by sentence.

:func:`build_report` returns the model the template renders (:mod:`vietlao.report.render`); the gold
comes from the dataset as ``vietlao evaluate`` loads it (:func:`vietlao.evaluation.gold.load_gold`,
the setting's split and languages), or is given (tests of other scripts).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from vietlao.dataset.linking import SeenRule
from vietlao.errors import UserError
from vietlao.dataset.rows import NerRow
from vietlao.evaluation import linking
from vietlao.evaluation.gold import LINKING_TASKS, TASKS, load_gold
from vietlao.report.buckets import Buckets
from vietlao.report.paired import paired_difference
from vietlao.report.text import SurfaceForms, slug
from vietlao.report.views import (
    ERROR_KINDS,
    System,
    linking_task,
    span_task,
    stance_task,
)

TASK_TITLES = {"ner": "NER", "stance": "Stance", "linking": "Entity linking", "ner+linking": "NER + linking"}


@dataclass(frozen=True)
class Setting:
    """What the predictions were made under: the gold scored (split, languages) and the training part
    (``rule``: what counts as *seen*)."""

    name: str
    description: str
    rule: SeenRule
    split: str = "test"
    langs: tuple[str, ...] | None = None


def _headline(task: str, result: dict) -> list[tuple[str, dict | None]]:
    """``(column, block)`` of a system's row in the scores table; a block is the scorer's own."""
    def f1(b: dict) -> dict:
        return {"value": b["f1"], "ci_low": b["ci_low"], "ci_high": b["ci_high"]}

    def ratio(b: dict, key: str) -> dict:
        low, high = b.get(f"{key}_ci") or (None, None)
        return {"value": b[key], "ci_low": low, "ci_high": high}

    if task == "ner":
        m = result["ner"]["micro"]
        return [("P", ratio(m, "precision")), ("R", ratio(m, "recall")), ("F1", f1(m)),
                ("F1 partial", f1(result["ner"]["partial"]["micro"])),
                ("gold", {"count": m["n_gold"]}), ("predicted", {"count": m["n_pred"]})]
    if task == "ner+linking":
        m = result["end_to_end"]["micro"]
        return [("P", ratio(m, "precision")), ("R", ratio(m, "recall")), ("F1 end to end", f1(m)),
                ("F1 span + type", f1(result["ner_linkable"]["micro"])),
                ("gold", {"count": m["n_gold"]}), ("predicted", {"count": m["n_pred"]})]
    if task == "stance":
        s = result["stance"]
        return [("accuracy", s["accuracy"]), ("macro-F1", s["macro_f1"]), ("F_avg", s["f_avg"])]
    lk = result["linking"]
    cols = [("acc@1", lk["accuracy"])] + [(f"acc@{k}", b) for k, b in lk["accuracy_at"].items()]
    cols += [("macro acc", lk["macro_accuracy"])]
    cols += [(f"acc@1 {part} entity", lk["seen"][part]["accuracy"]) for part in ("seen", "unseen")]
    return cols


def _card(row: NerRow, view: dict, names: list[str]) -> dict:
    index = {n: i for i, n in enumerate(names)}
    errors = view["errors"]
    return {
        "id": row["id"], "lang": row["lang"], "doc": row["doc_id"], "split": row["split"], "fold": row["fold"],
        "view": view, "names": names,
        "err": " ".join(sorted({f"s{index[n]}:{slug(k)}" for n, ks in errors.items() for k in ks})),
        "kinds": sorted({k for ks in errors.values() for k in ks}),
        "sig": " ".join(f"s{index[n]}:{view['signatures'][n]}" for n in names),
    }


def task_model(task: str, systems: Sequence[System], gold: list[dict], rows: Mapping[str, NerRow], forms: SurfaceForms,
               *, tagset: str, scheme: str, n_boot: int, seed: int, context: linking.LinkingContext | None,
               paired: Callable | None) -> dict:
    """Scores, buckets and sentence cards of one task."""
    names = [s.name for s in systems]
    if len(set(names)) != len(names):
        raise UserError(f"{task}: two systems are named {', '.join(sorted({n for n in names if names.count(n) > 1}))}; "
                        "name them (NAME=FILE)")
    buckets = Buckets(n_boot, seed, paired)
    if task in ("ner", "ner+linking"):
        made = span_task(task, gold, systems, tagset=tagset, scheme=scheme, n_boot=n_boot, seed=seed, context=context)
        families = buckets.spans(gold, made["units"]["gold"], made["units"]["systems"], forms)
        order = [g["id"] for g in gold]
    elif task == "stance":
        made = stance_task(gold, systems, n_boot=n_boot, seed=seed)
        families = buckets.stance([rows[g["id"]] for g in gold], made["units"]["gold"], made["units"]["systems"])
        order = [g["id"] for g in gold]
    else:
        assert context is not None  # build_report loads it for a linking task
        made = linking_task(gold, systems, rows, n_boot=n_boot, seed=seed, context=context)
        u = made["units"]
        families = buckets.linking(gold, rows, u["gold"], u["systems"], u["ranked"], forms)
        order = list(dict.fromkeys(g["sentence_id"] for g in gold))
    cards = [_card(rows[sid], made["sentences"][sid], names) for sid in order]
    return {
        "task": task, "title": TASK_TITLES[task], "systems": names,
        "sources": {s.name: s.source for s in systems},
        "scores": [{"system": n, "columns": _headline(task, made["scores"][n])} for n in names],
        "ci_method": _ci_method(task, made["scores"][names[0]]),
        "families": families, "paired": paired is not None and len(names) > 1, "cards": cards,
        "filters": {
            "lang": sorted({c["lang"] for c in cards}), "doc": sorted({c["doc"] for c in cards}),
            "split": sorted({c["split"] for c in cards}), "fold": sorted({c["fold"] for c in cards}),
            "type": sorted({t for c in cards for t in c["view"]["types"]}),
            "kind": [k for k in ERROR_KINDS if any(k in c["kinds"] for c in cards)],
        },
        "tagset": tagset if task == "ner" else None,
    }


def _ci_method(task: str, result: dict) -> dict:
    block = {"ner": lambda r: r["ner"], "stance": lambda r: r["stance"], "linking": lambda r: r["linking"],
             "ner+linking": lambda r: r["end_to_end"]}[task](result)
    return block["ci_method"]


def build_report(
    tasks: Mapping[str, Sequence[System]],
    setting: Setting,
    *,
    dataset_dir: Path | str | None = None,
    tagset: str = "fine",
    scheme: str = "iob2",
    n_boot: int = 1000,
    seed: int = 0,
    gold: Mapping[str, list[dict]] | None = None,
    sentences: Sequence[NerRow] | None = None,
    context: linking.LinkingContext | None = None,
    paired: Callable | None = paired_difference,
    title: str | None = None,
) -> dict:
    """The model of the report: ``tasks`` maps a task to its systems (at least one each).

    ``gold`` (per task) and ``sentences`` (every NER row of every split, for tokens and the training
    part) default to the dataset's; ``context`` (linking) to the dataset's knowledge base with the
    setting's rule; ``paired`` the per-bucket paired difference of two systems (``None``: no column).
    """
    unknown = [t for t in tasks if t not in TASKS]
    if unknown:
        raise UserError(f"unknown task {', '.join(unknown)}: choose from {', '.join(TASKS)}")
    empty = [t for t, systems in tasks.items() if not systems]
    if empty:
        raise UserError(f"no predictions for {', '.join(empty)}")
    sentences = sentences if sentences is not None else load_gold("ner", "all", dataset_dir)
    rows = {r["id"]: r for r in sentences}
    forms = SurfaceForms(setting.rule, sentences)
    if context is None and any(t in LINKING_TASKS for t in tasks):
        context = linking.load_context(dataset_dir, str(setting.rule))
    models = []
    for task, systems in tasks.items():
        rows_of_task = (gold or {}).get(task) or load_gold(task, setting.split, dataset_dir, setting.langs)
        models.append(task_model(task, systems, rows_of_task, rows, forms, tagset=tagset, scheme=scheme,
                                 n_boot=n_boot, seed=seed, context=context, paired=paired))
    return {
        "title": title or f"Errors: {setting.name}",
        "setting": {"name": setting.name, "description": setting.description, "split": setting.split,
                    "langs": ", ".join(setting.langs) if setting.langs else "all", "seen": str(setting.rule)},
        "tasks": models, "kinds": list(ERROR_KINDS),
    }
