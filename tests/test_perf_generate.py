"""benchmarks/perf/generate.py: the synthetic Label Studio exports the conversion benchmark
(``benchmarks/perf/bench.py``) measures on. No timings are asserted."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import pytest

from vietlao.paths import project
from vietlao.export.task import Context
from vietlao.export.reader import convert_tasks, iter_tasks
from vietlao.corpus.segment import token_offsets, tokenize, tokenize_texts

PERF = Path(__file__).resolve().parents[1] / "benchmarks" / "perf"
_SPEC = importlib.util.spec_from_file_location("generate", PERF / "generate.py")
generate = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(generate)


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
