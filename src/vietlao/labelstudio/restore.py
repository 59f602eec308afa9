"""The committed export and a Label Studio project, kept in step.

``annotations/export.json`` is the one source of truth. :func:`restore_payloads` turns its tasks back
into import payloads (data, completed annotations, predictions, meta), so ``vietlao ls push`` on an
empty project restores the annotated state. :func:`merge_pull` keeps the committed version of every
task the annotators did not change, so a pull from a restored project rewrites nothing but their
work; :func:`changes` names what a pull would change in the committed annotations. Entity IDs are
restored in the picker's form whatever form the export holds them in
(:mod:`vietlao.export.migrate`); :func:`migrate_export` rewrites an export in that form.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import cast

from vietlao import label_config as lc
from vietlao.errors import UserError, shown
from vietlao.export.migrate import migrate_tasks, to_picker
from vietlao.export.task import read_result
from vietlao.files import atomic_write, check_input, check_output
from vietlao.labelstudio.client import same_result
from vietlao.labelstudio.tasks import SENTENCE_KEYS
from vietlao.paths import project

#: What an annotator decides in one annotation; everything else is server bookkeeping.
DECISION_KEYS = ("result", "was_cancelled", "ground_truth")


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


def load_json(text: str, where: str, tail: str = "") -> object:
    """Strict JSON (no NaN or Infinity), or one clear error naming ``where`` (``tail`` ends it)."""
    from vietlao.export.rules import MAX_DEPTH

    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise UserError(f"{where} holds JSON nested deeper than {MAX_DEPTH} levels{tail}") from None
    except ValueError as exc:
        raise UserError(f"{where} is not valid JSON: {exc}{tail}") from None


def read_committed(path: Path) -> list[dict]:
    """The tasks of an export file (``[]`` if it does not exist); a path that is not a readable
    UTF-8 file of a JSON list of tasks is one :class:`UserError`."""
    if not os.path.lexists(path):
        return []
    check_input(path, "the export")
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise UserError(f"cannot read the export {shown(path)}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise UserError(f"the export {shown(path)} is not UTF-8 (byte 0x{exc.object[exc.start]:02x} at byte "
                        f"{exc.start}); an export is a UTF-8 JSON file, as `vietlao ls pull` writes it") from None
    tasks = load_json(text, str(path))
    if not isinstance(tasks, list) or not all(isinstance(t, dict) for t in tasks):
        raise UserError(f"{shown(path)} is not a JSON list of tasks")
    return tasks


def export_text(tasks: list[dict]) -> str:
    """An export file's text: the tasks as UTF-8 JSON, keys sorted, two-space indents, a final newline."""
    return json.dumps(tasks, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def migrate_export(path: Path | None = None) -> int:
    """Rewrite the export ``path`` (default: the project's) with every entity ID in the picker's
    form (:func:`vietlao.export.migrate.migrate_tasks`), atomically and only if something changed;
    how many items were converted (0: the file is untouched, so a second run changes nothing)."""
    path = Path(path) if path is not None else project().export
    if not os.path.lexists(path):
        raise UserError(f"no export at {shown(path)}: name one (`vietlao migrate FILE`) or pull it (`vietlao ls pull`)")
    tasks = read_committed(path)
    converted = migrate_tasks(tasks)
    if converted:
        atomic_write(check_output(path, "the export", allowed=[project().export]), export_text(tasks))
    return converted


def sentence_of(task: dict) -> str | None:
    data = task.get("data")
    return data.get("sentence_id") if isinstance(data, dict) else None


def _predictions(task: dict) -> list[dict]:
    """The task's predictions: listed as objects, or as ids with the objects embedded in annotations."""
    listed = [p for p in task.get("predictions") or [] if isinstance(p, dict)]
    ids = {p for p in task.get("predictions") or [] if isinstance(p, int)}
    embedded = {a["prediction"]["id"]: a["prediction"] for a in task.get("annotations") or []
                if isinstance(a.get("prediction"), dict) and a["prediction"].get("id") in ids}
    return listed + [embedded[i] for i in sorted(embedded)]


def _sentence(task: dict) -> dict:
    """What identifies a task's labelled sentence (its other data is context for the annotator)."""
    data = raw if isinstance(raw := task.get("data"), dict) else {}
    return {k: data.get(k) for k in SENTENCE_KEYS}


def restore_payload(task: dict, data: dict | None = None) -> dict:
    """The import payload that recreates ``task``: its data (or ``data``, the corpus's current task
    data for the same sentence), annotations, predictions and meta; entity IDs in the picker's form."""
    data = data if data is not None else task["data"]
    text = raw_text if isinstance(raw_text := data.get("text"), str) else ""
    annotations = [{k: a[k] for k in DECISION_KEYS if k in a} for a in task.get("annotations") or []]
    predictions = [{k: p[k] for k in ("result", "model_version", "score") if p.get(k) is not None}
                   for p in _predictions(task)]
    for item in annotations + predictions:
        if "result" in item:
            item["result"] = _picker_form(item["result"], text, task)
    payload = {"data": data, "annotations": annotations, "predictions": predictions}
    if task.get("meta"):
        payload["meta"] = task["meta"]
    return payload


def _picker_form(result: object, text: str, task: dict) -> object:
    try:
        return to_picker(result, text)[0]
    except ValueError as exc:
        raise UserError(f"cannot restore task {shown(task.get('id'), 40)} (sentence {shown(sentence_of(task), 40)}): "
                        f"{exc}") from None


def restore_payloads(committed: list[dict], wanted: list[dict]) -> dict[str | None, dict]:
    """Sentence id -> import payload, for every wanted task (corpus data) the export has annotated.

    A task whose sentence differs from the corpus is not restored (the corpus wins; it gets a fresh
    task); the context around the sentence comes from the corpus. Payloads come in the order of the
    export's task ids, so a fresh server numbers them the same way.
    """
    data = {d["sentence_id"]: d for d in wanted}
    out = {}
    for task in sorted(committed, key=lambda t: (str(t.get("id")).zfill(12), str(sentence_of(t)))):
        sid = sentence_of(task)
        if sid in data and _sentence(task) == _sentence({"data": data[sid]}) and task.get("annotations"):
            out[sid] = restore_payload(task, data[sid])
    return out


def _decisions(task: dict) -> list[dict]:
    return [{k: a.get(k) for k in DECISION_KEYS} for a in task.get("annotations") or []]


def same_decisions(a: dict, b: dict) -> bool:
    """Whether two versions of a task hold the same sentence and the same annotators' decisions
    (the context shown around the sentence does not count)."""
    if _sentence(a) != _sentence(b):
        return False
    left, right = _decisions(a), _decisions(b)
    if len(left) != len(right):
        return False
    for x in left:  # as multisets: order and server ids do not matter
        match = next((y for y in right if bool(x["was_cancelled"]) == bool(y["was_cancelled"])
                      and bool(x["ground_truth"]) == bool(y["ground_truth"])
                      and same_result(x["result"], y["result"])), None)
        if match is None:
            return False
        right.remove(match)
    return True


def _renumber(node: object, old: object, new: object) -> object:
    """``node`` with every ``task`` reference to ``old`` made ``new``."""
    if isinstance(node, dict):
        return {k: new if k == "task" and v == old else _renumber(v, old, new) for k, v in node.items()}
    if isinstance(node, list):
        return [_renumber(v, old, new) for v in node]
    return node


def merge_pull(pulled: list[dict], committed: list[dict]) -> list[dict]:
    """The export to write: committed tasks the annotators left as they were, verbatim; the others
    from the server, under the committed task id of their sentence (a new sentence keeps the server's
    id unless the export uses it, then the next free one). Sorted by sentence id."""
    old = {sentence_of(t): t for t in committed}
    used = {t.get("id") for t in committed}
    merged: list[dict] = []
    for task in pulled:
        sid = sentence_of(task)
        before = old.get(sid)
        if before is not None and same_decisions(before, task):
            merged.append(before)
            continue
        new_id = before.get("id") if before is not None else task.get("id")
        if before is None and new_id in used:
            new_id = max((i for i in used if isinstance(i, int)), default=0) + 1
        used.add(new_id)
        merged.append(cast(dict, _renumber({**task, "id": new_id}, task.get("id"), new_id)))  # a dict stays a dict
    return sorted(merged, key=lambda t: (str(sentence_of(t)), str(t.get("id"))))


def _summary(task: dict) -> str:
    parts = []
    for a in _decisions(task):
        result = a["result"] if isinstance(a["result"], list) else []
        stance = [c for r in result if isinstance(r, dict) and r.get("from_name") == lc.STANCE
                  for c in (r.get("value") or {}).get("choices", [])]
        spans = sum(1 for r in result if isinstance(r, dict) and r.get("type") == "labels")
        flags = "".join([" cancelled" if a["was_cancelled"] else "", " ground truth" if a["ground_truth"] else ""])
        parts.append(f"{spans} spans, stance {'/'.join(stance) or 'none'}{flags}")
    return "; ".join(parts) or "no annotation"


def _described(task: dict) -> Counter:
    """A task's decisions as a multiset of lines, read as ``validate`` reads them
    (:func:`vietlao.export.task.read_result`): each span (offsets, label, picked entity, surface),
    each stance and each rule a region breaks, with the decision's flags."""
    text = raw if isinstance(raw := _sentence(task).get("text"), str) else ""
    lines: Counter = Counter()
    for a in _decisions(task):
        decisions = read_result(a["result"] if isinstance(a["result"], list) else [], text)
        flags = "".join([" (cancelled)" if a["was_cancelled"] else "", " (ground truth)" if a["ground_truth"] else ""])
        for start, end, label, entity in decisions.spans:
            lines[f"[{start}, {end}) {label} {entity or 'no entity'} {text[start:end]!r}{flags}"] += 1
        for stance in decisions.stances or ("none",):
            lines[f"stance {stance}{flags}"] += 1
        for problem in decisions.problems:
            lines[f"{problem}{flags}"] += 1
    return lines


def _difference(before: dict, after: dict) -> str:
    """What changed between two versions of a task's decisions: ``- removed; + added``."""
    old, new = _described(before), _described(after)
    parts = [f"- {x}" for x in sorted((old - new).elements())] + [f"+ {x}" for x in sorted((new - old).elements())]
    counts = len(_decisions(before)), len(_decisions(after))
    if counts[0] != counts[1]:
        parts.insert(0, f"annotations {counts[0]} -> {counts[1]}")
    return "; ".join(parts) or "same spans, entities and stance; other fields of the result differ"


def changes(merged: list[dict], committed: list[dict]) -> list[str]:
    """One line per committed sentence whose annotations the new export changes (what was removed
    and added) or drops."""
    new = {sentence_of(t): t for t in merged}
    lines = []
    for task in sorted(committed, key=lambda t: str(sentence_of(t))):
        sid = sentence_of(task)
        if sid not in new:
            lines.append(f"{sid}: dropped (was {_summary(task)})")
        elif new[sid] is not task and not same_decisions(task, new[sid]):
            lines.append(f"{sid}: {_difference(task, new[sid])}")
    return lines
