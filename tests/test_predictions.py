"""Reading predictions files: encodings, JSON Lines line splitting, nesting, every problem listed."""

from __future__ import annotations

import json

import pytest

from vietlao.errors import UserError
from vietlao.evaluation.predictions import read_predictions, write_predictions

LINES = [{"id": "000-000", "label": "favor"}, {"id": "000-001", "label": "neutral"}]


def _text(records) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def test_a_written_file_reads_back_even_with_u2028_and_u2029_inside_strings(tmp_path):
    records = [{"id": "000-000", "note": "line\u2028separator\u2029paragraph\x85next"}, *LINES[1:]]
    path = write_predictions(tmp_path / "p.jsonl", records)
    assert "\u2028" in path.read_text(encoding="utf-8")  # written raw, as JSON allows
    assert read_predictions(path) == records


@pytest.mark.parametrize(
    "data",
    [
        _text(LINES).encode(),
        _text(LINES).rstrip("\n").encode(),  # no final newline
        _text(LINES).replace("\n", "\r\n").encode(),  # CRLF
        b"\xef\xbb\xbf" + _text(LINES).encode(),  # UTF-8 byte-order mark
        ("\n" + _text(LINES[:1]) + "   \n" + _text(LINES[1:])).encode(),  # blank lines
    ],
)
def test_utf8_variants_read_the_same(tmp_path, data):
    path = tmp_path / "p.jsonl"
    path.write_bytes(data)
    assert read_predictions(path) == LINES


@pytest.mark.parametrize(
    "data, message",
    [
        (_text(LINES).encode("utf-16"), "the file is UTF-16 (byte-order mark ff fe); save it as UTF-8"),
        (_text(LINES).encode("utf-16-be"), "the file holds NUL bytes at its start (UTF-16 or UTF-32?); save it as UTF-8"),
        (_text(LINES).encode("utf-32"), "the file is UTF-32 (byte-order mark ff fe 00 00); save it as UTF-8"),
        (_text(LINES).encode() + '{"id": "000-002", "label": "né"}\n'.encode("latin-1"),
         ":3: not UTF-8 (byte 0xe9 at column 30); save the file as UTF-8"),
        (b"", "no predictions (the file is empty)"),
        (b"\n\n", "no predictions (the file is empty)"),
    ],
)
def test_encodings_and_empty_files_get_one_clear_line(tmp_path, data, message):
    path = tmp_path / "p.jsonl"
    path.write_bytes(data)
    with pytest.raises(UserError) as err:
        read_predictions(path)
    assert str(err.value) == f"{path}{'' if message.startswith(':') else ': '}{message}"


def test_a_line_nested_100000_deep_is_a_problem_not_a_crash(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(_text(LINES) + '{"id": "x", "label": ' + "[" * 100_000 + "]" * 100_000 + "}\n", encoding="utf-8")
    with pytest.raises(UserError) as err:
        read_predictions(path)
    assert str(err.value) == f"{path}: 1 problem(s):\n  line 3: not JSON (nested more than 1024 deep at column 1046)"


def test_every_bad_line_is_listed(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": "000-000"\n[1, 2]\n{"label": "favor"}\n{"id": 7}\nNaN\n' + _text(LINES), encoding="utf-8")
    with pytest.raises(UserError) as err:
        read_predictions(path)
    assert str(err.value).splitlines()[1:] == [
        "  line 1: not JSON (unexpected end of data at column 17)",
        "  line 2: a JSON list, not an object",
        '  line 3: no string "id" (a sentence id such as "000-003")',
        '  line 4: no string "id" (a sentence id such as "000-003")',
        "  line 5: not JSON (unexpected character, expected a JSON value at column 1)",
    ]


def test_a_missing_file_is_one_line(tmp_path):
    with pytest.raises(UserError, match=r"predictions .*nope.jsonl cannot read: No such file or directory"):
        read_predictions(tmp_path / "nope.jsonl")


def test_a_key_twice_in_one_line_is_refused(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": "000-000", "label": "favor", "id": "000-001"}\n'
                    '{"id": "000-002", "entities": [{"start": 0, "end": 1, "label": "PER", "label": "ORG"}]}\n'
                    '{"id": "000-003", "label": "favor"}\n', encoding="utf-8")
    with pytest.raises(UserError) as err:
        read_predictions(path)
    assert 'line 1: key "id" twice in one object' in str(err.value)
    assert 'line 2: key "label" twice in one object' in str(err.value)
    assert "line 3" not in str(err.value)


def test_a_csv_file_is_one_line_saying_json_lines(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("id,label\n" + "".join(f"000-{i:03d},favor\n" for i in range(60)), encoding="utf-8")
    with pytest.raises(UserError) as err:
        read_predictions(path)
    assert str(err.value).count("\n") == 0
    assert "not JSON Lines, no line is JSON (it looks like CSV or TSV): write one JSON object per line" in str(err.value)
