"""The benchmark's protocols: folds of (train, test) row filters over the gold rows, derived from the
documents' ``split``, ``lang`` and ``fold``; where a baseline's predictions go; what an NER baseline
may know in a fold."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from vietlao.corpus.metadata import LANGUAGES
from vietlao.models.interface import Baseline

SOURCE_LANG = "vi"
#: The seeds a seed-dependent baseline runs with (the table shows seed 0 and the seeds' mean and sd).
SEEDS = (0, 1, 2)


@dataclass(frozen=True)
class Protocol:
    """Folds of (train, test) row filters, and the gold the pooled predictions are scored on."""

    name: str
    description: str
    folds: tuple[tuple[Callable[[dict], bool], Callable[[dict], bool]], ...]
    split: str
    langs: tuple[str, ...] | None = None

    def gold(self, rows: list[dict]) -> list[dict]:
        """The rows ``load_gold(task, split, langs=langs)`` returns, in its order."""
        splits = {"all": ("train", "validation", "test")}.get(self.split, tuple(self.split.split(",")))
        return [r for r in rows if r["split"] in splits and (self.langs is None or r["lang"] in self.langs)]

    def documents(self, rows: list[dict], event_of: dict[str, str | None]) -> list[dict]:
        """The documents each fold trains and tests on, and the training documents that report an event
        of a test document (``same_event``: a leak of names and figures into training)."""
        out = []
        for train, test in self.folds:
            trained = sorted({r["doc_id"] for r in rows if train(r)})
            tested = sorted({r["doc_id"] for r in rows if test(r)})
            tested_events = {event_of.get(d) for d in tested} - {None}
            out.append({"train": trained, "test": tested,
                        "same_event": [d for d in trained if event_of.get(d) in tested_events]})
        return out

    def evaluate_command(self, task: str, path: str, tagset: str = "fine") -> str:
        cmd = f"vietlao evaluate --task {task} --predictions {path} --split {self.split}"
        if self.langs:
            cmd += f" --lang {','.join(self.langs)}"
        return cmd + (" --tagset coarse" if tagset == "coarse" else "")


def protocols(rows: Sequence[Mapping[str, Any]]) -> list[Protocol]:
    folds = sorted({r["fold"] for r in rows})
    out = [
        Protocol(
            "fixed", "train+validation → test",
            ((lambda r: r["split"] in ("train", "validation"), lambda r: r["split"] == "test"),),
            "test",
        ),
        Protocol(
            "lodo", f"leave one document out ({len(folds)} folds, pooled)",
            # mypy cannot infer a lambda whose default binds the loop variable
            tuple((lambda r, k=k: r["fold"] != k, lambda r, k=k: r["fold"] == k) for k in folds),  # type: ignore[misc]
            "all",
        ),
    ]
    for lang in sorted({r["lang"] for r in rows} - {SOURCE_LANG}, key=LANGUAGES.index):
        out.append(Protocol(
            f"xling-{lang}", f"{SOURCE_LANG} → {lang}",
            ((lambda r: r["lang"] == SOURCE_LANG, lambda r, lang=lang: r["lang"] == lang),),  # type: ignore[misc]
            "all", (lang,),
        ))
    return out


def predictions_file(folder: Path, module: Baseline, protocol: str, seed: int = 0) -> Path:
    """Where a baseline's predictions under ``protocol`` are in a results folder (seeded: one file per seed)."""
    suffix = f"-seed{seed}" if module.SEEDED else ""
    return Path(folder) / "predictions" / module.TASK / protocol / f"{module.NAME}{suffix}.jsonl"


def training_kb(kb: list[dict], train: list[dict]) -> list[dict]:
    """The knowledge base an NER baseline may use in a fold: the entities annotated in its training
    rows. The inventory holds exactly the corpus's entities, so the whole of it would be a list of
    the test entities' names (a closed-world gazetteer); restricted, a name reaches the test only
    through an entity seen in training (a Lao name of an entity the Vietnamese training text has)."""
    seen = {e["entity_id"] for r in train for e in r.get("entities") or () if e.get("entity_id")}
    return [e for e in kb if e["entity_id"] in seen]
