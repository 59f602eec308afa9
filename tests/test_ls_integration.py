"""The round trip against a REAL Label Studio (from the tool environment), started once per module.

Without the tool environment the tests are skipped locally, but fail when ``CI=true``.
"""

import json
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from vietlao.cli import main
from vietlao.corpus.documents import load_corpus
from vietlao.paths import project
from vietlao.labelstudio.client import Client
from vietlao.labelstudio.commands import annotate, push
from vietlao.labelstudio.server import free_port, start_server
from vietlao.labelstudio.preannotate import model_version
from vietlao.labelstudio.tasks import sentence_tasks
from vietlao.export.validate import validate_gold

from extension import add_document, copy_env, copy_repository, indonesian_document, lao_document
from processes import stop

pytestmark = pytest.mark.server

TITLE = "vietlao-integration"
SENTENCES = len(sentence_tasks(load_corpus()))
TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory, ls_venv):
    token = secrets.token_hex(20)
    data_dir = tmp_path_factory.mktemp("ls-data")
    start = time.monotonic()
    handle = start_server(free_port(), data_dir, token)
    TIMINGS["server start"] = time.monotonic() - start
    try:
        yield SimpleNamespace(handle=handle, token=token, url=handle.url, data_dir=data_dir)
    finally:
        handle.stop()
        assert not handle.alive()
        print("\nLabel Studio timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in TIMINGS.items()))


@pytest.fixture(scope="module")
def client(server):
    return Client(server.url, server.token, timeout=60, attempts=3, backoff=0.5)


def _non_loopback_ipv4():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent for UDP connect
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def test_server_listens_on_loopback_only(server):
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    address = _non_loopback_ipv4()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to probe")
    with pytest.raises(OSError):
        socket.create_connection((address, port), timeout=5).close()


def test_push_imports_every_sentence_with_predictions(client):
    start = time.monotonic()
    report = push(client, TITLE, restore=False)
    TIMINGS["push"] = time.monotonic() - start
    assert report["created"] and report["new"] == SENTENCES
    tasks = client.tasks(report["project_id"])
    assert len(tasks) == SENTENCES
    assert sorted(t["data"]["sentence_id"] for t in tasks) == sorted(d["sentence_id"] for d in sentence_tasks(load_corpus()))
    for t in tasks:
        (p,) = t["predictions"]
        assert p["model_version"] == model_version() and 0.0 <= p["score"] <= 1.0
        assert all(r["from_name"] in {"label", "entity_id"} for r in p["result"])
    assert sum(len(t["predictions"][0]["result"]) for t in tasks) > 0


def test_annotate_pull_validate(client, server, tmp_path, monkeypatch, capsys):
    sheets = tmp_path / "pass1"
    sheets.mkdir()
    shutil.copy(project().passes / "pass1" / "003.yaml", sheets)
    start = time.monotonic()
    assert annotate(client, sheets, TITLE) == {"created": 7}
    TIMINGS["annotate 7 tasks"] = time.monotonic() - start
    assert annotate(client, sheets, TITLE) == {"unchanged": 7}

    out = tmp_path / "export.json"
    monkeypatch.setenv("VIETLAO_LS_TOKEN", server.token)
    monkeypatch.setenv("VIETLAO_LS_URL", server.url)
    start = time.monotonic()
    assert main(["ls", "pull", "--project-title", TITLE, "--output", str(out)]) == 0
    TIMINGS["pull"] = time.monotonic() - start
    records = validate_gold(out, complete=False)
    assert sorted(r.sentence_id for r in records) == [f"003-{i:03d}" for i in range(7)]
    text = out.read_text(encoding="utf-8")
    assert "@" not in text and server.token not in text
    who = {a["completed_by"] for t in json.loads(text) for a in t["annotations"]}
    assert who == {"annotator-1"}
    captured = capsys.readouterr()
    assert server.token not in captured.out + captured.err


def test_push_again_adds_nothing(client):
    report = push(client, TITLE)
    assert not report["created"] and report["new"] == 0 and not report["duplicated"]
    assert len(client.tasks(report["project_id"])) == SENTENCES


def test_token_stays_out_of_the_server_log(server):
    assert server.token not in server.handle.log.read_text(encoding="utf-8", errors="replace")


# -- extending the data, end to end, in a temporary copy of the repository --------------------------

EXTENSION = Path(__file__).parent / "data" / "extension"


def _project_copy(tmp_path: Path, server):
    """A copy of the repository, its Hugging Face cache folder, and ``vietlao(*args)``: a command run in
    the copy (against this server, offline, with its own Hugging Face home) that must succeed and never
    print the token."""
    repo, cache = copy_repository(tmp_path / "repo"), tmp_path / "hf-cache"
    env = copy_env(repo, tmp_path / "hf")
    env.update(VIETLAO_LS_TOKEN=server.token, VIETLAO_LS_URL=server.url)

    def vietlao(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "vietlao", *args], cwd=repo, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"vietlao {' '.join(args)}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        assert server.token not in done.stdout + done.stderr
        return done.stdout

    return repo, cache, vietlao


def _row_counts(dataset: Path, cache: Path) -> dict:
    import datasets

    datasets.disable_progress_bars()
    return {config: {split: d.num_rows for split, d in datasets.load_dataset(str(dataset), config, cache_dir=str(cache)).items()}
            for config in ("ner", "documents")}


def _documents_table(card: Path) -> list[str]:
    block = card.read_text(encoding="utf-8").split("<!-- generated:documents -->")[1].split("<!-- /generated:documents -->")[0]
    return [line for line in block.strip().splitlines()[2:]]


def test_extending_the_data_end_to_end(server, tmp_path):
    """Restore the project from the export, add a document, annotate it through the API, pull, validate,
    build, benchmark: the dataset, the card and RESULTS.md all show the new document."""
    from vietlao.spans import Span
    from vietlao.labelstudio.tasks import ls_result

    repo, cache, vietlao = _project_copy(tmp_path, server)
    title = "vietlao-extension"

    export = repo / "annotations" / "export.json"
    committed_bytes = export.read_bytes()
    committed = json.loads(committed_bytes)
    before = _row_counts(repo / "dataset", cache)
    documents_before = _documents_table(repo / "DATASET_CARD.md")
    assert sum(before["documents"].values()) == len(documents_before) == len({t["data"]["doc_id"] for t in committed})

    # 1. restore the project from the export alone, and pull it back unchanged
    out = vietlao("ls", "push", "--project-title", title)
    assert f"{len(committed)} restored from" in out
    vietlao("ls", "pull", "--project-title", title, "--complete")
    assert export.read_bytes() == committed_bytes

    # the ML backend, started before the new document exists, attached to the project
    log, port = tmp_path / "backend.log", free_port()
    env = {**copy_env(repo, tmp_path / "hf"), "VIETLAO_LS_TOKEN": server.token, "VIETLAO_LS_URL": server.url}
    with log.open("wb") as sink:
        backend = subprocess.Popen(
            [sys.executable, "-m", "vietlao", "ls", "backend", "--project-title", title, "--port", str(port),
             "--model", "crf", "--debounce", "1"], cwd=repo, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        ends = time.monotonic() + 180
        while "listening on" not in log.read_text(encoding="utf-8", errors="replace"):
            assert backend.poll() is None and time.monotonic() < ends, log.read_text(encoding="utf-8")[-3000:]
            time.sleep(0.5)

        # 2. add the document written for this test, under the next free document id
        spec = json.loads((EXTENSION / "annotations.json").read_text(encoding="utf-8"))
        doc_id = add_document(repo, indonesian_document())
        meta = {**spec["metadata"], "doc_id": doc_id}
        assert f"{meta['doc_id']}  {meta['lang']}" in vietlao("stats")

        # 3. push imports only its sentences, with predictions
        out = vietlao("ls", "push", "--project-title", title)
        assert f"{len(spec['sentences'])} imported with" in out
        ls = Client(server.url, server.token, timeout=60, attempts=3, backoff=0.5)
        new = sorted((t for t in ls.tasks(ls.find_project(title)) if t["data"]["doc_id"] == meta["doc_id"]),
                     key=lambda t: t["data"]["sentence_id"])
        assert len(new) == len(spec["sentences"]) and all(t["predictions"] and not t["annotations"] for t in new)

        # the running backend suggests for the new document: a task's prediction removed, the task opened
        for prediction in new[0]["predictions"]:
            ls.sdk.predictions.delete(prediction["id"])
        ls.sdk.tasks.get(str(new[0]["id"]))
        served = [p.model_dump(mode="json") for p in ls.sdk.predictions.list(task=new[0]["id"])]
        text = log.read_text(encoding="utf-8", errors="replace")
        assert len(served) == 1 and served[0]["model_version"].startswith("crf-"), text[-3000:]
        assert "unknown doc_id" not in text and "not in the inventory" not in text
    finally:
        stop(backend, log)
    assert server.token not in log.read_text(encoding="utf-8", errors="replace")

    # annotate the new sentences through the API
    for task, decided in zip(new, spec["sentences"]):
        text, pos, mentions = task["data"]["text"], 0, []
        for surface, label, entity_id in decided["mentions"]:
            start = text.index(surface, pos)
            pos = start + len(surface)
            mentions.append(Span(start, pos, label, entity_id))
        result = ls_result(task["data"]["sentence_id"], text, mentions, decided["stance"])
        assert ls.annotate(task, result, replace=False, meta={"annotation_pass": "extension-test"}) == "created"

    # 4. pull: the committed tasks stay as they were, the new ones are added
    vietlao("ls", "pull", "--project-title", title, "--complete")
    pulled = json.loads(export.read_text(encoding="utf-8"))
    by_sentence = {t["data"]["sentence_id"]: t for t in pulled}
    assert [by_sentence[t["data"]["sentence_id"]] for t in committed] == committed
    assert len(pulled) == len(committed) + len(spec["sentences"])
    assert len({t["id"] for t in pulled}) == len(pulled)

    # 5. validate, refresh the inventory, build, benchmark
    vietlao("validate")
    vietlao("inventory")
    vietlao("build")
    vietlao("benchmark", "--replace-results")  # an extension rewrites the committed results

    after = _row_counts(repo / "dataset", cache)
    documents_after = _documents_table(repo / "DATASET_CARD.md")
    print(f"\nload_dataset rows before: {before}\nload_dataset rows after:  {after}")
    print("card documents table after:\n" + "\n".join(documents_after))
    documents = len(documents_before) + 1
    assert sum(after["documents"].values()) == documents == len(documents_after)
    assert sum(after["ner"].values()) == sum(before["ner"].values()) + len(spec["sentences"])
    assert documents_after[-1].startswith(f"| {meta['doc_id']} | {meta['lang']} | {meta['split']} |")
    results = (repo / "benchmarks" / "results" / "RESULTS.md").read_text(encoding="utf-8")
    assert f"({documents} folds" in results and f"({documents - 1} folds" not in results
    # the results table's pooled rows (the commands table has "| lodo |" rows too, without counts)
    lodo = [line for line in results.splitlines()
            if line.startswith(("| ner |", "| stance |")) and "| lodo | leave one document out (" in line]
    assert lodo and all(f"| {sum(after['ner'].values())} |" in line for line in lodo)


# -- Lao, end to end: a script written without spaces, in a temporary copy of the repository --------

LAO_TEXT = Path(__file__).parent / "data" / "lao_leaders.txt"
LAO_SHEET = Path(__file__).parent / "data" / "lao_leaders.yaml"


def test_lao_end_to_end(server, tmp_path):
    """The Lao test text (never part of the dataset) as a new document: stats, push (pre-annotated with
    the inventory's Lao names), annotations entered through the API from its sheet, pull, validate and
    build; load_dataset gives its syllable tokens and its names, and every other row as it was."""
    import datasets
    import yaml

    repo, cache, vietlao = _project_copy(tmp_path, server)
    title = "vietlao-lao"

    def ner_rows() -> list[dict]:
        loaded = datasets.load_dataset(str(repo / "dataset"), "ner", cache_dir=str(cache))
        return sorted((row for split in loaded.values() for row in split), key=lambda r: r["id"])

    before = ner_rows()

    def vientiane() -> dict:
        entities = datasets.load_dataset(str(repo / "dataset"), "entities", cache_dir=str(cache))["train"]
        return next(e for e in entities if e["entity_id"] == "vientiane")

    vientiane_before = vientiane()
    # 1. the document and its metadata (next free id); Hanoi gets an inventory entry if it has none
    doc_id = add_document(repo, lao_document())
    # 2. stats: the document's sentences, cut at the full stop before a Lao letter, not at spaces
    first, second = LAO_TEXT.read_text(encoding="utf-8").splitlines()
    cut = first.index(". ") + 1
    expected = [first[:cut], first[cut + 1 :], second]
    assert f"{doc_id}  lo" in vietlao("stats")
    listed = [line.split("\t") for line in vietlao("stats", "--sentences", doc_id).splitlines()]
    assert [(x[0], x[-1]) for x in listed] == [(f"{doc_id}-{i:03d}", s) for i, s in enumerate(expected)]

    # 3. push: the committed sentences restored, the new ones pre-annotated with the Lao names
    assert f"{len(expected)} imported with" in vietlao("ls", "push", "--project-title", title)
    ls = Client(server.url, server.token, timeout=60, attempts=3, backoff=0.5)
    new = sorted((t for t in ls.tasks(ls.find_project(title)) if t["data"]["doc_id"] == doc_id),
                 key=lambda t: t["data"]["sentence_id"])
    assert [t["data"]["lang"] for t in new] == ["lo"] * len(expected) and not any(t["annotations"] for t in new)
    predicted = {r["value"]["text"] for r in new[0]["predictions"][0]["result"] if r["type"] == "labels"}
    assert {"ວຽງຈັນ", "ລາວ"} <= predicted  # inside ນະຄອນຫຼວງວຽງຈັນ and ສປປ ລາວ: syllable tokens

    # 4. annotations through the API, from the sheet; pull; validate; build
    sheets = tmp_path / "lao"
    sheets.mkdir()
    sheet = LAO_SHEET.read_text(encoding="utf-8").replace('"005-', f'"{doc_id}-')
    (sheets / f"{doc_id}.yaml").write_text(sheet, encoding="utf-8")
    vietlao("ls", "annotate", "--project-title", title, "--sheets", str(sheets))
    vietlao("ls", "pull", "--project-title", title, "--complete")
    vietlao("validate")
    vietlao("build")

    # 5. load_dataset: syllable tokens, the names as entities, every other row unchanged
    after = ner_rows()
    lao = [r for r in after if r["doc_id"] == doc_id]
    assert [r for r in after if r["doc_id"] != doc_id] == before
    assert [r["text"] for r in lao] == expected and {r["lang"] for r in lao} == {"lo"}
    assert lao[0]["tokens"][-7:] == ["ທີ່", "ນະ", "ຄອນ", "ຫຼວງ", "ວຽງ", "ຈັນ", "."]
    decided = yaml.safe_load(LAO_SHEET.read_text(encoding="utf-8"))
    for row, sentence in zip(lao, decided):
        assert [(e["text"], e["entity_id"]) for e in row["entities"]] == [(m["text"], m["id"]) for m in sentence["entities"]]
    after_vientiane = vientiane()
    assert "ວຽງຈັນ" in after_vientiane["forms"]["lo"]
    assert after_vientiane["mentions_per_lang"]["lo"] == (vientiane_before["mentions_per_lang"].get("lo") or 0) + 1
    print("\n" + "\n".join(" | ".join(r["tokens"]) for r in lao))
