"""The report as one self-contained HTML file: Jinja2 templates (package data), CSS and script inline.

Nothing is fetched when the page opens (no font, script or style from the network; system fonts that
cover Latin, Cyrillic and Lao); numbers are written from the scorer's output by the template.
"""

from __future__ import annotations

from pathlib import Path

from vietlao.errors import UserError
from vietlao.files import atomic_write
from vietlao.report.text import slug


def _environment():
    try:
        import jinja2
    except ImportError:
        raise UserError("the HTML report needs jinja2: install the 'bench' extra (pip install -e '.[bench]')") from None
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("vietlao.report", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
    )
    env.filters["slug"] = slug
    return env


def render(model: dict) -> str:
    """The HTML text of a report model (:func:`vietlao.report.build.build_report`)."""
    return _environment().get_template("report.html.j2").render(**model)


def write_html(model: dict, output: Path | str) -> Path:
    """Render ``model`` into ``output``, written whole or not at all."""
    output = Path(output)
    if output.is_dir():
        raise UserError(f"--output {output}: is a folder; name the HTML file to write")
    atomic_write(output, render(model), mode=0o644)
    return output
