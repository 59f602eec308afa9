"""vietlao publish: the Hub's card conventions checked offline, the dry-run folder, and no upload without flag and token."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest

from vietlao.cli import main
from vietlao.corpus.metadata import CorpusLayout
from vietlao.dataset.layout import data_files
from vietlao.dataset.croissant import CROISSANT_FILE
from vietlao.paths import project
from vietlao.publish.check import (
    card_problems,
    check_folder,
    croissant_problems,
    row_problems,
    size_category,
)
from vietlao.publish.dry_run import published_files

pytest.importorskip("mlcroissant")
hub = pytest.importorskip("huggingface_hub")
DATASET = project().dataset


@pytest.fixture
def copy(tmp_path) -> Path:
    out = tmp_path / "dataset"
    shutil.copytree(DATASET, out)
    return out


def test_card_yaml_parses_with_every_known_field_well_formed():
    data = hub.DatasetCard.load(DATASET / "README.md").data.to_dict()
    assert data["license"] == "other" and data["license_name"] and (DATASET / data["license_link"]).is_file()
    assert data["language"] == list(CorpusLayout.read().languages)
    assert data["task_categories"] == ["token-classification", "text-classification"]
    assert data["size_categories"] == ["n<1K"] and data["pretty_name"]
    assert {c["config_name"] for c in data["configs"]} == set(data_files(DATASET))
    assert card_problems(DATASET) == []


def test_card_problems_name_a_missing_licence_link_and_a_bad_language(copy):
    readme = copy / "README.md"
    text = readme.read_text(encoding="utf-8").replace("license_link: LICENCE.md\n", "").replace("- nb\n", "- xx\n", 1)
    readme.write_text(text, encoding="utf-8")
    problems = card_problems(copy)
    assert "card: no license_link" in problems
    assert any("language 'xx'" in p for p in problems)


def test_size_categories_follow_the_hub_buckets():
    assert [size_category(n) for n in (0, 999, 1000, 99_999, 100_000)] == ["n<1K", "n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M"]


def test_a_changed_data_file_is_caught_by_checksum_and_by_row_equality(copy):
    import pyarrow.parquet as pq

    path = next(copy.glob("parquet/stance/train-*.parquet"))
    table = pq.read_table(path)
    pq.write_table(table.slice(1), path)
    assert any("sha256" in p and path.name in p for p in croissant_problems(copy))
    rows = row_problems(copy)
    assert "stance: the Parquet copy does not load to the rows of load_dataset" in rows
    assert "stance: mlcroissant's records differ from load_dataset's rows" in rows


def test_dry_run_writes_exactly_the_published_files_checked_without_network(tmp_path, capsys, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the dry run opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    target = tmp_path / "upload"
    assert main(["publish", "--dry-run", str(target)]) == 0
    out = capsys.readouterr().out
    sent = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    assert sent == [str(p) for p in published_files(DATASET)]
    assert {"README.md", CROISSANT_FILE, "LICENCE.md"} <= set(sent)
    for name in sent:
        assert f"| {name} | {(target / name).stat().st_size} |" in out
        assert (target / name).read_bytes() == (DATASET / name).read_bytes()
    assert "nothing was sent" in out
    assert check_folder(target) == []


def test_dry_run_refuses_a_used_folder_and_leaves_nothing_half_written(tmp_path, capsys):
    used = tmp_path / "used"
    used.mkdir()
    (used / "x").write_text("keep")
    assert main(["publish", "--dry-run", str(used)]) == 1
    assert "not an empty folder" in capsys.readouterr().err
    assert [p.name for p in used.iterdir()] == ["x"]
    broken = tmp_path / "broken"
    shutil.copytree(DATASET, broken)
    (broken / CROISSANT_FILE).write_text(json.dumps({"@type": "sc:Dataset"}), encoding="utf-8")
    assert main(["publish", "--dataset", str(broken), "--dry-run", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("vietlao: error:") and "not fit to publish" in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken", "used"]


def test_upload_needs_the_flag_and_a_token_and_never_prints_it(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    assert main(["publish", "--dry-run", str(tmp_path / "a"), "--upload", "org/vietlao"]) == 1
    assert "needs a Hub token in $HF_TOKEN" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()
    secret = "hf_not_a_real_token_123"
    monkeypatch.setenv("HF_TOKEN", secret)
    monkeypatch.setattr(hub.HfApi, "upload_folder", lambda *a, **k: pytest.fail("an upload was attempted"))
    assert main(["publish", "--dry-run", str(tmp_path / "b"), "--upload", "org/vietlao"]) == 1
    captured = capsys.readouterr()
    assert "not implemented" in captured.err
    assert secret not in captured.out + captured.err
