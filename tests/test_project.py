"""Project settings: guidelines as instructions, pass titles, in-place context refresh."""

import pytest

from vietlao.corpus.inventory import load_inventory
from vietlao.errors import UserError
from vietlao.label_config import render_label_config
from vietlao.labelstudio.project import (
    instructions_html, pass_title, plan_data_updates, project_settings, stale_settings,
)


def test_guidelines_render_to_html_with_headings_and_tables():
    html = instructions_html()
    assert html.startswith("<h1>Annotation guidelines") and "<table>" in html and "<h2>" in html


def test_raw_html_in_the_guidelines_is_escaped(tmp_path):
    md = tmp_path / "g.md"
    md.write_text("# T\n\n<script>alert(1)</script>\n", encoding="utf-8")
    assert "<script>" not in instructions_html(md) and "&lt;script&gt;" in instructions_html(md)


def test_missing_guidelines_is_one_clear_error(tmp_path):
    with pytest.raises(UserError, match="cannot read the guidelines"):
        instructions_html(tmp_path / "missing.md")


def test_pass_titles():
    assert pass_title("vietlao", 1) == "vietlao" and pass_title("vietlao", 2) == "vietlao-pass2"
    with pytest.raises(UserError, match="--pass"):
        pass_title("vietlao", 3)


def test_settings_carry_the_generated_config_and_shown_instructions():
    settings = project_settings(load_inventory())
    assert settings["label_config"] == render_label_config(load_inventory()) and settings["show_instruction"] is True
    current = dict(settings, label_config=settings["label_config"] + "\n", show_instruction=False)
    assert stale_settings(current, settings) == {"show_instruction": True}


def test_context_is_refreshed_in_place_and_a_changed_sentence_is_reported_not_rewritten():
    wanted = [
        {"text": "A b.", "doc_id": "000", "sentence_id": "000-000", "lang": "nb", "offset": 0, "context_after": "C d."},
        {"text": "C d.", "doc_id": "000", "sentence_id": "000-001", "lang": "nb", "offset": 5, "context_after": ""},
        {"text": "E f.", "doc_id": "000", "sentence_id": "000-002", "lang": "nb", "offset": 10, "context_after": ""},
    ]
    old_style = {k: v for k, v in wanted[0].items() if k != "context_after"}
    existing = {
        "000-000": [{"id": 11, "data": old_style}],
        "000-001": [{"id": 12, "data": dict(wanted[1], text="C e.")}],
        "000-002": [{"id": 13, "data": dict(wanted[2])}],
    }
    updates, drifted = plan_data_updates(existing, wanted)
    assert updates == {11: wanted[0]} and drifted == ["000-001"]
