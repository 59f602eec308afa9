"""vietlao.export.reader: escaped UTF-16 surrogates read chunk by chunk (iter_tasks), and
ExportChecks, the export-wide rules, task by task. (Malformed and hostile exports, through
read_export and the build, are in test_bad_exports.py.)"""

from __future__ import annotations

import json
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vietlao.export import reader
from vietlao.export.reader import ExportChecks, iter_tasks
from vietlao.export.task import ExportError

LONE = "a string holds an escaped lone UTF-16 surrogate"


def _read(path: Path, data: bytes, read_bytes: int) -> list:
    """The tasks of ``data`` as iter_tasks reads them, ``read_bytes`` bytes at a time."""
    path.write_bytes(data)
    with mock.patch.object(reader, "READ_BYTES", read_bytes):
        return list(iter_tasks(path))


# Each string body (as written in the file), read whole and one to seven bytes at a time.
ACCEPTED = [
    (r"a\\ud800", "a\\ud800"),  # an escaped backslash, then the text ud800
    (r"\\\\ud800\\\\udc80", "\\\\ud800\\\\udc80"),
    (r"\\\ud83d\ude00", "\\\U0001F600"),  # an escaped backslash, then a pair
    (r"\ud83d\ude00", "\U0001F600"),
    (r"x\uD83D\uDE00y", "x\U0001F600y"),
    (r"\udbff\udfff", "\U0010FFFF"),
    (r"\ud7ff\ue000\u00e9", "\ud7ff\ue000\u00e9"),  # next to the surrogates, not surrogates
]
REFUSED = [
    (r"abc\ud800", r"\ud800 (a high surrogate"),  # at the end of the string
    (r"\ud800\u0041", r"\ud800 (a high surrogate"),  # before an escape that is not a low surrogate
    (r"\uDBFFb", r"\uDBFF (a high surrogate"),  # before a letter
    (r"\ud83d\ud83d\ude00", r"\ud83d (a high surrogate"),  # before another high one
    (r"\ud800\\udc80", r"\ud800 (a high surrogate"),  # before an escaped backslash
    (r"\udc80", r"\udc80 (a low surrogate"),
    (r"a\uDFFF\ud800", r"\uDFFF (a low surrogate"),  # a low one before a high one
    (r"\\\udc80", r"\udc80 (a low surrogate"),  # an escaped backslash, then an escape
    (r"\\\\\\\udc80", r"\udc80 (a low surrogate"),
]


@pytest.mark.parametrize("read_bytes", [1 << 16, *range(1, 8)])
@pytest.mark.parametrize(("body", "text"), ACCEPTED)
def test_paired_and_escaped_surrogates_are_read_as_json_reads_them(body, text, read_bytes, tmp_path):
    data = ('[{"id": 1, "data": {"t": "%s"}}, {"id": 2, "k%s": 1}]' % (body, body)).encode()
    assert json.loads(data)[0]["data"]["t"] == text
    assert _read(tmp_path / "e.json", data, read_bytes) == json.loads(data)


@pytest.mark.parametrize("read_bytes", [1 << 16, *range(1, 8)])
@pytest.mark.parametrize(("body", "escape"), REFUSED)
@pytest.mark.parametrize("where", ["value", "key", "before the id"])
def test_a_lone_surrogate_escape_is_refused_naming_the_task(body, escape, where, read_bytes, tmp_path):
    """The task is named even when its id comes after the string (Label Studio sorts the keys)."""
    task = {
        "value": '{"id": 7, "data": {"sentence_id": "000-001", "text": "%s"}}',
        "key": '{"id": 7, "data": {"sentence_id": "000-001", "%s": 1}}',
        "before the id": '{"annotations": [{"result": [{"value": {"text": "%s"}}]}], "data": {"sentence_id": "000-001"}, "id": 7}',
    }[where] % body
    data = f'[{{"id": 6, "data": {{"sentence_id": "000-000", "text": "ok"}}}}, {task}, {{"id": 8}}]'.encode()
    with pytest.raises(ExportError) as caught:
        _read(tmp_path / "e.json", data, read_bytes)
    (problem,) = caught.value.problems
    assert (problem.task_id, problem.sentence_id) == (7, "000-001")
    assert problem.message.startswith(f"{LONE} {escape}") and problem.message.endswith("which is not text")


# --- any mix of escapes, cut anywhere: the reader agrees with Python's json ---------------------------

_PIECES = ["a", "é", "😀", "u", "d800", "dc00", r"\\", r'\"', r"\n", r"\u0041", r"\ud7ff", r"\ue000",
           r"\ud83d", r"\uD83D", r"\ude00", r"\uDE00", r"\ud800", r"\udbff", r"\udc00", r"\uDFFF"]
_BODIES = st.lists(st.sampled_from(_PIECES), max_size=8).map("".join)


def _lone_in(value: object) -> str | None:
    """The first code point of a lone surrogate in ``value``, in document order (keys first)."""
    if isinstance(value, str):
        return next((f"\\u{ord(c):04x}" for c in value if 0xD800 <= ord(c) <= 0xDFFF), None)
    items = [x for kv in value.items() for x in kv] if isinstance(value, dict) else value if isinstance(value, list) else []
    return next((found for found in map(_lone_in, items) if found), None)


@given(st.lists(_BODIES, min_size=1, max_size=4), st.integers(1, 13), st.booleans())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_surrogate_escapes_cut_anywhere_are_read_as_json_reads_them(tmp_path, bodies, read_bytes, id_last):
    task = '{{"data": {{"text": "{b}"}}, "{b}": ["{b}"], "id": {i}}}' if id_last else (
        '{{"id": {i}, "data": {{"text": "{b}"}}, "{b}": ["{b}"]}}')
    text = ", ".join(task.format(i=i, b=b) for i, b in enumerate(bodies))
    data = f"[{text}]".encode()
    expected = json.loads(data)  # Python's json keeps a lone surrogate as a code point
    lone = _lone_in(expected)
    if lone is None:
        assert _read(tmp_path / "e.json", data, read_bytes) == expected
        return
    with pytest.raises(ExportError) as caught:
        _read(tmp_path / "e.json", data, read_bytes)
    (problem,) = caught.value.problems
    assert problem.message.lower().startswith(f"{LONE} {lone}".lower()), problem.message
    assert problem.task_id == next(i for i, task in enumerate(expected) if _lone_in(task))


def _task(task_id: object, sentence_id: object) -> dict:
    return {"id": task_id, "data": {"sentence_id": sentence_id}}


def test_admit_refuses_duplicates_and_bad_ids():
    checks = ExportChecks()
    assert checks.admit(_task(1, "000-000"))[2]
    assert not checks.admit(_task(1, "000-001"))[2]
    assert not checks.admit(_task(2, "000-000"))[2]
    assert not checks.admit(_task([3], "000-002"))[2]
    assert [p.message for p in checks.problems] == [
        "duplicate task id",
        "duplicate task for this sentence (also task 1)",
        "task id must be an integer, got list [3]",
    ]
