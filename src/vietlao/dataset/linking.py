"""The ``linking`` config: one row per linkable mention, with the entity it refers to.

A row is a gold mention of a linkable type (:data:`vietlao.labels.LINKABLE_TYPES`), its sentence as
context, its offsets in the sentence and in the document, and the inventory ID it links to (the
``entities`` config is the knowledge base). The row ``id`` is ``<sentence_id>:<start>-<end>``
(sentence-relative, half-open code points): unique because gold mentions never overlap, and stable
when other mentions of the sentence change.

Which entities a system has *seen* depends on what it was trained on; :class:`SeenRule` names the
training rows (``train,validation``: splits; ``other-documents``: every other document, as in
leave-one-document-out; ``lang:vi``: one language) and :func:`seen_flags` says, per mention,
whether its entity is mentioned there. The card's statistics and the scorer use the same rule.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence, TypeVar

from vietlao.corpus.metadata import LANGUAGES
from vietlao.export.task import SentenceRecord
from vietlao.spans import Span
from vietlao.labels import LINKABLE_TYPES, SPLITS
from vietlao.dataset.rows import ARROW_SCHEMAS, TYPE_INDEX, splits_and_folds, write_rows
from vietlao.tables import markdown_table

Row = TypeVar("Row", bound=Mapping[str, Any])

CONFIG = "linking"
TYPE_NAMES = {i: t for t, i in TYPE_INDEX.items()}
OTHER_DOCUMENTS = "other-documents"


def mention_id(sentence_id: str, start: int, end: int) -> str:
    """``002-000:89-95``: the sentence id and the sentence-relative span."""
    return f"{sentence_id}:{start}-{end}"


def linking_row(record: SentenceRecord, mention: Span, fold: int) -> dict:
    return {
        "id": mention_id(record.sentence_id, mention.start, mention.end),
        "sentence_id": record.sentence_id, "doc_id": record.doc_id, "lang": record.lang,
        "mention": record.text[mention.start : mention.end],
        "start": mention.start, "end": mention.end,
        "doc_start": record.offset + mention.start, "doc_end": record.offset + mention.end,
        "type": TYPE_INDEX[mention.label], "context": record.text, "entity_id": mention.entity_id,
        "fold": fold,
    }


def linking_rows(records: Iterable[SentenceRecord], fold_of: Callable[[str], int]) -> list[dict]:
    """The rows of every linkable mention, in record then span order."""
    return [
        linking_row(r, m, fold_of(r.doc_id))
        for r in records
        for m in sorted(r.mentions, key=lambda m: m.start)
        if m.label in LINKABLE_TYPES
    ]


def write_linking(records: Sequence[SentenceRecord], out_dir: Path, split_of: Callable[[str], str],
                  fold_of: Callable[[str], int]) -> None:
    """``data/linking/<split>.arrow`` for every split (records sorted by sentence id)."""
    for split in SPLITS:
        rows = linking_rows((r for r in records if split_of(r.doc_id) == split), fold_of)
        write_rows(rows, out_dir / "data" / CONFIG / f"{split}.arrow", ARROW_SCHEMAS[CONFIG])


# --------------------------------------------------------------------------- seen / unseen


@dataclass(frozen=True)
class SeenRule:
    """What a system was trained on, to tell mentions of seen entities from unseen ones.

    ``kind`` is ``splits`` (``value``: the split names), ``documents`` (every document but the
    mention's own) or ``lang`` (``value``: the one training language).
    """

    kind: str
    value: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> "SeenRule":
        """``train,validation`` | ``other-documents`` | ``lang:vi``; ``ValueError`` otherwise."""
        text = text.strip()
        if text == OTHER_DOCUMENTS:
            return cls("documents")
        if text.startswith("lang:") and text[5:].strip():
            return cls("lang", (text[5:].strip(),))
        names = tuple(s.strip() for s in text.split(",") if s.strip())
        if names and all(s in SPLITS for s in names):
            return cls("splits", names)
        raise ValueError(
            f"unknown seen rule {text!r}: a comma list of splits ({', '.join(SPLITS)}), "
            f"{OTHER_DOCUMENTS}, or lang:<code>"
        )

    def __str__(self) -> str:
        if self.kind == "documents":
            return OTHER_DOCUMENTS
        return ("lang:" if self.kind == "lang" else "") + ",".join(self.value)

    def training(self, rows: Iterable[Row]) -> list[Row]:
        """The rows this rule trains on (all of them for ``documents``: filter per mention)."""
        if self.kind == "splits":
            return [r for r in rows if r["split"] in self.value]
        if self.kind == "lang":
            return [r for r in rows if r["lang"] in self.value]
        return list(rows)


def seen_flags(rule: SeenRule, gold: Sequence[dict], rows: Iterable[dict]) -> list[bool]:
    """Per gold mention: is its entity mentioned in the training rows of ``rule``?

    ``rows`` are every linking row (with ``split``); for ``other-documents`` a mention's own
    document does not count. A NIL gold mention (no ``entity_id``) is never seen.
    """
    docs_of: dict[str, set[str]] = {}
    for r in rule.training(rows):
        if r["entity_id"] is not None:
            docs_of.setdefault(r["entity_id"], set()).add(r["doc_id"])
    if rule.kind == "documents":
        return [bool(docs_of.get(g["entity_id"], set()) - {g["doc_id"]}) for g in gold]
    return [g["entity_id"] in docs_of for g in gold]


# --------------------------------------------------------------------------- card statistics


def _settings(rows: list[dict], langs: Sequence[str]) -> list[tuple[str, list[dict], SeenRule]]:
    """(label, test rows, training rule) of the card's seen/unseen table: the benchmark's protocols."""
    out = [
        ("fixed: test ← train + validation", [r for r in rows if r["split"] == "test"],
         SeenRule("splits", ("train", "validation"))),
        ("lodo: each document ← the other documents", rows, SeenRule("documents")),
    ]
    out += [(f"xling: {lang} ← vi", [r for r in rows if r["lang"] == lang], SeenRule("lang", ("vi",)))
            for lang in langs if lang != "vi"]
    return out


def statistics_block(rows: list[dict]) -> str:
    """Mentions per split and language, and per protocol the mentions of entities seen in training.

    ``rows``: every linking row, each with its ``split``; ``type`` as a name.
    """
    langs = [lang for lang in LANGUAGES if lang in {r["lang"] for r in rows}]
    by = Counter((r["split"], r["lang"]) for r in rows)
    types = sorted({r["type"] for r in rows}, key=list(TYPE_INDEX).index)
    by_type = Counter((r["type"], r["lang"]) for r in rows)
    entities = {lang: {r["entity_id"] for r in rows if r["lang"] == lang} for lang in langs}
    seen_table = []
    for label, test, rule in _settings(rows, langs):
        flags = seen_flags(rule, test, rows)
        seen_ids = {g["entity_id"] for g, f in zip(test, flags) if f}
        test_ids = {g["entity_id"] for g in test}
        seen_table.append([label, len(test), sum(flags), len(test) - sum(flags),
                           len(test_ids), len(seen_ids), len(test_ids - seen_ids)])
    parts = [
        "Linkable mentions (`linking`, one row each) per split and language:\n",
        markdown_table(["split", *langs, "all"], [
            [s, *(by[(s, lang)] for lang in langs), sum(by[(s, lang)] for lang in langs)] for s in SPLITS
        ]),
        "\nPer type and language, and distinct entities mentioned:\n",
        markdown_table(["type", *langs, "all"], [
            [t, *(by_type[(t, lang)] for lang in langs), sum(by_type[(t, lang)] for lang in langs)] for t in types
        ] + [["distinct entities", *(len(entities[lang]) for lang in langs),
              len({r["entity_id"] for r in rows})]]),
        "\nMentions whose entity is seen in the training data of each protocol (an entity is *seen* when "
        "a training mention links to it):\n",
        markdown_table(["protocol: test ← training", "mentions", "seen", "unseen",
                       "entities", "seen entities", "unseen entities"], seen_table),
    ]
    return "\n".join(parts) + "\n"


def card_block(records: Sequence[SentenceRecord]) -> str:
    """:func:`statistics_block` of the rows the build writes for ``records`` (the project's splits)."""
    split_of, fold_of = splits_and_folds()
    rows = [{**row, "split": split_of[row["doc_id"]], "type": TYPE_NAMES[row["type"]]}
            for row in linking_rows(sorted(records, key=lambda r: r.sentence_id), fold_of.__getitem__)]
    return statistics_block(rows)
