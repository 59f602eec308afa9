"""The canonical entity inventory (``annotations/entities.yaml``)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from vietlao.files import atomic_write
from vietlao.corpus.documents import CorpusError
from vietlao.corpus.metadata import LANGUAGES
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
            where = ", ".join(f"names.{k}" if k in self.names else k for k in unsourced)
            raise ValueError(f"{where} has no source: add sources: {{{unsourced[0]}: URL}}, the page the value "
                             "was verified against")
        orphaned = sorted(k for k in self.sources if not values.get(k))
        if orphaned:
            raise ValueError(f"sources.{orphaned[0]} has no value: remove it, or add the value it sources")
        unknown = sorted(set(self.names) - set(LANGUAGES))
        if unknown:
            raise ValueError(f"names.{unknown[0]}: not a language code; allowed: {', '.join(LANGUAGES)}")
        return self


#: The fields every inventory entry must have.
REQUIRED_ENTITY_FIELDS = tuple(n for n, f in CanonicalEntity.model_fields.items() if f.is_required())


def entity_problem(path: Path, row: object, exc: ValidationError) -> str:
    """One line for the first problem of one inventory entry: which entity, which field, the fix."""
    name = row.get("id") if isinstance(row, dict) else row
    err = exc.errors(include_url=False)[0]
    field = ".".join(str(x) for x in err["loc"]) or "entry"
    if err["type"] == "value_error":
        problem = str(err["ctx"]["error"])
    elif err["type"] == "missing":
        problem = f"{field} is missing; every entity has {', '.join(REQUIRED_ENTITY_FIELDS)}"
    elif err["type"] == "literal_error" or err["type"] == "enum":
        problem = f"{field} {err['input']!r} is not allowed; allowed values: {err['ctx']['expected']}"
    elif err["type"] == "string_pattern_mismatch":
        problem = f"{field} {err['input']!r} does not match {err['ctx']['pattern']}"
    elif err["type"] == "extra_forbidden":
        problem = f"{field} is not an inventory field; the fields are {', '.join(CanonicalEntity.model_fields)}"
    else:
        problem = f"{field}: {err['msg']}"
    return f"{path}: entity {name!r}: {problem}"


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
            raise CorpusError(entity_problem(path, row, exc)) from None
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
