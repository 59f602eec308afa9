"""Registry of stage subcommands; each stage module provides ``add_parser(subparsers)``."""

from __future__ import annotations

PARSERS: list = []
