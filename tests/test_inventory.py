"""vietlao.corpus.inventory: the knowledge-base fields of an entry, and aliases that stay unambiguous."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from vietlao.corpus.documents import CorpusError
from vietlao.corpus.inventory import CanonicalEntity, alias_map, dump_inventory, load_inventory


def _write(tmp_path, text: str):
    path = tmp_path / "entities.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_knowledge_base_fields_load_and_round_trip(tmp_path):
    path = _write(tmp_path, "- {id: laos, type: GPE, name: Laos, wikidata: Q819, enwiki: Laos, names: {lo: ລາວ},"
                            " sources: {wikidata: 'https://www.wikidata.org/wiki/Q819'}, aliases: [lao_pdr]}\n")
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
