"""Shared plumbing for the off-the-shelf peer runners: sentences in, predictions JSONL out.

Predictions follow the project's documented format, one JSON object per sentence::

    {"id": "<sentence id>", "entities": [{"start": s, "end": e, "label": "PER"}, ...]}

with sentence-relative, half-open character offsets (Python ``str`` indices) and labels from the
coarse CoNLL set PER/ORG/LOC/MISC.
"""

from __future__ import annotations

import importlib
import json
import os
import unicodedata
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from vietlao.paths import project


def offline() -> None:
    """The peers must never reach a model hub (everything they use ships inside their packages): set
    before a tool is imported, not when this module is."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


COARSE_LABELS = ("PER", "ORG", "LOC", "MISC")


@dataclass(frozen=True, slots=True)
class SentenceRow:
    """One sentence to tag: its id, language and text."""

    id: str
    lang: str
    text: str


def _sentences_from_dataset(lang: str) -> list[SentenceRow] | None:
    """Sentences of ``lang`` from the built dataset (all splits), or None if it is not built."""
    root = project().dataset
    if not any((root / "data" / "ner").glob("*.arrow")):
        return None
    try:
        import datasets

        loaded = datasets.load_dataset(str(root), "ner")
    except Exception:  # noqa: BLE001 - a half-built dataset falls back to the corpus
        return None
    rows: dict[str, SentenceRow] = {}
    for split in loaded.values():
        for row in split:
            if row["lang"] == lang:
                rows[row["id"]] = SentenceRow(row["id"], row["lang"], row["text"])
    return [rows[k] for k in sorted(rows)]


def _sentences_from_corpus(lang: str) -> list[SentenceRow]:
    from vietlao.corpus.documents import load_corpus

    out = []
    for doc in load_corpus():
        if doc.meta.lang != lang:
            continue
        for i, sentence in enumerate(doc.sentences):
            out.append(SentenceRow(doc.sentence_id(i), lang, sentence.text))
    return out


def load_sentences(lang: str, source: str = "auto") -> tuple[list[SentenceRow], str]:
    """The sentences of ``lang`` in id order, and where they came from (``dataset``/``corpus``).

    ``source="auto"`` prefers the built dataset and falls back to the corpus, which yields the
    same ids and texts by construction.
    """
    if source in ("auto", "dataset"):
        rows = _sentences_from_dataset(lang)
        if rows is not None:
            return rows, "dataset"
        if source == "dataset":
            raise FileNotFoundError("dataset/data/ner/*.arrow is not built")
    return _sentences_from_corpus(lang), "corpus"


def check_entities(text: str, entities: Sequence[dict]) -> None:
    """Raise ValueError unless ``entities`` are valid, sorted, non-overlapping spans of ``text``."""
    previous_end = 0
    for e in entities:
        s, t, label = e["start"], e["end"], e["label"]
        if label not in COARSE_LABELS:
            raise ValueError(f"label {label!r} is not coarse")
        if not (0 <= s < t <= len(text)):
            raise ValueError(f"span [{s}, {t}) outside a text of length {len(text)}")
        if s < previous_end:
            raise ValueError(f"span [{s}, {t}) overlaps the previous one")
        if text[s].isspace() or text[t - 1].isspace():
            raise ValueError(f"span [{s}, {t}) = {text[s:t]!r} starts or ends with whitespace")
        previous_end = t


def write_predictions(
    rows: Iterable[SentenceRow],
    predict: Callable[[str], list[dict]],
    path: Path,
) -> int:
    """Tag every sentence with ``predict`` and write the JSONL; returns the number of lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for row in rows:
            entities = predict(row.text)
            check_entities(row.text, entities)
            handle.write(json.dumps({"id": row.id, "entities": entities}, ensure_ascii=False) + "\n")
            n += 1
    return n


def fold(text: str) -> str:
    """Case- and diacritic-insensitive form of ``text`` with one character per input character.

    Used to re-find a token that the tool normalised (e.g. ``hoà`` -> ``hòa``, ``ð`` -> ``đ``).
    """
    out = []
    for ch in text:
        base = unicodedata.normalize("NFD", ch)
        base = "".join(c for c in base if not unicodedata.combining(c)) or ch
        base = base.replace("đ", "d").replace("Đ", "D").replace("ð", "d").replace("Ð", "D")
        out.append(base[0].lower()[0])
    return "".join(out)


def available(runner) -> bool:
    """Whether the runner's tool (the package named ``runner.TOOL``) imports."""
    offline()
    try:
        importlib.import_module(runner.TOOL)
    except ImportError:
        return False
    return True


def version(runner) -> str:
    """The installed version of the runner's tool."""
    return metadata.version(runner.TOOL)


def run_runner(runner, out_path: Path, source: str = "auto", **extra) -> dict:
    """Tag every sentence of ``runner.LANG`` with ``runner.predict``, write ``out_path``; what was run on what."""
    offline()
    rows, origin = load_sentences(runner.LANG, source)
    n = write_predictions(rows, runner.predict, out_path)
    return {
        "system": runner.TOOL, "tool_version": version(runner), "model": runner.MODEL,
        "lang": runner.LANG, "n_sentences": n, "sentences_from": origin,
        "predictions": str(out_path), **{k: v() if callable(v) else v for k, v in extra.items()},
    }


def runner_main(runner, argv: list[str]) -> int:
    """``python <runner>.py OUT.jsonl``."""
    if len(argv) != 1:
        print(runner.__doc__, file=sys.stderr)
        return 2
    print(runner.run(Path(argv[0])))
    return 0
