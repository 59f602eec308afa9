"""The labeling config: generated from the vocabularies and the inventory, and committed as generated."""

import xml.etree.ElementTree as ET


from vietlao import label_config as lc
from vietlao.corpus.inventory import load_inventory
from vietlao.labels import ENTITY_TYPES, LINKABLE_TYPES, STANCE_LABELS

import pytest  # noqa: E402

#: Reads the project's corpus, export or dataset: also run on an extended copy (tests/test_extension.py).
pytestmark = pytest.mark.corpus


def _tree():
    return ET.fromstring(lc.render_label_config(load_inventory()))


def test_committed_config_is_the_generators_output():
    expected = lc.render_label_config(load_inventory())
    assert lc.read_label_config() == expected, (
        "annotations/label_config.xml is stale: regenerate it with `vietlao ls config` (or `vietlao build`)"
    )


def test_entity_picker_lists_each_linkable_types_entities_under_that_type_only():
    inventory, tree = load_inventory(), _tree()
    (picker,) = [c for c in tree.iter("Choices") if c.get("name") == lc.ENTITY_ID]
    assert picker.get("perRegion") == "true" and picker.get("toName") == lc.TEXT
    groups = {v.get("whenLabelValue"): v for v in picker.iter("View")}
    assert set(groups) == LINKABLE_TYPES
    for t, view in groups.items():
        ids = [c.get("alias") for c in view.iter("Choice")]
        assert ids == sorted(e.id for e in inventory.values() if e.type == t)
        for c in view.iter("Choice"):
            assert c.get("value") == lc.choice_caption(inventory[c.get("alias")])
    shown_for = [v for v in tree.iter("View") if any(c is picker for c in v)]
    assert shown_for[0].get("whenLabelValue").split(",") == [t for t in ENTITY_TYPES if t in LINKABLE_TYPES]


def test_stance_is_one_required_radio_group_and_context_is_read_only():
    tree = _tree()
    (stance,) = [c for c in tree.iter("Choices") if c.get("name") == lc.STANCE]
    assert stance.get("choice") == "single-radio" and stance.get("required") == "true"
    assert [c.get("value") for c in stance.iter("Choice")] == list(STANCE_LABELS)
    texts = {t.get("name"): t for t in tree.iter("Text")}
    assert set(texts) == {lc.TEXT, lc.CONTEXT_BEFORE, lc.CONTEXT_AFTER}
    assert all(texts[n].get("selectionEnabled") == "false" for n in (lc.CONTEXT_BEFORE, lc.CONTEXT_AFTER))
    controls = [e for e in tree.iter() if e.get("toName")]
    assert {e.get("toName") for e in controls} == {lc.TEXT, lc.ENTITY_ID}  # the Filter points at the picker
    assert [label.get("value") for label in tree.iter("Label")] == list(ENTITY_TYPES)


def test_write_label_config_writes_only_a_change(tmp_path):
    path = tmp_path / "label_config.xml"
    assert lc.write_label_config("<View/>\n", path) is True
    assert lc.write_label_config("<View/>\n", path) is False
    assert path.read_text(encoding="utf-8") == "<View/>\n" and sorted(p.name for p in tmp_path.iterdir()) == ["label_config.xml"]
