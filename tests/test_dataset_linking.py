"""vietlao.dataset.linking: the ``linking`` config, derived from the same validated export as ``ner``."""

from __future__ import annotations

from collections import Counter

import pytest
from datasets import Dataset, load_dataset

from vietlao.corpus.documents import load_corpus
from vietlao.corpus.inventory import load_inventory
from vietlao.dataset.build import build_dataset
from vietlao.dataset.layout import data_files
from vietlao.dataset.linking import card_block, linking_rows
from vietlao.dataset.rows import splits_and_folds
from vietlao.export.reader import read_export
from vietlao.export.validate import gold_context
from vietlao.paths import project
from vietlao.labels import LINKABLE_TYPES


#: Reads the project's corpus, export or dataset: also run on an extended copy (tests/test_extension.py).
pytestmark = pytest.mark.corpus


SPLIT_OF, FOLD_OF = splits_and_folds()


@pytest.fixture(scope="module")
def records():
    return read_export(project().export, gold_context())


@pytest.fixture(scope="module")
def built(tmp_path_factory, records):
    out = tmp_path_factory.mktemp("build") / "ds"
    build_dataset(records, load_corpus(), load_inventory(), out)
    return out


def _load(built, config: str) -> dict[str, Dataset]:
    """A config of a fresh build (no README yet), split by split, with its features."""
    return {split: Dataset.from_file(str(built / path)) for split, path in data_files(built)[config].items()}


def test_one_row_per_linkable_mention_of_the_ner_config(built):
    ner = _load(built, "ner")
    linking = _load(built, "linking")
    assert set(linking) == set(ner) == {"train", "validation", "test"}
    types = ner["train"].features["entities"].feature["label"].names
    for split in ner:
        expected = [(r["id"], e["start"], e["end"], types[e["label"]], e["entity_id"], r["lang"], r["doc_id"], r["fold"])
                     for r in ner[split] for e in r["entities"] if types[e["label"]] in LINKABLE_TYPES]
        names = linking[split].features["type"].names
        got = [(r["sentence_id"], r["start"], r["end"], names[r["type"]], r["entity_id"], r["lang"], r["doc_id"],
                r["fold"]) for r in linking[split]]
        assert got == expected and got
    ids = [r["id"] for split in linking.values() for r in split]
    assert len(ids) == len(set(ids))


def test_offsets_point_at_the_mention_in_sentence_and_document(built):
    docs = {r["doc_id"]: r["text"] for split in _load(built, "documents").values() for r in split}
    for split in _load(built, "linking").values():
        for r in split:
            assert r["context"][r["start"]:r["end"]] == r["mention"] == docs[r["doc_id"]][r["doc_start"]:r["doc_end"]]
            assert r["id"] == f"{r['sentence_id']}:{r['start']}-{r['end']}"
            assert r["entity_id"]  # every gold linkable mention has an inventory id


def test_committed_linking_config_loads_with_the_splits_of_the_others():
    linking = load_dataset(str(project().dataset), "linking")
    for split, data in linking.items():
        assert {SPLIT_OF[d] for d in data["doc_id"]} == {split}
        assert all(FOLD_OF[r["doc_id"]] == r["fold"] for r in data)


def _table(block: str, first_header: str) -> dict[str, list[str]]:
    """The rows of the Markdown table whose header starts with ``first_header``, by first cell."""
    lines = block.splitlines()
    i = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = {}
    for line in lines[i + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def test_card_statistics_are_counted_from_the_rows(records):
    rows = [{**r, "split": SPLIT_OF[r["doc_id"]]}
            for r in linking_rows(sorted(records, key=lambda r: r.sentence_id), FOLD_OF.__getitem__)]
    block = card_block(records)
    header = next(line for line in block.splitlines() if line.startswith("| split |"))
    langs = [c.strip() for c in header.strip("|").split("|")][1:-1]
    counts = Counter((r["split"], r["lang"]) for r in rows)
    for split, cells in _table(block, "split").items():
        assert [int(c) for c in cells] == [counts[(split, x)] for x in langs] + [sum(counts[(split, x)] for x in langs)]
    trained = {r["entity_id"] for r in rows if r["split"] != "test"}
    test = [r for r in rows if r["split"] == "test"]
    fixed = next(cells for name, cells in _table(block, "protocol: test ← training").items() if name.startswith("fixed"))
    seen = sum(r["entity_id"] in trained for r in test)
    assert [int(c) for c in fixed[:3]] == [len(test), seen, len(test) - seen]
