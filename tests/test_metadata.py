import json
import shutil
import subprocess
import sys

import pytest

from vietlao.paths import project
from vietlao.corpus.metadata import LANGUAGE_NAMES, LANGUAGES, CorpusError, CorpusLayout, load_metadata
from vietlao.labels import SPLITS

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
    with pytest.raises(CorpusError, match=r"entry 1 \(doc_id 000\): sha256: Field required$"):
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
    rows = [dict(r) for r in ROWS] + [dict(ROWS[0], doc_id="999", lang="lo", translated_from=None, event=None)]
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
