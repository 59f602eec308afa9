"""CPU time of the three tokenising routes on the corpus's sentences and on the Lao test text.

``tokenize`` (Token objects), ``token_offsets`` (one text, flat offsets: the export's per-task
conversion) and ``tokenize_texts`` (many texts at once: the streaming build). Each figure is the best
of five runs in CPU seconds (``time.process_time``), so other jobs on the machine disturb it less.

    .venv/bin/python benchmarks/segmentation/speed.py [--repeat 200]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from vietlao.corpus.documents import load_corpus
from vietlao.corpus.segment import segment, token_offsets, tokenize, tokenize_texts

LAO = Path(__file__).parents[2] / "tests" / "data" / "lao_leaders.txt"


def best_of(runs: int, fn) -> float:
    times = []
    for _ in range(runs):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200, help="copies of each text set (default: %(default)s)")
    args = parser.parse_args()
    sets = {
        "corpus sentences": [s.text for d in load_corpus() for s in d.sentences],
        "Lao test sentences": [s.text for s in segment(LAO.read_text(encoding="utf-8"))],
    }
    tokenize_texts(["warm-up ວຽງຈັນ"])  # character table and the Lao segmenter, once
    print("| texts | sentences | tokenize | token_offsets | tokenize_texts |")
    print("|---|---|---|---|---|")
    for name, texts in sets.items():
        texts = texts * args.repeat
        cells = [best_of(5, lambda: [tokenize(t) for t in texts]),
                 best_of(5, lambda: [token_offsets(t) for t in texts]),
                 best_of(5, lambda: tokenize_texts(texts))]
        print(f"| {name} | {len(texts)} | " + " | ".join(f"{c:.3f} s" for c in cells) + " |")


if __name__ == "__main__":
    main()
