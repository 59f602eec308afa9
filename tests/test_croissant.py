"""croissant.json: generated from the built features, validated by mlcroissant, every record set equal to load_dataset."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pytest

from vietlao.corpus.documents import load_metadata
from vietlao.corpus.inventory import load_inventory
from vietlao.dataset.build import write_metadata_files
from vietlao.dataset.layout import data_files, name_by_content
from vietlao.dataset.card import CardMetadata, card_sections
from vietlao.dataset.croissant import CROISSANT_FILE, croissant
from vietlao.dataset.parquet import read_arrow, write_parquet_copy
from vietlao.paths import project
from vietlao.publish.check import croissant_problems, croissant_rows, row_problems

mlc = pytest.importorskip("mlcroissant")
DATASET = project().dataset
CONFIGS = ("ner", "stance", "documents", "entities", "linking")



@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    """A copy of the committed dataset folder alone."""
    out = tmp_path_factory.mktemp("croissant") / "dataset"
    shutil.copytree(DATASET, out)
    return out


def test_committed_croissant_is_what_the_build_writes(copy):
    document = json.loads((DATASET / CROISSANT_FILE).read_text(encoding="utf-8"))
    from vietlao.corpus.metadata import CorpusLayout

    meta = CardMetadata(language=CorpusLayout.read().languages)
    assert document == croissant(DATASET, project().card, project().card.read_text(encoding="utf-8"),
                                 load_metadata(), load_inventory(), meta), "croissant.json is stale: run `vietlao build`"


def test_mlcroissant_validates_with_no_error_and_only_the_missing_date_warned(copy):
    dataset = mlc.Dataset(jsonld=str(copy / CROISSANT_FILE))
    warnings = dataset.metadata.ctx.issues.warnings
    assert all("datePublished" in w for w in warnings), warnings
    assert croissant_problems(copy) == []


@pytest.mark.parametrize("config", CONFIGS)
def test_every_record_set_equals_load_dataset(copy, config):
    from datasets import load_dataset

    expected = {split: ds.to_list() for split, ds in load_dataset(str(copy), config).items()}
    assert set(expected) == set(data_files(copy)[config])
    assert croissant_rows(copy, config) == expected


def test_typed_fields_class_labels_sequences_and_links():
    document = json.loads((DATASET / CROISSANT_FILE).read_text(encoding="utf-8"))
    sets = {rs["@id"]: rs for rs in document["recordSet"]}
    fields = {f["@id"]: f for rs in sets.values() for f in rs["field"]}
    sub = {s["@id"]: s for f in fields.values() for s in f.get("subField", [])}
    assert fields["ner/tokens"]["isArray"] and fields["ner/tokens"]["dataType"] == "sc:Text"
    assert fields["ner/token_offsets"]["arrayShape"] == "-1,2" and fields["ner/token_offsets"]["dataType"] == "cr:Int32"
    tags = fields["ner/ner_tags"]
    assert tags["isArray"] and tags["references"] == {"field": {"@id": "ner-tags/index"}}
    from vietlao.labels import NER_TAGS, STANCE_LABELS

    assert [r["ner-tags/name"] for r in sets["ner-tags"]["data"]] == list(NER_TAGS)
    assert [r["stance-labels/name"] for r in sets["stance-labels"]["data"]] == list(STANCE_LABELS)
    assert sub["ner/entities/label"]["references"] == {"field": {"@id": "entity-types/index"}}
    assert fields["linking/entity_id"]["references"] == {"field": {"@id": "entities/entity_id"}}
    assert sets["entities"]["key"] == {"@id": "entities/entity_id"}
    assert {s["@id"] for s in fields["entities/forms"]["subField"]} == {f"entities/forms/{lang}" for lang in ("nb", "id", "vi", "ru")}
    assert sets["splits"]["dataType"] == "cr:Split"
    objects = [d for d in document["distribution"] if d["@type"] == "cr:FileObject"]
    assert {o["contentUrl"] for o in objects} == {str(p.relative_to(DATASET)) for p in DATASET.glob("*/*/*.*")}
    assert all(len(o["sha256"]) == 64 for o in objects)


def test_licence_per_document_and_rai_fields_come_from_the_card_and_metadata():
    document = json.loads((DATASET / CROISSANT_FILE).read_text(encoding="utf-8"))
    sources = document["isBasedOn"]
    assert [s["name"].split()[1] for s in sources] == [m.doc_id for m in load_metadata()]
    assert all("no licence is granted" in s["copyrightNotice"] for s in sources)
    sections = card_sections(project().card.read_text(encoding="utf-8"))
    assert document["usageInfo"] == sections["Licence"]
    assert "No human annotated this data" in document["rai:annotatorDemographics"][0]
    assert document["rai:dataLimitations"] and document["rai:dataAnnotationProtocol"]
    assert "Label Studio" in document["rai:dataAnnotationPlatform"][0]


def test_a_changed_entities_config_is_described_without_a_code_change(tmp_path):
    """New knowledge-base columns and a renamed split (as a later build may make) follow from the
    features: mlcroissant validates the file and loads the same rows as load_dataset."""
    folder = tmp_path / "ds"
    shutil.copytree(DATASET / "data", folder / "data")
    (old,) = (folder / "data" / "entities").glob("*.arrow")
    table = read_arrow(old)
    features = json.loads(table.schema.metadata[b"huggingface"])["info"]["features"]
    assert not {"qid", "name_lo"} & set(table.column_names)  # columns this build does not have
    features |= {"qid": {"dtype": "string", "_type": "Value"}, "name_lo": {"dtype": "string", "_type": "Value"}}
    table = table.append_column("qid", pa.array([("Q819" if r["entity_id"] == "laos" else None)
                                                      for r in table.to_pylist()], pa.string()))
    table = table.append_column("name_lo", pa.array([None] * table.num_rows, pa.string()))
    table = table.replace_schema_metadata({"huggingface": json.dumps({"info": {"features": features}})})
    old.unlink()
    with pa.OSFile(str(old.parent / "kb.arrow"), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    for path in folder.glob("data/*/*.arrow"):
        path.rename(path.with_name(path.stem.rsplit("-", 1)[0] + ".arrow"))
    write_parquet_copy(folder)
    name_by_content(folder)
    card = project().card.read_text(encoding="utf-8")
    meta = CardMetadata(language=("nb", "id", "vi", "ru"))
    configs = tuple(c.model_copy(update={"splits": ("kb",)}) if c.config_name == "entities" else c for c in meta.configs)
    meta = meta.model_copy(update={"configs": configs})
    (folder / "README.md").write_text(meta.front_matter(data_files(folder)) + "\n" + card, encoding="utf-8")
    write_metadata_files(folder, card, project().card, load_metadata(), load_inventory(), meta)
    document = json.loads((folder / CROISSANT_FILE).read_text(encoding="utf-8"))
    fields = {f["@id"]: f for rs in document["recordSet"] for f in rs["field"]}
    assert fields["entities/qid"]["equivalentProperty"] == "sc:sameAs"
    assert fields["entities/name_lo"]["dataType"] == "sc:Text"
    assert croissant_problems(folder) == []
    rows = croissant_rows(folder, "entities")
    assert list(rows) == ["kb"] and rows["kb"] == table.to_pylist()
    assert [p for p in row_problems(folder) if not p.startswith("card:")] == []


def test_committed_licence_notes_are_what_the_build_writes():
    from vietlao.corpus.metadata import CorpusLayout
    from vietlao.dataset.card import LICENCE_FILE
    from vietlao.dataset.croissant import licence_notes

    sections = card_sections(project().card.read_text(encoding="utf-8"))
    expected = licence_notes(load_metadata(), CardMetadata(language=CorpusLayout.read().languages), sections["Licence"])
    text = (DATASET / LICENCE_FILE).read_text(encoding="utf-8")
    assert text == expected, "LICENCE.md is stale: run `vietlao build`"
    for m in load_metadata():
        assert f"| {m.doc_id} | {m.lang} |" in text
