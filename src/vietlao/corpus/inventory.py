"""The canonical entity inventory (``annotations/entities.yaml``)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from vietlao.files import atomic_write
from vietlao.corpus.documents import CorpusError
from vietlao.labels import EntityType
from vietlao.paths import project


ENTITY_ID_PATTERN = r"^[a-z0-9_]+$"


class CanonicalEntity(BaseModel):
    """One real-world entity, with the surface forms seen per language.

    Optional knowledge-base fields: ``wikidata`` (a verified QID), ``enwiki`` (English Wikipedia
    title), ``names`` (the name in languages not in the corpus, e.g. ``lo``), ``sources`` (where
    each value was verified: ``wikidata``, ``enwiki`` or a language code -> URL) and ``aliases``
    (former IDs of this entity; a scorer maps an alias to ``id``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=ENTITY_ID_PATTERN)
    type: EntityType
    name: str
    forms: dict[str, list[str]] = Field(default_factory=dict)
    wikidata: str | None = Field(default=None, pattern=r"^Q[0-9]+$")
    enwiki: str | None = None
    names: dict[str, str] = Field(default_factory=dict)
    sources: dict[str, str] = Field(default_factory=dict)
    aliases: list[str] = Field(default_factory=list)

    @field_validator("aliases")
    @classmethod
    def _alias_pattern(cls, aliases: list[str]) -> list[str]:
        bad = [a for a in aliases if not re.fullmatch(ENTITY_ID_PATTERN, a)]
        if bad:
            raise ValueError(f"aliases {bad} do not match {ENTITY_ID_PATTERN}")
        return aliases

    @model_validator(mode="after")
    def _every_value_sourced(self) -> "CanonicalEntity":
        """Each knowledge-base value has the URL it was verified against, and each source a value."""
        values = {"wikidata": self.wikidata, "enwiki": self.enwiki, **self.names}
        unsourced = sorted(k for k, v in values.items() if v and not self.sources.get(k))
        if unsourced:
            raise ValueError(f"{self.id}: no source for {', '.join(unsourced)}")
        orphaned = sorted(k for k in self.sources if not values.get(k))
        if orphaned:
            raise ValueError(f"{self.id}: a source without a value for {', '.join(orphaned)}")
        return self


def load_inventory(path: Path | None = None) -> dict[str, CanonicalEntity]:
    """Entities by ID (default: the project's ``annotations/entities.yaml``); a duplicate ID, an
    alias that is an ID or another entity's alias, or a QID given to two entities is an error."""
    path = path or project().inventory
    try:
        rows = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except (OSError, yaml.YAMLError) as exc:
        raise CorpusError(f"{path}: cannot read the entity inventory: {exc}") from exc
    inventory: dict[str, CanonicalEntity] = {}
    for row in rows:
        try:
            entity = CanonicalEntity.model_validate(row)
        except ValidationError as exc:
            name = row.get("id") if isinstance(row, dict) else row
            raise CorpusError(f"{path}: bad entity {name!r}: {exc}") from exc
        if entity.id in inventory:
            raise CorpusError(f"{path}: duplicate entity id {entity.id!r}")
        inventory[entity.id] = entity
    owner: dict[str, str] = {}
    for entity in inventory.values():
        for alias in entity.aliases:
            if alias in inventory or alias in owner:
                other = alias if alias in inventory else owner[alias]
                raise CorpusError(f"{path}: alias {alias!r} of {entity.id!r} is already used by {other!r}")
            owner[alias] = entity.id
    qids: dict[str, str] = {}
    for entity in inventory.values():
        if entity.wikidata and qids.setdefault(entity.wikidata, entity.id) != entity.id:
            raise CorpusError(f"{path}: {entity.wikidata} is the QID of both {qids[entity.wikidata]!r} and {entity.id!r}")
    return inventory


def alias_map(inventory: dict[str, CanonicalEntity]) -> dict[str, str]:
    """Former ID -> current ID, over the whole inventory."""
    return {alias: e.id for e in inventory.values() for alias in e.aliases}


def dump_inventory(inventory: dict[str, CanonicalEntity], path: Path | None = None) -> None:
    """Write the inventory atomically, one flow mapping per entity, sorted by type then ID."""
    path = path or project().inventory
    lines = [
        "# Canonical entity inventory: one ID per real-world entity across languages.",
        "# `forms`: surface forms seen in the gold annotations per language (`vietlao inventory`).",
    ]
    for e in sorted(inventory.values(), key=lambda e: (e.type, e.id)):
        row = e.model_dump(exclude_defaults=True)
        lines.append("- " + yaml.safe_dump(row, allow_unicode=True, default_flow_style=True, width=10**6).strip())
    atomic_write(path, "\n".join(lines) + "\n")


def with_forms(inventory: dict[str, CanonicalEntity], records) -> dict[str, CanonicalEntity]:
    """The inventory with ``forms`` replaced by the surface forms seen in ``records``, per language."""
    seen: dict[str, dict[str, set]] = {}
    for r in records:
        for m in r.mentions:
            if m.entity_id:
                seen.setdefault(m.entity_id, {}).setdefault(r.lang, set()).add(r.text[m.start : m.end])
    return {
        eid: e.model_copy(update={"forms": {lang: sorted(f) for lang, f in sorted(seen.get(eid, {}).items())}})
        for eid, e in inventory.items()
    }
