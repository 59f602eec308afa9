"""What the baselines share: token features and the command line that writes a predictions file."""

from __future__ import annotations

import argparse
import unicodedata
from functools import lru_cache
from collections.abc import Callable, Sequence

from vietlao.evaluation.evaluate import load_gold, write_predictions


def shape(word: str) -> str:
    """Word shape with runs collapsed: ``Vientiane`` → ``Xx``, ``17/01`` → ``d/d``."""
    out = []
    for ch in word:
        cat = unicodedata.category(ch)
        if cat in ("Lu", "Lt"):
            s = "X"
        elif cat[0] in "LM":
            s = "x"
        else:
            s = "d" if cat == "Nd" else ch
        if not out or out[-1] != s:
            out.append(s)
    return "".join(out)


def _word(word: str, prefix: str) -> dict[str, object]:
    lower = word.lower()
    return {
        f"{prefix}lower": lower,
        f"{prefix}shape": shape(word),
        f"{prefix}title": word[:1].isupper(),
        f"{prefix}upper": word.isupper() and len(word) > 1,
    }


def token_features(tokens: Sequence[str], i: int) -> dict[str, object]:
    """Features of token ``i``: the word, its shape and affixes, and a ±2 window of neighbours."""
    word = tokens[i]
    feats: dict[str, object] = {"bias": 1.0, **_word(word, "")}
    feats.update({
        "pre2": word[:2].lower(), "pre3": word[:3].lower(),
        "suf2": word[-2:].lower(), "suf3": word[-3:].lower(),
        "digit": word.isdigit(), "alpha": word.isalpha(), "len": min(len(word), 8) / 8,
        "first": i == 0,
    })
    for off in (-2, -1, 1, 2):
        j = i + off
        if 0 <= j < len(tokens):
            feats.update(_word(tokens[j], f"{off:+d}:"))
        else:
            feats[f"{off:+d}:pad"] = True
    return feats


def sentence_features(tokens: Sequence[str]) -> list[dict[str, object]]:
    """Features of every token (cached: the protocols featurise the same sentences many times)."""
    return _cached_features(tuple(tokens))


@lru_cache(maxsize=4096)
def _cached_features(tokens: tuple[str, ...]) -> list[dict[str, object]]:
    return [token_features(tokens, i) for i in range(len(tokens))]


def repair_iob2(tags: Sequence[str]) -> list[str]:
    """Turn an ``I-T`` that continues nothing of type T into ``B-T`` (a classifier's usual slip)."""
    out: list[str] = []
    for tag in tags:
        if tag.startswith("I-") and (not out or out[-1] == "O" or out[-1][2:] != tag[2:]):
            tag = "B-" + tag[2:]
        out.append(tag)
    return out


def script_main(task: str, predict: Callable[..., list[dict]], argv: list[str] | None = None) -> int:
    """``--train SPLITS --test SPLITS --out FILE``: train, predict, write the predictions file."""
    p = argparse.ArgumentParser(description="train a baseline and write its predictions (JSONL)")
    p.add_argument("--train", default="train,validation", help="split(s) to train on (default: %(default)s)")
    p.add_argument("--test", default="test", help="split(s) to predict (default: %(default)s)")
    p.add_argument("--out", required=True, help="predictions file to write")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dataset", default=None, help="dataset folder (default: dataset in the project root)")
    args = p.parse_args(argv)
    train = load_gold(task, args.train, args.dataset)
    test = load_gold(task, args.test, args.dataset)
    path = write_predictions(args.out, predict(train, test, seed=args.seed))
    print(f"{len(test)} predictions written to {path}")
    return 0
