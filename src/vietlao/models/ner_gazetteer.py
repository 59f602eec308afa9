"""NER baseline: a gazetteer of training mentions and the knowledge base's names, matched longest-first over tokens.

Every gold mention in training (its token sequence, exact case) enters the gazetteer with its
most frequent type, unless the same token sequence occurs untagged in training more often than
tagged (``Nam`` alone, say). The knowledge base adds each entity's canonical name and its name in
the test sentence's language (the inventory's ``names``, such as the Lao ones; never the gold's
surface forms, which include the test mentions) with the entity's type, where training has no entry
for those tokens; the benchmark gives it only the entities annotated in the fold's training rows
(:func:`vietlao.benchmark.protocols.training_kb`), never a list of the test entities. Matching is the pre-annotator's (:class:`vietlao.corpus.gazetteer.Matcher`): left
to right, the longest entry at each position; matched tokens are not matched again.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict

from vietlao.models.script import script_main
from vietlao.evaluation.schema import NerTagsPrediction
from vietlao.corpus.gazetteer import Matcher
from vietlao.spans import tag_chunks

from vietlao.models.common import KnowledgeNames

NAME, TASK, SEEDED = "gazetteer", "ner", False
USES_KB = True
MIN_TAGGED_SHARE = 0.5


def build(train: list[dict]) -> dict[tuple[str, ...], str]:
    """Token sequence -> type, from the training mentions."""
    types: dict[tuple[str, ...], Counter] = defaultdict(Counter)
    for r in train:
        for typ, a, b in tag_chunks(r["ner_tags"]):
            types[tuple(r["tokens"][a:b])][typ] += 1
    lengths = {len(k) for k in types}
    seen: Counter = Counter()
    for r in train:
        toks = r["tokens"]
        for n in lengths:
            for i in range(len(toks) - n + 1):
                key = tuple(toks[i : i + n])
                if key in types:
                    seen[key] += 1
    return {
        key: max(sorted(c), key=c.__getitem__)
        for key, c in types.items()
        if sum(c.values()) >= MIN_TAGGED_SHARE * seen[key]
    }


def predict(train: list[dict], test: list[dict], seed: int = 0, kb: list[dict] | None = None) -> list[NerTagsPrediction]:
    trained = {key: (typ, None) for key, typ in build(train).items()}
    names = KnowledgeNames(kb)
    by_lang = {lang: Matcher({**names.entries(lang), **trained}) for lang in {r["lang"] for r in test}}
    return [{"id": r["id"], "ner_tags": by_lang[r["lang"]].tags(r["tokens"])} for r in test]


if __name__ == "__main__":
    sys.exit(script_main(sys.modules[__name__]))
