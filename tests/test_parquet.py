"""The Parquet copy: one file per config and split, byte-identical on rebuild, loading to the Arrow rows."""

from __future__ import annotations

import hashlib
import shutil

import pytest
from datasets import Dataset

from vietlao.dataset.layout import DATA_GLOBS, data_files
from vietlao.dataset.parquet import write_parquet
from vietlao.paths import project
from vietlao.publish.check import parquet_rows

DATASET = project().dataset
CONFIGS = ("ner", "stance", "documents", "entities", "linking")


def test_every_arrow_file_has_its_parquet_copy_named_by_content():
    arrow, parquet = data_files(DATASET), data_files(DATASET, DATA_GLOBS[1])
    assert {c: set(s) for c, s in parquet.items()} == {c: set(s) for c, s in arrow.items()}
    for by_split in parquet.values():
        for path in by_split.values():
            digest = hashlib.sha256((DATASET / path).read_bytes()).hexdigest()
            assert path.endswith(f"-{digest[:16]}.parquet")


def test_the_same_arrow_file_gives_the_same_parquet_bytes(tmp_path):
    arrow = DATASET / data_files(DATASET)["ner"]["train"]
    write_parquet(arrow, tmp_path / "a.parquet")
    write_parquet(arrow, tmp_path / "b.parquet")
    committed = DATASET / data_files(DATASET, DATA_GLOBS[1])["ner"]["train"]
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes() == committed.read_bytes()


@pytest.mark.parametrize("config", CONFIGS)
def test_parquet_copy_loads_to_the_arrow_rows_and_features(tmp_path, config):
    shutil.copytree(DATASET, tmp_path / "ds")
    rows, features = parquet_rows(tmp_path / "ds", config)
    for split, path in data_files(DATASET)[config].items():
        arrow = Dataset.from_file(str(DATASET / path))
        assert rows[split] == arrow.to_list()
        assert features == arrow.features.to_dict()
