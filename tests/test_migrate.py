"""Entity IDs in one form: the free-text form of older exports converted to the picker's choice."""

import copy
import json

import pytest

from vietlao import label_config as lc
from vietlao.cli import main
from vietlao.errors import UserError
from vietlao.export.migrate import FREE_TEXT_TYPE, is_free_text, migrate_tasks, to_picker
from vietlao.export.reader import read_export
from vietlao.export.task import ExportError
from vietlao.export.validate import gold_context
from vietlao.labelstudio.restore import export_text, migrate_export, restore_payload
from vietlao.paths import project

pytestmark = pytest.mark.corpus

GOLD_TEXT = project().export.read_text(encoding="utf-8")
GOLD = json.loads(GOLD_TEXT)


def _free_text(tasks: list[dict]) -> list[dict]:
    """``tasks`` with every picker choice written as the free-text box of exports before the picker."""
    old = copy.deepcopy(tasks)

    def back(result):
        for item in result or []:
            if item.get("from_name") == lc.ENTITY_ID:
                value = item["value"]
                item["type"] = FREE_TEXT_TYPE
                item["value"] = {"start": value["start"], "end": value["end"], "text": value[lc.ENTITY_ID_KEY]}

    for task in old:
        for a in task["annotations"]:
            back(a["result"])
            if isinstance(a.get("prediction"), dict):
                back(a["prediction"]["result"])
        for p in task.get("predictions") or []:
            if isinstance(p, dict):
                back(p["result"])
    return old


def test_the_committed_export_holds_only_the_pickers_form():
    items = [r for t in GOLD for a in t["annotations"] for r in a["result"] if r["from_name"] == lc.ENTITY_ID]
    assert items and not any(map(is_free_text, items))
    assert all(r["type"] == "choices" and len(r["value"][lc.ENTITY_ID_KEY]) == 1 for r in items)


def test_migrating_the_free_text_form_gives_the_committed_export_byte_for_byte():
    old = _free_text(GOLD)
    assert export_text(old) != GOLD_TEXT
    converted = migrate_tasks(old)
    assert converted == GOLD_TEXT.count('"from_name": "entity_id"')
    assert export_text(old) == GOLD_TEXT
    assert migrate_tasks(old) == 0  # idempotent


def test_migrate_command_rewrites_once_then_leaves_the_file_alone(tmp_path, capsys):
    path = tmp_path / "export.json"
    path.write_text(export_text(_free_text(GOLD)), encoding="utf-8")
    assert main(["migrate", str(path)]) == 0
    assert "entity IDs converted" in capsys.readouterr().out
    assert path.read_text(encoding="utf-8") == GOLD_TEXT
    before = path.stat().st_mtime_ns
    assert migrate_export(path) == 0 and path.stat().st_mtime_ns == before
    assert main(["migrate", str(path)]) == 0
    assert "already in the picker's form" in capsys.readouterr().out


def test_the_reader_refuses_the_free_text_form_naming_the_migration(tmp_path):
    path = tmp_path / "export.json"
    path.write_text(export_text(_free_text(GOLD[:2])), encoding="utf-8")
    with pytest.raises(ExportError) as caught:
        read_export(path, gold_context())
    assert "vietlao migrate" in caught.value.problems[0].message


def test_push_restores_the_pickers_form_whatever_the_export_holds():
    for task, old in zip(GOLD, _free_text(GOLD)):
        assert restore_payload(old) == restore_payload(task)


def test_an_item_without_one_id_is_one_error_naming_the_task(tmp_path, capsys):
    old = _free_text(GOLD[:1])
    item = next(r for r in old[0]["annotations"][0]["result"] if is_free_text(r))
    item["value"]["text"] = []
    with pytest.raises(ValueError, match="without one ID"):
        to_picker(old[0]["annotations"][0]["result"], old[0]["data"]["text"])
    path = tmp_path / "export.json"
    path.write_text(export_text(old), encoding="utf-8")
    assert main(["migrate", str(path)]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and f"task {old[0]['id']} " in err and "Traceback" not in err
    assert path.read_text(encoding="utf-8") == export_text(old)  # left unchanged


def test_a_missing_export_is_one_error(tmp_path):
    with pytest.raises(UserError, match="no export"):
        migrate_export(tmp_path / "absent.json")
