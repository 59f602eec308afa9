"""``vietlao validate``, ``vietlao inventory`` and ``vietlao migrate``: argparse wiring for the commands
that read an export."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from vietlao.corpus.inventory import dump_inventory, load_inventory, with_forms
from vietlao.export.validate import validate_gold
from vietlao.files import given
from vietlao.labelstudio.restore import migrate_export
from vietlao.paths import project


def _export(args: argparse.Namespace) -> Path:
    return given(args.export, "the export argument") or project().export


def _run_validate(args: argparse.Namespace) -> int:
    export = _export(args)
    records = validate_gold(export, complete=not args.partial)
    mentions = Counter(m.label for r in records for m in r.mentions)
    stances = Counter(r.stance for r in records)
    print(f"{export}: valid — {len(records)} sentences, {sum(mentions.values())} mentions")
    print("  mentions: " + ", ".join(f"{k} {mentions[k]}" for k in sorted(mentions)))
    print("  stance:   " + ", ".join(f"{k} {stances[k]}" for k in sorted(stances)))
    return 0


def _run_inventory(args: argparse.Namespace) -> int:
    export = _export(args)
    inventory = with_forms(load_inventory(), validate_gold(export))
    unused = sorted(eid for eid, e in inventory.items() if not e.forms)
    dump_inventory(inventory)
    print(f"{project().inventory}: {len(inventory)} entities, forms refreshed from {export}")
    if unused:
        print(f"  not mentioned in the gold: {', '.join(unused)}")
    return 0


def _run_migrate(args: argparse.Namespace) -> int:
    export = _export(args)
    converted = migrate_export(export)
    if converted:
        print(f"{export}: {converted} entity IDs converted to the picker's form (run `vietlao validate`)")
    else:
        print(f"{export}: every entity ID is already in the picker's form; left unchanged")
    return 0


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("validate", help="check a Label Studio JSON export (default: the committed one)")
    p.add_argument("export", nargs="?", default=None, help="export file (default: annotations/export.json)")
    p.add_argument("--partial", action="store_true",
                   help="do not require a task for every sentence (exports pulled without --complete)")
    p.set_defaults(func=_run_validate)

    p = subparsers.add_parser("inventory", help="refresh the surface forms in annotations/entities.yaml from the export")
    p.add_argument("--export", default=None, help="Label Studio JSON export (default: annotations/export.json)")
    p.set_defaults(func=_run_inventory)

    p = subparsers.add_parser(
        "migrate", help="convert an export's entity IDs to the entity picker's form (free-text ones of older exports)",
        description="Rewrite the export (atomically; unchanged if nothing to convert) with every entity ID as the "
        "entity picker's per-region choice, the one form the labelling config and the reader have. Offsets, labels, "
        "IDs and everything else stay as they are, so the built dataset does not change.")
    p.add_argument("export", nargs="?", default=None, help="export file (default: annotations/export.json)")
    p.set_defaults(func=_run_migrate)
