"""A corpus of malformed or hostile Label Studio exports, each with the exact problem it must raise.

Label Studio stores whatever its API is sent, so ``vietlao validate`` and ``vietlao build`` are the gate.
Every bad export is made here from a valid base export (the committed `annotations/export.json`) and must be rejected by the library and by both commands: a non-zero exit, a message naming the
task, the sentence and the problem, no traceback, and nothing written.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest

from vietlao import label_config as lc
from vietlao.cli import main
from vietlao.corpus.documents import load_corpus
from vietlao.paths import project
from vietlao.export.rules import MAX_DEPTH, MAX_TEXT_CHARS
from vietlao.export.task import Context, ExportError
from vietlao.export.reader import MAX_RUN_BYTES, iter_tasks, read_export
from vietlao.labels import LINKABLE_TYPES
from vietlao.corpus.segment import tokenize
from vietlao.export.validate import gold_context, validate_gold

HUGE = "@@HUGE@@"  # replaced by a 50 MB string when the file is written
DEEP = "@@DEEP@@"  # replaced by 100 000 nested lists
HUGE_CHARS = 50_000_000
DEEP_LEVELS = 100_000
#: Sentences of the corpus: a complete export has one task for each.
SENTENCES = sum(len(d.sentences) for d in load_corpus())


def committed_tasks() -> list[dict]:
    """The committed export (the source of truth), each task's ``id``, ``data`` and ``annotations`` first,
    as Label Studio writes them (the cases below say what is known when a problem is met)."""
    return [{"id": t["id"], "data": t["data"], "annotations": t["annotations"], **t}
            for t in json.loads(project().export.read_text(encoding="utf-8"))]


@pytest.fixture(scope="module")
def base() -> list[dict]:
    return committed_tasks()


# --- navigating a task ---------------------------------------------------------------------------


def result(task: dict) -> list[dict]:
    return task["annotations"][0]["result"]


def regions(task: dict) -> list[dict]:
    return [r for r in result(task) if r["from_name"] == "label"]


def id_item(task: dict, region: dict) -> dict | None:
    return next((r for r in result(task) if r["from_name"] == "entity_id" and r["id"] == region["id"]), None)


def stance_item(task: dict) -> dict:
    return next(r for r in result(task) if r["from_name"] == "stance")


def target(tasks: list[dict]) -> dict:
    """A task with two or more linkable mentions, all linked."""
    return next(
        t for t in tasks
        if len(regions(t)) >= 2 and all(r["value"]["labels"][0] in LINKABLE_TYPES and id_item(t, r) for r in regions(t))
    )


def task_with(tasks: list[dict], label: str) -> dict:
    return next(t for t in tasks if any(r["value"]["labels"][0] == label for r in regions(t)))


def named(task: dict, **fmt) -> dict:
    """Format fields of a task, for a problem that must name it."""
    data = task["data"]
    return {"tid": task["id"], "sid": data.get("sentence_id"), "doc": data.get("doc_id"),
            "offset": data.get("offset"), "n": len(data.get("text") or ""), **fmt}


def region_fmt(task: dict, region: dict) -> dict:
    v = region["value"]
    return {"start": v["start"], "end": v["end"], "label": v["labels"][0],
            "surface": task["data"]["text"][v["start"] : v["end"]]}


def new_region(task: dict, start: int, end: int, label: str, region_id: str) -> dict:
    value = {"start": start, "end": end, "text": task["data"]["text"][start:end], "labels": [label]}
    return {"id": region_id, "from_name": "label", "to_name": "text", "type": "labels", "value": value}


def id_region(region_id: object, entity_id: object) -> dict:
    return {"id": region_id, "from_name": lc.ENTITY_ID, "to_name": lc.TEXT, "type": "choices",
            "value": {lc.ENTITY_ID_KEY: [entity_id]}}


def dumps(tasks: object) -> bytes:
    return json.dumps(tasks, ensure_ascii=False).encode("utf-8")


# --- the corpus ------------------------------------------------------------------------------------
# Each case mutates a deep copy of the base tasks and returns format fields: ``raw`` (bytes) replaces
# the whole file; ``tid`` and ``sid`` say which task and sentence the problem must name.

CASES: list = []


def case(case_id: str, *fragments: str):
    def register(fn):
        CASES.append(pytest.param(fn, fragments, id=case_id))
        return fn

    return register


# file level


@case("truncated_json", "malformed or truncated JSON", "premature EOF")
def _(tasks):
    raw = dumps(tasks)
    return {"raw": raw[: len(raw) // 2]}


@case("truncated_last_bracket", "malformed or truncated JSON")
def _(tasks):
    return {"raw": dumps(tasks).rstrip()[:-1]}


@case("trailing_garbage", "malformed or truncated JSON", "trailing garbage")
def _(tasks):
    return {"raw": dumps(tasks) + b"\n[]"}


@case("top_level_object", "an export must be a JSON list of tasks")
def _(tasks):
    return {"raw": dumps({"tasks": tasks})}


@case("top_level_string", "an export must be a JSON list of tasks")
def _(tasks):
    return {"raw": b'"tasks"'}


@case("empty_file", "the file is empty")
def _(tasks):
    return {"raw": b""}


@case("utf8_bom", "byte-order mark")
def _(tasks):
    return {"raw": b"\xef\xbb\xbf" + dumps(tasks)}


@case("not_utf8", "malformed or truncated JSON", "invalid bytes in UTF8 string")
def _(tasks):
    t = target(tasks)
    t["data"]["text"] = "@@LATIN1@@" + t["data"]["text"]
    return {"raw": dumps(tasks).replace(b"@@LATIN1@@", "på ".encode("latin-1"))}


@case("nan_literal", "malformed or truncated JSON")
def _(tasks):
    target(tasks)["data"]["offset"] = float("nan")  # json.dumps writes the non-JSON literal NaN
    return {"raw": json.dumps(tasks).encode()}


@case("empty_list", "task None (sentence 000-000): sentence has no task in the export")
def _(tasks):
    return {"raw": b"[]"}


@case("missing_task", "task None (sentence {sid}): sentence has no task in the export")
def _(tasks):
    t = target(tasks)
    tasks.remove(t)
    return {"sid": t["data"]["sentence_id"]}


@case("task_not_object", "task None (sentence None): a task must be an object, got int")
def _(tasks):
    tasks.append(42)
    return {}


@case("deep_nesting", f"JSON nested deeper than {MAX_DEPTH} levels")
def _(tasks):
    t = target(tasks)
    t["meta"] = DEEP
    return named(t)


# data


@case("task_without_data", "task {tid} (sentence None): task has no `data` object")
def _(tasks):
    t = target(tasks)
    del t["data"]
    return {"tid": t["id"], "sid": None}


@case("data_text_missing", "data.text missing or not a string")
def _(tasks):
    t = target(tasks)
    del t["data"]["text"]
    return named(t)


@case("data_text_not_string", "data.text missing or not a string")
def _(tasks):
    t = target(tasks)
    t["data"]["text"] = ["a", "list"]
    return named(t)


@case("data_lang_missing", "data.lang missing or not a string")
def _(tasks):
    t = target(tasks)
    del t["data"]["lang"]
    return named(t)


@case("sentence_id_not_string", "data.sentence_id missing or not a string")
def _(tasks):
    t = target(tasks)
    t["data"]["sentence_id"] = 3
    return named(t)


@case("offset_missing", "data.offset missing or not a non-negative integer")
def _(tasks):
    t = target(tasks)
    del t["data"]["offset"]
    return named(t)


@case("offset_string", "data.offset missing or not a non-negative integer")
def _(tasks):
    t = target(tasks)
    t["data"]["offset"] = str(t["data"]["offset"])
    return named(t)


@case("offset_negative", "data.offset missing or not a non-negative integer")
def _(tasks):
    t = target(tasks)
    t["data"]["offset"] = -len(t["data"]["text"])
    return named(t)


@case("unknown_doc_id", "unknown doc_id '999'")
def _(tasks):
    t = target(tasks)
    t["data"]["doc_id"] = "999"
    return named(t)


@case("drift_text", "data.text differs from document {doc} at offset {offset} (drift)")
def _(tasks):
    t = target(tasks)
    text = t["data"]["text"]
    t["data"]["text"] = text[:-1] + ("!" if text[-1] != "!" else "?")
    return named(t)


@case("drift_offset", "data.text differs from document {doc} at offset {offset} (drift)")
def _(tasks):
    t = target(tasks)
    t["data"]["offset"] += 1
    return named(t)


@case("drift_zero_width_space", "data.text differs from document {doc} at offset {offset} (drift)")
def _(tasks):
    t = target(tasks)
    t["data"]["text"] += "\u200b"
    return named(t)


@case("wrong_sentence_id", "no sentence 000-999 at offset {offset} in document {doc}")
def _(tasks):
    t = target(tasks)
    t["data"]["sentence_id"] = "000-999"
    return named(t)


@case("nfd_text", "data.text is not NFC-normalised")
def _(tasks):
    t = next(t for t in tasks if t["data"]["lang"] == "vi" and not unicodedata.is_normalized("NFD", t["data"]["text"]))
    t["data"]["text"] = unicodedata.normalize("NFD", t["data"]["text"])
    return named(t)


@case("crlf_in_text", "data.text contains a line break")
def _(tasks):
    t = target(tasks)
    t["data"]["text"] = t["data"]["text"].replace(" ", "\r\n", 1)
    return named(t)


@case("crlf_at_end", "data.text contains a line break")
def _(tasks):
    t = target(tasks)
    t["data"]["text"] += "\r\n"
    return named(t)


@case("unicode_line_separator", "data.text contains a line break")
def _(tasks):
    t = target(tasks)
    t["data"]["text"] = t["data"]["text"].replace(" ", "\u2028", 1)
    return named(t)


# tasks and ids


@case("duplicate_sentence", "duplicate task for this sentence (also task {first})")
def _(tasks):
    t = target(tasks)
    dup = copy.deepcopy(t)
    dup["id"] = max(x["id"] for x in tasks) + 1
    tasks.append(dup)
    return named(dup, first=t["id"])


@case("duplicate_task_id", "duplicate task id")
def _(tasks):
    t = target(tasks)
    other = tasks[tasks.index(t) + 1]
    other["id"] = t["id"]
    return named(other)


@case("task_id_list", "task None (sentence {sid}): task id must be an integer, got list")
def _(tasks):
    t = target(tasks)
    t["id"] = [t["id"]]
    return {"sid": t["data"]["sentence_id"]}


# annotations


@case("annotations_missing", "task has no `annotations` list")
def _(tasks):
    t = target(tasks)
    del t["annotations"]
    return named(t)


@case("annotations_empty", "no completed annotation")
def _(tasks):
    t = target(tasks)
    t["annotations"] = []
    return named(t)


@case("annotation_not_object", "an annotation is not an object")
def _(tasks):
    t = target(tasks)
    t["annotations"].append("LGTM")
    return named(t)


@case("cancelled_only", "no completed annotation (1 cancelled)")
def _(tasks):
    t = target(tasks)
    t["annotations"][0]["was_cancelled"] = True
    return named(t)


def _second_opinion(t: dict, stance: str, **fields) -> dict:
    other = copy.deepcopy(t["annotations"][0])
    other.update(id=other["id"] + 10_000, completed_by="annotator-2", **fields)
    s = next(r for r in other["result"] if r["from_name"] == "stance")
    s["value"]["choices"] = [stance]
    return other


def _other_stance(t: dict) -> str:
    return "against" if stance_item(t)["value"]["choices"] != ["against"] else "favor"


@case("two_annotators_disagree", "2 completed annotations disagree; adjudicate and mark exactly one as ground truth")
def _(tasks):
    t = target(tasks)
    t["annotations"].append(_second_opinion(t, _other_stance(t)))
    return named(t)


@case("two_ground_truths_disagree", "2 completed annotations disagree")
def _(tasks):
    t = target(tasks)
    t["annotations"][0]["ground_truth"] = True
    t["annotations"].append(_second_opinion(t, _other_stance(t), ground_truth=True))
    return named(t)


@case("email_in_completed_by_dict", "completed_by is a user object with an e-mail address")
def _(tasks):
    t = target(tasks)
    t["annotations"][0]["completed_by"] = {"id": 7, "email": "jane.doe@example.org", "first_name": "Jane"}
    return named(t)


@case("user_object_without_email_in_completed_by", "completed_by is a user object (as Label Studio's API")
def _(tasks):
    t = target(tasks)
    t["annotations"][0]["completed_by"] = {"id": 5}
    return named(t)


@case("email_in_completed_by_string", "completed_by holds an e-mail address")
def _(tasks):
    t = target(tasks)
    t["annotations"][0]["completed_by"] = "Jane Doe <jane.doe@example.org>"
    return named(t)


@case("result_not_list", "annotation has no `result` list")
def _(tasks):
    t = target(tasks)
    t["annotations"][0]["result"] = {"0": result(t)[0]}
    return named(t)


@case("result_item_not_object", "result[{k}] is not an object with a `value`")
def _(tasks):
    t = target(tasks)
    result(t).append("PER")
    return named(t, k=len(result(t)) - 1)


@case("value_not_object", "result[0] is not an object with a `value`")
def _(tasks):
    t = target(tasks)
    result(t)[0]["value"] = [29, 35]
    return named(t)


@case("unknown_from_name", "result[{k}]: unknown control 'labels'")
def _(tasks):
    t = target(tasks)
    r = regions(t)[0]
    r["from_name"] = "labels"
    return named(t, k=result(t).index(r))


# spans


def _span_case(case_id: str, fragment: str, start, end):
    """A case that moves the first mention of the target task to ``start(v, n)``, ``end(v, n)``."""

    @case(case_id, fragment)
    def _(tasks):
        t = target(tasks)
        r = regions(t)[0]
        v, n = r["value"], len(t["data"]["text"])
        v["start"], v["end"] = start(v, n), end(v, n)
        return named(t, k=result(t).index(r), s=v["start"], e=v["end"])


_span_case("start_negative", "result[{k}]: span [-1, {e}) outside the text (length {n}) or empty",
           lambda v, n: -1, lambda v, n: v["end"])
_span_case("end_past_the_end", "result[{k}]: span [{s}, {e}) outside the text (length {n}) or empty",
           lambda v, n: v["start"], lambda v, n: n + 5)
_span_case("start_equals_end", "result[{k}]: span [{s}, {s}) outside the text (length {n}) or empty",
           lambda v, n: v["start"], lambda v, n: v["start"])
_span_case("start_after_end", "result[{k}]: span [{s}, {e}) outside the text (length {n}) or empty",
           lambda v, n: v["end"], lambda v, n: v["start"])
_span_case("start_as_string", "result[{k}]: start/end must be integers, got '{s}', {e}",
           lambda v, n: str(v["start"]), lambda v, n: v["end"])
_span_case("start_as_float", "result[{k}]: start/end must be integers, got {s}, {e}",
           lambda v, n: float(v["start"]), lambda v, n: v["end"])
_span_case("end_as_boolean", "result[{k}]: start/end must be integers, got 0, True",
           lambda v, n: 0, lambda v, n: True)
_span_case("huge_integer_end", "result[{k}]: span [{s}, {e}) outside the text",
           lambda v, n: v["start"], lambda v, n: 10**18)


@case("value_text_disagrees", "result[{k}]: value.text 'Atlantis' disagrees with text[{start}:{end}] '{surface}'")
def _(tasks):
    t = target(tasks)
    r = regions(t)[0]
    r["value"]["text"] = "Atlantis"
    return named(t, k=result(t).index(r), **region_fmt(t, r))


def _inside_token(t: dict) -> tuple[dict, int]:
    """A mention whose last token has two or more characters, and a point inside that token."""
    ends = {tok.end for tok in tokenize(t["data"]["text"])}
    r = next(r for r in regions(t) if r["value"]["end"] - 1 not in ends)
    return r, r["value"]["end"] - 1


@case("span_ends_inside_a_token", "result[{k}]: span [{start}, {end}) '{surface}' is not on token boundaries")
def _(tasks):
    t = target(tasks)
    r, inside = _inside_token(t)
    r["value"].update(end=inside, text=t["data"]["text"][r["value"]["start"] : inside])
    return named(t, k=result(t).index(r), **region_fmt(t, r))


@case("span_starts_inside_a_token", "result[{k}]: span [{start}, {end}) '{surface}' is not on token boundaries")
def _(tasks):
    t = target(tasks)
    starts = {tok.start for tok in tokenize(t["data"]["text"])}
    r = next(r for r in regions(t) if r["value"]["end"] - r["value"]["start"] > 1 and r["value"]["start"] + 1 not in starts)
    r["value"].update(start=r["value"]["start"] + 1, text=t["data"]["text"][r["value"]["start"] + 1 : r["value"]["end"]])
    return named(t, k=result(t).index(r), **region_fmt(t, r))


def _before_punctuation(tasks: list[dict]) -> tuple[dict, dict]:
    """A task and one of its mentions followed at once by a punctuation mark (a full stop, a comma)."""
    for t in tasks:
        text = t["data"]["text"]
        for r in regions(t):
            end = r["value"]["end"]
            if end < len(text) and unicodedata.category(text[end])[0] == "P":
                return t, r
    raise AssertionError("no mention of the committed export is followed by a punctuation mark")


@case("span_includes_the_punctuation_after_it",
      "result[{k}]: span [{start}, {end}) '{surface}' ends with the punctuation mark '{mark}'; the guidelines (§1)")
def _(tasks):
    t, r = _before_punctuation(tasks)
    end = r["value"]["end"] + 1
    r["value"].update(end=end, text=t["data"]["text"][r["value"]["start"] : end])
    return named(t, k=result(t).index(r), mark=t["data"]["text"][end - 1], **region_fmt(t, r))


@case("entity_id_in_the_free_text_form_of_older_exports",
      "result[{k}]: a 'entity_id' region must have type 'choices', got 'textarea' (the free-text form",
      "`vietlao migrate` converts it")
def _(tasks):
    t = target(tasks)
    item = id_item(t, regions(t)[0])
    value = item["value"]
    item.update(type="textarea", value={"start": value["start"], "end": value["end"], "text": value[lc.ENTITY_ID_KEY]})
    return named(t, k=result(t).index(item))


@case("overlapping_spans", "spans overlap: [{a}, {b}) {la} and [{a}, {c}) MISC")
def _(tasks):
    t = target(tasks)
    first, second = regions(t)[:2]
    a, b, c = first["value"]["start"], first["value"]["end"], second["value"]["end"]
    result(t).append(new_region(t, a, c, "MISC", "overlap"))
    return named(t, a=a, b=b, c=c, la=first["value"]["labels"][0])


@case("same_span_twice", "spans overlap: [{start}, {end}) {label} and [{start}, {end}) MISC")
def _(tasks):
    t = target(tasks)
    r = regions(t)[0]
    v = r["value"]
    result(t).append(new_region(t, v["start"], v["end"], "MISC", "twin"))
    return named(t, **region_fmt(t, r))


@case("duplicate_region_id", "duplicate region id {rid!r}")
def _(tasks):
    t = target(tasks)
    first, second = regions(t)[:2]
    second["id"] = first["id"]
    return named(t, rid=first["id"])


@case("region_id_unhashable", "region id must be a string, got list")
def _(tasks):
    t = target(tasks)
    r = regions(t)[0]
    id_item(t, r)["id"] = r["id"] = [r["id"]]
    return named(t)


# entity labels


def _set_value(item_of, key: str, value):
    """A case that sets ``value[key]`` of one result item of the target task."""

    def mutate(tasks):
        t = target(tasks)
        item_of(t)["value"][key] = value
        return named(t)

    return mutate


for _id, _labels in [
    ("unknown_entity_label", ["PERSON"]),
    ("labels_not_a_list", "GPE"),
    ("two_entity_labels", ["PER", "GPE"]),
    ("lower_case_label", ["gpe"]),
]:
    case(_id, f"unknown or multiple entity labels {_labels!r}")(
        _set_value(lambda t: regions(t)[0], "labels", _labels)
    )


# stance

for _id, _choice in [("unknown_stance", "positive"), ("stance_wrong_case", "Favor")]:
    case(_id, f"unknown stance {_choice!r}")(_set_value(stance_item, "choices", [_choice]))


@case("two_stance_choices", "expected exactly one stance, found 2: ['favor', 'against']")
def _(tasks):
    t = target(tasks)
    stance_item(t)["value"]["choices"] = ["favor", "against"]
    return named(t)


@case("two_stance_results", "expected exactly one stance, found 2")
def _(tasks):
    t = target(tasks)
    result(t).append(copy.deepcopy(stance_item(t)))
    return named(t)


@case("missing_stance", "expected exactly one stance, found 0: []")
def _(tasks):
    t = target(tasks)
    result(t).remove(stance_item(t))
    return named(t)


@case("stance_without_choices", "stance without choices")
def _(tasks):
    t = target(tasks)
    stance_item(t)["value"]["choices"] = []
    return named(t)


# entity ids


@case("entity_id_without_region", "entity_id 'vietnam' belongs to region 'ghost', which does not exist")
def _(tasks):
    t = target(tasks)
    result(t).append(id_region("ghost", "vietnam"))
    return named(t)


@case("entity_id_not_in_inventory", "{label} '{surface}' [{start}, {end}): entity_id 'atlantis' is not in the inventory")
def _(tasks):
    t = target(tasks)
    r = regions(t)[0]
    id_item(t, r)["value"][lc.ENTITY_ID_KEY] = ["atlantis"]
    return named(t, **region_fmt(t, r))


@case("entity_id_wrong_type", "{label} '{surface}' [{start}, {end}): entity_id '{other}' is {other_type} in the inventory")
def _(tasks):
    t = target(tasks)
    r = regions(t)[0]
    label = r["value"]["labels"][0]
    other, other_type = next((k, v) for k, v in sorted(gold_context().inventory.items()) if v != label)
    id_item(t, r)["value"][lc.ENTITY_ID_KEY] = [other]
    return named(t, other=other, other_type=other_type, **region_fmt(t, r))


@case("linkable_without_entity_id", "{label} '{surface}' [{start}, {end}) has no entity_id")
def _(tasks):
    t = target(tasks)
    r = regions(t)[0]
    result(t).remove(id_item(t, r))
    return named(t, **region_fmt(t, r))


@case("blank_entity_id", "{label} '{surface}' [{start}, {end}) has no entity_id")
def _(tasks):
    t = target(tasks)
    r = regions(t)[0]
    id_item(t, r)["value"][lc.ENTITY_ID_KEY] = ["   "]
    return named(t, **region_fmt(t, r))


@case("two_entity_ids", "entity_id must be one string, got ['vietnam', 'laos']")
def _(tasks):
    t = target(tasks)
    id_item(t, regions(t)[0])["value"][lc.ENTITY_ID_KEY] = ["vietnam", "laos"]
    return named(t)


@case("entity_id_number", "entity_id must be one string, got [5]")
def _(tasks):
    t = target(tasks)
    id_item(t, regions(t)[0])["value"][lc.ENTITY_ID_KEY] = [5]
    return named(t)


@case("date_with_entity_id", "DATE '{surface}' [{start}, {end}): DATE mentions take no entity_id")
def _(tasks):
    t = task_with(tasks, "DATE")
    r = next(r for r in regions(t) if r["value"]["labels"][0] == "DATE")
    result(t).append(id_region(r["id"], "vietnam"))
    return named(t, **region_fmt(t, r))


# Reliability round 2: each class of defect found by hostile exports (see
# test_bad_export_is_rejected_and_nothing_is_written).

def _other_lang(lang: str) -> str:
    return next(x for x in ("nb", "id", "vi", "ru") if x != lang)


@case("lang_not_the_documents", "data.lang '{lang}' is not the language of document {doc} ('{doc_lang}')")
def _(tasks):
    t = target(tasks)
    doc_lang, t["data"]["lang"] = t["data"]["lang"], _other_lang(t["data"]["lang"])
    return named(t, lang=t["data"]["lang"], doc_lang=doc_lang)


@case("lang_unknown", "data.lang 'xx' is not a language of the corpus")
def _(tasks):
    t = target(tasks)
    t["data"]["lang"] = "xx"
    return named(t)


@case("lang_empty", "data.lang '' is not a language of the corpus")
def _(tasks):
    t = target(tasks)
    t["data"]["lang"] = ""
    return named(t)


@case("lang_with_nul", "data.lang 'n\\x00b' is not a language of the corpus")
def _(tasks):
    t = target(tasks)
    t["data"]["lang"] = "n\x00b"
    return named(t)


@case("two_entity_id_items", "result[{k}]: region {rid!r} has more than one entity_id")
def _(tasks):
    t = target(tasks)
    r = regions(t)[0]
    result(t).append(id_region(r["id"], "laos"))
    return named(t, k=len(result(t)) - 1, rid=r["id"])


@case("ground_truth_a_string", "annotation ground_truth must be true or false, got str 'false'")
def _(tasks):
    t = target(tasks)
    t["annotations"][0]["ground_truth"] = "false"
    return named(t)


@case("was_cancelled_a_string", "annotation was_cancelled must be true or false, got str 'false'")
def _(tasks):
    t = target(tasks)
    t["annotations"][0]["was_cancelled"] = "false"
    return named(t)


@case("labels_region_of_another_type", "result[{k}]: a 'label' region must have type 'labels', got 'rectanglelabels'")
def _(tasks):
    t = target(tasks)
    r = regions(t)[0]
    r["type"] = "rectanglelabels"
    return named(t, k=result(t).index(r))


@case("duplicate_key_end", "key 'end' appears twice in one object")
def _(tasks):
    t = target(tasks)
    value = regions(t)[0]["value"]
    value["end"] = "@@END@@"
    return {**named(t), "raw": dumps(tasks).replace(b'"@@END@@"', b"%d, \"end\": %d" % (value["start"] + 1, 10**6))}


@case("duplicate_key_result", "key 'result' appears twice in one object")
def _(tasks):
    t = target(tasks)
    annotation = {k: v for k, v in t["annotations"][0].items() if k != "lead_time"}
    t["annotations"][0] = {**annotation, "lead_time": "@@RESULT@@"}  # the second "result" after the real one
    return {**named(t), "raw": dumps(tasks).replace(b'"@@RESULT@@"', b'1, "result": []')}


@case("integer_beyond_64_bits", f"an integer beyond 64 bits (integers are limited to \u00b1{2**63 - 1})")
def _(tasks):
    t = target(tasks)
    t["annotations"][0]["lead_time"] = 2**70
    return named(t)


@case("integer_2_pow_64_offset", "an integer beyond 64 bits")
def _(tasks):
    t = target(tasks)
    t["data"]["offset"] = 2**64
    return named(t, sid=None) if list(t["data"]).index("offset") < list(t["data"]).index("sentence_id") else named(t)


@case("deep_nesting_1100", f"JSON nested deeper than {MAX_DEPTH} levels")
def _(tasks):
    t = target(tasks)
    t["meta"] = "@@DEEP1100@@"
    return {**named(t), "raw": dumps(tasks).replace(b'"@@DEEP1100@@"', b"[" * 1100 + b"]" * 1100)}


@case("model_version_an_email", "prediction model_version 'pre annotator@example.org' is not a name")
def _(tasks):
    t = target(tasks)
    t["predictions"] = [{"model_version": "pre annotator@example.org", "result": []}]
    return named(t)


@case("model_version_markup", "prediction model_version '<b>gazetteer</b>' is not a name")
def _(tasks):
    t = target(tasks)
    t["annotations"][0]["prediction"] = {"model_version": "<b>gazetteer</b>", "result": []}
    return named(t)


@case("model_version_not_a_string", "prediction model_version 5 is not a name")
def _(tasks):
    t = target(tasks)
    t["predictions"] = [{"model_version": 5}]
    return named(t)


@case("utf16_file", "the file is not UTF-8 (it looks like UTF-16)")
def _(tasks):
    return {"raw": dumps(tasks).decode("utf-8").encode("utf-16")}


@case("utf16_file_without_bom", "the file is not UTF-8 (it looks like UTF-16)")
def _(tasks):
    return {"raw": dumps(tasks).decode("utf-8").encode("utf-16-le")}


# Escaped UTF-16 surrogates that are not half of a pair: yajl reads a lone high one as a wrong
# character ("\\ud800b" as "?b", "\\ud800\\u0041" as U+10041) and a lone low one as bytes that are
# not UTF-8; an escaped backslash before "u" and a valid pair are read (test_reader.py cuts them
# across reads).

LONE = "a string holds an escaped lone UTF-16 surrogate "
LONE_HIGH = LONE + "{escape} (a high surrogate without an escaped low one right after it), which is not text"
LONE_LOW = LONE + "{escape} (a low surrogate without an escaped high one right before it), which is not text"


def _surrogate(tasks: list, escape: bytes, where) -> dict:
    t = target(tasks)
    where(t, "@@SURROGATE@@")
    return {**named(t), "escape": escape.decode("latin-1")[:6], "raw": dumps(tasks).replace(b"@@SURROGATE@@", escape)}


def _value_text(t: dict, text: str) -> None:
    regions(t)[0]["value"]["text"] = text


@case("lone_surrogate_in_value_text", LONE_LOW)
def _(tasks):
    return _surrogate(tasks, b"\\udc80", _value_text)


@case("lone_high_surrogate_at_end_of_value_text", LONE_HIGH)
def _(tasks):
    return _surrogate(tasks, b"\\ud800", lambda t, s: _value_text(t, regions(t)[0]["value"]["text"] + s))


@case("lone_high_surrogate_before_an_escape_in_data_text", LONE_HIGH)
def _(tasks):
    return _surrogate(tasks, b"\\uD800\\u0041", lambda t, s: t["data"].update(text=s + t["data"]["text"]))


@case("lone_high_surrogate_before_a_letter_in_completed_by", LONE_HIGH)
def _(tasks):
    return _surrogate(tasks, b"\\udbffb", lambda t, s: t["annotations"][0].update(completed_by=s))


@case("lone_high_surrogate_before_a_high_one_in_a_key", LONE_HIGH)
def _(tasks):
    return _surrogate(tasks, b"\\ud83d\\ud83d\\ude00", lambda t, s: t["annotations"][0].update({s: 1}))


@case("lone_low_surrogate_after_an_escaped_backslash", LONE_LOW)
def _(tasks):
    fields = _surrogate(tasks, b"\\\\\\udc80", _value_text)
    return {**fields, "escape": "\\udc80"}


@case("lone_high_surrogate_before_the_task_id", LONE_HIGH)
def _(tasks):
    """Keys sorted as Label Studio writes them: the annotations come before the task's id and data."""
    fields = _surrogate(tasks, b"\\ud800", _value_text)
    raw = json.dumps(tasks, ensure_ascii=False, sort_keys=True).encode()
    return {**fields, "raw": raw.replace(b"@@SURROGATE@@", b"\\ud800")}


@case("encoded_surrogate_in_value_text", "a string holds bytes that are not UTF-8 (byte 0xed: invalid continuation byte)")
def _(tasks):
    return _surrogate(tasks, b"\xed\xa0\x80", _value_text)


@case("task_id_true", "task None (sentence {sid}): task id must be an integer, got boolean true")
def _(tasks):
    t = target(tasks)
    t["id"] = True
    return {"sid": t["data"]["sentence_id"]}


# oversized strings. Up to MAX_RUN_BYTES the parser reads the string and stops after its task;
# beyond, it stops at once (yajl would take O(n²) time), naming the task as far as it has been read.

TOO_LONG = f"has {MAX_TEXT_CHARS + 1} characters (limit {MAX_TEXT_CHARS})"
HUGE_MESSAGE = f"a string of more than {MAX_RUN_BYTES} bytes from byte"
HUGE_LIMIT = f"(strings are limited to {MAX_TEXT_CHARS} characters)"


@case("long_data_text", f"a string near key 'text' {TOO_LONG}")
def _(tasks):
    t = target(tasks)
    t["data"]["text"] = "x" * (MAX_TEXT_CHARS + 1)
    return named(t)


@case("long_key", f"a key {TOO_LONG}")
def _(tasks):
    t = target(tasks)
    t["annotations"][0]["k" * (MAX_TEXT_CHARS + 1)] = 1
    return named(t)


@case("long_escaped_string", f"a string near key 'q' has {MAX_TEXT_CHARS + 1} characters")
def _(tasks):
    t = target(tasks)
    t["meta"] = {"q": '"' * (MAX_TEXT_CHARS + 1)}  # every character escaped: no run without a quote
    return named(t)


@case("huge_data_text", HUGE_MESSAGE, HUGE_LIMIT)
def _(tasks):
    t = target(tasks)
    t["data"] = {"text": HUGE, **{k: v for k, v in t["data"].items() if k != "text"}}
    return named(t, sid=None)  # stopped inside data.text, before data.sentence_id


@case("huge_completed_by", HUGE_MESSAGE, HUGE_LIMIT)
def _(tasks):
    t = target(tasks)
    t["annotations"][0]["completed_by"] = HUGE
    return named(t)


@case("huge_value_text", HUGE_MESSAGE)
def _(tasks):
    t = target(tasks)
    regions(t)[0]["value"]["text"] = HUGE
    return named(t)


@case("huge_unused_field", HUGE_MESSAGE)
def _(tasks):
    t = target(tasks)
    t["meta"] = {"note": HUGE}
    return named(t)


@case("huge_string_in_first_task", HUGE_MESSAGE)
def _(tasks):
    tasks[0]["id"] = HUGE  # nothing of the task is known yet
    return {"tid": None, "sid": None}


# --- running a case ------------------------------------------------------------------------------


def write_export(path: Path, fields: dict, tasks: list) -> None:
    raw = fields.get("raw")
    if raw is None:
        raw = dumps(tasks)
    quoted_huge, quoted_deep = f'"{HUGE}"'.encode(), f'"{DEEP}"'.encode()
    with path.open("wb") as f:
        if quoted_huge in raw:
            head, tail = raw.split(quoted_huge, 1)
            f.write(head + b'"')
            chunk = b"x" * 1_000_000
            for _ in range(HUGE_CHARS // len(chunk)):
                f.write(chunk)
            f.write(b'"' + tail)
        elif quoted_deep in raw:
            head, tail = raw.split(quoted_deep, 1)
            f.write(head + b"[" * DEEP_LEVELS + b"]" * DEEP_LEVELS + tail)
        else:
            f.write(raw)


def expected(fragments: tuple[str, ...], fields: dict) -> tuple[list[str], str | None]:
    fmt = {k: v for k, v in fields.items() if k != "raw"}
    prefix = f"task {fields['tid']} (sentence {fields['sid']}): " if "tid" in fields else None
    return [f.format(**fmt) for f in fragments], prefix


def assert_reported(message: str, fragments: list[str], prefix: str | None) -> None:
    assert "Traceback" not in message
    for fragment in fragments:
        if prefix is None:
            assert fragment in message, f"{fragment!r} not in:\n{message}"
        else:
            assert any(prefix in line and fragment in line for line in message.splitlines()), (
                f"no line with {prefix!r} and {fragment!r} in:\n{message}"
            )
    assert len(message) < 20_000, "the message repeats a huge value"


def snapshot(directory: Path) -> dict[str, tuple]:
    """Every entry under ``directory`` with its kind, size, modification time and (if small) content."""
    entries = {}
    for p in sorted(directory.rglob("*")):
        st = p.lstat()
        small = p.is_file() and st.st_size < 1_000_000
        entries[str(p.relative_to(directory))] = (p.is_dir(), st.st_size, st.st_mtime_ns, p.read_bytes() if small else None)
    return entries


@pytest.fixture
def workspace(tmp_path) -> tuple[Path, Path]:
    """An export path and an output folder holding a previous build."""
    out = tmp_path / "ds"
    (out / "data").mkdir(parents=True)
    (out / "README.md").write_text("<!-- generated:statistics -->\nprevious build\n", encoding="utf-8")
    return tmp_path / "bad.json", out


@pytest.mark.parametrize(("make", "fragments"), CASES)
def test_bad_export_is_rejected_and_nothing_is_written(make, fragments, base, workspace, capsys):
    path, out = workspace
    tasks = copy.deepcopy(base)
    fields = make(tasks)
    write_export(path, fields, tasks)
    want, prefix = expected(fragments, fields)
    before = snapshot(path.parent)

    with pytest.raises(ExportError) as caught:
        validate_gold(path)
    assert_reported(str(caught.value), want, prefix)
    if prefix is not None:
        assert any(f"task {p.task_id} (sentence {p.sentence_id}): " == prefix for p in caught.value.problems)

    for argv in (["validate", str(path)], ["build", "--export", str(path), "--output", str(out)]):
        capsys.readouterr()
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert err.startswith("vietlao: error: ")
        assert_reported(err, want, prefix)
        assert snapshot(path.parent) == before, "something was written"



def test_a_duplicate_key_before_the_real_one_is_rejected(base, tmp_path):
    tasks = copy.deepcopy(base)
    t = target(tasks)
    annotation = t["annotations"][0]
    t["annotations"][0] = {"lead_time": "@@RESULT@@", **{k: v for k, v in annotation.items() if k != "lead_time"}}
    path = tmp_path / "export.json"
    path.write_bytes(dumps(tasks).replace(b'"@@RESULT@@"', b'1, "result": []'))
    with pytest.raises(ExportError, match="key 'result' appears twice"):
        read_export(path, gold_context())


@pytest.mark.corpus
def test_the_base_export_is_valid(base, tmp_path, capsys):
    path = tmp_path / "export.json"
    path.write_bytes(dumps(base))
    assert len(validate_gold(path)) == len(base) == SENTENCES
    assert main(["validate", str(path)]) == 0
    assert "valid" in capsys.readouterr().out


# --- exports that must be accepted -----------------------------------------------------------------


def _accept(tasks: list, path: Path, capsys) -> dict:
    path.write_bytes(dumps(tasks))
    records = {r.task_id: r for r in validate_gold(path)}
    capsys.readouterr()
    assert main(["validate", str(path)]) == 0
    assert "valid" in capsys.readouterr().out
    return records


def test_disagreement_with_one_ground_truth_is_accepted(base, tmp_path, capsys):
    tasks = copy.deepcopy(base)
    t = target(tasks)
    gold, other = stance_item(t)["value"]["choices"][0], _other_stance(t)
    t["annotations"].insert(0, _second_opinion(t, other))  # the other opinion first
    t["annotations"][1]["ground_truth"] = True
    assert _accept(tasks, tmp_path / "gt.json", capsys)[t["id"]].stance == gold


@pytest.mark.corpus
def test_agreeing_annotators_are_accepted(base, tmp_path, capsys):
    """The same result with other region ids, in another order, counts as agreement."""
    tasks = copy.deepcopy(base)
    t = target(tasks)
    same = copy.deepcopy(t["annotations"][0])
    same.update(id=99_999, completed_by="annotator-2", result=list(reversed(same["result"])))
    for r in same["result"]:
        if "id" in r:
            r["id"] = "x" + r["id"]
    t["annotations"].append(same)
    assert len(_accept(tasks, tmp_path / "agree.json", capsys)) == SENTENCES


def test_a_cancelled_annotation_beside_a_completed_one_is_ignored(base, tmp_path, capsys):
    tasks = copy.deepcopy(base)
    t = target(tasks)
    gold = stance_item(t)["value"]["choices"][0]
    t["annotations"].insert(0, _second_opinion(t, _other_stance(t), was_cancelled=True))
    assert _accept(tasks, tmp_path / "cancelled.json", capsys)[t["id"]].stance == gold


@pytest.mark.corpus
@pytest.mark.parametrize("who", [17, None, "annotator-2"])
def test_pseudonymous_completed_by_is_accepted(who, base, tmp_path, capsys):
    tasks = copy.deepcopy(base)
    target(tasks)["annotations"][0]["completed_by"] = who
    assert len(_accept(tasks, tmp_path / "who.json", capsys)) == SENTENCES


def test_line_separator_is_caught_without_documents(base, tmp_path):
    """Without documents (synthetic exports) there is no drift check: the line-break rule alone must catch it."""
    tasks = copy.deepcopy(base)
    t = target(tasks)
    t["data"]["text"] = t["data"]["text"] + "\u2028"
    path = tmp_path / "ls.json"
    path.write_bytes(dumps(tasks))
    with pytest.raises(ExportError, match="data.text contains a line break"):
        read_export(path, Context(inventory=gold_context().inventory))


@pytest.mark.parametrize("kind, message", [
    ("missing", "cannot read: No such file or directory"),
    ("folder", "is a folder, not a file"),
    ("fifo", "is a pipe (FIFO or standard input), not a file"),
    ("gzip", "the file is gzip-compressed; decompress it first (gunzip)"),
])
def test_unusable_export_paths_are_one_problem(tmp_path, capsys, kind, message):
    """Nothing is opened that could block (a FIFO without a writer), nothing is written."""
    import gzip

    path = {"missing": tmp_path / "missing.json", "folder": tmp_path / "folder", "fifo": tmp_path / "fifo",
            "gzip": tmp_path / "export.json.gz"}[kind]
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "gzip":
        path.write_bytes(gzip.compress(project().export.read_bytes()))
    with pytest.raises(ExportError, match=re.escape(message)):
        validate_gold(path)
    for argv in (["validate", str(path)], ["build", "--export", str(path), "--output", str(tmp_path / "ds")]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert err.startswith("vietlao: error: ") and message in err and "Traceback" not in err, err
        assert not (tmp_path / "ds").exists()


def test_standard_input_is_refused_in_one_line(tmp_path):
    """`cat export.json | vietlao validate /dev/stdin`: a pipe cannot be read twice (the reader
    checks the start, then parses): one error line, not a traceback."""
    done = subprocess.run([sys.executable, "-m", "vietlao", "validate", "/dev/stdin"], input=project().export.read_bytes(),
                          capture_output=True, cwd=project().root, timeout=120)
    err = done.stderr.decode()
    assert done.returncode == 1 and err.startswith("vietlao: error: /dev/stdin: 1 problem(s)\n"), err
    assert "save the data to a file first" in err and "Traceback" not in err


# --- the real command, in a subprocess, for a representative subset ----------------------------------

_MEASURE = """
import resource, sys, time
from vietlao.cli import main
t = time.perf_counter()
rc = main(sys.argv[1:])
print(f"{time.perf_counter() - t:.2f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")
sys.exit(rc)
"""

SUBPROCESS_CASES = ["truncated_json", "drift_text", "huge_data_text", "lone_high_surrogate_before_a_letter_in_completed_by"]


@pytest.mark.parametrize("case_id", SUBPROCESS_CASES)
def test_cli_subprocess(case_id, base, workspace, record_property):
    make, fragments = next((p.values[0], p.values[1]) for p in CASES if p.id == case_id)
    path, out = workspace
    tasks = copy.deepcopy(base)
    fields = make(tasks)
    write_export(path, fields, tasks)
    want, prefix = expected(fragments, fields)
    before = snapshot(path.parent)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    for argv in (["validate", str(path)], ["build", "--export", str(path), "--output", str(out)]):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _MEASURE, *argv], capture_output=True, text=True,
                              timeout=300, env=env)
        wall = time.perf_counter() - started
        assert done.returncode == 1, done.stderr[-2000:]
        assert_reported(done.stderr, want, prefix)
        assert done.stderr.startswith("vietlao: error: ")
        seconds, maxrss_kib = done.stdout.split()
        # Reported, not asserted, except a generous bound on memory: a 50 MB field may cost a few copies
        # of itself, never gigabytes.
        record_property(f"{argv[0]}_seconds", f"{float(seconds):.2f} (wall {wall:.2f})")
        record_property(f"{argv[0]}_maxrss_mib", int(maxrss_kib) // 1024)
        print(f"{case_id} {argv[0]}: {float(seconds):.2f} s in main, {wall:.2f} s wall, max RSS {int(maxrss_kib) // 1024} MiB")
        assert int(maxrss_kib) < 1024 * 1024, f"max RSS {int(maxrss_kib) // 1024} MiB"
        assert snapshot(path.parent) == before


@pytest.mark.corpus
@pytest.mark.parametrize(("before", "after"), [(b" " * 100, b""), (b"\n\t \r\n", b"\n"), (b"", b" " * 2_000_000)],
                         ids=["leading_spaces", "leading_mixed", "trailing_2mb"])
def test_whitespace_around_the_list_is_accepted(before, after, base, tmp_path, capsys):
    plain = tmp_path / "plain.json"
    plain.write_bytes(dumps(base))
    padded = tmp_path / "padded.json"
    padded.write_bytes(before + dumps(base) + after)
    assert len(validate_gold(padded)) == len(base) == SENTENCES
    assert main(["validate", str(padded)]) == 0
    assert [r.sentence_id for r in validate_gold(padded)] == [r.sentence_id for r in validate_gold(plain)]


@pytest.mark.corpus
def test_a_partial_export_is_refused_with_the_flag_named_and_accepted_with_it(base, tmp_path, capsys):
    path = tmp_path / "partial.json"
    path.write_bytes(dumps(base[:5]))
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{len(base) - 5} of {len(base)} sentences have none" in err and "vietlao validate --partial" in err
    assert main(["validate", str(path), "--partial"]) == 0


@pytest.mark.corpus
def test_an_escaped_backslash_before_u_and_a_surrogate_pair_are_accepted(base, tmp_path, capsys):
    """``\\\\ud800`` is a backslash and the text ``ud800``; ``\\ud83d\\ude00`` is one character."""
    tasks = copy.deepcopy(base)
    target(tasks)["meta"] = {"note": "@@NOTE@@"}
    path = tmp_path / "escapes.json"
    path.write_bytes(dumps(tasks).replace(b"@@NOTE@@", b"\\\\ud800 \\ud83d\\uDE00"))
    assert next(t for t in iter_tasks(path) if t["meta"] == {"note": "\\ud800 \U0001F600"})
    assert len(validate_gold(path)) == SENTENCES
    assert main(["validate", str(path)]) == 0


def test_control_characters_and_huge_values_from_the_export_are_escaped_and_cut(base, tmp_path, capsys):
    """An ANSI escape in a sentence id (ESC[2J clears the terminal), a newline in another that
    would start a line of its own, a 50,000-character id: escaped and cut in the one error message."""
    tasks = copy.deepcopy(base)
    tasks[0]["data"]["sentence_id"] = "\x1b[2J000-000"
    tasks[1]["data"]["sentence_id"] = "7\nvietlao: error: forged"
    tasks[2]["data"]["sentence_id"] = "x" * 50_000  # under the reader's string limit
    path = tmp_path / "export.json"
    path.write_bytes(dumps(tasks))
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[2J000-000" in err
    assert "7\\nvietlao: error: forged" in err
    assert not any(line.startswith("vietlao: error: forged") for line in err.splitlines())
    assert len(err) < 20_000 and "(50000 characters)" in err
