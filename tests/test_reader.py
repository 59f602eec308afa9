"""vietlao.reader.ExportChecks: the export-wide rules, task by task and in bulk. (Malformed and
hostile exports, through read_export, are in test_bad_exports.py.)"""

from __future__ import annotations

from vietlao.export.reader import ExportChecks


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


def test_admit_all_admits_new_distinct_ids_and_remembers_them():
    checks = ExportChecks()
    assert checks.admit_all([1, 2, "x"], ["000-000", "000-001", "000-002"])
    assert checks.seen_tasks == {1, 2, "x"}
    assert checks.seen_sentences == {"000-000": 1, "000-001": 2, "000-002": "x"}
    assert not checks.admit(_task(2, "000-009"))[2]  # what was admitted in bulk counts task by task
    assert checks.problems and checks.problems[0].message == "duplicate task id"


def test_admit_all_refuses_anything_that_needs_a_problem_and_changes_nothing():
    checks = ExportChecks()
    assert checks.admit_all([1], ["000-000"])
    refused = [
        ([2, 2], ["000-001", "000-002"]),  # a task id twice
        ([2, 3], ["000-001", "000-001"]),  # a sentence twice
        ([1], ["000-003"]),  # a task id seen before
        ([4], ["000-000"]),  # a sentence seen before
        ([True], ["000-004"]),  # a boolean id (equal to 1)
        ([None], ["000-005"]),  # no id: the task-by-task path decides
    ]
    for task_ids, sentence_ids in refused:
        assert not checks.admit_all(task_ids, sentence_ids), (task_ids, sentence_ids)
    assert checks.seen_tasks == {1} and checks.seen_sentences == {"000-000": 1} and not checks.problems
