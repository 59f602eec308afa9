"""The annotator's workplace in a real browser, and the two-pass round trip with agreement.

A real Label Studio (from the tool environment) on a free loopback port, and Debian's Chromium
(``/usr/bin/chromium``) started by this test with a new, empty profile and driven by Playwright
(from pip) over the DevTools protocol; no browser is ever downloaded. Both processes are stopped
by their PIDs. Without Label Studio, Chromium or Playwright the tests are skipped locally and fail
under ``CI=true``. On a failure the page is saved as ``failure.png`` in the test's tmp folder.

Screenshots for the README: ``VIETLAO_SCREENSHOTS=docs`` writes them to ``docs/``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from vietlao import label_config as lc
from vietlao.corpus.documents import load_corpus
from vietlao.evaluation.agreement import agreement
from vietlao.export.task import ExportError
from vietlao.labels import STANCE_LABELS
from vietlao.export.validate import gold_context, validate_gold
from vietlao.labelstudio.client import Client
from vietlao.labelstudio.commands import annotate, pull, push, sheet_results
from vietlao.labelstudio.project import pass_title
from vietlao.labelstudio.server import (
    DEFAULT_USERNAME, USERNAME_ENV, admin_password, free_port, start_server,
)
from vietlao.paths import project

from chromium import CHROMIUM, CHROMIUM_ARGS, shot_dir, unavailable

pytestmark = pytest.mark.server

BROWSER_TITLE = "vietlao-browser"
ROUND_TRIP_TITLE = "vietlao-passes"
ROUND_TRIP_DOCS = ("000", "002", "003")  # the documents the second pass covers
# what the browser annotator does on sentence 000-001
SENTENCE_ID, SURFACE, LABEL, ENTITY, STANCE = "000-001", "Thongloun Sisoulith", "PER", "thongloun_sisoulith", "favor"


@pytest.fixture(scope="module")
def server(tmp_path_factory, ls_venv):
    token = secrets.token_hex(20)
    data_dir = tmp_path_factory.mktemp("ls-data")
    handle = start_server(free_port(), data_dir, token)
    try:
        yield SimpleNamespace(handle=handle, token=token, url=handle.url, password=admin_password(data_dir)[0],
                              client=Client(handle.url, token, timeout=60, attempts=3, backoff=0.5))
    finally:
        handle.stop()
        assert not handle.alive()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    """Debian's Chromium with a new, empty profile, listening for DevTools on a free loopback port."""
    if not CHROMIUM.exists():
        unavailable(f"no {CHROMIUM}; `python3 scripts/dev.py test` installs it as root (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[dev]')")
    profile = tmp_path_factory.mktemp("chromium-profile")
    port = free_port()
    process = subprocess.Popen(
        [str(CHROMIUM), *CHROMIUM_ARGS, f"--user-data-dir={profile}", "--remote-debugging-address=127.0.0.1",
         f"--remote-debugging-port={port}", "about:blank"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{endpoint}/json/version", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Chromium did not open DevTools on {endpoint} (exit {process.poll()})") from None
                time.sleep(0.3)
        yield endpoint
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(process.pid, sig)
                process.wait(10)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        assert process.poll() is not None


@pytest.fixture
def page(chromium, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.connect_over_cdp(chromium)
        context = browser.contexts[0]
        page = context.new_page()
        page.set_viewport_size({"width": 1280, "height": 1000})
        page.set_default_timeout(60_000)
        try:
            yield page
        finally:
            page.close()
            browser.close()





def _text_rect(page, sentence: str, surface: str) -> dict | None:
    """The on-screen box of ``surface`` inside the labelled sentence's Text (not the context), once
    the editor shows it (None if it does not within 30 s)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        return page.wait_for_function(
            """([sentence, surface]) => {
              for (const el of document.querySelectorAll('.lsf-htx-richtext')) {
                if (el.textContent !== sentence) continue;
                const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
                let node;
                while ((node = walker.nextNode())) {
                  const i = node.textContent.indexOf(surface);
                  if (i < 0) continue;
                  const range = document.createRange();
                  range.setStart(node, i);
                  range.setEnd(node, i + surface.length);
                  const b = range.getBoundingClientRect();
                  return {x: b.left, y: b.top, w: b.width, h: b.height};
                }
              }
              return null;
            }""",
            arg=[sentence, surface],
            timeout=30_000,
        ).json_value()
    except PlaywrightTimeout:
        return None


def _drag_over(page, sentence: str, surface: str) -> dict:
    """Select ``surface`` in the labelled sentence with the mouse (a new region of the pressed label);
    its on-screen box."""
    box = _text_rect(page, sentence, surface)
    assert box is not None, f"{surface!r} not found in the labelled sentence"
    y = box["y"] + box["h"] / 2
    page.mouse.move(box["x"] + 2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["w"] - 2, y, steps=8)
    page.mouse.up()
    return box


def _annotate_in_browser(page, url: str, password: str, pid: int, task: dict, shots: Path) -> None:
    _log_in(page, url, password)
    page.goto(f"{url}/projects/{pid}/data?task={task['id']}")
    page.wait_for_selector(".lsf-htx-richtext")
    data = task["data"]
    # the context is on the page, read-only, around the sentence
    for text in (data[lc.CONTEXT_BEFORE], data[lc.CONTEXT_AFTER], data["outlet"]):
        assert page.get_by_text(text.splitlines()[0][:60], exact=False).count() >= 1
    page.screenshot(path=str(shots / "annotator-context.png"))
    # the guidelines are the project's instructions
    page.get_by_role("button", name="Instructions").click()
    heading = page.get_by_role("heading", name="Annotation guidelines — vietlao")
    heading.wait_for(state="visible")
    page.wait_for_timeout(1000)  # let the dialog finish fading in before the screenshot
    page.screenshot(path=str(shots / "annotator-instructions.png"), animations="disabled")
    page.keyboard.press("Escape")
    heading.wait_for(state="hidden")

    page.locator(".lsf-label", has_text=LABEL).first.click()
    box = _text_rect(page, data["text"], SURFACE)
    assert box is not None, f"{SURFACE!r} not found in the labelled sentence"
    y = box["y"] + box["h"] / 2
    page.mouse.move(box["x"] + 2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["w"] / 2, y, steps=5)
    page.mouse.move(box["x"] + box["w"] - 2, y, steps=5)
    page.mouse.up()
    page.mouse.click(box["x"] + box["w"] / 2, y)  # select the new region: its entity picker opens
    choice = page.locator(".lsf-choice__item", has_text=f"{ENTITY} —")
    choice.wait_for(state="visible")
    assert page.locator(".lsf-choice__item:visible", has_text="vietnam —").count() == 0  # only PER entities
    choice.click()
    page.screenshot(path=str(shots / "annotator-picker.png"))
    page.locator(".lsf-choice__item", has_text=STANCE).locator("input").first.check()
    page.get_by_role("button", name="Submit").click()
    page.wait_for_selector(".lsf-annotations-list, .lsf-current-task", timeout=30_000, state="attached")


def test_browser_annotation_is_pulled_with_offsets_label_entity_and_stance(server, page, tmp_path):
    docs = [d for d in load_corpus() if d.doc_id == SENTENCE_ID[:3]]
    report = push(server.client, BROWSER_TITLE, documents=docs, pass_number=2)
    (task,) = [t for t in server.client.tasks(report["project_id"]) if t["data"]["sentence_id"] == SENTENCE_ID]
    shots = shot_dir(tmp_path)
    try:
        _annotate_in_browser(page, server.url, server.password, report["project_id"], task, shots)
    except BaseException:
        failure = tmp_path / "failure.png"
        page.screenshot(path=str(failure), full_page=True)
        print(f"\nscreenshot of the failing page: {failure}")
        raise
    out = tmp_path / "export.json"
    deadline = time.monotonic() + 30
    while True:
        done = [t for t in server.client.tasks(report["project_id"]) if t["annotations"]]
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    pull(server.client, out, pass_title(BROWSER_TITLE, 2), complete=False)
    (record,) = validate_gold(out, complete=False)
    start = record.text.index(SURFACE)
    assert record.sentence_id == SENTENCE_ID and record.stance == STANCE
    assert [(m.start, m.end, m.label, m.entity_id) for m in record.mentions] == [
        (start, start + len(SURFACE), LABEL, ENTITY)
    ]
    (exported,) = json.loads(out.read_text(encoding="utf-8"))
    picked = [r for r in exported["annotations"][0]["result"] if r["from_name"] == lc.ENTITY_ID]
    assert [r["value"][lc.ENTITY_ID_KEY] for r in picked] == [[ENTITY]]


def test_two_projects_round_trip_gives_agreement(server, tmp_path, capsys):
    docs = [d for d in load_corpus() if d.doc_id in ROUND_TRIP_DOCS]
    passes = project().passes
    first = push(server.client, ROUND_TRIP_TITLE, documents=docs, restore=False)  # pass 1 from its sheets
    second = push(server.client, ROUND_TRIP_TITLE, documents=docs, pass_number=2)
    tasks_2 = server.client.tasks(second["project_id"])
    assert second["new"] == first["new"] == len(tasks_2) and all(not t["predictions"] for t in tasks_2)
    exports = {}
    for number, sheets in ((1, "pass1"), (2, "pass2")):
        sheet_dir = tmp_path / sheets
        sheet_dir.mkdir()
        for doc_id in ROUND_TRIP_DOCS:
            (sheet_dir / f"{doc_id}.yaml").write_bytes((passes / sheets / f"{doc_id}.yaml").read_bytes())
        annotate(server.client, sheet_dir, pass_title(ROUND_TRIP_TITLE, number))
        exports[number] = tmp_path / f"pass{number}.json"
        # the second pass's sheets predate the picker: three of their IDs are not in the inventory
        pull(server.client, exports[number], pass_title(ROUND_TRIP_TITLE, number), complete=False, validate=number == 1)
    from_projects = agreement(str(exports[1]), str(exports[2]), gold_context())
    from_sheets = agreement(str(tmp_path / "pass1"), str(tmp_path / "pass2"), gold_context())
    assert from_projects == from_sheets
    assert from_projects["sentences"] == len(tasks_2)
    capsys.readouterr()
    with capsys.disabled():
        micro = from_projects["micro"]
        print(f"\ntwo-project round trip ({from_projects['sentences']} sentences): span F1 {micro['f1']:.3f} "
              f"({micro['both']} of {micro['a']}/{micro['b']}), stance kappa {from_projects['stance_kappa']:.3f}, "
              f"{len(from_projects['disagreements'])} sentences with a disagreement")


def test_several_annotators_in_one_project_are_pseudonymised_compared_and_adjudicated(server, tmp_path):
    """Two Label Studio users annotate the same tasks of one project (entered through the API on
    their behalf): pull names them annotator-1 and annotator-2, agreement compares them, and the
    export validates once the disagreeing tasks have a ground-truth annotation."""
    docs = [d for d in load_corpus() if d.doc_id == "003"]
    title = "vietlao-team"
    report = push(server.client, title, documents=docs, restore=False)  # no gold: the annotators' own
    sdk = server.client.sdk
    users = [sdk.users.create(username=f"annotator{n}", email=f"annotator.{n}@example.org").id for n in (1, 2)]
    sheets = {}
    for name in ("pass1", "pass2"):
        sheets[name] = tmp_path / name
        sheets[name].mkdir()
        (sheets[name] / "003.yaml").write_bytes((project().passes / name / "003.yaml").read_bytes())
    results = {name: sheet_results(path, docs) for name, path in sheets.items()}
    tasks = {t["data"]["sentence_id"]: t for t in server.client.tasks(report["project_id"])}
    created = {}
    for user, name in zip(users, ("pass1", "pass2")):
        for sid, (_, result) in results[name].items():
            created[sid, name] = sdk.annotations.create(tasks[sid]["id"], result=result, completed_by=user,
                                                        was_cancelled=False, ground_truth=False).id
    out = tmp_path / "team.json"
    pull(server.client, out, title, complete=False, validate=False)
    text = out.read_text(encoding="utf-8")
    assert "@" not in text and "annotator1" not in text
    exported = json.loads(text)
    names = {a["completed_by"] for t in exported for a in t["annotations"]}
    assert len(names) == 2 and all(n.startswith("annotator-") for n in names)
    first = {a["id"]: a["completed_by"] for t in exported for a in t["annotations"]}
    one, two = (first[created["003-000", name]] for name in ("pass1", "pass2"))
    team = agreement(f"{out}#{one}", f"{out}#{two}", gold_context())
    assert team == agreement(str(sheets["pass1"]), str(sheets["pass2"]), gold_context())
    disagreeing = [d["sentence_id"] for d in team["disagreements"]]
    assert disagreeing
    with pytest.raises(ExportError, match="adjudicate"):
        validate_gold(out, complete=False)
    for sid in disagreeing:  # the adjudicated decision: here pass 1's annotation
        sdk.annotations.update(created[sid, "pass1"], ground_truth=True)
    pull(server.client, out, title, complete=False, accept_changes=True)  # adjudication changes the file
    assert len(validate_gold(out, complete=False)) == len(tasks)


def _open_task(page, url: str, project_id: int, task_id: int) -> None:
    """The task in the editor, the instructions (if Label Studio shows them) closed."""
    page.goto(f"{url}/projects/{project_id}/data?task={task_id}")
    page.wait_for_selector(".lsf-htx-richtext")
    page.keyboard.press("Escape")


def _log_in(page, url: str, password: str) -> None:
    """Log in as the admin, unless the browser's session already is."""
    page.goto(f"{url}/user/login/")
    page.wait_for_load_state("networkidle")
    if "/user/login" not in page.url:
        return
    page.fill("input[name=email]", os.environ.get(USERNAME_ENV) or DEFAULT_USERNAME)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_restored_tasks_of_every_document_open_and_their_linked_spans_select(server, page, tmp_path):
    """Every document's restored gold (entity IDs in the picker's form) opens in the editor, and
    clicking a linked span shows its picked entity, with no TypeError in the console."""
    committed = json.loads(project().export.read_text(encoding="utf-8"))
    report = push(server.client, "vietlao-restored", documents=load_corpus())
    tasks = {t["data"]["sentence_id"]: t for t in server.client.tasks(report["project_id"])}
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "TypeError" in msg.text else None)
    _log_in(page, server.url, server.password)
    checked = set()
    for gold in committed:
        doc = gold["data"]["doc_id"]
        result = gold["annotations"][0]["result"]
        picked = {r["id"]: r["value"][lc.ENTITY_ID_KEY][0] for r in result if r["from_name"] == lc.ENTITY_ID}
        linked = [r for r in result if r["from_name"] == lc.ENTITY_LABELS and r["id"] in picked]
        if doc in checked or not linked:
            continue
        task, region = tasks[gold["data"]["sentence_id"]], linked[0]
        try:
            _open_task(page, server.url, report["project_id"], task["id"])
            box = _text_rect(page, task["data"]["text"], region["value"]["text"])
            assert box is not None, f"{region['value']['text']!r} not found in {gold['data']['sentence_id']}"
            page.mouse.click(box["x"] + box["w"] / 2, box["y"] + box["h"] / 2)
            page.locator(".lsf-choice__item:visible", has_text=f"{picked[region['id']]} —").first.wait_for(state="visible")
            assert page.locator(".lsf-htx-richtext").count() >= 1  # the labelling area is still there
        except BaseException:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            raise
        assert not errors, f"sentence {gold['data']['sentence_id']}: {errors}"
        checked.add(doc)
    assert checked == {d.doc_id for d in load_corpus()}


def test_a_model_suggestion_is_marked_and_never_the_annotators_stance(server, page, tmp_path):
    """A task pushed with a trained model's prediction opens with the predicted spans and a read-only
    note naming the model's stance, its probability and model; no stance is selected, so the
    annotator must choose it."""
    from vietlao.assist.model_preannotate import train
    from vietlao.corpus.inventory import load_inventory
    from vietlao.evaluation.gold import load_gold

    every = ("train", "validation", "test")
    model = train("gazetteer+crf", load_gold("ner", every), load_gold("stance", every), load_inventory())
    ctx = gold_context()
    docs = [d for d in load_corpus() if d.doc_id == SENTENCE_ID[:3]]
    report = push(server.client, "vietlao-suggested", model_version=model.version, documents=docs,
                  restore=False, predictor=lambda d: model.prediction(d, ctx))
    tasks = server.client.tasks(report["project_id"])
    task = next(t for t in tasks if any(r["from_name"] == lc.ENTITY_ID for p in t["predictions"] for r in p["result"]))
    (note,) = [r for r in task["predictions"][0]["result"] if r["from_name"] == lc.STANCE_SUGGESTION]
    try:
        _log_in(page, server.url, server.password)
        _open_task(page, server.url, report["project_id"], task["id"])
        page.get_by_text(model.version, exact=False).first.wait_for(state="visible")
        assert page.get_by_text(note["value"]["text"][0], exact=False).count() >= 1
        for stance in STANCE_LABELS:
            item = _stance_choice(page, stance)
            assert item.count() == 1 and not item.locator("input").first.is_checked(), stance
        page.screenshot(path=str(shot_dir(tmp_path) / "annotator-suggestion.png"))
        # the stance's hotkeys are fixed: shift+2 picks the second stance
        page.locator(".lsf-htx-richtext").first.click(position={"x": 2, "y": 2})
        page.keyboard.press(f"{lc.STANCE_HOTKEY_PREFIX.rstrip('+').capitalize()}+2")
        second = _stance_choice(page, STANCE_LABELS[1])
        page.wait_for_function("el => el.checked", arg=second.locator("input").first.element_handle())
    except BaseException:
        page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
        raise


def test_a_linkable_span_without_its_entity_is_refused_at_submit(server, page, tmp_path):
    """Submitting a PER span whose entity is not picked shows the picker's required message and
    saves nothing; the picker's filter finds the entity by its Lao name; once it is picked, the
    annotation is saved."""
    docs = [d for d in load_corpus() if d.doc_id == SENTENCE_ID[:3]]
    report = push(server.client, "vietlao-required", documents=docs, pass_number=2)
    (task,) = [t for t in server.client.tasks(report["project_id"]) if t["data"]["sentence_id"] == SENTENCE_ID]
    try:
        _log_in(page, server.url, server.password)
        _open_task(page, server.url, report["project_id"], task["id"])
        page.locator(".lsf-label", has_text=LABEL).first.click()
        _drag_over(page, task["data"]["text"], SURFACE)
        _stance_choice(page, STANCE).locator("input").first.check()
        page.get_by_role("button", name="Submit").click()
        page.get_by_text("Pick the entity of every", exact=False).first.wait_for(state="visible")
        page.get_by_role("button", name="OK").click()
        page.wait_for_timeout(1000)
        assert all(not t["annotations"] for t in server.client.tasks(report["project_id"]) if t["id"] == task["id"])
        # the region is selected and its picker open; its filter finds the entity by its Lao name
        from vietlao.corpus.inventory import load_inventory

        page.get_by_placeholder("Filter by ID, name or form").fill(load_inventory()[ENTITY].names["lo"])
        page.locator(".lsf-choice__item:visible", has_text=f"{ENTITY} —").first.click()
        page.get_by_role("button", name="Submit").click()
        deadline = time.monotonic() + 30
        while not [t for t in server.client.tasks(report["project_id"]) if t["id"] == task["id"] and t["annotations"]]:
            assert time.monotonic() < deadline, "the annotation was not saved once its entity was picked"
            time.sleep(0.5)
    except BaseException:
        page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
        raise


CLICKS_SENTENCE, CLICKS_MENTIONS = "000-000", (("Vietnam", "GPE", "vietnam"), ("Laos", "GPE", "laos"))


def _stance_choice(page, stance: str):
    """The stance's radio item (its text is the stance, then its hotkey's hint)."""
    return page.locator(".lsf-choice__item").filter(has_text=re.compile(f"^{re.escape(stance)}(?![\\w])"))


def _picker_choice(page, entity: str):
    return page.locator(".lsf-choice__item:visible").filter(has_text=re.compile(f"^{re.escape(entity)} — "))


def test_clicks_per_linked_mention_with_and_without_selecting_new_regions(server, page, tmp_path):
    """Two linked mentions drawn in the editor, counting every click: with Label Studio's default
    settings the picker opens only once the new region is clicked (label, drag, region, entity);
    with *Select region after creating it* on it is open as soon as the region is drawn (label,
    drag, entity). The annotation is submitted, pulled and validated."""
    docs = [d for d in load_corpus() if d.doc_id == CLICKS_SENTENCE[:3]]
    report = push(server.client, "vietlao-clicks", documents=docs, pass_number=2)
    (task,) = [t for t in server.client.tasks(report["project_id"]) if t["data"]["sentence_id"] == CLICKS_SENTENCE]
    text = task["data"]["text"]
    clicks: list[int] = []
    try:
        _log_in(page, server.url, server.password)
        _open_task(page, server.url, report["project_id"], task["id"])
        for n, (surface, label, entity) in enumerate(CLICKS_MENTIONS):
            if n == 1:  # once per annotator: the editor's settings, then this mention
                page.get_by_role("button", name="Settings").first.click()
                page.get_by_text("Select region after creating it", exact=False).first.click()
                page.keyboard.press("Escape")
            count = 0
            page.locator(".lsf-label", has_text=label).first.click()
            count += 1
            box = _drag_over(page, text, surface)
            count += 1
            page.wait_for_timeout(500)
            if n == 0:
                assert _picker_choice(page, entity).count() == 0  # default: the new region is not selected
                page.mouse.click(box["x"] + box["w"] / 2, box["y"] + box["h"] / 2)
                count += 1
            _picker_choice(page, entity).first.click()
            count += 1
            clicks.append(count)
            page.keyboard.press("Escape")  # unselect the region
        _stance_choice(page, STANCE).locator("input").first.check()
        page.screenshot(path=str(tmp_path / "clicks.png"))
        page.get_by_role("button", name="Submit").click()
    except BaseException:
        page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
        raise
    assert clicks == [4, 3]
    deadline = time.monotonic() + 30
    while not [t for t in server.client.tasks(report["project_id"]) if t["id"] == task["id"] and t["annotations"]]:
        assert time.monotonic() < deadline, "the annotation was not saved"
        time.sleep(0.5)
    out = tmp_path / "export.json"
    pull(server.client, out, pass_title("vietlao-clicks", 2), complete=False)
    (record,) = validate_gold(out, complete=False)
    expected = [(text.index(s), text.index(s) + len(s), label, entity) for s, label, entity in CLICKS_MENTIONS]
    assert [(m.start, m.end, m.label, m.entity_id) for m in record.mentions] == sorted(expected)


def test_a_restored_task_corrected_through_the_picker_is_pulled_as_a_named_change(server, page, tmp_path):
    """The committed gold restored: one linked span's entity changed through the picker and the
    annotation updated; a pull over a copy of the committed export is refused, naming the span's old
    and new entity; with the change accepted, it validates with the new entity."""
    import shutil

    from vietlao.errors import UserError

    sentence, surface, old, new = CLICKS_SENTENCE, "Laos", "laos", "vietnam"
    report = push(server.client, "vietlao-corrected", documents=load_corpus())
    (task,) = [t for t in server.client.tasks(report["project_id"]) if t["data"]["sentence_id"] == sentence]
    try:
        _log_in(page, server.url, server.password)
        _open_task(page, server.url, report["project_id"], task["id"])
        box = _text_rect(page, task["data"]["text"], surface)
        page.mouse.click(box["x"] + box["w"] / 2, box["y"] + box["h"] / 2)
        assert _picker_choice(page, old).locator("input").first.is_checked()
        _picker_choice(page, new).first.click()
        page.screenshot(path=str(shot_dir(tmp_path) / "annotator-restored.png"))
        page.locator("button", has_text="Update").first.click()
    except BaseException:
        page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
        raise

    def picked() -> list[str]:
        (t,) = [t for t in server.client.tasks(report["project_id"]) if t["id"] == task["id"]]
        result = t["annotations"][0]["result"]
        region = next(r["id"] for r in result if r["from_name"] == lc.ENTITY_LABELS and r["value"]["text"] == surface)
        return [r["value"][lc.ENTITY_ID_KEY][0] for r in result if r["from_name"] == lc.ENTITY_ID and r["id"] == region]

    deadline = time.monotonic() + 30
    while picked() != [new]:
        assert time.monotonic() < deadline, f"the update did not reach the server: {picked()}"
        time.sleep(0.5)
    out = tmp_path / "export.json"
    shutil.copyfile(project().export, out)
    start = task["data"]["text"].index(surface)
    with pytest.raises(UserError) as refused:
        pull(server.client, out, "vietlao-corrected")
    assert f"{sentence}: - [{start}, {start + len(surface)}) GPE {old} 'Laos'; + [{start}, {start + len(surface)}) GPE {new} 'Laos'" in str(refused.value)
    assert out.read_bytes() == project().export.read_bytes()
    pull(server.client, out, "vietlao-corrected", accept_changes=True)
    (record,) = [r for r in validate_gold(out) if r.sentence_id == sentence]
    assert (start, start + len(surface), "GPE", new) in [(m.start, m.end, m.label, m.entity_id) for m in record.mentions]
