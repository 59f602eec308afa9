"""The Hub's conventions and the Croissant metadata of a dataset folder, checked offline.

* the card (``README.md``) parsed by ``huggingface_hub``'s ``DatasetCard``: every field the Hub knows
  present and well-formed (the Hub's validation endpoint needs the network and is not used);
* every config loads with ``datasets`` from the folder alone, and its Parquet copy to the same rows;
* ``croissant.json`` validated by ``mlcroissant``, every file's sha256 as stated, and every record set,
  loaded through ``mlcroissant``, equal to what ``load_dataset`` gives.

``mlcroissant`` and ``huggingface_hub`` are the ``hub`` extra; they are imported here only.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
from pathlib import Path
from typing import get_args, get_origin

from vietlao.corpus.metadata import LANGUAGES
from vietlao.dataset.layout import DATA_GLOBS, data_files
from vietlao.dataset.card import CardMetadata
from vietlao.dataset.croissant import CROISSANT_FILE, SPLIT_FIELD
from vietlao.errors import UserError

#: DatasetCardData fields the card leaves out on purpose: there is no Papers with Code entry, and
#: ``train_eval_index`` (AutoTrain evaluation) is not used by the Hub any more. (``config_names`` is
#: what the ``configs`` block gives.)
NOT_APPLICABLE = ("paperswithcode_id", "train_eval_index")
#: The Hub's ``size_categories`` buckets: (upper bound of rows, name).
SIZE_BUCKETS = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"))


def hub_modules():
    """``(mlcroissant, huggingface_hub)``, or a one-line error naming the extra that provides them."""
    try:
        import huggingface_hub
        import mlcroissant
    except ImportError as exc:
        raise UserError(f"publishing checks need the hub extra ({exc.name} is missing): pip install 'vietlao[hub]'") from None
    return mlcroissant, huggingface_hub


def size_category(rows: int) -> str:
    return next((name for bound, name in SIZE_BUCKETS if rows < bound), "n>1T")


def _plain(value):
    """A value as ``datasets`` gives it: text decoded, NumPy scalars and arrays as Python values,
    nested field IDs (``config/field/sub``) as their last part."""
    import numpy as np

    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, dict):
        return {key.rsplit("/", 1)[-1]: _plain(v) for key, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def croissant_rows(folder: Path, record_set: str) -> dict[str, list[dict]]:
    """split -> the records of ``record_set`` read by ``mlcroissant`` from ``folder/croissant.json``."""
    mlc, _ = hub_modules()
    out: dict[str, list[dict]] = {}
    for record in mlc.Dataset(jsonld=str(folder / CROISSANT_FILE)).records(record_set):
        row = _plain(dict(record))
        out.setdefault(row.pop(SPLIT_FIELD), []).append(row)
    return out


def parquet_rows(folder: Path, config: str) -> tuple[dict[str, list[dict]], dict]:
    """split -> rows of the config's Parquet copy loaded with ``datasets``, and its features."""
    from datasets import load_dataset

    files = data_files(folder, DATA_GLOBS[1])[config]
    loaded = load_dataset("parquet", data_files={s: str(folder / p) for s, p in files.items()})
    return {split: ds.to_list() for split, ds in loaded.items()}, next(iter(loaded.values())).features.to_dict()


def card_problems(folder: Path) -> list[str]:
    """What is missing or malformed in the card's metadata, as ``huggingface_hub`` parses it."""
    _, hub = hub_modules()
    card = hub.DatasetCard.load(folder / "README.md")
    data = card.data.to_dict()
    problems = []
    # the fields DatasetCardData names, and the Hub's fields for an "other" licence and the configs
    named = [p for p in inspect.signature(hub.DatasetCardData.__init__).parameters
             if p not in ("self", "kwargs", "ignore_metadata_errors", "config_names", *NOT_APPLICABLE)]
    known = [*named, "license_name", "license_link", "configs"]
    problems += [f"card: no {name}" for name in known if not data.get(name)]
    problems += [f"card: language {code!r} is not an ISO 639-1 code of the corpus vocabulary"
                 for code in data.get("language") or [] if code not in LANGUAGES]
    allowed = CardMetadata.model_fields
    for name in ("task_categories", "task_ids", "size_categories", "multilinguality", "source_datasets",
                 "annotations_creators", "language_creators"):
        values = data.get(name) or []
        values = [values] if isinstance(values, str) else values
        annotation = allowed[name].annotation  # Literal[...] or tuple[Literal[...], ...]
        vocabulary = get_args(get_args(annotation)[0] if get_origin(annotation) is tuple else annotation)
        problems += [f"card: {name} {v!r} is not one of {list(vocabulary)}" for v in values if v not in vocabulary]
    if data.get("license") == "other" and not (folder / str(data.get("license_link"))).is_file():
        problems.append(f"card: license_link {data.get('license_link')!r} is not a file of the folder")
    for config in data.get("configs") or []:
        for entry in config.get("data_files") or []:
            if not (folder / entry["path"]).is_file():
                problems.append(f"card: {config['config_name']}/{entry['split']}: {entry['path']} is not in the folder")
    return problems


def croissant_problems(folder: Path) -> list[str]:
    """``mlcroissant``'s errors (its warnings are logged), and files whose sha256 or size differ."""
    mlc, _ = hub_modules()
    path = folder / CROISSANT_FILE
    try:
        mlc.Dataset(jsonld=str(path))
    except mlc.ValidationError as exc:
        return [f"{path}: {line}" for line in str(exc).splitlines() if line.strip()]
    problems = []
    for obj in json.loads(path.read_text(encoding="utf-8"))["distribution"]:
        if obj["@type"] != "cr:FileObject":
            continue
        file = folder / obj["contentUrl"]
        if not file.is_file():
            problems.append(f"{path}: {obj['contentUrl']} is not in the folder")
        elif hashlib.sha256(file.read_bytes()).hexdigest() != obj["sha256"]:
            problems.append(f"{path}: {obj['contentUrl']} does not have the sha256 stated")
        elif obj.get("contentSize") != f"{file.stat().st_size} B":
            problems.append(f"{path}: {obj['contentUrl']} does not have the size stated")
    return problems


def row_problems(folder: Path, croissant: bool = True) -> list[str]:
    """Per config: ``load_dataset`` from the folder, its Parquet copy and (if ``croissant``: the
    Croissant file validated) ``mlcroissant`` give the same rows (and features), split by split; the
    card's size category fits the largest config."""
    from datasets import load_dataset

    problems, largest = [], 0
    for config in data_files(folder):
        loaded = load_dataset(str(folder), config)
        expected = {split: ds.to_list() for split, ds in loaded.items()}
        largest = max(largest, sum(map(len, expected.values())))
        parquet, features = parquet_rows(folder, config)
        if features != next(iter(loaded.values())).features.to_dict():
            problems.append(f"{config}: the Parquet copy has other features than the Arrow files")
        if parquet != expected:
            problems.append(f"{config}: the Parquet copy does not load to the rows of load_dataset")
        if croissant and croissant_rows(folder, config) != expected:
            problems.append(f"{config}: mlcroissant's records differ from load_dataset's rows")
    _, hub = hub_modules()
    stated = hub.DatasetCard.load(folder / "README.md").data.to_dict().get("size_categories")
    if stated != [size_category(largest)]:
        problems.append(f"card: size_categories {stated} but the largest config has {largest} rows "
                        f"({size_category(largest)})")
    return problems


def check_folder(folder: Path) -> list[str]:
    """Every problem the Hub or a Croissant reader would find in ``folder``; empty when it is fit to
    publish. ``mlcroissant``'s own log lines are kept to warnings."""
    import datasets

    logging.getLogger("absl").setLevel(logging.ERROR)
    datasets.disable_progress_bars()
    invalid = croissant_problems(folder)
    return card_problems(folder) + invalid + row_problems(folder, croissant=not invalid)
