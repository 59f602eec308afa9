import yaml

from vietlao.dataset.card import CARD_FILE, CardMetadata, fill_blocks, render_dataset_readme
from vietlao.corpus.documents import REPO_ROOT


def test_dataset_readme_is_rendered_from_the_card():
    readme = (REPO_ROOT / "dataset" / "README.md").read_text(encoding="utf-8")
    assert readme == render_dataset_readme(CARD_FILE.read_text(encoding="utf-8")), (
        "dataset/README.md drifted from DATASET_CARD.md: run `vietlao build`"
    )


def test_front_matter_parses_with_string_languages_and_configs():
    text = CardMetadata().front_matter()
    meta = yaml.safe_load(text.strip().strip("-"))
    assert meta["language"] == ["nb", "id", "vi", "ru"]
    assert all(isinstance(x, str) for x in meta["language"])
    defaults = [c["config_name"] for c in meta["configs"] if c.get("default")]
    assert defaults == ["ner"]
    assert {c["config_name"] for c in meta["configs"]} == {"ner", "stance", "documents", "entities", "linking"}


def test_yaml_quotes_norwegian_no():
    text = CardMetadata(tags=("no", "yes")).front_matter()
    assert yaml.safe_load(text.strip().strip("-"))["tags"] == ["no", "yes"]


def test_fill_blocks_replaces_only_generated_text():
    card = "a\n<!-- generated:x -->\nold\n<!-- /generated:x -->\nb\n"
    assert fill_blocks(card, {"x": "new\n"}) == "a\n<!-- generated:x -->\nnew\n<!-- /generated:x -->\nb\n"


def test_card_states_empty_classes_and_the_annotators():
    from collections import Counter

    from vietlao.export.validate import validate_gold

    card = CARD_FILE.read_text(encoding="utf-8")
    stances = Counter(r.stance for r in validate_gold())
    for label in ("favor", "against", "neutral", "unrelated"):
        if stances[label] == 0:
            assert f"`{label}` has no example" in card, f"the card must say that {label} is empty"
    assert "No human annotated this data" in card
