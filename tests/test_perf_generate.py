"""benchmarks/perf: the synthetic export generator, and the streaming build it exercises
(``vietlao.stream.convert_export``), which must give the records, bytes and errors of the plain path
``write_sentence_configs(convert_tasks(iter_tasks(...)))``. No timings are asserted."""

from __future__ import annotations

import hashlib
import importlib
import json
import sys
from pathlib import Path

import pytest

from vietlao.dataset.batches import write_sentence_configs
from vietlao.dataset.build import checksums
from vietlao.dataset.rows import splits_and_folds
from vietlao.paths import project
from vietlao.dataset.stream import convert_export
from vietlao.export.rules import MAX_DEPTH, MAX_TEXT_CHARS
from vietlao.export.task import Context, ExportError
from vietlao.export.reader import convert_tasks, iter_tasks
from vietlao.corpus.segment import token_offsets, tokenize, tokenize_texts

PERF = Path(__file__).resolve().parents[1] / "benchmarks" / "perf"
sys.path.insert(0, str(PERF))
generate = importlib.import_module("generate")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("layout", ["ls", "pull"])
def test_generator_is_deterministic_for_a_seed(tmp_path, layout):
    a = generate.write_export(tmp_path / "a.json", 300, seed=7, layout=layout)
    b = generate.write_export(tmp_path / "b.json", 300, seed=7, layout=layout)
    c = generate.write_export(tmp_path / "c.json", 300, seed=8, layout=layout)
    assert _digest(a) == _digest(b) != _digest(c)
    assert json.loads(a.read_text(encoding="utf-8")) == list(generate.generate(300, seed=7))


def test_layouts_are_what_label_studio_and_pull_write(tmp_path):
    tasks = list(generate.generate(20, seed=1))
    ls = generate.write_export(tmp_path / "ls.json", 20, seed=1, layout="ls")
    pull = generate.write_export(tmp_path / "pull.json", 20, seed=1, layout="pull")
    assert ls.read_text(encoding="utf-8") == json.dumps(tasks, ensure_ascii=False)
    assert pull.read_text(encoding="utf-8") == json.dumps(tasks, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def test_generated_export_passes_validation(tmp_path):
    path = generate.write_export(tmp_path / "export.json", 2000, seed=0)
    ctx = Context(inventory=generate.inventory())
    records = list(convert_tasks(iter_tasks(path), ctx, source=str(path)))  # raises ExportError on any problem
    assert len(records) == 2000
    assert len({r.sentence_id for r in records}) == 2000
    assert sum(len(r.mentions) for r in records) == 2000 * generate.SPANS_PER_TASK
    assert {r.lang for r in records} == set(generate.LANGS)
    assert all(r.annotator is not None and r.annotator.isdigit() for r in records)
    linked = {m.entity_id for r in records for m in r.mentions if m.entity_id}
    assert linked <= set(generate.inventory())


def test_generated_texts_tokenize_alike_one_by_one_and_together():
    """The rows take their tokens from ``tokenize_texts``, the checks from ``token_offsets``."""
    texts = [t["data"]["text"] for t in generate.generate(300, seed=2)]
    offsets, counts = tokenize_texts(texts)
    assert counts.tolist() == [len(token_offsets(t)) // 2 for t in texts]
    assert offsets.ravel().tolist() == [o for t in texts for o in token_offsets(t)]
    assert [o for t in texts for o in token_offsets(t)] == [o for t in texts for tok in tokenize(t) for o in (tok.start, tok.end)]


# -- convert_export against the plain path ----------------------------------------------------------



def _plain(path: Path, out: Path, ctx: Context):
    """What the plain path gives: (row counts, checksums) or (exception type, message)."""
    try:
        counts = write_sentence_configs(
            convert_tasks(iter_tasks(path), ctx, source=str(path)), out,
            *(d.__getitem__ for d in splits_and_folds()),
        )
    except Exception as exc:  # noqa: BLE001
        return type(exc), str(exc)
    return counts, checksums(out)


def _streaming(path: Path, out: Path, ctx: Context, **kwargs):
    try:
        counts = convert_export(path, out, ctx, **kwargs)
    except Exception as exc:  # noqa: BLE001
        assert not out.exists()
        return type(exc), str(exc)
    return counts, checksums(out)


def _variants(tmp_path: Path) -> dict[str, Path]:
    """A valid export and broken ones, each a few chunks long at 16 KiB per chunk."""
    tasks = list(generate.generate(120, seed=5))

    def write(name: str, items: list, text: str | None = None) -> Path:
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(items, ensure_ascii=False) if text is None else text, encoding="utf-8")
        return path

    def changed(name: str, index: int, change) -> Path:
        items = json.loads(json.dumps(tasks))
        change(items, items[index])
        return write(name, items)

    deep: object = 1
    for _ in range(MAX_DEPTH + 5):
        deep = [deep]
    valid = json.dumps(tasks, ensure_ascii=False)
    return {
        "valid": write("valid", tasks),
        "pretty": write("pretty", tasks, json.dumps(tasks, ensure_ascii=False, indent=2, sort_keys=True) + "\n"),
        "empty list": write("empty", [], " [ ] \n"),
        "one task": write("one", tasks[:1]),
        "bad span": changed("span", 70, lambda _, t: t["annotations"][-1]["result"][0]["value"].update(end=10_000)),
        "duplicate id": changed("dupid", 90, lambda items, t: t.update(id=items[3]["id"])),
        "duplicate sentence": changed("dupsent", 50, lambda items, t: t["data"].update(sentence_id=items[49]["data"]["sentence_id"])),
        "not an object": changed("notobj", 60, lambda items, t: items.__setitem__(60, 42)),
        "task id a list": changed("idlist", 60, lambda _, t: t.update(id=[1])),
        "long string": changed("long", 80, lambda _, t: t["meta"].update(note="x" * (MAX_TEXT_CHARS + 1))),
        "deep nesting": changed("deep", 80, lambda _, t: t["meta"].update(deep=deep)),
        "big integer": changed("bigint", 80, lambda _, t: t["meta"].update(n=2**63)),
        # integers at the edges of 64 bits, where orjson, msgspec and yajl part ways
        **{f"integer {name}": changed(f"int{i}", 80, lambda _, t, n=n: t.update(inner_id=n))
           for i, (name, n) in enumerate([("2**63-1", 2**63 - 1), ("2**63", 2**63), ("-2**63", -2**63),
                                          ("-2**63-1", -2**63 - 1), ("2**64-1", 2**64 - 1), ("2**64", 2**64),
                                          ("2**70", 2**70)])},
        "offset 2**64": changed("offset64", 30, lambda _, t: t["data"].update(offset=2**64)),
        "lead_time 2**70": changed("lead70", 30, lambda _, t: t["annotations"][-1].update(lead_time=2**70)),
        "leading whitespace": write("leadws", [], " " * 100 + "\n\t" + valid),
        "trailing whitespace": write("trailws", [], valid + " " * 2_000_000),
        "nesting 1100 deep": write("deep1100", [], valid.replace('"meta": {}', '"meta": ' + "[" * 1100 + "]" * 1100, 1)),
        "nesting 10000 deep": write("deep10000", [], valid.replace('"meta": {}', '"meta": ' + "[" * 10000 + "]" * 10000, 1)),
        "separator lookalike": write("lookalike", [
            {**t, "meta": {"x": [{"a": 1, "comment_authors": []}, {"id": 5}], "y": ', "comment_authors": []}, {"id": '}}
            for t in tasks
        ]),
        "unknown document": changed("unknowndoc", 100, lambda _, t: t["data"].update(doc_id="999")),
        "truncated": write("truncated", [], valid[: len(valid) * 2 // 3]),
        "trailing garbage": write("garbage", [], valid + " x"),
        "byte-order mark": write("bom", [], "\ufeff" + valid),
        "not a list": write("object", [], json.dumps({"tasks": tasks})),
        "empty file": write("emptyfile", [], ""),
    }


def test_convert_export_matches_the_plain_path(tmp_path):
    ctx = Context(inventory=generate.inventory())
    for name, path in _variants(tmp_path).items():
        expected = _plain(path, tmp_path / "plain" / path.stem, ctx)
        for workers in (1, 2):
            got = _streaming(path, tmp_path / f"w{workers}" / path.stem, ctx, workers=workers, chunk_bytes=16 << 10)
            assert got == expected, (name, workers)
        if name == "valid":
            assert isinstance(expected[0], dict) and sum(expected[0].values()) == 2 * 120
        elif name in {"truncated", "long string", "deep nesting", "big integer", "bad span", "not a list",
                      "integer 2**63", "integer -2**63", "integer -2**63-1", "integer 2**64-1", "integer 2**64",
                      "integer 2**70", "offset 2**64", "lead_time 2**70", "nesting 1100 deep", "nesting 10000 deep"}:
            assert expected[0] is ExportError, name
        elif name in {"leading whitespace", "trailing whitespace", "integer 2**63-1"}:
            assert isinstance(expected[0], dict) and sum(expected[0].values()) == 2 * 120, name


def test_convert_export_cuts_batches_as_the_plain_path(tmp_path):
    """Over several record batches per file, for any chunk size and number of workers."""
    path = generate.write_export(tmp_path / "export.json", 3000, seed=11)
    ctx = Context(inventory=generate.inventory())
    expected = _plain(path, tmp_path / "plain", ctx)
    for workers, chunk in [(1, 1 << 20), (2, 200_000), (2, 1 << 20)]:
        assert _streaming(path, tmp_path / f"w{workers}-{chunk}", ctx, workers=workers, chunk_bytes=chunk) == expected


def test_convert_export_reports_a_missing_file_and_refuses_an_existing_folder(tmp_path):
    ctx = Context(check_inventory=False)
    with pytest.raises(ExportError, match="cannot read"):
        convert_export(tmp_path / "missing.json", tmp_path / "out", ctx)
    with pytest.raises(ExportError, match="is a folder, not a file"):
        convert_export(tmp_path, tmp_path / "out2", ctx)
    assert not (tmp_path / "out").exists() and not (tmp_path / "out2").exists()
    path = generate.write_export(tmp_path / "export.json", 10, seed=0)
    (tmp_path / "taken").mkdir()
    with pytest.raises(FileExistsError):
        convert_export(path, tmp_path / "taken", ctx)


@pytest.mark.corpus
def test_convert_export_matches_the_plain_path_on_every_hostile_export(tmp_path):
    """The corpus of tests/test_bad_exports.py (gold-shaped tasks, the project's context), through
    both paths: the fast path must fall back wherever ``iter_tasks`` has a rule it does not check."""
    import copy

    bad = importlib.import_module("test_bad_exports")
    from vietlao.export.validate import gold_context

    base = bad.committed_tasks()
    ctx = gold_context()
    assert bad.CASES
    for param in bad.CASES:
        make, name = param.values[0], param.id
        tasks = copy.deepcopy(base)
        fields = make(tasks)
        path = tmp_path / f"{name}.json"
        bad.write_export(path, fields, tasks)
        expected = _plain(path, tmp_path / "plain" / name, ctx)
        for workers in (1, 2):
            got = _streaming(path, tmp_path / f"w{workers}" / name, ctx, workers=workers, chunk_bytes=8 << 10)
            assert got == expected, (name, workers)
        path.unlink()


@pytest.mark.corpus
def test_convert_export_matches_the_plain_path_on_the_project_export(tmp_path):
    from vietlao.export.validate import gold_context

    EXPORT_FILE = project().export

    if not EXPORT_FILE.exists():
        pytest.skip("no committed export")
    ctx = gold_context()
    expected = _plain(EXPORT_FILE, tmp_path / "plain", ctx)
    assert isinstance(expected[0], dict), expected
    for workers in (1, 2):
        got = _streaming(EXPORT_FILE, tmp_path / f"w{workers}", ctx, workers=workers, chunk_bytes=16 << 10)
        assert got == expected, workers


def test_generated_tasks_have_the_keys_of_the_project_export():
    EXPORT_FILE = project().export

    if not EXPORT_FILE.exists():
        pytest.skip("no committed export")
    real = json.loads(EXPORT_FILE.read_text(encoding="utf-8"))[0]
    synthetic = next(t for t in generate.generate(50, seed=0) if len(t["annotations"]) == 1)
    assert synthetic.keys() == real.keys()
    assert synthetic["data"].keys() == real["data"].keys()
    assert synthetic["annotations"][0].keys() == real["annotations"][0].keys()
    assert {tuple(sorted(r)) for r in synthetic["annotations"][0]["result"]} == {
        tuple(sorted(r)) for r in real["annotations"][0]["result"]
    }


def test_convert_export_restores_the_collector_and_the_memory_pool(tmp_path):
    """It turns the cyclic collector off and Arrow's pool to malloc while it runs, and back after,
    whether the export is valid or not."""
    import gc

    import pyarrow as pa

    ctx = Context(inventory=generate.inventory())
    good = generate.write_export(tmp_path / "good.json", 50, seed=1)
    bad = tmp_path / "bad.json"
    bad.write_text(good.read_text(encoding="utf-8")[:-40], encoding="utf-8")
    pool = pa.default_memory_pool().backend_name
    assert gc.isenabled()
    for path, workers in [(good, 1), (good, 2), (bad, 1)]:
        try:
            convert_export(path, tmp_path / f"out-{path.stem}-{workers}", ctx, workers=workers)
        except ExportError:
            assert path == bad
        assert gc.isenabled() and pa.default_memory_pool().backend_name == pool


def test_the_main_process_of_a_two_worker_conversion_imports_no_pandas(tmp_path):
    """pyarrow imports pandas (about 30 MB) the first time an array is built from Python values;
    with workers, the main process only reads and writes batches, so it never needs to."""
    import subprocess

    path = generate.write_export(tmp_path / "export.json", 300, seed=2)
    inventory = tmp_path / "inventory.json"
    inventory.write_text(json.dumps(generate.inventory()), encoding="utf-8")
    code = (
        "import json, sys; from pathlib import Path\n"
        "from vietlao.export.task import Context; from vietlao.dataset.stream import convert_export\n"
        f"ctx = Context(inventory=json.loads(Path({str(inventory)!r}).read_text()))\n"
        f"counts = convert_export(Path({str(path)!r}), Path({str(tmp_path / 'out')!r}), ctx, workers=2,"
        " chunk_bytes=64 << 10)\n"
        "assert sum(n for (config, _), n in counts.items() if config == 'ner') == 300\n"
        "sys.exit('pandas' in sys.modules)\n"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
