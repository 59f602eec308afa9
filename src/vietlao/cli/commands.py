"""Subcommand modules; each defines ``add_parser(subparsers)`` next to the stage it runs."""

from __future__ import annotations

import importlib

MODULES = [
    "vietlao.benchmark.run",
]


def add_parsers(subparsers) -> None:
    for name in MODULES:
        importlib.import_module(name).add_parser(subparsers)
