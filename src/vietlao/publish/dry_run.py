"""``vietlao publish``: the folder that would be uploaded to the Hub, written and checked offline.

The folder is a copy of the built dataset's published files (:data:`PUBLISHED`: the card, the Arrow
data, its Parquet copy, ``croissant.json`` and the licence notes), written to a temporary sibling and
renamed into place only when complete and checked (:func:`vietlao.publish.check.check_folder`).
Uploading needs both the explicit ``--upload`` flag and a token in ``$HF_TOKEN`` (never printed); the
upload itself is not implemented: the maintainer uploads the checked folder (README.md).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from vietlao.dataset.layout import DATA_GLOBS
from vietlao.dataset.card import LICENCE_FILE
from vietlao.dataset.croissant import CROISSANT_FILE
from vietlao.errors import UserError
from vietlao.files import atomic_folder
from vietlao.publish.check import check_folder

#: What is uploaded from a built dataset folder, as glob patterns.
PUBLISHED = ("README.md", CROISSANT_FILE, LICENCE_FILE, *DATA_GLOBS)
TOKEN_ENV = "HF_TOKEN"


def published_files(dataset: Path) -> list[Path]:
    """The files of ``dataset`` that are published, relative to it, sorted."""
    files = sorted({p.relative_to(dataset) for pattern in PUBLISHED for p in dataset.glob(pattern) if p.is_file()})
    missing = [name for name in PUBLISHED[:3] if Path(name) not in files]
    if missing:
        raise UserError(f"{dataset}: no {', '.join(missing)}; run `vietlao build` first")
    return files


def write_dry_run(dataset: Path, target: Path) -> list[tuple[str, int]]:
    """Copy the published files of ``dataset`` into the new folder ``target`` and check it; returns
    ``(path, bytes)`` per file. ``target`` must not exist (or be empty); nothing is left on failure."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UserError(f"{target} exists and is not an empty folder; choose a new one for the dry run")
    files = published_files(dataset)
    with atomic_folder(target) as tmp:  # the folder appears only once checked
        for rel in files:
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(dataset / rel, tmp / rel)
        problems = check_folder(tmp)
        if problems:
            raise UserError(f"{dataset} is not fit to publish: " + "; ".join(problems))
    return [(str(rel), (target / rel).stat().st_size) for rel in files]


def upload_token(upload: bool) -> str | None:
    """The token for an upload: ``None`` unless ``upload`` is asked for; then ``$HF_TOKEN`` or an error."""
    if not upload:
        return None
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise UserError(f"--upload needs a Hub token in ${TOKEN_ENV}; nothing was uploaded")
    return token
