"""Subcommand modules; each defines ``add_parser(subparsers)`` next to the stage it runs."""

from __future__ import annotations

import importlib

MODULES = [
    "vietlao.validate",
    "vietlao.ls_commands",
    "vietlao.agreement",
    "vietlao.build",
    "vietlao.inventory",
    "vietlao.evaluate",
    "vietlao.benchmark",
]


def add_parsers(subparsers) -> None:
    for name in MODULES:
        importlib.import_module(name).add_parser(subparsers)
