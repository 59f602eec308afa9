"""Linking baseline: ``e5-nn`` with the training mentions added as keys.

As ``link_encoder`` (multilingual-e5-small nearest neighbour among the entities of the mention's
type), but each entity's keys are its canonical name and the strings of its training mentions, so
a form seen in training (``Lào``, ``Kambodsja``) is matched by itself.
"""

from __future__ import annotations

import sys

from vietlao.models.script import script_main
from vietlao.evaluation.schema import LinkingPrediction
from vietlao.models import link_encoder
from vietlao.models.link_encoder import link, name_keys
from vietlao.models.linking_common import knowledge_base

NAME, TASK, SEEDED = "e5-nn+train", "linking", False
EXTRA = "embed"
KIND = link_encoder.KIND
encoded_texts = link_encoder.encoded_texts  # the training mentions it adds are mentions of the dataset too


def available() -> bool:
    from vietlao.models import embed

    return embed.available()



def predict(train: list[dict], test: list[dict], seed: int = 0, kb: list[dict] | None = None) -> list[LinkingPrediction]:
    kb = knowledge_base() if kb is None else kb
    keys = name_keys(kb)
    for r in train:
        if r["mention"] not in keys[r["entity_id"]]:
            keys[r["entity_id"]].append(r["mention"])
    return link(test, kb, keys)


if __name__ == "__main__":
    sys.exit(script_main(sys.modules[__name__]))
