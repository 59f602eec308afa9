"""vietlao.corpus.inventory: the knowledge-base fields of an entry, their sources, and aliases that stay unambiguous."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from vietlao.corpus.documents import CorpusError
from vietlao.corpus.inventory import CanonicalEntity, alias_map, dump_inventory, load_inventory

#: Reads the project's corpus, export or dataset: also run on an extended copy (tests/test_extension.py).
pytestmark = pytest.mark.corpus


def _write(tmp_path, text: str):
    path = tmp_path / "entities.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_knowledge_base_fields_load_and_round_trip(tmp_path):
    path = _write(tmp_path, "- {id: laos, type: GPE, name: Laos, wikidata: Q819, enwiki: Laos, names: {lo: ລາວ},"
                            " sources: {wikidata: 'https://www.wikidata.org/wiki/Q819', enwiki: 'https://en.wikipedia.org/wiki/Laos',"
                            " lo: 'https://en.wikipedia.org/wiki/Laos'}, aliases: [lao_pdr]}\n")
    inventory = load_inventory(path)
    assert inventory["laos"].names == {"lo": "ລາວ"} and alias_map(inventory) == {"lao_pdr": "laos"}
    dump_inventory(inventory, path)
    assert load_inventory(path) == inventory


@pytest.mark.parametrize("text, message", [
    ("- {id: a, type: GPE, name: A, aliases: [b]}\n- {id: b, type: GPE, name: B}\n", "alias 'b' of 'a' is already used by 'b'"),
    ("- {id: a, type: GPE, name: A, aliases: [old]}\n- {id: b, type: GPE, name: B, aliases: [old]}\n",
     "alias 'old' of 'b' is already used by 'a'"),
])
def test_an_alias_names_one_entity_only(tmp_path, text, message):
    with pytest.raises(CorpusError, match=message):
        load_inventory(_write(tmp_path, text))


def test_qid_and_alias_formats_are_checked():
    with pytest.raises(ValidationError, match="wikidata"):
        CanonicalEntity(id="a", type="GPE", name="A", wikidata="819")
    with pytest.raises(ValidationError, match="aliases"):
        CanonicalEntity(id="a", type="GPE", name="A", aliases=["Not An Id"])


# The project's own inventory: every knowledge-base value has a format, a source, and one entity.

def test_project_inventory_links_have_format_sources_and_one_entity():
    inventory = load_inventory()
    qids = [e.wikidata for e in inventory.values() if e.wikidata]
    assert all(re.fullmatch(r"Q[0-9]+", q) for q in qids)
    assert len(qids) == len(set(qids)), "a QID is used by two entities"
    titles = [e.enwiki for e in inventory.values() if e.enwiki]
    assert len(titles) == len(set(titles)), "an English Wikipedia title is used by two entities"
    for e in inventory.values():
        values = {"wikidata": e.wikidata, "enwiki": e.enwiki, **e.names}
        for key, value in values.items():
            if value:
                assert e.sources.get(key, "").startswith(("https://", "http://")), f"{e.id}: {key} has no source URL"
        if "lo" in e.names:
            assert re.fullmatch(r"[\u0e80-\u0eff ]+", e.names["lo"]), f"{e.id}: not Lao script"


def test_project_aliases_point_to_current_entities():
    inventory = load_inventory()
    aliases = alias_map(inventory)
    assert aliases["48th_meeting_vietnam_laos_intergovernmental_committee"] == (
        "vietnam_laos_intergovernmental_committee_48th_session"
    )
    assert all(new in inventory and old not in inventory for old, new in aliases.items())


ENTRY = "- {id: laos, type: GPE, name: Laos"
WD = "https://www.wikidata.org/wiki/Q819"


@pytest.mark.parametrize("fields, message", [
    (", wikidata: Q819}", "wikidata has no source: add sources: {wikidata: URL}"),
    (", enwiki: Laos}", "enwiki has no source: add sources: {enwiki: URL}"),
    (", names: {lo: ລາວ}}", "names.lo has no source: add sources: {lo: URL}"),
    (f", sources: {{wikidata: '{WD}'}}}}", "sources.wikidata has no value"),
])
def test_a_value_without_its_source_is_refused(tmp_path, fields, message):
    with pytest.raises(CorpusError, match=re.escape(message)):
        load_inventory(_write(tmp_path, ENTRY + fields + "\n"))


def test_one_qid_for_two_entities_is_refused(tmp_path):
    text = (f"- {{id: laos, type: GPE, name: Laos, wikidata: Q819, sources: {{wikidata: '{WD}'}}}}\n"
            f"- {{id: lao, type: GPE, name: Lao, wikidata: Q819, sources: {{wikidata: '{WD}'}}}}\n")
    with pytest.raises(CorpusError, match="Q819 is the QID of both 'laos' and 'lao'"):
        load_inventory(_write(tmp_path, text))
