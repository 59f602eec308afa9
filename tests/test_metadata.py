import json
import shutil
import subprocess
import sys

import pytest

from vietlao.paths import project
from vietlao.corpus.metadata import LANGUAGE_NAMES, LANGUAGES, CorpusError, CorpusLayout, load_metadata
from vietlao.labels import SPLITS

#: Reads the project's corpus, export or dataset: also run on an extended copy (tests/test_extension.py).
pytestmark = pytest.mark.corpus

METADATA_FILE = project().metadata
ROWS = json.loads(METADATA_FILE.read_text(encoding="utf-8"))


def _write(tmp_path, rows):
    path = tmp_path / "metadata.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return path


def test_every_language_has_a_name():
    assert set(LANGUAGE_NAMES) == set(LANGUAGES)
    assert {"lo", "th", "km"} <= set(LANGUAGES)


@pytest.mark.parametrize(
    "field, value, allowed",
    [("lang", "xx", LANGUAGES), ("split", "dev", SPLITS), ("translated_from", "fr", LANGUAGES)],
)
def test_a_value_outside_a_vocabulary_is_one_line_naming_entry_and_allowed_values(tmp_path, field, value, allowed):
    rows = [dict(r) for r in ROWS]
    rows[2][field] = value
    path = _write(tmp_path, rows)
    with pytest.raises(CorpusError) as err:
        load_metadata(path)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: entry 3 (doc_id {rows[2]['doc_id']}): {field} {value!r} is not allowed")
    assert message.endswith("allowed values: " + ", ".join(allowed))


def test_other_problems_are_one_line_too(tmp_path):
    rows = [dict(r) for r in ROWS]
    del rows[0]["sha256"]
    rows.append("not an entry")
    with pytest.raises(CorpusError, match=r"entry 1 \(doc_id 000\): sha256 is missing; every entry has doc_id, "):
        load_metadata(_write(tmp_path, rows))


def test_reports_of_one_event_share_a_split(tmp_path):
    rows = [dict(r) for r in ROWS]
    event_docs = [r for r in rows if r.get("event")]
    assert len(event_docs) >= 2, "the corpus records at least one event reported twice"
    event_docs[0]["split"] = next(s for s in SPLITS if s != event_docs[1]["split"])
    with pytest.raises(CorpusError, match="must share a split"):
        load_metadata(_write(tmp_path, rows))


def test_layout_is_derived_from_the_metadata():
    layout = CorpusLayout.read(METADATA_FILE)
    assert layout.doc_ids == tuple(sorted(r["doc_id"] for r in ROWS))
    assert set(layout.languages) == {r["lang"] for r in ROWS}
    assert list(layout.languages) == [lang for lang in LANGUAGES if lang in layout.languages]
    assert sorted(layout.fold_of.values()) == list(range(len(ROWS)))
    assert {d for s in SPLITS for d in layout.docs_in(s)} == set(layout.doc_ids)
    for docs in layout.event_groups.values():
        assert len({layout.split_of[d] for d in docs}) == 1


def test_a_new_language_from_the_vocabulary_is_accepted(tmp_path):
    rows = [dict(r) for r in ROWS] + [dict(ROWS[0], doc_id="999", lang="lo", is_translation=False,
                                              translated_from=None, event=None)]
    layout = CorpusLayout(tuple(load_metadata(_write(tmp_path, rows))))
    assert "lo" in layout.languages and layout.fold_of["999"] == len(ROWS)


@pytest.mark.parametrize("field, value", [("lang", "xx"), ("split", "dev")])
def test_the_command_line_says_one_line_and_help_still_works(tmp_path, field, value):
    shutil.copytree(project().documents, tmp_path / "annotations" / "documents")
    rows = [dict(r) for r in ROWS]
    rows[-1][field] = value
    (tmp_path / "annotations" / "documents" / "metadata.json").write_text(json.dumps(rows), encoding="utf-8")
    run = [sys.executable, "-m", "vietlao", "--root", str(tmp_path)]
    for args in (["--help"], ["build", "--help"], []):
        assert subprocess.run(run + args, capture_output=True, text=True).returncode == 0
    done = subprocess.run(run + ["stats"], capture_output=True, text=True)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"vietlao: error: {tmp_path}") and f"{field} {value!r} is not allowed" in done.stderr


def _broken_project(tmp_path, change_row=None, inventory_line=None):
    """A project folder with the corpus's documents and inventory, one metadata entry or one inventory
    line changed."""
    shutil.copytree(project().documents, tmp_path / "annotations" / "documents")
    shutil.copy(project().inventory, tmp_path / "annotations" / "entities.yaml")
    rows = [dict(r) for r in ROWS]
    if change_row:
        change_row(rows[0])
    (tmp_path / "annotations" / "documents" / "metadata.json").write_text(json.dumps(rows, ensure_ascii=False),
                                                                        encoding="utf-8")
    if inventory_line:
        with open(tmp_path / "annotations" / "entities.yaml", "a", encoding="utf-8") as handle:
            handle.write(inventory_line + "\n")
    return tmp_path


BROKEN = {
    "source_url": (lambda r: r.update(source_url="https://example.org/not-in-the-text"), None,
                   "source_url 'https://example.org/not-in-the-text' is not in the text of"),
    "title": (lambda r: r.update(title="A title the text does not begin with"), None, "title 'A title the text"),
    "missing": (lambda r: r.pop("split"), None, "split is missing; every entry has doc_id, source_file, sha256, lang"),
    "published": (lambda r: r.update(published="27 Nov 2026"), None, "published '27 Nov 2026' is not valid"),
    "translated_from": (lambda r: r.update(is_translation=True, translated_from=None), None,
                        "translated_from: set it to the source language exactly when is_translation is true"),
    "unknown_field": (lambda r: r.update(url="x"), None, "url is not a metadata field"),
    "sha256": (lambda r: r.update(sha256="abc"), None, "sha256 'abc' is not valid: it must be 64 lowercase hex"),
    "names_source": (None, "- {id: hanoi, name: Hanoi, names: {lo: ຮ່າໂນ້ຍ}, type: GPE}",
                     "entity 'hanoi': names.lo has no source: add sources: {lo: URL}"),
    "names_language": (None, "- {id: hanoi, name: Hanoi, names: {xx: Ha}, type: GPE, sources: {xx: 'https://a.b'}}",
                       "entity 'hanoi': names.xx: not a language code"),
    "entity_type": (None, "- {id: hanoi, name: Hanoi, type: CITY}", "entity 'hanoi': type 'CITY' is not allowed"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_stats_rejects_each_broken_field_in_one_line_naming_it(tmp_path, capsys, monkeypatch, case):
    from vietlao.cli import main
    from vietlao.paths import ROOT_ENV

    monkeypatch.setenv(ROOT_ENV, str(project().root))  # --root sets it; restored after the test

    change, line, expected = BROKEN[case]
    root = _broken_project(tmp_path, change, line)
    assert main(["--root", str(root), "stats"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert captured.err.startswith(f"vietlao: error: {root}") and expected in captured.err, captured.err
    assert "pydantic" not in captured.err and "For further information" not in captured.err


def test_the_readme_and_the_annotating_guide_list_every_required_field():
    from vietlao.corpus.inventory import REQUIRED_ENTITY_FIELDS
    from vietlao.corpus.metadata import REQUIRED_FIELDS

    readme = (project().root / "README.md").read_text(encoding="utf-8")
    document = readme.split("**Add the text**")[1].split("2. **Choose the split")[0]
    assert all(f"`{field}`" in document for field in REQUIRED_FIELDS), REQUIRED_FIELDS
    annotating = (project().root / "docs" / "annotating.md").read_text(encoding="utf-8")
    entity = annotating.split("**A new entity**")[1].split("\n\n")[0]
    assert all(f"`{field}`" in entity for field in REQUIRED_ENTITY_FIELDS) and "`sources`" in entity
