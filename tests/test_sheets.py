"""Annotators' sheets: the annotating guide's example locates in its sentences; a sheet must cover its document."""

import re
from pathlib import Path

import pytest
import yaml

from vietlao.corpus.documents import load_corpus
from vietlao.labels import ENTITY_TYPES, STANCE_LABELS
from vietlao.labelstudio.sheets import SheetError, locate_mentions, read_sheet

README = Path(__file__).resolve().parents[1] / "docs" / "annotating.md"


def test_the_readme_sheet_example_locates_in_its_sentences():
    (example,) = re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    rows = yaml.safe_load(example)
    documents = {d.doc_id: d for d in load_corpus()}
    for row in rows:
        doc = documents[row["id"][:3]]
        text = doc.sentences[int(row["id"][4:])].text
        assert row["stance"] in STANCE_LABELS
        for mention, entry in zip(locate_mentions(row["id"], text, row["entities"]), row["entities"]):
            assert text[mention.start:mention.end] == entry["text"] and mention.label in ENTITY_TYPES


def test_a_sheet_must_cover_every_sentence(tmp_path):
    doc = next(d for d in load_corpus() if d.doc_id == "003")
    sheet = tmp_path / "003.yaml"
    sheet.write_text(yaml.safe_dump([{"id": "003-000", "stance": "favor", "entities": []}]), encoding="utf-8")
    with pytest.raises(SheetError, match="sentences not annotated"):
        read_sheet(sheet, doc)
