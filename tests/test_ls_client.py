"""The Label Studio round trip against a small in-memory fake of its API on 127.0.0.1."""

import itertools
import json
import re
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from vietlao.cli import main
from vietlao.corpus.documents import load_corpus
from vietlao.paths import project
from vietlao.errors import UserError
from vietlao.labelstudio.client import Client, same_result
from vietlao.labelstudio.commands import Pseudonyms, annotate, prepare_export, pull, push
from vietlao.labelstudio.server import (
    DATABASE_FILE, PASSWORD_FILE, admin_password, check_token, free_port, ignore_in_git, ls_binary, server_env,
)
from vietlao.labelstudio.preannotate import model_version
from vietlao.labelstudio.tasks import sentence_tasks

TOKEN = "fake0secret0token0" + "7" * 22
SENTENCES = len(sentence_tasks(load_corpus()))
PASS1 = project().passes / "pass1"


class FakeLS:
    """Projects, tasks and annotations in memory; ``fault`` scripts failures per request."""

    def __init__(self):
        self.projects, self.tasks, self.log, self.faults = {}, {}, [], []
        self.same_page = False
        self.endless = False  # every page of the projects listing new, none counted: a listing without end
        self.ids = itertools.count(1)
        self.lock = threading.Lock()

    def fault(self, method, pattern, kind, arg=None, times=1):
        self.faults += [(method, re.compile(pattern), kind, arg)] * times

    def count(self, method, pattern):
        return sum(1 for m, p in self.log if m == method and re.search(pattern, p))

    # -- request handling ------------------------------------------------------------------

    def handle(self, h):
        url = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = json.loads(h.rfile.read(length)) if length else None
        with self.lock:
            self.log.append((h.command, url.path))
            fault = next((f for f in self.faults if f[0] == h.command and f[1].search(url.path)), None)
            if fault:
                self.faults.remove(fault)
        kind, arg = (fault[2], fault[3]) if fault else (None, None)
        if kind == "status":
            return self._send(h, arg, {"detail": "injected failure"})
        if kind == "drop":
            return None  # close without an answer
        if kind == "sleep":
            time.sleep(arg)
        if kind == "raw":  # a fixed body, whatever was asked
            return self._send_raw(h, 200, arg, len(arg))
        if kind == "echo":  # a server that echoes the credentials in its error
            return self._send(h, 400, {"detail": f"bad request, auth was {h.headers.get('Authorization')}"})
        if h.headers.get("Authorization") != f"Token {TOKEN}":
            return self._send(h, 401, {"detail": "Invalid token."})
        with self.lock:
            status, payload = self.route(h.command, url.path, parse_qs(url.query), body)
        if kind == "commit_then":  # the change is made, the answer is lost
            return self._send(h, arg, {"detail": "injected failure after commit"})
        data = json.dumps(payload).encode()
        if kind == "replace":  # a body the fake cannot make from Python objects
            data = data.replace(*arg)
        if kind == "truncate":
            return self._send_raw(h, status, data, len(data) // 2)
        if kind == "trickle":  # one byte every ``arg`` seconds
            return self._send_raw(h, status, data, len(data), trickle=arg)
        return self._send_raw(h, status, data, len(data))

    def _send(self, h, status, payload):
        data = json.dumps(payload).encode()
        self._send_raw(h, status, data, len(data))

    @staticmethod
    def _send_raw(h, status, data, upto, trickle=None):
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            if trickle is None:
                h.wfile.write(data[:upto])
                return
            for i in range(upto):
                h.wfile.write(data[i : i + 1])
                h.wfile.flush()
                time.sleep(trickle)
        except OSError:
            pass

    def _task_view(self, t, export=False):
        view = dict(t, annotations=[dict(a) for a in t["annotations"]])
        for a in view["annotations"]:
            a["completed_by"] = 7 if export else {"id": 7, "email": "linh.nguyen@example.org"}
            a["created_username"] = " linh.nguyen@example.org, 7"
            a["updated_by"] = 7
            a["created_ago"] = "1 minute"
        if export:
            view["predictions"] = [p["id"] for p in t["predictions"]]
            view["comment_authors"] = [{"id": 9, "email": "reviewer@example.org"}]
        return view

    def route(self, method, path, q, body):
        if m := re.fullmatch(r"/api/projects/", path):
            if method == "POST":
                p = {"id": next(self.ids), "title": body["title"], "label_config": body.get("label_config", "")}
                self.projects[p["id"]] = p
                return 201, p
            if self.endless:
                page = int(q.get("page", ["1"])[0])
                return 200, {"next": f"?page={page + 1}", "results": [{"id": 10_000 + page, "title": f"other {page}"}]}
            if int(q.get("page", ["1"])[0]) > 1 and not self.same_page:
                return 404, {"detail": "Invalid page."}
            title = q.get("title", [""])[0]
            found = [p for p in self.projects.values() if title.lower() in p["title"].lower()]
            if self.same_page:  # every page is this one, and the count promises many more
                return 200, {"count": 10**6, "next": None, "previous": None, "results": found}
            return 200, {"count": len(found), "next": None, "previous": None, "results": found}
        if m := re.fullmatch(r"/api/projects/(\d+)/", path):
            p = self.projects[int(m[1])]
            if method == "PATCH":
                p.update(body)
            return 200, p
        if m := re.fullmatch(r"/api/projects/(\d+)/import", path):
            ids = []
            for item in body:
                tid = next(self.ids)
                preds = [dict(p, id=next(self.ids), task=tid) for p in item.get("predictions", [])]
                annotations = [dict(a, id=next(self.ids), task=tid) for a in item.get("annotations", [])]
                self.tasks[tid] = {"id": tid, "project": int(m[1]), "data": item["data"], "annotations": annotations,
                                   "predictions": preds, "meta": item.get("meta", {})}
                ids.append(tid)
            return 201, {"task_count": len(ids), "task_ids": ids}
        if path == "/api/tasks/":
            page, size = int(q.get("page", ["1"])[0]), int(q.get("page_size", ["100"])[0])
            mine = [self._task_view(t) for t in self.tasks.values() if t["project"] == int(q["project"][0])]
            if page > 1 and (page - 1) * size >= len(mine):
                return 404, {"detail": "Invalid page."}
            return 200, {"tasks": mine[(page - 1) * size : page * size], "total": len(mine)}
        if m := re.fullmatch(r"/api/tasks/(\d+)/", path):
            t = self.tasks[int(m[1])]
            if method == "PATCH":
                t.update(body)
            return 200, self._task_view(t)
        if m := re.fullmatch(r"/api/tasks/(\d+)/annotations/", path):
            a = {"id": next(self.ids), "result": body["result"], "was_cancelled": body.get("was_cancelled", False)}
            self.tasks[int(m[1])]["annotations"].append(a)
            return 201, a
        if m := re.fullmatch(r"/api/annotations/(\d+)/", path):
            a = next(a for t in self.tasks.values() for a in t["annotations"] if a["id"] == int(m[1]))
            a.update(body)
            return 200, a
        if m := re.fullmatch(r"/api/projects/(\d+)/export", path):
            return 200, [self._task_view(t, export=True) for t in self.tasks.values() if t["project"] == int(m[1])]
        return 404, {"detail": "Not found."}


@pytest.fixture
def fake():
    ls = FakeLS()

    class Handler(BaseHTTPRequestHandler):
        def _any(self):
            ls.handle(self)

        do_GET = do_POST = do_PATCH = _any

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads, server.block_on_close = True, False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    ls.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield ls
    server.shutdown()
    server.server_close()


@pytest.fixture
def sleeps():
    return []


def client(url, sleeps=None, token=TOKEN, **kw):
    kw.setdefault("attempts", 3)
    return Client(url, token, backoff=0.25, sleep=(sleeps.append if sleeps is not None else lambda s: None), **kw)


def _assert_clean(text):
    assert TOKEN not in text
    assert TOKEN[:12] not in text


# -- errors and retries -----------------------------------------------------------------------


def test_connection_refused_gives_one_clear_line(sleeps):
    with pytest.raises(UserError) as e:
        client(f"http://127.0.0.1:{free_port()}", sleeps).find_project("x")
    message = str(e.value)
    assert "cannot connect to Label Studio" in message and "vietlao ls serve" in message
    assert "gave up after 3 attempts" in message and "\n" not in message
    assert sleeps == [0.25, 0.5]  # exponential back-off
    _assert_clean(message)


def test_wrong_token_is_not_retried(fake, sleeps):
    with pytest.raises(UserError) as e:
        client(fake.url, sleeps, token="wrongtoken123").find_project("x")
    assert "rejected the API token (HTTP 401)" in str(e.value) and "VIETLAO_LS_TOKEN" in str(e.value)
    assert fake.count("GET", "/api/projects/") == 1 and sleeps == []


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_transient_status_then_success_is_retried(fake, sleeps, status):
    fake.fault("GET", "/api/projects/$", "status", status)
    assert client(fake.url, sleeps).find_project("x") is None
    assert fake.count("GET", "/api/projects/$") == 2 and sleeps == [0.25]


def test_persistent_500_gives_up_with_a_clear_message(fake, sleeps):
    fake.fault("GET", "/api/projects/$", "status", 500, times=10)
    with pytest.raises(UserError) as e:
        client(fake.url, sleeps).find_project("x")
    assert str(e.value) == (
        f"Label Studio at {fake.url} answered HTTP 500 to list projects; gave up after 3 attempts"
    )
    assert fake.count("GET", "/api/projects/$") == 3


def test_other_4xx_is_not_retried_and_token_is_masked(fake, sleeps):
    fake.fault("GET", "/api/projects/$", "echo")
    with pytest.raises(UserError) as e:
        client(fake.url, sleeps).find_project("x")
    assert "HTTP 400" in str(e.value) and "Token ***" in str(e.value)
    _assert_clean(str(e.value))
    assert sleeps == []


def test_slow_answer_times_out(fake, sleeps):
    fake.fault("GET", "/api/projects/$", "sleep", 1.5, times=3)
    start = time.monotonic()
    with pytest.raises(UserError) as e:
        client(fake.url, sleeps, timeout=0.2, attempts=2).find_project("x")
    assert "did not answer within 0.2 s" in str(e.value) and "gave up after 2 attempts" in str(e.value)
    assert time.monotonic() - start < 3


def test_dropped_connection_is_retried(fake, sleeps):
    fake.fault("GET", "/api/projects/$", "drop")
    assert client(fake.url, sleeps).find_project("x") is None
    assert sleeps == [0.25]


# -- push and annotate --------------------------------------------------------------------------


def test_push_is_idempotent_and_carries_predictions(fake, capsys):
    c = client(fake.url)
    first = push(c, "vl", restore=False)
    assert first["created"] and first["new"] == first["tasks"] == SENTENCES
    assert all(t["predictions"][0]["model_version"] == model_version() for t in fake.tasks.values())
    assert all("score" in t["predictions"][0] for t in fake.tasks.values())
    second = push(c, "vl", restore=False)
    assert not second["created"] and second["new"] == 0 and len(fake.tasks) == SENTENCES
    assert len(fake.projects) == 1


def test_push_after_a_lost_answer_creates_no_duplicates(fake, sleeps):
    fake.fault("POST", "/import$", "commit_then", 502)  # committed, but the client sees 502
    report = push(client(fake.url, sleeps), "vl", restore=False)
    assert len(fake.tasks) == SENTENCES and not report["duplicated"]
    assert fake.count("POST", "/import$") == 1  # the retry found every task already there


def test_push_updates_a_changed_label_config(fake):
    c = client(fake.url)
    push(c, "vl", restore=False)
    fake.projects[1]["label_config"] = "<View/>"
    push(c, "vl")
    assert fake.projects[1]["label_config"].startswith("<View>\n  <Header")


def _sheets(tmp_path, *doc_ids):
    d = tmp_path / "pass1"
    d.mkdir()
    for doc_id in doc_ids:
        shutil.copy(PASS1 / f"{doc_id}.yaml", d)
    return d


def test_annotate_enters_sheets_once(fake, tmp_path):
    c = client(fake.url)
    push(c, "vl", restore=False)
    sheets = _sheets(tmp_path, "003")
    assert annotate(c, sheets, "vl") == {"created": 7}
    assert annotate(c, sheets, "vl") == {"unchanged": 7}
    annotated = [t for t in fake.tasks.values() if t["annotations"]]
    assert len(annotated) == 7 and all(t["meta"] == {"annotation_pass": "pass1"} for t in annotated)
    annotated[0]["annotations"][0]["result"] = []
    assert annotate(c, sheets, "vl") == {"unchanged": 6, "skipped": 1}
    assert annotate(c, sheets, "vl", replace=True, pass_name="fix") == {"unchanged": 6, "updated": 1}
    passes = sorted(t["meta"]["annotation_pass"] for t in annotated)
    assert passes == ["fix"] + ["pass1"] * 6  # unchanged annotations keep their provenance


def test_annotate_retry_after_lost_answer_does_not_duplicate(fake, tmp_path):
    c = client(fake.url)
    push(c, "vl", restore=False)
    fake.fault("POST", r"/annotations/$", "commit_then", 500)
    assert annotate(c, _sheets(tmp_path, "003"), "vl") == {"created": 6, "unchanged": 1}
    assert all(len(t["annotations"]) <= 1 for t in fake.tasks.values())
    assert all(t["meta"] == {"annotation_pass": "pass1"} for t in fake.tasks.values() if t["annotations"])


def test_annotate_refuses_without_tasks(fake, tmp_path):
    with pytest.raises(UserError, match="no project titled"):
        annotate(client(fake.url), _sheets(tmp_path, "003"), "vl")


# -- pull ---------------------------------------------------------------------------------------


@pytest.fixture
def annotated(fake, tmp_path):
    c = client(fake.url)
    push(c, "vl", restore=False)
    annotate(c, _sheets(tmp_path, "003"), "vl")
    old = tmp_path / "out" / "export.json"
    old.parent.mkdir()
    old.write_text("[]\n", encoding="utf-8")
    return c, old


def test_pull_pseudonymises_sorts_and_validates(fake, annotated):
    c, out = annotated
    report = pull(c, out, "vl")
    text = out.read_text(encoding="utf-8")
    tasks = json.loads(text)
    assert report["tasks"] == len(tasks) == 7 and report["unannotated"] == SENTENCES - 7
    assert [t["data"]["sentence_id"] for t in tasks] == sorted(t["data"]["sentence_id"] for t in tasks)
    assert "@" not in text and "created_ago" not in text
    assert {a["completed_by"] for t in tasks for a in t["annotations"]} == {"annotator-1"}
    assert tasks[0]["comment_authors"] == ["annotator-2"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["export.json"]  # no temp files left
    pull(c, out, "vl")
    assert out.read_text(encoding="utf-8") == text  # deterministic


@pytest.mark.parametrize("fault", ["truncate", "drop"])
def test_interrupted_pull_leaves_the_old_export(fake, annotated, fault):
    c, out = annotated
    fake.fault("GET", "/export$", fault, times=3)
    with pytest.raises(UserError) as e:
        pull(c, out, "vl")
    assert "broke off while trying to export the project" in str(e.value)
    assert out.read_text(encoding="utf-8") == "[]\n"
    assert sorted(p.name for p in out.parent.iterdir()) == ["export.json"]


def test_pull_recovers_from_one_truncated_download(fake, annotated):
    c, out = annotated
    fake.fault("GET", "/export$", "truncate")
    assert pull(c, out, "vl")["tasks"] == 7


def test_invalid_export_is_refused_unless_no_validate(fake, annotated):
    c, out = annotated
    task = next(t for t in fake.tasks.values() if t["annotations"])
    task["annotations"][0]["result"] = [r for r in task["annotations"][0]["result"] if r["from_name"] != "stance"]
    with pytest.raises(UserError, match="1 problem.*left unchanged"):
        pull(c, out, "vl")
    assert out.read_text(encoding="utf-8") == "[]\n"
    pull(c, out, "vl", validate=False)
    assert len(json.loads(out.read_text(encoding="utf-8"))) == 7


@pytest.mark.parametrize("validate", [True, False])
@pytest.mark.parametrize("levels", [100, 5000])
def test_a_deeply_nested_export_is_refused_with_one_line(fake, annotated, levels, validate):
    """Deeper than the export limit, and deeper than Python's recursion: a message, never a RecursionError."""
    c, out = annotated
    next(t for t in fake.tasks.values() if t["annotations"])["meta"] = "@@DEEP@@"
    fake.fault("GET", "/export$", "replace", (b'"@@DEEP@@"', b"[" * levels + b"]" * levels))
    with pytest.raises(UserError, match="nested deeper than 64 levels.*left unchanged"):
        pull(c, out, "vl", validate=validate)
    assert out.read_text(encoding="utf-8") == "[]\n"
    assert sorted(p.name for p in out.parent.iterdir()) == ["export.json"]


def test_complete_pull_requires_every_sentence(fake, annotated):
    c, out = annotated
    with pytest.raises(UserError, match="sentence has no task"):
        pull(c, out, "vl", complete=True)


# -- the command line, and the token ------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["refused", "401", "500", "echo", "timeout", "ok"])
def test_token_never_reaches_output_errors_or_files(fake, tmp_path, monkeypatch, capsys, caplog, scenario):
    monkeypatch.setenv("VIETLAO_LS_TOKEN", "wrongtoken123" if scenario == "401" else TOKEN)
    url = f"http://127.0.0.1:{free_port()}" if scenario == "refused" else fake.url
    monkeypatch.setenv("VIETLAO_LS_URL", url)
    fast = ["--retries", "2", "--backoff", "0", "--timeout", "0.3", "--project-title", "vl"]
    if scenario == "500":
        fake.fault("GET", "/api/", "status", 500, times=100)
    if scenario == "echo":
        fake.fault("GET", "/api/projects/$", "echo")
    if scenario == "timeout":
        fake.fault("GET", "/api/projects/$", "sleep", 1.0, times=2)
    out = tmp_path / "export.json"
    codes = [main(["ls", "push", *fast]), main(["ls", "pull", *fast, "--output", str(out), "--no-validate"])]
    captured = capsys.readouterr()
    if scenario == "ok":
        assert codes == [0, 0] and out.exists()
    else:
        assert codes == [1, 1] and not out.exists()
        assert captured.err.count("vietlao: error:") == 2
    for text in (captured.out, captured.err, caplog.text, *(p.read_text() for p in tmp_path.rglob("*") if p.is_file())):
        _assert_clean(text)


def test_missing_token_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.delenv("VIETLAO_LS_TOKEN", raising=False)
    assert main(["ls", "push"]) == 1
    assert "set VIETLAO_LS_TOKEN" in capsys.readouterr().err


def test_bare_ls_prints_its_commands(capsys):
    assert main(["ls"]) == 0
    out = capsys.readouterr().out
    assert all(c in out for c in ("serve", "push", "annotate", "pull"))


# -- small pieces -------------------------------------------------------------------------------


def test_pseudonyms_follow_first_appearance_and_link_ids_to_emails():
    names = Pseudonyms()
    tasks = names.scrub([
        {"annotations": [{"completed_by": {"id": 3, "email": "a@x.org"}, "created_username": " a@x.org, 3"}],
         "updated_by": 5, "data": {"note": "mail b@y.org or a@x.org"}},
        {"annotations": [{"completed_by": 5, "updated_by": 3, "created_ago": "now"}]},
    ])
    assert tasks[0]["annotations"][0] == {"completed_by": "annotator-1", "created_username": "annotator-1"}
    # keys are walked in sorted order, as the file is written: "data" comes before "updated_by"
    assert tasks[0]["data"]["note"] == "mail annotator-2 or annotator-1"
    assert tasks[0]["updated_by"] == "annotator-3"
    assert tasks[1]["annotations"][0] == {"completed_by": "annotator-3", "updated_by": "annotator-1"}


def test_prepare_export_keeps_annotated_tasks_sorted():
    tasks, left_out = prepare_export([
        {"id": 2, "data": {"sentence_id": "001-000"}, "annotations": [{"result": []}]},
        {"id": 1, "data": {"sentence_id": "000-001"}, "annotations": [{"result": [], "was_cancelled": True}]},
        {"id": 3, "data": {"sentence_id": "000-000"}, "annotations": []},
    ])
    assert [t["id"] for t in tasks] == [1, 2] and left_out == 1
    with pytest.raises(UserError):
        prepare_export({"not": "a list"})


def test_same_result_ignores_region_ids_and_order():
    a = [{"id": "x", "from_name": "label", "value": {"start": 0}}, {"from_name": "stance", "value": {"choices": ["favor"]}}]
    b = [{"from_name": "stance", "value": {"choices": ["favor"]}}, {"id": "y", "origin": "manual", "from_name": "label", "value": {"start": 0}}]
    assert same_result(a, b) and not same_result(a, b[:1])


def test_server_needs_its_tool_environment_and_a_sane_token(tmp_path):
    with pytest.raises(UserError, match="scripts/dev.py test"):
        ls_binary(tmp_path / "no-such-venv")
    for bad in ("short", "x" * 41, "has space here", ""):
        with pytest.raises(UserError):
            check_token(bad)
    check_token("a" * 40)


# -- restoring the project from the export -------------------------------------------------------


@pytest.fixture
def committed(tmp_path):
    """A copy of the committed export, as the file a pull would replace."""
    path = tmp_path / "gold" / "export.json"
    path.parent.mkdir()
    shutil.copy(project().export, path)
    return path


@pytest.mark.corpus
def test_push_restores_the_export_and_a_pull_gives_it_back_byte_for_byte(fake, committed):
    c = client(fake.url)
    gold = json.loads(committed.read_text(encoding="utf-8"))
    report = push(c, "vl", restore_from=committed)
    assert report["restored"] == len(gold) and report["new"] == SENTENCES
    exported = {t["data"]["sentence_id"]: t for t in gold}
    assert all(t["annotations"] and (t.get("meta") or {}) == (exported[t["data"]["sentence_id"]].get("meta") or {})
               for t in fake.tasks.values())
    assert push(c, "vl", restore_from=committed)["new"] == 0  # idempotent
    before = committed.read_bytes()
    assert pull(c, committed, "vl", complete=True)["changed"] == []
    assert committed.read_bytes() == before


@pytest.mark.corpus
def test_a_pull_changes_only_what_annotators_changed_and_asks_first(fake, committed, capsys):
    c = client(fake.url)
    push(c, "vl", restore_from=committed)
    gold = {t["data"]["sentence_id"]: t for t in json.loads(committed.read_text(encoding="utf-8"))}
    task = next(t for t in fake.tasks.values() if t["data"]["sentence_id"] == "003-002")
    stance = next(r for r in task["annotations"][0]["result"] if r["from_name"] == "stance")
    old_choice = stance["value"]["choices"][0]
    stance["value"]["choices"] = ["against" if old_choice != "against" else "neutral"]
    before = committed.read_bytes()
    with pytest.raises(UserError, match=r"change the annotations of 1 sentence.*\n  003-002: .*stance " + old_choice):
        pull(c, committed, "vl")
    assert committed.read_bytes() == before
    assert pull(c, committed, "vl", accept_changes=True)["changed"][0].startswith("003-002: ")
    after = {t["data"]["sentence_id"]: t for t in json.loads(committed.read_text(encoding="utf-8"))}
    assert [sid for sid in gold if after[sid] != gold[sid]] == ["003-002"]
    assert after["003-002"]["id"] == gold["003-002"]["id"]  # the sentence keeps its task id
    assert after["003-002"]["annotations"][0]["completed_by"] == "annotator-1"


def test_cli_pull_refuses_changes_with_one_error(fake, committed, monkeypatch, capsys):
    monkeypatch.setenv("VIETLAO_LS_TOKEN", TOKEN)
    push(client(fake.url), "vl", restore=False)  # an unrestored project: none of the gold is there
    annotate(client(fake.url), _sheets(committed.parent, "003"), "vl")
    args = ["--url", fake.url, "--project-title", "vl", "--output", str(committed)]
    before = committed.read_bytes()
    assert main(["ls", "pull", *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("vietlao: error: the pull would change the annotations of ") and "dropped" in err
    assert committed.read_bytes() == before


# -- a misbehaving server, a bad token, a bad export ------------------------------------------------


def test_a_server_repeating_one_page_stops_the_listing(fake):
    push(client(fake.url), "vl", restore=False)
    fake.same_page, before = True, fake.count("GET", "/api/projects/$")
    start = time.monotonic()
    with pytest.raises(UserError, match="sent page 2 of the projects again"):
        client(fake.url).find_project("vl")
    assert fake.count("GET", "/api/projects/$") - before == 2 and time.monotonic() - start < 5


def test_a_trickling_server_cannot_outlast_the_deadline(fake, sleeps):
    fake.fault("GET", "/api/projects/$", "trickle", 0.2, times=5)
    start = time.monotonic()
    with pytest.raises(UserError, match=r"did not finish within 1 s .*--deadline"):
        client(fake.url, sleeps, timeout=2, deadline=1).find_project("x")
    assert time.monotonic() - start < 3 and sleeps == []


@pytest.mark.parametrize("token, kind", [("tökentoken", "non-ASCII"), ("token\ntoken", "line break"),
                                         ("token token", "space")])
def test_an_unusable_token_is_refused_before_any_request(fake, monkeypatch, capsys, token, kind):
    monkeypatch.setenv("VIETLAO_LS_TOKEN", token)
    assert main(["ls", "push", "--url", fake.url, "--project-title", "vl"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("vietlao: error: the API token in VIETLAO_LS_TOKEN holds ") and kind in err
    assert err.count("\n") == 1 and token not in err and fake.log == []


@pytest.mark.parametrize("body, message", [
    (b'[{"id": 1, "data": {"sentence_id": "003-000"}, "annotations": [{"lead_time": NaN}]}]', "NaN is not a JSON value"),
    (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 64 levels"),
    (b'[{"id": 1, "data": {"sentence_id": "003-000"}, "annotations": [{"result": []}], "meta": {"k": "%s"}}]'
     % TOKEN.encode(), "holds the API token"),
    (b"\xff\xfe[]", "is not UTF-8"),
])
def test_pull_no_validate_still_refuses_non_json_and_secrets(fake, tmp_path, body, message):
    c = client(fake.url)
    push(c, "vl", restore=False)
    out = tmp_path / "export.json"
    fake.fault("GET", "/export$", "raw", body)
    with pytest.raises(UserError, match=message) as e:
        pull(c, out, "vl", validate=False)
    assert TOKEN not in str(e.value) and not out.exists() and list(tmp_path.iterdir()) == []


def test_pull_no_validate_still_pseudonymises(fake, tmp_path):
    c = client(fake.url)
    push(c, "vl", restore=False)
    body = json.dumps([{"id": 1, "data": {"sentence_id": "003-000", "note": "ask linh@example.org"},
                        "annotations": [{"completed_by": {"id": 4, "email": "linh@example.org"}, "result": []}]}])
    fake.fault("GET", "/export$", "raw", body.encode())
    out = tmp_path / "export.json"
    pull(c, out, "vl", validate=False)
    task = json.loads(out.read_text(encoding="utf-8"))[0]
    assert task["annotations"][0]["completed_by"] == "annotator-1" and task["data"]["note"] == "ask annotator-1"


def test_serve_generates_a_private_password_once(tmp_path, monkeypatch):
    monkeypatch.delenv("VIETLAO_LS_PASSWORD", raising=False)
    password, where = admin_password(tmp_path)
    stored = tmp_path / PASSWORD_FILE
    assert where == str(stored) and password not in where and len(password) >= 24
    assert stored.stat().st_mode & 0o777 == 0o600
    assert admin_password(tmp_path) == (password, where)
    assert server_env("t" * 40, tmp_path, password)["LABEL_STUDIO_PASSWORD"] == password
    other = tmp_path / "other"
    other.mkdir()
    assert admin_password(other)[0] != password
    monkeypatch.setenv("VIETLAO_LS_PASSWORD", "chosen-by-the-user")
    assert admin_password(tmp_path) == ("chosen-by-the-user", "$VIETLAO_LS_PASSWORD")


def test_git_ignores_everything_in_a_data_dir(tmp_path):
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    data_dir = tmp_path / "somewhere" / "ls"
    data_dir.mkdir(parents=True)
    ignore_in_git(data_dir)
    ignore_in_git(data_dir)  # idempotent
    (data_dir / DATABASE_FILE).write_bytes(b"")
    (data_dir / PASSWORD_FILE).write_text("secret\n")
    status = subprocess.run(["git", "-C", str(tmp_path), "status", "--porcelain", "--untracked-files=all"],
                            capture_output=True, text=True, check=True).stdout
    assert status == ""


def test_a_data_dir_older_than_the_password_file_keeps_its_password(tmp_path, monkeypatch):
    monkeypatch.delenv("VIETLAO_LS_PASSWORD", raising=False)
    (tmp_path / DATABASE_FILE).write_bytes(b"")
    password, where = admin_password(tmp_path)
    assert "was created with" in where and not (tmp_path / PASSWORD_FILE).exists()


def test_push_refreshes_context_in_place_and_shows_the_guidelines(fake, capsys):
    c = client(fake.url)
    push(c, "vl")
    assert fake.projects[1]["show_instruction"] is True
    assert fake.projects[1]["expert_instruction"].startswith("<h1>Annotation guidelines")
    old = next(iter(fake.tasks.values()))
    expected = dict(old["data"])
    old["data"] = {k: v for k, v in expected.items() if k not in ("context_before", "context_after")}
    report = push(c, "vl")
    assert report["refreshed"] == 1 and report["new"] == 0 and len(fake.tasks) == SENTENCES
    assert old["data"] == expected
    assert "1 with refreshed context" in capsys.readouterr().out


def test_push_pass_2_makes_a_blind_project_with_the_same_tasks(fake):
    c = client(fake.url)
    push(c, "vl")
    report = push(c, "vl", pass_number=2)
    assert report["title"] == "vl-pass2" and report["created"] and report["new"] == SENTENCES
    second = [t for t in fake.tasks.values() if t["project"] == report["project_id"]]
    first = [t for t in fake.tasks.values() if t["project"] != report["project_id"]]
    assert sorted(t["data"]["sentence_id"] for t in second) == sorted(t["data"]["sentence_id"] for t in first)
    assert all(t["predictions"] == [] for t in second) and all(t["predictions"] for t in first)


# -- a server whose answers have the wrong shape ---------------------------------------------------


@pytest.mark.parametrize("path, body, message", [
    ("/api/projects/$", b'[{"id": 1, "title": "vl"}]', "projects"),
    ("/api/projects/$", b'{"count": 1, "results": "vl"}', "projects"),
    ("/api/projects/$", b'{"count": 1, "results": ["vl"]}', "projects"),
    ("/api/projects/$", b'"vl"', "projects"),
    ("/api/projects/$", b'{"count": 1, "results": [{"title": "vl"}]}', "without an integer id"),
    ("/api/tasks/$", b'{"total": 1, "tasks": "abc"}', "tasks"),
    ("/api/tasks/$", b'[1, 2]', "tasks"),
])
@pytest.mark.parametrize("command", ["pull", "push"])
def test_a_server_answering_the_wrong_shape_is_one_line(fake, tmp_path, monkeypatch, capsys, path, body, message,
                                                       command):
    if command == "pull" and "tasks" in path:
        pytest.skip("pull lists no tasks")
    push(client(fake.url), "vl", restore=False)
    fake.fault("GET", path, "raw", body, times=10)
    monkeypatch.setenv("VIETLAO_LS_TOKEN", TOKEN)
    out = tmp_path / "export.json"
    args = ["--url", fake.url, "--project-title", "vl", "--retries", "1"]
    args += ["--output", str(out)] if command == "pull" else ["--no-restore", "--model", "gazetteer"]
    assert main(["ls", command, *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("vietlao: error: ") and err.count("\n") == 1, err
    assert message in err and "unexpected" in err, err
    assert list(tmp_path.iterdir()) == []


def test_backend_honours_the_deadline_against_an_endless_listing(fake, monkeypatch, capsys):
    """`ls backend --deadline 1` against a server that pages forever: one error line within seconds."""
    fake.endless = True
    monkeypatch.setenv("VIETLAO_LS_TOKEN", TOKEN)
    start = time.monotonic()
    code = main(["ls", "backend", "--url", fake.url, "--project-title", "vl", "--deadline", "1", "--port", "0"])
    err = capsys.readouterr().err
    assert code == 1 and time.monotonic() - start < 15
    assert err.startswith("vietlao: error: the command did not finish within 1 s") and err.count("\n") == 1, err
    assert fake.count("GET", "/api/projects/$") > 2  # it did page on until the deadline


def test_within_deadline_counts_afresh(fake):
    c = client(fake.url, deadline=0.5)
    time.sleep(0.6)
    with pytest.raises(UserError, match="did not finish within 0.5 s"):
        c.find_project("x")
    assert c.within_deadline(lambda: c.find_project("x")) is None  # each exchange of a server gets the full time


def test_pull_writes_through_a_symlinked_output_and_refuses_a_folder(fake, tmp_path, monkeypatch, capsys):
    push(client(fake.url), "vl", restore=False)
    annotate(client(fake.url), _sheets(tmp_path, "003"), "vl")
    target = tmp_path / "real" / "export.json"
    target.parent.mkdir()
    target.write_text("[]\n", encoding="utf-8")
    link = tmp_path / "export.json"
    link.symlink_to(target)
    pull(client(fake.url), link, "vl")
    assert link.is_symlink() and json.loads(target.read_text(encoding="utf-8"))  # the link stays, its target is new
    assert sorted(p.name for p in target.parent.iterdir()) == ["export.json"]
    monkeypatch.setenv("VIETLAO_LS_TOKEN", TOKEN)
    folder = tmp_path / "folder"
    folder.mkdir()
    for output, message in [(folder, "is a folder, not a file"), ("", "--output is empty")]:
        assert main(["ls", "pull", "--url", fake.url, "--project-title", "vl", "--output", str(output)]) == 1
        err = capsys.readouterr().err
        assert err.startswith("vietlao: error: ") and message in err and err.count("\n") == 1, err
    assert list(folder.iterdir()) == []


def test_pull_removes_the_temporary_files_a_killed_pull_left(fake, tmp_path):
    push(client(fake.url), "vl", restore=False)
    annotate(client(fake.url), _sheets(tmp_path, "003"), "vl")
    out = tmp_path / "out" / "export.json"
    out.parent.mkdir()
    dead = int(Path("/proc/sys/kernel/pid_max").read_text()) + 1
    (out.parent / f".export.json.{dead}.x1y2z3.vietlao-tmp").write_bytes(b"[half a download")
    pull(client(fake.url), out, "vl")
    assert sorted(p.name for p in out.parent.iterdir()) == ["export.json"]


@pytest.mark.parametrize("kind, message", [
    ("folder", "is a folder, not a file"),
    ("latin1", "is not UTF-8 (byte 0xe9"),
    ("missing", "cannot read: No such file or directory"),
    ("empty", "--restore-from is empty"),
])
def test_push_restore_from_a_bad_path_is_one_line(fake, tmp_path, monkeypatch, capsys, kind, message):
    path = tmp_path / "restore.json"
    if kind == "folder":
        path.mkdir()
    elif kind == "latin1":
        path.write_bytes('[{"id": 1, "data": {"sentence_id": "003-000", "note": "café"}}]'.encode("latin-1"))
    monkeypatch.setenv("VIETLAO_LS_TOKEN", TOKEN)
    argv = ["ls", "push", "--url", fake.url, "--project-title", "vl", "--model", "gazetteer",
            "--restore-from", "" if kind == "empty" else str(path)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("vietlao: error: ") and message in err and err.count("\n") == 1, err
    assert "Traceback" not in err and fake.tasks == {}


def test_an_expired_jwt_is_refused_before_any_request():
    pytest.importorskip("label_studio_sdk")
    jwt = pytest.importorskip("jwt")
    token = jwt.encode({"exp": int(time.time()) - 60, "token_type": "refresh"}, "k" * 32, algorithm="HS256")
    with pytest.raises(UserError, match="Label Studio rejected the token: API key has expired"):
        Client("http://127.0.0.1:9", token)
