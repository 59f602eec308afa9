"""Label vocabularies, as data: entity types, tagging scheme, stance classes, dataset splits."""

from __future__ import annotations

from typing import Literal, get_args

EntityType = Literal["PER", "ORG", "GPE", "LOC", "EVENT", "DATE", "MONEY", "MISC"]
StanceLabel = Literal["favor", "against", "neutral", "unrelated"]
CoarseType = Literal["PER", "ORG", "LOC", "MISC"]
#: A document's split; reports of one event share a split.
Split = Literal["train", "validation", "test"]

ENTITY_TYPES: tuple[str, ...] = get_args(EntityType)
STANCE_LABELS: tuple[str, ...] = get_args(StanceLabel)
COARSE_TYPES: tuple[str, ...] = get_args(CoarseType)
SPLITS: tuple[str, ...] = get_args(Split)

#: Types whose mentions carry a canonical cross-lingual ``entity_id``.
LINKABLE_TYPES: frozenset[str] = frozenset({"PER", "ORG", "GPE", "LOC", "EVENT"})

#: Fine type -> CoNLL coarse type (``None``: not an entity in the coarse set).
COARSE_OF: dict[str, str | None] = {
    "PER": "PER",
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
    "EVENT": "MISC",
    "MISC": "MISC",
    "DATE": None,
    "MONEY": None,
}

STANCE_TARGET = "Vietnam–Laos relations"


def iob2_tags(types: tuple[str, ...]) -> tuple[str, ...]:
    """The IOB2 tag set over ``types``: ``O`` first, then ``B-T``, ``I-T`` per type."""
    return ("O",) + tuple(f"{p}-{t}" for t in types for p in ("B", "I"))


NER_TAGS: tuple[str, ...] = iob2_tags(ENTITY_TYPES)
NER_TAGS_COARSE: tuple[str, ...] = iob2_tags(COARSE_TYPES)
