import yaml

from vietlao.corpus.metadata import CorpusLayout
from vietlao.dataset.card import CardMetadata, fill_blocks, render_dataset_readme
from vietlao.paths import project
from vietlao.dataset.layout import data_files

import pytest  # noqa: E402

#: Reads the project's corpus, export or dataset: also run on an extended copy (tests/test_extension.py).
pytestmark = pytest.mark.corpus

FILES = {"ner": {"train": "data/ner/train-0123456789abcdef.arrow"}, "entities": {"train": "data/entities/train-fedcba9876543210.arrow"}}


def test_dataset_readme_is_rendered_from_the_card():
    readme = (project().dataset / "README.md").read_text(encoding="utf-8")
    card, languages = project().card.read_text(encoding="utf-8"), CorpusLayout.read().languages
    assert readme == render_dataset_readme(card, data_files(project().dataset), languages), (
        "dataset/README.md drifted from DATASET_CARD.md: run `vietlao build`"
    )


def test_front_matter_parses_with_string_languages_and_configs():
    text = CardMetadata(language=("nb", "id", "vi", "ru", "lo")).front_matter(FILES)
    meta = yaml.safe_load(text.strip().strip("-"))
    assert meta["language"] == ["nb", "id", "vi", "ru", "lo"]
    assert all(isinstance(x, str) for x in meta["language"])
    defaults = [c["config_name"] for c in meta["configs"] if c.get("default")]
    assert defaults == ["ner"]
    assert {c["config_name"] for c in meta["configs"]} == {"ner", "stance", "documents", "entities", "linking"}
    paths = {c["config_name"]: [f["path"] for f in c["data_files"]] for c in meta["configs"]}
    assert paths["ner"] == [FILES["ner"]["train"]] and paths["entities"] == [FILES["entities"]["train"]]
    assert paths["stance"] == paths["documents"] == []


def test_committed_data_files_are_named_by_their_content():
    import hashlib

    dataset = project().dataset
    meta = yaml.safe_load((dataset / "README.md").read_text(encoding="utf-8").split("---\n")[1])
    listed = sorted(f["path"] for c in meta["configs"] for f in c["data_files"])
    assert listed == sorted(str(p.relative_to(dataset)) for p in dataset.glob("data/*/*.arrow"))
    for path in listed:
        digest = hashlib.sha256((dataset / path).read_bytes()).hexdigest()
        assert path.endswith(f"-{digest[:16]}.arrow")


def test_yaml_quotes_norwegian_no():
    text = CardMetadata(language=("nb",), tags=("no", "yes")).front_matter(FILES)
    assert yaml.safe_load(text.strip().strip("-"))["tags"] == ["no", "yes"]


def test_fill_blocks_replaces_only_generated_text():
    card = "a\n<!-- generated:x -->\nold\n<!-- /generated:x -->\nb\n"
    assert fill_blocks(card, {"x": "new\n"}) == "a\n<!-- generated:x -->\nnew\n<!-- /generated:x -->\nb\n"


def test_card_states_empty_classes_and_the_annotators():
    from collections import Counter

    from vietlao.export.validate import validate_gold

    card = project().card.read_text(encoding="utf-8")
    stances = Counter(r.stance for r in validate_gold())
    for label in ("favor", "against", "neutral", "unrelated"):
        if stances[label] == 0:
            assert f"`{label}` has no example" in card, f"the card must say that {label} is empty"
    assert "No human annotated this data" in card


def test_hand_written_text_carries_no_corpus_counts():
    """Counts of documents, languages, sentences or folds live in generated blocks only."""
    import re

    from vietlao.dataset.card import _BLOCK

    card = _BLOCK.sub("", project().card.read_text(encoding="utf-8"))
    # the changelog records past releases, counts included
    prose = re.sub(r"\n## Changelog\n.*?(?=\n## )", "\n", card, flags=re.S)
    number = r"(?:\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
    counted = re.compile(rf"\b{number}\s+(?:news\s+)?(?:documents|articles|texts|languages|folds|sentences)\b", re.I)
    assert counted.findall(prose) == []
    assert re.findall(r"\bfolds?\s*\(?\d+\s*[–-]\s*\d+", prose) == []


def test_the_documents_table_lists_every_document_of_the_metadata():
    from vietlao.corpus.documents import load_metadata

    card = project().card.read_text(encoding="utf-8")
    block = card.split("<!-- generated:documents -->")[1].split("<!-- /generated:documents -->")[0]
    rows = [line.split(" | ")[0].strip("| ") for line in block.strip().splitlines()[2:]]
    metadata = load_metadata()
    assert rows == [m.doc_id for m in metadata]
    for m in metadata:
        assert f"| {m.doc_id} | {m.lang} | {m.split} |" in block


def test_the_cards_examples_run_on_the_committed_dataset(monkeypatch):
    """The card's ``>>>`` examples (e.g. the knowledge-base links of the entities config) as doctests."""
    import doctest
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    monkeypatch.chdir(root)
    text = (root / "DATASET_CARD.md").read_text(encoding="utf-8")
    examples = [m for m in re.findall(r"```python\n(.*?)```", text, re.S) if m.lstrip().startswith(">>>")]
    assert examples
    for code in examples:
        test = doctest.DocTestParser().get_doctest(code, {}, "DATASET_CARD.md", None, 0)
        runner = doctest.DocTestRunner()
        runner.run(test)
        assert runner.failures == 0, code
