"""The canonical entity inventory (``annotations/entities.yaml``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from vietlao.corpus.documents import CorpusError
from vietlao.labels import EntityType
from vietlao.paths import project


ID_PATTERN = r"^[a-z0-9_]+$"
#: Where each knowledge-base value was verified: a key per value (``lo`` for ``names.lo``).
SourceKey = Literal["wikidata", "enwiki", "lo"]


class CanonicalEntity(BaseModel):
    """One real-world entity, with the surface forms seen per language.

    ``wikidata`` (a QID), ``enwiki`` (an English Wikipedia title) and ``names`` (names in languages the
    corpus does not hold yet, e.g. ``lo``) are present only where verified; ``sources`` gives, per value,
    the URL it was verified against. ``aliases`` are former IDs of the entity.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=ID_PATTERN)
    type: EntityType
    name: str
    forms: dict[str, list[str]] = Field(default_factory=dict)
    aliases: list[Annotated[str, Field(pattern=ID_PATTERN)]] = Field(default_factory=list)
    wikidata: str | None = Field(default=None, pattern=r"^Q[1-9][0-9]*$")
    enwiki: str | None = Field(default=None, min_length=1)
    names: dict[str, str] = Field(default_factory=dict)
    sources: dict[SourceKey, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _sourced(self) -> "CanonicalEntity":
        values = {"wikidata": self.wikidata, "enwiki": self.enwiki, "lo": self.names.get("lo")}
        unsourced = sorted(k for k, v in values.items() if v and not self.sources.get(k))
        if unsourced:
            raise ValueError(f"{self.id}: no source for {', '.join(unsourced)}")
        orphaned = sorted(k for k in self.sources if not values[k])
        if orphaned:
            raise ValueError(f"{self.id}: a source without a value for {', '.join(orphaned)}")
        return self


def load_inventory(path: Path | None = None) -> dict[str, CanonicalEntity]:
    """Entities by ID (default: the project's ``annotations/entities.yaml``); duplicate IDs are an error."""
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
            raise CorpusError(f"{path}: bad entity {row.get('id') if isinstance(row, dict) else row!r}: {exc}") from exc
        if entity.id in inventory:
            raise CorpusError(f"{path}: duplicate entity id {entity.id!r}")
        inventory[entity.id] = entity
    alias_map(inventory, path)
    qids: dict[str, str] = {}
    for entity in inventory.values():
        if entity.wikidata and qids.setdefault(entity.wikidata, entity.id) != entity.id:
            raise CorpusError(f"{path}: {entity.wikidata} is the QID of both {qids[entity.wikidata]!r} and {entity.id!r}")
    return inventory


def alias_map(inventory: dict[str, CanonicalEntity], path: Path | None = None) -> dict[str, str]:
    """Former ID -> current ID, for scoring predictions made with an older inventory.

    An alias may not be a current ID nor the alias of two entries.
    """
    path = path or project().inventory
    aliases: dict[str, str] = {}
    for entity in inventory.values():
        for old in entity.aliases:
            if old in inventory:
                raise CorpusError(f"{path}: alias {old!r} of {entity.id!r} is a current entity id")
            if aliases.setdefault(old, entity.id) != entity.id:
                raise CorpusError(f"{path}: alias {old!r} belongs to both {aliases[old]!r} and {entity.id!r}")
    return aliases


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
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)


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


def _run(args) -> int:
    from vietlao.export.validate import validate_gold

    records = validate_gold(Path(args.export) if args.export else None)
    inventory = with_forms(load_inventory(), records)
    unused = sorted(eid for eid, e in inventory.items() if not e.forms)
    dump_inventory(inventory)
    print(f"{project().inventory}: {len(inventory)} entities, forms refreshed from {args.export or project().export}")
    if unused:
        print(f"  not mentioned in the gold: {', '.join(unused)}")
    return 0


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("inventory", help="refresh the surface forms in annotations/entities.yaml from the export")
    p.add_argument("--export", default=None, help="Label Studio JSON export (default: annotations/export.json)")
    p.set_defaults(func=_run)
