"""``vietlao ls``: serve Label Studio, push sentence tasks, enter annotators' sheets, pull the export.

The API token comes from ``VIETLAO_LS_TOKEN`` only (never from the command line, never printed);
the server URL from ``--url`` or ``VIETLAO_LS_URL`` (default ``http://127.0.0.1:8080``).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Callable, cast

from vietlao.corpus.documents import Document, load_corpus
from vietlao.errors import UserError, shown
from vietlao.export.task import ExportError
from vietlao.corpus.inventory import load_inventory
from vietlao.label_config import write_label_config
from vietlao.labels import ENTITY_TYPES, STANCE_LABELS
from vietlao.emails import find_email, replace_emails
from vietlao.labelstudio.client import Client
from vietlao.labelstudio.restore import (
    changes, export_text, load_json, merge_pull, read_committed, restore_payloads,
)
from vietlao.labelstudio.preannotate import model_version as gazetteer_version, prediction
from vietlao.labelstudio.project import pass_title, plan_data_updates, project_settings, stale_settings
from vietlao.labelstudio.sheets import SheetError, read_sheet
from vietlao.labelstudio.tasks import ls_result, sentence_tasks
from vietlao.export.rules import MAX_DEPTH, too_deep
from vietlao.export.validate import validate_gold
from vietlao.files import atomic_output, check_output, scratch_file
from vietlao.paths import project

DEFAULT_TITLE = "vietlao"
#: Keys whose values identify a Label Studio user.
IDENTITY_KEYS = frozenset({
    "completed_by", "updated_by", "created_by", "last_created_by", "created_username", "reviewed_by",
    "user", "annotators", "reviewers", "comment_authors", "assignee", "assignees", "owner",
})
#: Keys whose values change with the clock alone ("3 minutes ago"); dropped from the export.
VOLATILE_KEYS = frozenset({"created_ago"})
_NAME_WITH_ID = re.compile(r"^\s*(.*?),\s*(\d+)\s*$")


def _project_id(client: Client, title: str) -> int:
    pid = client.find_project(title)
    if pid is None:
        raise UserError(f"Label Studio has no project titled {title!r}; create it with `vietlao ls push`")
    return pid


def _by_sentence(tasks: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for t in tasks:
        # the project's tasks are the ones push created, each with its data.sentence_id
        out.setdefault(cast(str, (t.get("data") or {}).get("sentence_id")), []).append(t)
    return out


# -- push ------------------------------------------------------------------------------------


def push(client: Client, title: str = DEFAULT_TITLE, *, model_version: str | None = None,
         documents: list[Document] | None = None, pass_number: int = 1, restore: bool = True,
         restore_from: Path | None = None,
         predictor: Callable[[dict], dict | None] | None = None) -> dict:
    """Create or reuse the project of an annotation pass and bring it up to date.

    The project gets the labelling config (generated from the current inventory; also written to
    ``annotations/label_config.xml`` if that is stale) and the guidelines as its instructions.
    Sentences without a task are imported. In pass 1 with ``restore``, a sentence the export
    ``restore_from`` (default: the project's ``annotations/export.json``) has annotated comes back as it
    stands there (its completed annotations, predictions and meta, with the corpus's current task
    data); any other comes with gazetteer predictions (``model_version`` default: the gazetteer's, from
    the inventory's checksum), or with ``predictor``'s (task data -> a prediction, or None to send
    none; ``model_version`` then names it), which also replaces the differing predictions of
    existing tasks without an annotation; pass 2 is blind (no restore, no predictions). Existing
    tasks get new context in place; drifted ones are reported.
    """
    model_version = model_version or gazetteer_version()
    title = pass_title(title, pass_number)
    inventory = load_inventory()
    settings = project_settings(inventory)
    if write_label_config(settings["label_config"]):
        print(f"{project().label_config}: regenerated from the inventory")
    pid, created = client.ensure_project(title, settings["label_config"])
    stale = stale_settings(client.project_fields(pid, settings), settings)
    if stale:
        client.update_project(pid, **stale)
        if not created:
            print(f"project {title!r}: updated {', '.join(sorted(stale))}")
    wanted = sentence_tasks(documents if documents is not None else load_corpus())
    before = _by_sentence(client.tasks(pid))
    refresh, drifted = plan_data_updates(before, wanted)
    for task_id, data in refresh.items():
        client.update_task_data(task_id, data)
    missing_now = [d for d in wanted if d["sentence_id"] not in before]
    restore = restore and pass_number == 1
    restore_from = Path(restore_from) if restore_from is not None else project().export
    restored = restore_payloads(read_committed(restore_from), missing_now) if restore else {}
    predict = predictor or (lambda d: prediction(d, inventory, model_version))
    predicted = {d["sentence_id"]: predict(d) for d in wanted} if pass_number == 1 else {}
    payloads = {**restored, **{
        d["sentence_id"]: {"data": d, "predictions": [p for p in [predicted.get(d["sentence_id"])] if p]}
        for d in missing_now if d["sentence_id"] not in restored
    }}
    repredicted = 0
    if predictor is not None:
        for sid, tasks in before.items():
            for t in tasks:
                if sid in predicted and not t.get("annotations") and client.replace_predictions(t, predicted[sid]):
                    repredicted += 1
    if payloads:
        client.import_missing(pid, payloads)
    after = _by_sentence(client.tasks(pid))
    duplicated = sorted(s for s, ts in after.items() if len(ts) > 1)
    missing = sorted(d["sentence_id"] for d in wanted if d["sentence_id"] not in after)
    if missing:
        raise UserError(f"project {title!r}: {len(missing)} sentences still have no task: {missing[:10]}")
    report = {
        "project_id": pid, "title": title, "created": created, "tasks": sum(len(ts) for ts in after.values()),
        "new": len(payloads), "restored": len(restored), "existing": len(wanted) - len(payloads),
        "refreshed": len(refresh), "repredicted": repredicted, "duplicated": duplicated, "drifted": drifted,
        "model_version": model_version if pass_number == 1 else None,
    }
    with_what = f"with {model_version} predictions" if pass_number == 1 else "without predictions (blind pass)"
    print(
        f"project {title!r} (id {pid}{', new' if created else ''}): {report['tasks']} tasks — "
        + (f"{len(restored)} restored from {restore_from}, " if restore else "")
        + f"{len(payloads) - len(restored)} imported {with_what}, {report['existing']} already there"
        + (f", {len(refresh)} with refreshed context" if refresh else "")
        + (f", {repredicted} unannotated with new predictions" if repredicted else "")
    )
    if duplicated:
        print(f"  warning: {len(duplicated)} sentences have more than one task: {duplicated[:10]}")
    if drifted:
        print(f"  warning: {len(drifted)} existing tasks differ from the corpus: {drifted[:10]}")
    return report


# -- annotate ---------------------------------------------------------------------------------


def sheet_results(sheets_dir: Path, documents: list[Document]) -> dict[str, tuple[str, list[dict]]]:
    """Sentence id -> (text, Label Studio result) for every sheet in ``sheets_dir``; all checked first."""
    results, problems = {}, []
    for doc in documents:
        path = sheets_dir / f"{doc.doc_id}.yaml"
        if not path.exists():
            continue
        try:
            sentences = read_sheet(path, doc)
        except (SheetError, KeyError, TypeError, ValueError) as exc:
            problems.append(f"{path}: {exc}")
            continue
        for s in sentences:
            bad = [m.label for m in s.mentions if m.label not in ENTITY_TYPES]
            if s.stance not in STANCE_LABELS or bad:
                problems.append(f"{path}: {s.sentence_id}: stance {s.stance!r}, entity types {bad or 'ok'}")
                continue
            results[s.sentence_id] = (s.text, ls_result(s.sentence_id, s.text, s.mentions, s.stance))
    if problems:
        raise UserError("sheets not entered, fix them first:\n  " + "\n  ".join(problems[:30]))
    if not results:
        raise UserError(f"no sheets (<doc_id>.yaml) found in {sheets_dir}")
    return results


def annotate(client: Client, sheets_dir: Path, title: str = DEFAULT_TITLE, *, pass_name: str | None = None,
             replace: bool = False) -> Counter:
    """Enter the sheets as annotations, one per task; tasks already annotated are skipped."""
    documents = load_corpus()
    results = sheet_results(Path(sheets_dir), documents)
    pid = _project_id(client, title)
    tasks = _by_sentence(client.tasks(pid))
    for sid, (text, _) in results.items():
        found = tasks.get(sid, [])
        if len(found) != 1:
            raise UserError(f"sentence {sid} has {len(found)} tasks in project {title!r}; run `vietlao ls push` first")
        if found[0]["data"].get("text") != text:
            raise UserError(f"task {found[0]['id']} (sentence {sid}) has a text that differs from the corpus")
    pass_name = pass_name or Path(sheets_dir).resolve().name
    counts: Counter = Counter()
    for sid, (_, result) in sorted(results.items()):
        counts[client.annotate(tasks[sid][0], result, replace=replace, meta={"annotation_pass": pass_name})] += 1
    print(f"{pass_name}: {len(results)} sentences — " + ", ".join(f"{counts[k]} {k}" for k in sorted(counts)))
    if counts["skipped"]:
        print("  skipped tasks already have a different completed annotation; --replace overwrites it")
    return counts


# -- pull -------------------------------------------------------------------------------------


class Pseudonyms:
    """Stable pseudonyms (``annotator-1``, …) for user identities, in order of first appearance."""

    def __init__(self) -> None:
        self._names: dict[tuple[str, object], str] = {}
        self._count = 0

    def of(self, *keys: tuple[str, object]) -> str:
        name = next((self._names[k] for k in keys if k in self._names), None)
        if name is None:
            self._count += 1
            name = f"annotator-{self._count}"
        for k in keys:
            self._names.setdefault(k, name)
        return name

    def identity(self, value: object) -> object:
        """The pseudonym for a user id, name, e-mail, ``"email, id"`` string or user object."""
        if value is None or isinstance(value, bool) or value == "":
            return value
        if isinstance(value, list):
            return [self.identity(v) for v in value]
        if isinstance(value, int):
            return self.of(("id", value))
        if isinstance(value, str):
            m = _NAME_WITH_ID.match(value)
            return self.of(("id", int(m[2])), ("name", m[1].strip())) if m else self.of(("name", value.strip()))
        if isinstance(value, dict):
            keys = [("id", value["id"])] if isinstance(value.get("id"), int) else []
            keys += [("name", value[k].strip()) for k in ("email", "username") if isinstance(value.get(k), str) and value[k].strip()]
            return self.of(*keys) if keys else self.of(("name", json.dumps(value, sort_keys=True)))
        return self.of(("name", str(value)))

    def scrub(self, node: object) -> object:
        """``node`` with identities pseudonymised, e-mails replaced and volatile keys dropped."""
        if isinstance(node, dict):
            return {
                k: self.identity(node[k]) if k in IDENTITY_KEYS else self.scrub(node[k])
                for k in sorted(node) if k not in VOLATILE_KEYS
            }
        if isinstance(node, list):
            return [self.scrub(v) for v in node]
        if isinstance(node, str):
            return replace_emails(node, lambda address: self.of(("name", address)))
        return node


def _sentence_key(task: dict) -> tuple:
    data = raw if isinstance(raw := task.get("data"), dict) else {}
    return (str(data.get("sentence_id", "")), str(task.get("id", "")))


def prepare_export(tasks: object) -> tuple[list[dict], int]:
    """Annotated tasks sorted by sentence id and pseudonymised; and how many had no annotation."""
    if not isinstance(tasks, list):
        raise UserError("the export from Label Studio is not a JSON list of tasks")
    annotated = sorted((t for t in tasks if isinstance(t, dict) and t.get("annotations")), key=_sentence_key)
    return cast(list[dict], Pseudonyms().scrub(annotated)), len(tasks) - len(annotated)  # a list of dicts stays one


def pull(client: Client, output: Path | None = None, title: str = DEFAULT_TITLE, *, validate: bool = True,
         complete: bool = False, accept_changes: bool = False) -> dict:
    """Download, pseudonymise, sort and validate the export; replace ``output`` only if all went well.

    Tasks whose annotations did not change keep their version in ``output`` byte for byte; a pull that
    would change or drop annotations ``output`` holds is refused, listing them, unless ``accept_changes``.
    Pseudonymisation and the refusal of non-JSON values (NaN), e-mail addresses and the API token hold
    with ``validate=False`` too.
    """
    output = check_output(Path(output) if output is not None else project().export, "--output",
                          allowed=[project().export])  # a symlink is written through: the link stays
    pid = _project_id(client, title)
    with scratch_file(output) as handle:
        size = client.download_export(pid, handle)
        handle.seek(0)
        raw = handle.read()
    where, tail = f"the export from Label Studio ({size} bytes)", f"; {output} left unchanged"
    try:
        raw_text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{where} is not UTF-8: {exc.reason} at byte {exc.start}{tail}") from None
    exported = load_json(raw_text, where, tail)
    if too_deep(exported):
        raise UserError(f"{where} holds JSON nested deeper than {MAX_DEPTH} levels{tail}")
    committed = read_committed(output)
    try:
        pulled, unannotated = prepare_export(exported)
        tasks = merge_pull(pulled, committed)
        text = export_text(tasks)
    except RecursionError:
        raise UserError(f"{where} holds JSON nested deeper than {MAX_DEPTH} levels{tail}") from None
    changed = changes(tasks, committed)
    if changed and not accept_changes:
        raise UserError(
            f"the pull would change the annotations of {len(changed)} sentence(s) in {output}, left unchanged "
            "(--accept-changes writes them):\n  " + "\n  ".join(shown(c, 300) for c in changed[:30])
        )
    if find_email(text):
        raise UserError(f"an e-mail address survived pseudonymisation; {output} left unchanged")
    if client.holds_token(text):
        raise UserError(f"the export holds the API token; {output} left unchanged")
    with atomic_output(output) as handle:  # validated before it replaces the old file
        handle.write(text)
        handle.flush()
        if validate:
            try:
                validate_gold(Path(handle.name), complete=complete)
            except ExportError as exc:
                lines = [f"  {p}" for p in exc.problems[:30]]
                raise UserError(
                    f"the pulled export has {len(exc.problems)} problem(s); {output} left unchanged "
                    "(--no-validate writes it anyway):\n" + "\n".join(lines)
                ) from None
    report = {"tasks": len(tasks), "unannotated": unannotated, "bytes": len(text.encode()), "output": str(output),
              "changed": changed}
    checked = ("validated" if validate else "NOT validated") + ("" if complete else " as a partial export")
    print(f"{output}: {len(tasks)} annotated tasks, {checked}, pseudonymised"
          + (f"; {unannotated} tasks without annotations left out" if unannotated else ""))
    sentences = sum(len(d.sentences) for d in load_corpus())
    if not complete and len(tasks) < sentences:
        print(f"  partial: {len(tasks)} of the corpus's {sentences} sentences; "
              "`vietlao validate --partial` checks it (`--complete` requires every sentence)")
    return report
