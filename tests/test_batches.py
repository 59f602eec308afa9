"""vietlao.dataset.batches: the column-wise Arrow builder is held to the one row definition,
:func:`vietlao.dataset.rows.ner_gold_row` and ``stance_gold_row`` (an oracle over every gold record)."""

from __future__ import annotations

import pytest

from vietlao.dataset.batches import sentence_batches
from vietlao.dataset.rows import ner_gold_row, stance_gold_row
from vietlao.export.validate import validate_gold
from vietlao.labels import ENTITY_TYPES, NER_TAGS, NER_TAGS_COARSE, STANCE_LABELS


@pytest.fixture(scope="module")
def records():
    return validate_gold()


def _named_ner(row: dict) -> dict:
    return {**row, "ner_tags": [NER_TAGS[i] for i in row["ner_tags"]],
            "ner_tags_coarse": [NER_TAGS_COARSE[i] for i in row["ner_tags_coarse"]],
            "entities": [{**e, "label": ENTITY_TYPES[e["label"]]} for e in row["entities"]]}


def test_the_arrow_rows_are_the_gold_rows_of_every_record(records):
    folds = {r.doc_id: int(r.doc_id) for r in records}
    ner, stance = sentence_batches((r, folds[r.doc_id]) for r in records)
    got_ner = [_named_ner(row) for row in ner.to_pylist()]
    got_stance = [{**row, "label": STANCE_LABELS[row["label"]]} for row in stance.to_pylist()]
    assert len(got_ner) == len(records) > 100
    assert got_ner == [dict(ner_gold_row(r, folds[r.doc_id])) for r in records]
    assert got_stance == [dict(stance_gold_row(r, folds[r.doc_id])) for r in records]
    assert any(row["entities"] for row in got_ner) and {row["lang"] for row in got_ner} >= {"nb", "id", "vi", "ru"}
