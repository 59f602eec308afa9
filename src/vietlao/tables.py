"""Markdown tables: the one form of every report, card block and command-line summary."""

from __future__ import annotations

from typing import Sequence

from vietlao.errors import escape_controls


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table: floats with three decimals, other cells as text, ``|`` and control
    characters in a cell escaped (a value from the data cannot break a row or the terminal)."""
    def cell(value: object) -> str:
        return f"{value:.3f}" if isinstance(value, float) else escape_controls(str(value)).replace("|", "\\|")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows])
