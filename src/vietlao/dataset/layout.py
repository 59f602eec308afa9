"""The layout of a built dataset folder: ``data/<config>/<split>-<hash>.arrow`` and the Parquet copy
``parquet/<config>/<split>-<hash>.parquet``, files named by their content."""

from __future__ import annotations

import hashlib
from pathlib import Path

#: The folder of the Parquet copy, beside ``data/`` in a built dataset.
PARQUET_DIR = "parquet"

#: The data files of a build, Arrow (what the card's ``data_files`` name) and their Parquet copy.
DATA_GLOBS = ("data/*/*.arrow", f"{PARQUET_DIR}/*/*.parquet")


def name_by_content(directory: Path) -> None:
    """Rename every ``data/<config>/<split>.arrow`` (and ``parquet/<config>/<split>.parquet``) to
    ``<split>-<16 hex of its sha256>.<suffix>``.

    The names go into the card's ``data_files``, so a loader that caches by file name (``datasets``
    keys a local folder's cache on its data file paths, not on their content) sees every new build as
    new data.
    """
    for pattern in DATA_GLOBS:
        for path in sorted(directory.glob(pattern)):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
            path.rename(path.with_name(f"{path.stem}-{digest}{path.suffix}"))


def data_files(directory: Path, pattern: str = DATA_GLOBS[0]) -> dict[str, dict[str, str]]:
    """config -> split -> data file of a built dataset (as :func:`name_by_content` named them): the
    Arrow files, or with ``pattern`` ``DATA_GLOBS[1]`` their Parquet copy."""
    files: dict[str, dict[str, str]] = {}
    for path in sorted(directory.glob(pattern)):
        files.setdefault(path.parent.name, {})[path.stem.rsplit("-", 1)[0]] = str(path.relative_to(directory))
    return files
