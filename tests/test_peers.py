"""The off-the-shelf NER peers (vietlao.benchmark.peers): offset recovery, offline runs, predictions format."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from vietlao.benchmark import peers as run_peers
from vietlao.benchmark.peers import common
from vietlao.benchmark.peers.common import available, version
from vietlao.benchmark.peers import natasha as nat
from vietlao.benchmark.peers import underthesea as ut

ROOT = Path(__file__).resolve().parents[1]


def _corpus_ids(lang: str) -> list[str]:
    from vietlao.corpus.documents import load_corpus

    return [d.sentence_id(i) for d in load_corpus() if d.meta.lang == lang for i in range(len(d.sentences))]


# --- offset recovery, without the tools -------------------------------------------------------


def test_align_multi_syllable_words_by_character_offsets():
    text = "Thủ tướng Phạm Minh Chính  hội đàm tại Viêng Chăn."
    words = ["Thủ tướng", "Phạm Minh Chính", "hội đàm", "tại", "Viêng Chăn", "."]
    spans = ut.align(text, words, Counter())
    assert [text[a:b] for a, b in spans] == ["Thủ tướng", "Phạm Minh Chính", "hội đàm", "tại", "Viêng Chăn", "."]


def test_align_finds_words_the_tool_normalised():
    text = "hoà bình ở Ðà Nẵng, nghành du lịch"
    counts = Counter()
    spans = ut.align(text, ["hòa bình", "ở", "Đà Nẵng", ",", "ngành", "du lịch"], counts)
    assert [text[a:b] for a, b in spans] == ["hoà bình", "ở", "Ðà Nẵng", ",", "nghành", "du lịch"]
    assert counts["folded"] >= 2 and counts["respelled"] == 1


def test_align_underscore_joined_words():
    text = "Bộ Ngoại giao Việt Nam"
    spans = ut.align(text, ["Bộ", "Ngoại_giao", "Việt_Nam"], Counter())
    assert [text[a:b] for a, b in spans] == ["Bộ", "Ngoại giao", "Việt Nam"]


def test_align_keeps_going_left_to_right_over_repeated_words():
    text = "Lào và Lào"
    assert ut.align(text, ["Lào", "và", "Lào"], Counter()) == [(0, 3), (4, 6), (7, 10)]


def test_align_raises_on_a_word_not_in_the_sentence():
    with pytest.raises(ut.AlignmentError):
        ut.align("Việt Nam", ["Campuchia"], Counter())


def test_bio_spans_maps_labels_and_reads_stray_inside_tags_as_starts():
    offsets = [(0, 3), (4, 7), (8, 11), (12, 15), (16, 19)]
    tags = ["B-PER", "I-PER", "I-LOC", "O", "I-MISC"]
    assert ut.bio_spans(tags, offsets) == [
        {"start": 0, "end": 7, "label": "PER"},
        {"start": 8, "end": 11, "label": "LOC"},
        {"start": 16, "end": 19, "label": "MISC"},
    ]


def test_check_entities_rejects_bad_spans():
    common.check_entities("Việt Nam", [{"start": 0, "end": 8, "label": "LOC"}])
    for bad in (
        [{"start": 0, "end": 9, "label": "LOC"}],
        [{"start": 0, "end": 4, "label": "GPE"}],
        [{"start": 0, "end": 5, "label": "LOC"}],
        [{"start": 0, "end": 4, "label": "LOC"}, {"start": 2, "end": 8, "label": "LOC"}],
    ):
        with pytest.raises(ValueError):
            common.check_entities("Việt Nam", bad)


def test_corpus_sentences_match_the_corpus():
    rows, origin = common.load_sentences("ru", source="corpus")
    assert origin == "corpus"
    assert [r.id for r in rows] == _corpus_ids("ru")


@pytest.mark.parametrize("lang", ["vi", "ru"])
def test_dataset_sentences_are_the_corpus_sentences(lang):
    if not any((ROOT / "dataset" / "data" / "ner").glob("*.arrow")):
        pytest.skip("the dataset is not built")
    from_dataset, origin = common.load_sentences(lang, source="dataset")
    from_corpus, _ = common.load_sentences(lang, source="corpus")
    assert origin == "dataset"
    assert from_dataset == from_corpus


# --- the tools themselves ---------------------------------------------------------------------


def test_natasha_spans_are_character_offsets():
    pytest.importorskip("natasha", reason="natasha is not installed (the 'peers' extra)")
    text = "Генеральный секретарь ЦК КПВ Нгуен Фу Чонг прибыл во Вьентьян."
    entities = nat.predict(text)
    common.check_entities(text, entities)
    found = {(text[e["start"] : e["end"]], e["label"]) for e in entities}
    assert ("Нгуен Фу Чонг", "PER") in found
    assert version(nat) == "1.6.0"


def test_underthesea_reproduces_its_documented_example_as_character_spans():
    pytest.importorskip("underthesea", reason="underthesea is not installed (the 'peers' extra)")
    text = "Ông Putin ca ngợi những thành tựu vĩ đại của Liên Xô"
    assert ut.predict(text) == [
        {"start": 4, "end": 9, "label": "PER"},
        {"start": 45, "end": 52, "label": "LOC"},
    ]
    assert version(ut) == "9.5.0"


_NO_NETWORK = """
import socket, sys
def refuse(*a, **k):
    raise OSError("network refused by the test")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
import vietlao.benchmark.peers.{module} as r
print(r.predict(sys.argv[1]))
"""


@pytest.mark.parametrize(
    ("package", "module", "text"),
    [
        ("natasha", "natasha", "Президент Лаоса Тхонглун Сисулит посетил Ханой."),
        ("underthesea", "underthesea", "Chủ tịch nước Tô Lâm thăm Lào."),
    ],
)
def test_peers_run_without_network(package, module, text):
    pytest.importorskip(package, reason=f"{package} is not installed (the 'peers' extra)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE"))}
    env.update(HF_HUB_OFFLINE="1", PYTHONUTF8="1")
    proc = subprocess.run(
        [sys.executable, "-c", _NO_NETWORK.replace("{module}", module), text],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "'label'" in proc.stdout


def test_run_writes_one_line_per_sentence_of_each_language(tmp_path):
    if not (available(nat) or available(ut)):
        pytest.skip("neither natasha nor underthesea is installed (the 'peers' extra)")
    rows = run_peers.run(tmp_path)
    assert {r["system"] for r in rows} == {m.TOOL for m in (nat, ut) if available(m)}
    for row in rows:
        path = tmp_path / "peers" / f"{row['system']}.jsonl"
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        assert [line["id"] for line in lines] == _corpus_ids(row["lang"])
        assert row["n_sentences"] == len(lines)
        assert row["protocol"] == "off-the-shelf" and row["tool_version"]
        for line in lines:
            assert set(line) == {"id", "entities"}
            for e in line["entities"]:
                assert set(e) == {"start", "end", "label"} and e["label"] in common.COARSE_LABELS
    report = json.loads((tmp_path / "peers" / "peers.json").read_text(encoding="utf-8"))
    assert report["rows"] == rows
    if importlib.util.find_spec("vietlao.evaluation.evaluate") and any((ROOT / "dataset" / "data" / "ner").glob("*.arrow")):
        for row in rows:  # unscored: the benchmark scores each file once
            assert row["sentences_from"] == "dataset" and "f1" not in row and "scorer" not in row
            assert "--lang " + row["lang"] in row["command"]
            anatomy = row["anatomy"]
            assert anatomy["n_gold"] > 0
            assert set(anatomy["surfaces"]) >= {"swallows_person", "unreachable", "spurious", "wrong_type"}


def test_run_is_deterministic_and_records_no_run_facts(tmp_path):
    """Two runs write the same bytes: no run times, no paths that depend on the working directory."""
    if not (available(nat) or available(ut)):
        pytest.skip("neither natasha nor underthesea is installed (the 'peers' extra)")
    first = run_peers.run(tmp_path, diagnose=False)
    files = {p.name: p.read_bytes() for p in sorted((tmp_path / "peers").iterdir())}
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)  # another working directory changes nothing
        again = run_peers.run(tmp_path, diagnose=False)
    finally:
        os.chdir(cwd)
    assert again == first
    assert {p.name: p.read_bytes() for p in sorted((tmp_path / "peers").iterdir())} == files
    for row in first:
        assert "seconds" not in row and not any("time" in key for key in row)
    inside = ROOT / "benchmarks" / "results"
    assert run_peers.shown(inside / "peers" / "x.jsonl") == "benchmarks/results/peers/x.jsonl"
