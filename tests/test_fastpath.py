"""vietlao.dataset.fastpath: the typed route of the streaming build. Whatever it accepts, the plain path
(``convert_tasks(iter_tasks(...))``) accepts too, with the same rows; it takes real and generated
exports; anything it is unsure of it refuses (then the generic route names the problem)."""

from __future__ import annotations

import copy
import importlib
import json
import shutil
import sys
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vietlao.dataset.batches import sentence_batches
from vietlao.export.rules import MAX_DEPTH, MAX_TEXT_CHARS
from vietlao.export.task import Context, ExportError, convert_task
from vietlao.dataset.fastpath import Declined, convert_range
from vietlao.dataset.stream import convert_export
from vietlao.export.reader import ExportChecks, convert_tasks, iter_tasks, read_export
from vietlao.dataset.ranges import parse_range
from vietlao.export.typed import decode_range, task_id
from vietlao.dataset.rows import splits_and_folds
from vietlao.export.validate import gold_context
from vietlao.paths import project

PERF = Path(__file__).resolve().parents[1] / "benchmarks" / "perf"
sys.path.insert(0, str(PERF))
generate = importlib.import_module("generate")

SPLIT_OF, FOLD_OF = (d.__getitem__ for d in splits_and_folds())
EXPORT_FILE = project().export


def typed_route(raw: bytes, ctx: Context):
    """The typed route on a whole export as one range: ``(typed tasks, {split: (ner, stance)})``,
    or None if it declines."""
    tasks = decode_range(raw)
    if tasks is None:
        return None
    try:
        return tasks, convert_range(tasks, ctx, SPLIT_OF, FOLD_OF)
    except Declined:
        return None


def task_by_task(path: Path, ctx: Context) -> dict:
    """Every task of the export, parsed as the plain path does and converted on its own (any
    problem raises), into batches per split."""
    by_split: dict[str, list] = {}
    for task in iter_tasks(path):
        record = convert_task(task, ctx)
        by_split.setdefault(SPLIT_OF(record.doc_id), []).append((record, FOLD_OF(record.doc_id)))
    return {split: sentence_batches(items) for split, items in by_split.items()}


def assert_accepted_alike(path: Path, ctx: Context, typed) -> None:
    """What the typed route accepted: each task valid on its own with the same rows, and (once the
    main process admits the ids in bulk, as ``convert_export`` does) the whole export valid."""
    tasks, batches = typed
    assert_same_batches(batches, task_by_task(path, ctx))
    if ExportChecks().admit_all([task_id(t) for t in tasks], [t.data.sentence_id for t in tasks]):
        assert len(list(convert_tasks(iter_tasks(path), ctx, source=str(path)))) == len(tasks)


def assert_same_batches(got: dict, expected: dict) -> None:
    assert got.keys() == expected.keys()
    for split in expected:
        for mine, theirs in zip(got[split], expected[split]):
            assert mine.schema == theirs.schema
            assert mine.equals(theirs), split


def test_typed_route_takes_the_project_export():
    if not EXPORT_FILE.exists():
        pytest.skip("no committed export")
    ctx = gold_context()
    got = typed_route(EXPORT_FILE.read_bytes(), ctx)
    assert got is not None, "the project's own Label Studio export must take the typed route"
    assert_accepted_alike(EXPORT_FILE, ctx, got)


@pytest.mark.parametrize("layout", ["ls", "pull"])
def test_typed_route_takes_generated_exports(tmp_path, layout):
    path = generate.write_export(tmp_path / "export.json", 400, seed=3, layout=layout)
    ctx = Context(inventory=generate.inventory())
    got = typed_route(path.read_bytes(), ctx)
    assert got is not None
    assert_accepted_alike(path, ctx, got)


# -- refusals: every rule the plain path has, the typed route either checks or leaves to it --------------

_BASE = list(generate.generate(6, seed=4))
_CTX = Context(inventory=generate.inventory())


def _label(task: dict) -> dict:
    return next(r for r in task["annotations"][-1]["result"] if r["from_name"] == "label")


def _shift_start(task: dict) -> None:
    """Start a span one character into its first token (value.text kept true to the text)."""
    value = _label(task)["value"]
    value["start"] += 1
    value["text"] = task["data"]["text"][value["start"] : value["end"]]


def _deep() -> object:
    value: object = 1
    for _ in range(MAX_DEPTH):
        value = [value]
    return value


REFUSED = {
    "span off token boundaries": lambda t: _shift_start(t),
    "span past the text": lambda t: _label(t)["value"].update(end=10_000),
    "value.text disagrees": lambda t: _label(t)["value"].update(text="x"),
    "value.text null": lambda t: _label(t)["value"].update(text=None),
    "unknown label": lambda t: _label(t)["value"].update(labels=["PERSON"]),
    "two labels": lambda t: _label(t)["value"].update(labels=["PER", "ORG"]),
    "start a boolean": lambda t: _label(t)["value"].update(start=True),
    "start a float": lambda t: _label(t)["value"].update(start=1.0),
    "region id an integer": lambda t: _label(t).update(id=7),
    "unknown control": lambda t: _label(t).update(from_name="labels2"),
    "no stance": lambda t: t["annotations"][-1]["result"].pop(),
    "unknown stance": lambda t: t["annotations"][-1]["result"][-1]["value"].update(choices=["pro"]),
    "e-mail as annotator": lambda t: t["annotations"][-1].update(completed_by="a@b.org"),
    "annotator an object": lambda t: t["annotations"][-1].update(completed_by={"id": 1}),
    "two completed annotations": lambda t: t["annotations"].append(copy.deepcopy(t["annotations"][-1])),
    "all cancelled": lambda t: [a.update(was_cancelled=True) for a in t["annotations"]],
    "text not NFC": lambda t: t["data"].update(text=t["data"]["text"] + " e\u0301"),
    "text with a line break": lambda t: t["data"].update(text=t["data"]["text"] + "\u2028"),
    "offset negative": lambda t: t["data"].update(offset=-1),
    "offset a string": lambda t: t["data"].update(offset="0"),
    "unknown data key": lambda t: t["data"].update(url="x"),
    "unknown task key": lambda t: t.update(file_upload="x"),
    "string too long": lambda t: t.update(created_at="x" * (MAX_TEXT_CHARS + 1)),
    "integer yajl refuses": lambda t: t.update(inner_id=2**63),
    "nesting too deep": lambda t: t.update(meta={"x": _deep()}),
    "duplicate region id": lambda t: t["annotations"][-1]["result"].insert(0, copy.deepcopy(_label(t))),
}


@pytest.mark.parametrize("change", REFUSED.values(), ids=REFUSED.keys())
def test_typed_route_refuses_what_it_cannot_vouch_for(tmp_path, change):
    tasks = copy.deepcopy(_BASE)
    change(tasks[2])
    raw = json.dumps(tasks, ensure_ascii=False).encode()
    assert typed_route(raw, _CTX) is None
    assert typed_route(json.dumps(_BASE, ensure_ascii=False).encode(), _CTX) is not None


# -- a key twice in one object: both routes refuse, wherever it is and whatever it holds ----------------


def _objects(value: object) -> list[dict]:
    """Every JSON object inside ``value`` (``value`` itself included), depth first."""
    found = [value] if isinstance(value, dict) else []
    for child in value.values() if isinstance(value, dict) else value if isinstance(value, list) else []:
        found += _objects(child)
    return found


def _dumps_twice(value: object, target: dict, key: str, extra: object, before: bool) -> str:
    """``value`` as JSON with ``"key": extra`` written once more in the object ``target``
    (before or after the object's own members)."""
    if isinstance(value, list):
        return "[" + ", ".join(_dumps_twice(v, target, key, extra, before) for v in value) + "]"
    if not isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    members = [f"{json.dumps(k, ensure_ascii=False)}: {_dumps_twice(v, target, key, extra, before)}"
               for k, v in value.items()]
    if value is target:
        twin = f"{json.dumps(key, ensure_ascii=False)}: {json.dumps(extra, ensure_ascii=False)}"
        members = [twin, *members] if before else [*members, twin]
    return "{" + ", ".join(members) + "}"


_TWIN_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(0, 99), st.text(alphabet=":ab\\\"\u003a", max_size=5),
    st.just([]), st.just({}), st.just({"a:b": "c:d"}),
)


@given(st.data(), _TWIN_VALUES, st.booleans())
@settings(max_examples=200, deadline=None)
def test_a_key_twice_in_any_object_is_refused_by_both_streaming_routes(data, extra, before):
    """The plain path names the key ("appears twice"); the typed and the generic route of the stream
    must leave such a range to it, wherever the twin is (before the key, where a decoder keeping the
    last one would not see it, or after) and whatever it holds (colons too)."""
    tasks = copy.deepcopy(_BASE)
    objects = [o for o in _objects(tasks) if o]
    target = data.draw(st.sampled_from(objects))
    key = data.draw(st.sampled_from(sorted(target)))
    raw = ("[" + ", ".join(_dumps_twice(t, target, key, extra, before) for t in tasks) + "]").encode()
    assert decode_range(raw) is None
    assert parse_range(bytearray(raw)) is None
    clean = json.dumps(tasks, ensure_ascii=False).encode()
    assert decode_range(clean) is not None and parse_range(bytearray(clean)) is not None


# -- a property: what the typed route accepts, the plain path accepts with the same rows ------------------

_PATHS = [
    ("id",), ("data", "text"), ("data", "offset"), ("data", "doc_id"), ("data", "sentence_id"), ("data", "lang"),
    ("meta",), ("drafts",), ("inner_id",), ("annotations", -1, "completed_by"), ("annotations", -1, "was_cancelled"),
    ("annotations", -1, "ground_truth"), ("annotations", -1, "prediction"), ("annotations", -1, "lead_time"),
    ("annotations", -1, "result", 0, "id"), ("annotations", -1, "result", 0, "from_name"),
    ("annotations", -1, "result", 0, "value", "start"), ("annotations", -1, "result", 0, "value", "end"),
    ("annotations", -1, "result", 0, "value", "labels"), ("annotations", -1, "result", 0, "value", "text"),
    ("annotations", -1, "result", 1, "value", "text"), ("annotations", -1, "result", 1, "id"),
    ("annotations", -1, "result", -1, "value", "choices"), ("annotations", -1, "result", -1, "value"),
]
_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6), st.sampled_from(["PER", "GPE", "favor", "label", "entity_id", "stance", "003", "a@b.c", ""]),
    st.lists(st.sampled_from(["PER", "favor", "hanoi", 1, None]), max_size=2),
    st.dictionaries(st.sampled_from(["start", "end", "text", "labels", "x"]), st.integers(0, 40), max_size=3),
)


def _set(task: dict, path: tuple, value: object) -> None:
    target = task
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


@given(st.lists(st.tuples(st.integers(0, len(_BASE) - 1), st.sampled_from(_PATHS), _VALUES), min_size=1, max_size=3))
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_whatever_the_typed_route_accepts_the_plain_path_accepts_alike(tmp_path, changes):
    tasks = copy.deepcopy(_BASE)
    for index, path, value in changes:
        try:
            _set(tasks[index], path, value)
        except (IndexError, KeyError, TypeError):
            pass  # an earlier change removed the way there
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    got = typed_route(export.read_bytes(), _CTX)
    if got is not None:
        assert_accepted_alike(export, _CTX, got)
    else:  # declined: the build's streaming route falls back to the plain path and gives its verdict
        assert_streamed_like_plain(export, tmp_path / f"ds-{uuid.uuid4().hex}")


def assert_streamed_like_plain(export: Path, out: Path) -> None:
    """``convert_export`` refuses the export in the plain path's words, or writes its rows."""
    try:
        plain = read_export(export, _CTX)
    except ExportError as exc:
        plain = str(exc)
    try:
        streamed = convert_export(export, out, _CTX, workers=1, split_of=SPLIT_OF, fold_of_doc=FOLD_OF)
    except ExportError as exc:
        assert str(exc) == plain
        assert not out.exists()
    else:
        assert not isinstance(plain, str), plain
        assert sum(n for (config, _), n in streamed.items() if config == "ner") == len(plain)
        shutil.rmtree(out)


def test_typed_route_gives_the_plain_rows_for_lao_text(tmp_path):
    """Streaming ≡ plain on a script cut into syllables: the Lao test text as a document, its sheet as
    an export; the typed route's batches are the task-by-task conversion's."""
    from vietlao.corpus.documents import Document
    from vietlao.corpus.inventory import load_inventory
    from vietlao.corpus.metadata import DocumentMeta
    from vietlao.labelstudio.sheets import sheets_to_tasks

    data = Path(__file__).parent / "data"
    text = (data / "lao_leaders.txt").read_text(encoding="utf-8")
    meta = DocumentMeta(doc_id="005", source_file="lao_leaders.txt", sha256="0" * 64, lang="lo", title=None,
                        outlet=None, source_url=None, published=None, is_translation=False, translated_from=None,
                        split="train")
    doc = Document(meta=meta, text=text)
    (tmp_path / "005.yaml").write_bytes((data / "lao_leaders.yaml").read_bytes())
    path = tmp_path / "export.json"
    path.write_text(json.dumps(sheets_to_tasks(tmp_path, [doc]), ensure_ascii=False), encoding="utf-8")
    ctx = Context(inventory={**{e.id: e.type for e in load_inventory().values()}, "hanoi": "GPE"},
                  documents={"005": doc})
    tasks = decode_range(path.read_bytes())
    assert tasks is not None
    batches = convert_range(tasks, ctx, {"005": "train"}.__getitem__, {"005": 5}.__getitem__)
    records = [(convert_task(t, ctx), 5) for t in iter_tasks(path)]
    assert_same_batches(batches, {"train": sentence_batches(records)})
    ner, _stance = batches["train"]
    assert "ວຽງ" in ner.column("tokens").to_pylist()[0]
