"""The entity inventory: its model, former IDs, knowledge-base links and their sources."""

from __future__ import annotations

import re

import pytest
import yaml

from vietlao.corpus.documents import CorpusError
from vietlao.corpus.inventory import alias_map, load_inventory

ENTRY = {"id": "laos", "type": "GPE", "name": "Laos"}


def write(tmp_path, rows):
    path = tmp_path / "entities.yaml"
    path.write_text(yaml.safe_dump(rows, allow_unicode=True), encoding="utf-8")
    return path


def test_project_inventory_links_have_format_and_sources():
    inventory = load_inventory()
    qids = [e.wikidata for e in inventory.values() if e.wikidata]
    assert all(re.fullmatch(r"Q[0-9]+", q) for q in qids)
    assert len(qids) == len(set(qids)), "a QID is used by two entities"
    for e in inventory.values():
        values = {"wikidata": e.wikidata, "enwiki": e.enwiki, "lo": e.names.get("lo")}
        for key, value in values.items():
            if value:
                assert e.sources.get(key, "").startswith("https://"), f"{e.id}: {key} has no source URL"
    titles = [e.enwiki for e in inventory.values() if e.enwiki]
    assert len(titles) == len(set(titles)), "an English Wikipedia title is used by two entities"


def test_project_inventory_lao_names_are_lao_script():
    for e in load_inventory().values():
        if "lo" in e.names:
            assert re.fullmatch(r"[\u0e80-\u0eff ]+", e.names["lo"]), e.id


def test_project_aliases_point_to_current_entities():
    inventory = load_inventory()
    aliases = alias_map(inventory)
    assert aliases["48th_meeting_vietnam_laos_intergovernmental_committee"] == (
        "vietnam_laos_intergovernmental_committee_48th_session"
    )
    assert all(new in inventory and old not in inventory for old, new in aliases.items())


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"wikidata": "Q819"}, "no source for wikidata"),
        ({"enwiki": "Laos"}, "no source for enwiki"),
        ({"names": {"lo": "ລາວ"}}, "no source for lo"),
        ({"sources": {"wikidata": "https://www.wikidata.org/wiki/Q819"}}, "a source without a value"),
        ({"wikidata": "819", "sources": {"wikidata": "https://www.wikidata.org/wiki/Q819"}}, "String should match"),
        ({"wikidata": "Q0819", "sources": {"wikidata": "https://www.wikidata.org/wiki/Q819"}}, "String should match"),
    ],
)
def test_unsourced_or_malformed_links_are_refused(tmp_path, extra, message):
    with pytest.raises(CorpusError, match=message):
        load_inventory(write(tmp_path, [ENTRY | extra]))


def test_one_qid_for_two_entities_is_refused(tmp_path):
    src = {"wikidata": "https://www.wikidata.org/wiki/Q819"}
    rows = [ENTRY | {"wikidata": "Q819", "sources": src}, {"id": "lao", "type": "GPE", "name": "Lao", "wikidata": "Q819", "sources": src}]
    with pytest.raises(CorpusError, match="Q819 is the QID of both 'laos' and 'lao'"):
        load_inventory(write(tmp_path, rows))


def test_alias_may_not_be_a_current_id_or_shared(tmp_path):
    with pytest.raises(CorpusError, match="is a current entity id"):
        load_inventory(write(tmp_path, [ENTRY | {"aliases": ["vietnam"]}, {"id": "vietnam", "type": "GPE", "name": "Vietnam"}]))
    with pytest.raises(CorpusError, match="belongs to both"):
        load_inventory(write(tmp_path, [ENTRY | {"aliases": ["old"]}, {"id": "vietnam", "type": "GPE", "name": "Vietnam", "aliases": ["old"]}]))
