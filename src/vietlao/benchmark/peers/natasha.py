"""natasha (Russian NER; PER/LOC/ORG) as an off-the-shelf peer.

natasha's NER is slovnet's ``slovnet_ner_news_v1`` over navec's ``navec_news_v1_1B_250K_300d_100q``
embeddings; both ship inside the ``natasha`` wheel, so nothing is downloaded at run time. Each
sentence is tagged on its own; natasha returns character spans (``start``/``stop``) into the text it
was given, which are the sentence-relative offsets the project's format asks for.

    python -m vietlao.benchmark.peers.natasha OUT.jsonl
"""

from __future__ import annotations

import sys
from pathlib import Path

from vietlao.benchmark.peers.common import run_runner, runner_main

TOOL = "natasha"
LANG = "ru"
MODEL = "slovnet_ner_news_v1 + navec_news_v1_1B_250K_300d_100q (bundled in the wheel)"

#: natasha type -> coarse CoNLL type. natasha has no MISC.
LABEL_MAP = {"PER": "PER", "LOC": "LOC", "ORG": "ORG"}

_PIPELINE = None


def _pipeline():
    global _PIPELINE
    if _PIPELINE is None:
        from natasha import NewsEmbedding, NewsNERTagger, Segmenter

        _PIPELINE = (Segmenter(), NewsNERTagger(NewsEmbedding()))
    return _PIPELINE


def predict(text: str) -> list[dict]:
    """Coarse entity spans of one sentence, sentence-relative and sorted."""
    from natasha import Doc

    segmenter, tagger = _pipeline()
    doc = Doc(text)
    doc.segment(segmenter)
    doc.tag_ner(tagger)
    entities = []
    for span in doc.spans:
        label = LABEL_MAP.get(span.type)
        if label is None:
            continue
        if text[span.start : span.stop] != span.text:
            raise ValueError(f"natasha span {span!r} does not match the text")
        entities.append({"start": span.start, "end": span.stop, "label": label})
    entities.sort(key=lambda e: (e["start"], e["end"]))
    return entities


def word_offsets(text: str) -> list[tuple[int, int]]:
    """Offsets of natasha's (razdel's) tokens in ``text``: the edges its spans can have."""
    from natasha import Doc

    segmenter, _ = _pipeline()
    doc = Doc(text)
    doc.segment(segmenter)
    return [(t.start, t.stop) for t in doc.tokens]


def run(out_path: Path, source: str = "auto") -> dict:
    """Tag every sentence of the language, write ``out_path``; returns what was run on what."""
    return run_runner(sys.modules[__name__], out_path, source)


def main(argv: list[str]) -> int:
    return runner_main(sys.modules[__name__], argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
