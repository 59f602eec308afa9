"""Entity IDs in the one form the labelling config has: the picker's per-region choice.

Exports made before the per-region picker (:mod:`vietlao.label_config`) hold a region's entity ID
in a per-region free-text box: a result item ``{"from_name": "entity_id", "type": "textarea",
"value": {"start", "end", "text": [ID]}}`` sharing the region's ``id``. Label Studio 1.23's editor
cannot show that item under the picker (selecting the region leaves the labelling area blank with a
``TypeError``), and the reader accepts only the picker's form. This module is the one home of the
old form: :func:`to_picker` converts a result list, :func:`migrate_tasks` every result of an export
(annotations, the predictions they started from, the task's predictions); ``vietlao migrate``
rewrites the export with it (:func:`vietlao.labelstudio.restore.migrate_export`) and ``vietlao ls
push`` converts what it restores with it.
"""

from __future__ import annotations

import json

from vietlao import label_config as lc
from vietlao.errors import UserError, shown

#: The ``type`` of the free-text entity ID item of exports made before the picker.
FREE_TEXT_TYPE = "textarea"


def is_free_text(item: object) -> bool:
    """Whether ``item`` is an entity ID in the free-text form of exports made before the picker."""
    return isinstance(item, dict) and item.get("from_name") == lc.ENTITY_ID and item.get("type") == FREE_TEXT_TYPE


def _picked(item: dict) -> str | None:
    value = item.get("value")
    ids = value.get(lc.ENTITY_ID_LEGACY_KEY) if isinstance(value, dict) else None
    if isinstance(ids, list) and len(ids) == 1 and isinstance(ids[0], str) and ids[0].strip():
        return ids[0].strip()
    return None


def to_picker(result: object, text: str) -> tuple[object, int]:
    """``result`` with every free-text entity ID item replaced by the picker's item for the same
    region (same ``id``, offsets and ID; ``value.text`` the covered text of ``text``, as
    :func:`~vietlao.labelstudio.tasks.ls_result` writes it), and how many were replaced. A result
    that is not a list, and items in the picker's form, are returned as they are. Raises
    :class:`ValueError` naming an item that holds no one ID."""
    if not isinstance(result, list) or not any(map(is_free_text, result)):
        return result, 0
    out, converted = [], 0
    for n, item in enumerate(result):
        if not is_free_text(item):
            out.append(item)
            continue
        value, entity_id = item["value"], _picked(item)
        start, end = (value.get("start"), value.get("end")) if isinstance(value, dict) else (None, None)
        if entity_id is None or type(start) is not int or type(end) is not int or not 0 <= start < end <= len(text):
            raise ValueError(f"result[{n}] is a free-text entity_id without one ID and offsets in the text: "
                             f"{shown(json.dumps(value, ensure_ascii=False), 120)}")
        picked = lc.entity_id_item(item.get("id"), start, end, text[start:end], entity_id)
        out.append({**{k: v for k, v in item.items() if k not in picked}, **picked})
        converted += 1
    return out, converted


def _results(task: dict):
    """``(holder, key)`` of every result list of a task: its annotations', the predictions they
    started from, its own predictions'."""
    for annotation in task.get("annotations") or []:
        if isinstance(annotation, dict):
            yield annotation, "result"
            if isinstance(annotation.get("prediction"), dict):
                yield annotation["prediction"], "result"
    for prediction in task.get("predictions") or []:
        if isinstance(prediction, dict):
            yield prediction, "result"


def migrate_tasks(tasks: list[dict]) -> int:
    """Convert every result of ``tasks`` in place (:func:`to_picker`); how many items were converted.
    One :class:`UserError` names the first task holding an item that cannot be converted."""
    converted = 0
    for task in tasks:
        data = raw if isinstance(raw := task.get("data"), dict) else {}
        text = raw_text if isinstance(raw_text := data.get("text"), str) else ""
        for holder, key in _results(task):
            try:
                new, n = to_picker(holder.get(key), text)
            except ValueError as exc:
                raise UserError(f"task {shown(task.get('id'), 40)} (sentence {shown(data.get('sentence_id'), 40)}): {exc}; "
                                "fix it by hand or in Label Studio") from None
            if n:
                holder[key], converted = new, converted + n
    return converted
