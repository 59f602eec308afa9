"""NER baseline: a gazetteer of training mentions, matched longest-first over tokens.

Every gold mention in training (its token sequence, exact case) enters the gazetteer with its
most frequent type, unless the same token sequence occurs untagged in training more often than
tagged (``Nam`` alone, say). Matching scans left to right and takes the longest entry at each
position; matched tokens are not matched again.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict

from vietlao.spans import tag_chunks

from vietlao.benchmark.baselines.common import script_main

NAME, TASK, SEEDED = "gazetteer", "ner", False
MIN_TAGGED_SHARE = 0.5


def build(train: list[dict]) -> dict[tuple[str, ...], str]:
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


def tag(tokens: list[str], gazetteer: dict[tuple[str, ...], str], longest: int) -> list[str]:
    tags, i = ["O"] * len(tokens), 0
    while i < len(tokens):
        for n in range(min(longest, len(tokens) - i), 0, -1):
            label = gazetteer.get(tuple(tokens[i : i + n]))
            if label:
                tags[i : i + n] = [f"B-{label}"] + [f"I-{label}"] * (n - 1)
                i += n
                break
        else:
            i += 1
    return tags


def predict(train: list[dict], test: list[dict], seed: int = 0) -> list[dict]:
    gazetteer = build(train)
    longest = max((len(k) for k in gazetteer), default=0)
    return [{"id": r["id"], "ner_tags": tag(r["tokens"], gazetteer, longest)} for r in test]


if __name__ == "__main__":
    sys.exit(script_main(TASK, predict))
