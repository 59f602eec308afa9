import hashlib
import json
import shutil
import unicodedata

import pytest

from vietlao.paths import project

from vietlao.corpus.documents import (
    CorpusError,
    corpus_statistics,
    load_corpus,
)

#: Reads the project's corpus, export or dataset: also run on an extended copy (tests/test_extension.py).
pytestmark = pytest.mark.corpus

SEEDS_SUMS = {
    "000_17ca1f9bd6e44928.txt": "fae63fe33eb09e1867d678cb9321071e1211a37e6517f3b99c8e00deb33cf0ed",
    "001_61f1534583e756c5.txt": "78ba65d5a3f5369002cf58c4c463c1ae74e99e16271f71c2adbf1e713e9f5786",
    "002_8af0e2a929b6679e.txt": "dffad0cf88e29f0b596ded64f439f35fa5cc78131118210672ed5f1b2a524cb9",
    "003_835e2171565b3d0b.txt": "b158e086164bedd2ef95f2d1a9acee85ceedde878ff12cacf3af9925767afdca",
    "004_c964caefb48d5e4e.txt": "de2d5ad0c56ffa8962f43b9023c5d0a9924aef3257ba8b55151c5ed6707dc77c",
}


def test_documents_are_the_seed_files_byte_for_byte():
    for name, digest in SEEDS_SUMS.items():
        assert hashlib.sha256((project().documents / name).read_bytes()).hexdigest() == digest


def test_metadata():
    docs = load_corpus()
    assert [d.doc_id for d in docs] == [f"{i:03d}" for i in range(len(docs))], "doc ids run 000, 001, … in order"
    seeds = {d.doc_id: (d.meta.lang, d.meta.is_translation) for d in docs if d.meta.source_file in SEEDS_SUMS}
    assert seeds == {"000": ("nb", True), "001": ("id", True), "002": ("vi", False), "003": ("ru", False),
                     "004": ("vi", False)}
    for d in docs:
        assert unicodedata.is_normalized("NFC", d.text)
        if d.meta.source_url:
            assert d.meta.source_url in d.text, "a source URL must be stated in the text"
        if d.meta.title:
            assert d.text.startswith(d.meta.title)


def test_drift_fails_loudly(tmp_path):
    for f in project().documents.iterdir():
        shutil.copy(f, tmp_path / f.name)
    target = tmp_path / "003_835e2171565b3d0b.txt"
    target.write_bytes(target.read_bytes().replace("То Лам".encode(), "To Lam".encode(), 1))
    with pytest.raises(CorpusError, match="003 has drifted"):
        load_corpus(tmp_path / project().metadata.name)


def test_duplicate_doc_id_is_rejected(tmp_path):
    rows = json.loads(project().metadata.read_text(encoding="utf-8"))
    rows[1]["doc_id"] = rows[0]["doc_id"]
    (tmp_path / "metadata.json").write_text(json.dumps(rows), encoding="utf-8")
    with pytest.raises(CorpusError, match="duplicate doc_id"):
        load_corpus(tmp_path / "metadata.json")


def test_statistics_add_up():
    docs = load_corpus()
    stats = corpus_statistics(docs)
    assert [s["characters"] for s in stats] == [len(d.text) for d in docs]
    assert all(s["sentences"] > 0 and s["tokens"] > s["sentences"] for s in stats)
