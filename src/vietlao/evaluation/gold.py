"""The gold rows the scorer reads: a task's dataset config, loaded from a dataset folder as plain dicts.

Used by :mod:`vietlao.evaluation.evaluate`, :mod:`vietlao.evaluation.linking` and the benchmark.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Literal, Sequence, overload

from vietlao.errors import UserError
from vietlao.dataset.rows import NerRow, StanceRow
from vietlao.labels import SPLITS
from vietlao.paths import project

__all__ = ["GOLD_CONFIG", "LINKING_TASKS", "TASKS", "load_gold", "parse_splits"]

LINKING_TASKS = ("linking", "ner+linking")
#: The dataset config each task's gold comes from.
GOLD_CONFIG = {"linking": "linking", "ner+linking": "ner"}
TASKS = ("ner", "stance", *LINKING_TASKS)


def _decode(value: Any, feature: Any) -> Any:
    """Plain Python values: ClassLabel ints become names, dicts of lists become lists of dicts."""
    from datasets import ClassLabel

    if value is None:
        return None
    if isinstance(feature, ClassLabel):
        return feature.int2str(value)
    if isinstance(feature, dict):
        return {k: _decode(v, feature.get(k)) for k, v in value.items()}
    inner = getattr(feature, "feature", None)
    if isinstance(feature, list):
        inner = feature[0]
    if inner is not None:
        if isinstance(value, dict):  # legacy Sequence({...}): a dict of lists
            n = len(next(iter(value.values()), []))
            value = [{k: v[i] for k, v in value.items()} for i in range(n)]
        return [_decode(v, inner) for v in value]
    return value


def parse_splits(split: str | Sequence[str]) -> list[str]:
    """``test``, ``all`` or a comma-separated list, as a list of split names."""
    names = split.split(",") if isinstance(split, str) else list(split)
    names = [s.strip() for s in names if s.strip()]
    if names == ["all"]:
        return list(SPLITS)
    bad = [s for s in names if s not in SPLITS]
    if bad or not names:
        raise UserError(f"unknown split {', '.join(bad) or '(none)'}: choose from {', '.join(SPLITS)} or all")
    return names


def _check_langs(keep: set[str] | None, splits: list[str], langs_of: dict[str, list[str]]) -> None:
    """Unknown languages, and languages absent from the chosen splits, with where they are."""
    if keep is None:
        return
    known = sorted({lang for langs in langs_of.values() for lang in langs})
    unknown = sorted(keep - set(known))
    if unknown:
        raise UserError(f"unknown language {', '.join(unknown)} in --lang: the dataset has {', '.join(known)}")
    absent = sorted(lang for lang in keep if not any(lang in langs_of[s] for s in splits))
    if absent:
        where = "; ".join(
            f"{lang} is in {', '.join(s for s in SPLITS if lang in langs_of.get(s, []))}" for lang in absent
        )
        raise UserError(
            f"no {', '.join(absent)} sentences in split {'+'.join(splits)} ({where}): "
            "choose the split with --split (e.g. --split all)"
        )


@overload
def load_gold(task: Literal["ner", "ner+linking"], split: str | Sequence[str] = ..., dataset_dir: Path | str | None = ...,
              langs: Iterable[str] | None = ...) -> list[NerRow]: ...
@overload
def load_gold(task: Literal["stance"], split: str | Sequence[str] = ..., dataset_dir: Path | str | None = ...,
              langs: Iterable[str] | None = ...) -> list[StanceRow]: ...
@overload
def load_gold(task: str, split: str | Sequence[str] = ..., dataset_dir: Path | str | None = ...,
              langs: Iterable[str] | None = ...) -> list[Any]: ...
def load_gold(
    task: str,
    split: str | Sequence[str] = "test",
    dataset_dir: Path | str | None = None,
    langs: Iterable[str] | None = None,
) -> list[Any]:
    """Gold rows of ``task`` as plain dicts (labels as strings), in split then dataset order."""
    if task not in TASKS:
        raise UserError(f"unknown task {task!r}: choose from {', '.join(TASKS)}")
    splits = parse_splits(split)
    dataset_dir = Path(dataset_dir) if dataset_dir is not None else project().dataset
    config = GOLD_CONFIG.get(task, task)
    if not (dataset_dir / "README.md").is_file():
        raise UserError(f"no dataset in {dataset_dir}: run vietlao from the project's root, or name it with "
                        "--root DIR (the project) or --dataset DIR (the dataset folder)")
    if not (dataset_dir / "data" / config).is_dir():
        raise UserError(f"no '{config}' data in {dataset_dir}: build the dataset first (vietlao build)")
    import datasets

    datasets.disable_progress_bars()
    try:
        loaded = datasets.load_dataset(str(dataset_dir), config)
    except (OSError, ValueError, datasets.exceptions.DatasetsError) as exc:
        raise UserError(f"cannot load {dataset_dir} ({config}): {exc}") from exc
    missing = [name for name in splits if name not in loaded]
    if missing:
        raise UserError(f"{dataset_dir} ({config}) has no split {', '.join(missing)}")
    keep = set(langs) if langs else None
    _check_langs(keep, splits, {name: sorted(set(loaded[name]["lang"])) for name in loaded})
    rows = []
    for name in splits:
        ds = loaded[name]
        for raw in ds.to_list():
            row = {k: _decode(v, ds.features[k]) for k, v in raw.items()}
            row["split"] = name
            if keep is None or row["lang"] in keep:
                rows.append(row)
    if not rows:
        raise UserError(f"no gold sentences in split {'+'.join(splits)}")
    return rows
