"""The Parquet copy of a built dataset: ``parquet/<config>/<split>-<hash>.parquet``.

The Hub's dataset viewer converts every config to Parquet, and ``mlcroissant`` reads Parquet but not
Arrow IPC streams, so the build writes each Arrow file once more as Parquet: the same table (schema,
Hugging Face features in its metadata, rows in order), snappy-compressed, written with fixed options
so that the same Arrow file gives the same bytes. The Croissant metadata describes these files.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from vietlao.dataset.layout import PARQUET_DIR



def read_arrow(path: Path) -> pa.Table:
    """One Arrow IPC stream file of a build, whole."""
    with pa.OSFile(str(path), "rb") as source:
        return pa.ipc.open_stream(source).read_all()


def write_parquet(arrow_file: Path, parquet_file: Path) -> None:
    """Write the table of ``arrow_file`` to ``parquet_file`` (parents created)."""
    parquet_file.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(read_arrow(arrow_file), parquet_file, compression="snappy", use_dictionary=True,
                   write_statistics=True, store_schema=True)


def write_parquet_copy(directory: Path) -> None:
    """``parquet/<config>/<split>.parquet`` for every ``data/<config>/<split>.arrow`` of ``directory``
    (before :func:`vietlao.dataset.layout.name_by_content` names both by content)."""
    for arrow_file in sorted((directory / "data").glob("*/*.arrow")):
        write_parquet(arrow_file, directory / PARQUET_DIR / arrow_file.parent.name / f"{arrow_file.stem}.parquet")
