"""What a Label Studio project shows its annotators besides the tasks, and the annotation passes.

- The labelling config is generated from the vocabularies and the inventory
  (:func:`vietlao.label_config.render_label_config`); ``push`` sends the current one, so a new
  inventory entity reaches the picker with the next ``push``.
- The instructions are ``annotations/GUIDELINES.md`` rendered to HTML (markdown-it-py, CommonMark
  with tables), shown before labelling (``show_instruction``) and from the labelling view.
- Pass 1 is the project itself (title ``vietlao``), with the gazetteer's pre-annotations. A blind
  second pass is a second project (``vietlao-pass2``) holding the same tasks without predictions,
  so its annotator sees neither the first pass nor the pre-annotations; this works in the
  Community Edition, which has no per-annotator task hiding or agreement statistics.
"""

from __future__ import annotations

from pathlib import Path

from markdown_it import MarkdownIt

from vietlao import label_config as lc
from vietlao.corpus.inventory import CanonicalEntity
from vietlao.errors import UserError
from vietlao.labelstudio.tasks import SENTENCE_KEYS
from vietlao.paths import project

PASSES = (1, 2)


def pass_title(title: str, pass_number: int) -> str:
    """The project of an annotation pass: ``title`` for pass 1, ``title-pass2`` for pass 2."""
    if pass_number not in PASSES:
        raise UserError(f"--pass must be one of {', '.join(map(str, PASSES))}, got {pass_number}")
    return title if pass_number == 1 else f"{title}-pass{pass_number}"


def instructions_html(path: Path | None = None) -> str:
    """The guidelines (default: the project's) as HTML for the project's instructions; raw HTML in
    the Markdown is escaped."""
    path = path or project().guidelines
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot read the guidelines: {exc.strerror}") from None
    return MarkdownIt("commonmark", {"html": False}).enable("table").render(text)


def project_settings(inventory: dict[str, CanonicalEntity], guidelines: Path | None = None) -> dict:
    """The project fields ``push`` keeps up to date: labelling config and instructions."""
    return {
        "label_config": lc.render_label_config(inventory),
        "expert_instruction": instructions_html(guidelines),
        "show_instruction": True,
    }


def stale_settings(current: dict, wanted: dict) -> dict:
    """The fields of ``wanted`` that the project holds differently (config compared stripped)."""
    def same(key: str) -> bool:
        a, b = current.get(key), wanted[key]
        return a.strip() == b.strip() if isinstance(a, str) and isinstance(b, str) else a == b

    return {k: v for k, v in wanted.items() if not same(k)}


def plan_data_updates(existing: dict[str, list[dict]], wanted: list[dict]) -> tuple[dict[int, dict], list[str]]:
    """Tasks whose data ``push`` refreshes in place, and sentences that drifted.

    ``existing`` maps sentence ids to the project's tasks. A task whose sentence (the
    :data:`~vietlao.labelstudio.tasks.SENTENCE_KEYS`) is unchanged but whose other data differs
    (context, title, outlet) gets the new data: ``{task id: data}``. A task whose sentence itself
    differs from the corpus has drifted; it is reported, never rewritten (its annotations would
    no longer fit).
    """
    updates, drifted = {}, []
    for data in wanted:
        for task in existing.get(data["sentence_id"], []):
            old = task.get("data") or {}
            if any(old.get(k) != data[k] for k in SENTENCE_KEYS):
                drifted.append(data["sentence_id"])
            elif old != data:
                updates[task["id"]] = data
    return updates, drifted


def connect_ml_backend(client, project_id: int, url: str, title: str) -> int:
    """Attach the ML backend at ``url`` to the project (the backend entry with that URL is reused,
    so reconnecting never adds a second one; it is updated with its URL and project, which Label Studio
    1.23 needs to check it again) and select it as the source of the predictions
    annotators see (``model_version``: its title). Label Studio checks the backend (``/health``,
    ``/setup``) while attaching it, so it must be serving; attaching it also creates the project
    webhook ``URL/webhook`` that reports every annotation created, updated or deleted. Returns the
    entry's id."""

    def unit() -> int:
        same = [b for b in client.sdk.ml.list(project=project_id) if (b.url or "").rstrip("/") == url.rstrip("/")]
        if same:
            # Label Studio 1.23 checks the backend on every update with the fields sent only: without
            # ``url`` (and ``project``, for its /setup) the check fails with HTTP 500
            return client.sdk.ml.update(same[0].id, url=url, project=project_id, title=title, is_interactive=False).id
        return client.sdk.ml.create(project=project_id, url=url, title=title, is_interactive=False).id

    backend_id = client.call("connect the ML backend", unit)
    client.update_project(project_id, show_collab_predictions=True, model_version=title)
    return backend_id
