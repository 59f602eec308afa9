"""Hand-written text states no count the data contradicts: a number of documents, articles, texts or
languages in the README, the card (outside its generated blocks and its changelog), the guidelines and
the benchmarks' README must be the corpus's, so an extension that changes them fails here until the
text is regenerated or reworded."""

from __future__ import annotations

import re

import pytest

from vietlao.corpus.documents import load_corpus
from vietlao.corpus.inventory import load_inventory
from vietlao.evaluation.evaluate import FEW_DOCUMENTS
from vietlao.paths import project

pytestmark = pytest.mark.corpus

WORDS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())}
CLAIM = re.compile(r"\b(\d+|" + "|".join(WORDS) + r")\s+(?:(?!of\b|in\b)[\w-]+\s+)?(documents|articles|texts|languages|entries)\b",
                   re.I)
#: Counts of something else than the corpus: (file, phrase) -> what it counts.
NOT_THE_CORPUS = {
    ("DATASET_CARD.md", "two entries"): "no QID may belong to two inventory entries",
    ("benchmarks/README.md", "16\nlanguages"): "the languages of an encoder",
    ("benchmarks/README.md", "100 languages"): "the languages of an encoder",
}
#: Thresholds of the code, stated in the text: (file, phrase) -> the constant it must equal.
THRESHOLDS = {
    ("benchmarks/README.md", "10 documents"): FEW_DOCUMENTS,  # --unit document's "few documents" note
}
GENERATED = re.compile(r"<!-- generated:(\w+) -->.*?<!-- /generated:\1 -->", re.S)


def hand_written() -> dict[str, str]:
    root = project().root
    card = (root / "DATASET_CARD.md").read_text(encoding="utf-8").split("\n## Changelog")[0]
    return {
        "README.md": (root / "README.md").read_text(encoding="utf-8"),
        "DATASET_CARD.md": GENERATED.sub("", card),
        "annotations/GUIDELINES.md": (root / "annotations" / "GUIDELINES.md").read_text(encoding="utf-8"),
        "benchmarks/README.md": (root / "benchmarks" / "README.md").read_text(encoding="utf-8"),
        **{f"docs/{p.name}": p.read_text(encoding="utf-8") for p in sorted((root / "docs").glob("*.md"))},
    }


def claims(text: str) -> list[tuple[int, str, str]]:
    return [(int(m[1]) if m[1].isdigit() else WORDS[m[1].lower()], m[2].lower(), m[0]) for m in CLAIM.finditer(text)]


def test_the_claim_finder_reads_numbers_and_words():
    assert claims("five articles in Norwegian; the 49 entries; pass 2 of documents 000") == [
        (5, "articles", "five articles"), (49, "entries", "49 entries")]


def test_hand_written_counts_agree_with_the_data():
    documents = load_corpus()
    truth = {"documents": len(documents), "articles": len(documents), "texts": len(documents),
             "languages": len({d.meta.lang for d in documents}), "entries": len(load_inventory())}
    wrong = [f"{name}: {phrase!r} (the data has {truth[noun]})"
             for name, text in hand_written().items() for n, noun, phrase in claims(text)
             if n != THRESHOLDS.get((name, phrase), truth[noun]) and (name, phrase) not in NOT_THE_CORPUS]
    assert not wrong, "hand-written text contradicts the data; generate it or reword it:\n" + "\n".join(wrong)
