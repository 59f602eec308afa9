"""A Label Studio API client: the SDK (label-studio-sdk 2.x) behind retries and one-line errors.

Every call is an *idempotent unit*: operations that create something first look at what the
server already holds, so retrying after a lost answer never duplicates a task or an annotation.
Transient failures (connection errors, time-outs, dropped connections, HTTP 429 and 5xx) are
retried with exponential back-off; other 4xx answers are not. Errors become one-line
:class:`~vietlao.errors.UserError` messages from which the API token is always masked.
"""

from __future__ import annotations

import os
import re
import time
from typing import IO, Any, Callable, TypeVar, cast

from vietlao.errors import UserError, shown

TOKEN_ENV = "VIETLAO_LS_TOKEN"
URL_ENV = "VIETLAO_LS_URL"
DEFAULT_URL = "http://127.0.0.1:8080"
MASK = "***"

T = TypeVar("T")


def mask(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` replaced by ``***``."""
    return text.replace(secret, MASK) if secret else text


def token_from_env() -> str:
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise UserError(
            f"set {TOKEN_ENV} to the Label Studio API token (the one `vietlao ls serve` was started with)"
        )
    check_header_token(token)
    return token


def check_header_token(token: str) -> None:
    """Refuse a token that cannot go into an HTTP header: only printable ASCII, no spaces or newlines."""
    if not re.fullmatch(r"[\x21-\x7e]+", token):
        kinds = [name for name, bad in (
            ("a non-ASCII character", any(ord(c) > 0x7E for c in token)),
            ("a line break", any(c in "\r\n" for c in token)),
            ("a space or control character", any(ord(c) <= 0x20 and c not in "\r\n" or ord(c) == 0x7F for c in token)),
        ) if bad]
        raise UserError(
            f"the API token in {TOKEN_ENV} holds {' and '.join(kinds)}; a Label Studio token is printable "
            "ASCII only (copy it again from the Account & Settings page, or the value `vietlao ls serve` used)"
        )


class DeadlineExceeded(UserError):
    """The command ran past its overall deadline."""


def _deadline_transport(check: Callable[[], None]):
    """An httpx transport that checks the deadline before every request and every chunk of a body,
    so a server trickling its answer cannot outlast it."""
    import httpx

    class DeadlineStream(httpx.SyncByteStream):
        def __init__(self, stream: httpx.SyncByteStream):
            self._stream = stream

        def __iter__(self):
            for chunk in self._stream:
                check()
                yield chunk

        def close(self) -> None:
            self._stream.close()

    class DeadlineTransport(httpx.HTTPTransport):
        def handle_request(self, request):
            check()
            response = super().handle_request(request)
            response.stream = DeadlineStream(response.stream)
            return response

    return DeadlineTransport()


def _detail(body: object) -> str:
    """The server's own short explanation, if it gave one."""
    if isinstance(body, dict):
        for key in ("detail", "validation_errors", "message", "error"):
            if body.get(key):
                return str(body[key])
        return str(body)
    return re.sub(r"\s+", " ", str(body or "")).strip()[:300]


def same_result(a: object, b: object) -> bool:
    """Whether two result lists say the same; region ids, ``origin`` and order do not matter."""

    def canonical(result: object) -> object:
        if not isinstance(result, list):
            return repr(result)
        return sorted(
            repr(sorted((k, repr(v)) for k, v in r.items() if k not in {"id", "origin"}))
            for r in result if isinstance(r, dict)
        )

    return canonical(a) == canonical(b)


class Client:
    """The calls the ``vietlao ls`` commands need, each retried as an idempotent unit."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 30.0,
        attempts: int = 4,
        backoff: float = 1.0,
        deadline: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        try:
            import httpx
            from label_studio_sdk import LabelStudio
            from label_studio_sdk.core.api_error import ApiError
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise UserError("label-studio-sdk is not installed: pip install -e '.[ls]'") from exc
        check_header_token(token)
        self.url = url.rstrip("/")
        self._token = token
        self.timeout, self.attempts, self.backoff, self._sleep = timeout, max(1, attempts), backoff, sleep
        #: seconds the whole command may take (``None``: no limit), counted from here
        self.deadline = deadline
        self._ends = None if deadline is None else time.monotonic() + deadline
        http = httpx.Client(timeout=timeout, transport=_deadline_transport(self.check_deadline))
        try:
            self.sdk = LabelStudio(base_url=self.url, api_key=token, timeout=timeout, max_retries=0, httpx_client=http)
        except ApiError as exc:  # the SDK rejects an expired JWT before any request
            raise UserError(mask(f"Label Studio rejected the token: {_detail(getattr(exc, 'body', exc))}", token)) from None

    @classmethod
    def from_env(cls, url: str | None = None, **kwargs) -> "Client":
        return cls(url or os.environ.get(URL_ENV) or DEFAULT_URL, token_from_env(), **kwargs)

    # -- error handling ---------------------------------------------------------------------

    def check_deadline(self) -> None:
        """Raise :class:`DeadlineExceeded` once the command has run for ``deadline`` seconds."""
        if self._ends is not None and time.monotonic() > self._ends:
            raise DeadlineExceeded(
                f"the command did not finish within {self.deadline:g} s talking to Label Studio at {self.url} "
                "(--deadline)"
            )

    def within_deadline(self, fn: Callable[[], T]) -> T:
        """``fn()`` with the deadline counted afresh from now (a long-running server bounds each of
        its exchanges, not its whole life, by ``deadline``)."""
        if self.deadline is not None:
            self._ends = time.monotonic() + self.deadline
        return fn()

    def holds_token(self, text: str) -> bool:
        """Whether ``text`` contains the API token."""
        return self._token in text

    def _classify(self, exc: Exception, what: str) -> tuple[bool, str] | None:
        """``(transient, message)`` for errors talking to the server; ``None`` for anything else."""
        import httpx
        from label_studio_sdk.core.api_error import ApiError

        where = f"Label Studio at {self.url}"
        if isinstance(exc, httpx.ConnectError):
            return True, f"cannot connect to {where} to {what} (is it running? start it with `vietlao ls serve`)"
        if isinstance(exc, httpx.TimeoutException):
            return True, f"{where} did not answer within {self.timeout:g} s to {what}"
        if isinstance(exc, httpx.TransportError):
            return True, f"the connection to {where} broke off while trying to {what} ({type(exc).__name__})"
        if isinstance(exc, ApiError):
            status = exc.status_code or 0
            if status in (401, 403):
                return False, (
                    f"{where} rejected the API token (HTTP {status}) to {what}: check {TOKEN_ENV} "
                    "(and that legacy API tokens are enabled, as `vietlao ls serve` does)"
                )
            if status == 429 or status >= 500:
                return True, f"{where} answered HTTP {status} to {what}"
            if 200 <= status < 300:
                return False, f"{where} sent an unexpected answer to {what}: {_detail(exc.body)}"
            return False, f"{where} refused to {what} (HTTP {status}): {_detail(exc.body)}"
        if isinstance(exc, ValueError) and "JSON" in type(exc).__name__ + str(exc):
            return False, f"{where} sent malformed JSON to {what}"
        return None

    def call(self, what: str, fn: Callable[[], T]) -> T:
        """Run ``fn`` (an idempotent unit), retrying transient failures with exponential back-off."""
        for attempt in range(1, self.attempts + 1):
            try:
                return fn()
            except Exception as exc:
                verdict = self._classify(exc, what)
                if verdict is None:
                    raise
                transient, message = verdict
                if not transient:
                    raise UserError(mask(message, self._token)) from None
                delay = self.backoff * 2 ** (attempt - 1)
                if attempt == self.attempts or (self._ends is not None and time.monotonic() + delay > self._ends):
                    tries = f"; gave up after {attempt} attempts" if attempt > 1 else ""
                    raise UserError(mask(message + tries, self._token)) from None
                self._sleep(delay)
        raise AssertionError("unreachable")

    # -- projects ---------------------------------------------------------------------------

    def _pages(self, make_pager: Callable[[], Any], what: str):
        """The pages of a listing as the SDK parses them; an answer it cannot parse (a bare list or a
        string where a page object belongs) is one :class:`UserError`."""
        try:
            pages = make_pager().iter_pages()
            while True:
                try:
                    page = next(pages)
                except StopIteration:
                    return
                if not isinstance(page.items, (list, type(None))):
                    raise TypeError(f"items of type {type(page.items).__name__}")
                yield page
        except (TypeError, AttributeError) as exc:  # raised by the SDK's parsing of the answer
            raise UserError(
                f"Label Studio at {self.url} sent an unexpected answer listing the {what} ({shown(exc, 120)}); "
                "is it a Label Studio 1.23 server? Check --url"
            ) from None

    def _listed(self, make_pager: Callable[[], Any], what: str) -> list:
        """Every item of a paged listing, bounded: a page that repeats an earlier one is an error, and
        reading stops once the reported count is reached (fewer items than that count is an error).
        An item without an integer id is an error (it could not be told apart from the others)."""
        seen: set[int]  # the ids listed so far
        items, seen, count = [], set(), None
        for number, page in enumerate(self._pages(make_pager, what), start=1):
            reported = getattr(page.response, "count", None)
            reported = getattr(page.response, "total", None) if reported is None else reported
            count = reported if isinstance(reported, int) else count
            if not all(isinstance(getattr(i, "id", None), int) for i in page.items or []):
                raise UserError(
                    f"Label Studio at {self.url} sent an unexpected answer listing the {what}: items without an "
                    "integer id; is it a Label Studio 1.23 server? Check --url"
                )
            fresh = [i for i in page.items or [] if i.id not in seen]
            if page.items and not fresh:
                raise UserError(
                    f"Label Studio at {self.url} sent page {number} of the {what} again (the same items as an "
                    "earlier page); stopped listing"
                )
            seen.update(i.id for i in fresh)
            items += fresh
            if count is not None and len(items) >= count:
                break
        if count is not None and len(items) < count:
            raise UserError(f"Label Studio at {self.url} reported {count} {what} but listed {len(items)}")
        return items

    def _projects_titled(self, title: str) -> list[int]:
        listed = self._listed(lambda: self.sdk.projects.list(title=title, page_size=100), "projects")
        return [p.id for p in listed if p.title == title]

    def find_project(self, title: str) -> int | None:
        """The id of the one project with this exact title, or ``None``."""
        ids = self.call("list projects", lambda: self._projects_titled(title))
        if len(ids) > 1:
            raise UserError(f"{len(ids)} projects are titled {title!r} (ids {ids}); delete or rename all but one")
        return ids[0] if ids else None

    def ensure_project(self, title: str, label_config: str) -> tuple[int, bool]:
        """``(project id, created)``: the project titled ``title``, created if missing."""

        def unit() -> tuple[int, bool]:
            ids = self._projects_titled(title)
            if ids:
                return ids[0], False
            # the SDK types every project's id as optional; a created one has its id
            return cast(int, self.sdk.projects.create(title=title, label_config=label_config).id), True

        pid, created = self.call("create the project", unit)
        self.find_project(title)  # fails clearly on duplicate titles
        return pid, created

    def label_config(self, project_id: int) -> str:
        return self.call("read the label config", lambda: self.sdk.projects.get(project_id).label_config or "")

    def set_label_config(self, project_id: int, config: str) -> None:
        self.call("update the label config", lambda: self.sdk.projects.update(project_id, label_config=config))

    def project_fields(self, project_id: int, names) -> dict:
        """The named fields of the project (``None`` where the server sends none)."""
        project = self.call("read the project", lambda: self.sdk.projects.get(project_id))
        return {n: getattr(project, n, None) for n in names}

    def update_project(self, project_id: int, **fields) -> None:
        self.call("update the project settings", lambda: self.sdk.projects.update(project_id, **fields))

    def update_task_data(self, task_id: int, data: dict) -> None:
        """Replace a task's ``data`` (the same on a retry)."""
        self.call(f"update the data of task {task_id}", lambda: self.sdk.tasks.update(str(task_id), data=data))

    # -- tasks ------------------------------------------------------------------------------

    def _tasks(self, project_id: int) -> list[dict]:
        listed = self._listed(lambda: self.sdk.tasks.list(project=project_id, page_size=500, fields="all"), "tasks")
        return [t.model_dump(mode="json") if hasattr(t, "model_dump") else dict(t) for t in listed]

    def tasks(self, project_id: int) -> list[dict]:
        """Every task of the project, with its annotations and predictions."""
        return self.call("list tasks", lambda: self._tasks(project_id))

    def import_missing(self, project_id: int, payloads: dict[str, dict]) -> None:
        """Import the tasks (keyed by sentence id) that the project does not hold yet."""

        def unit() -> None:
            have = {(t.get("data") or {}).get("sentence_id") for t in self._tasks(project_id)}
            todo = [p for sid, p in payloads.items() if sid not in have]
            if todo:
                # the SDK types the request as its ImportApiRequest models; it sends plain task dicts as they are
                self.sdk.projects.import_tasks(project_id, request=todo, return_task_ids=True)  # type: ignore[arg-type]

        self.call("import tasks", unit)

    def replace_predictions(self, task: dict, prediction: dict | None) -> bool:
        """Make ``prediction`` (or none) the task's only prediction; False if it already was.
        A retry re-reads the task's predictions, so nothing is created twice."""
        task_id = task["id"]

        def unit() -> bool:
            have = [p.model_dump(mode="json") for p in self.sdk.predictions.list(task=task_id)]
            keep = [p for p in have if prediction and p.get("model_version") == prediction["model_version"]
                    and same_result(p.get("result"), prediction["result"])]
            if len(have) == len(keep) == 1 or (not have and not prediction):
                return False
            for p in have:
                if not keep or p["id"] != keep[0]["id"]:
                    self.sdk.predictions.delete(p["id"])
            if prediction and not keep:
                self.sdk.predictions.create(task=task_id, result=prediction["result"], score=prediction["score"],
                                            model_version=prediction["model_version"])
            return True

        return self.call(f"replace the predictions of task {task_id}", unit)

    def annotate(self, task: dict, result: list[dict], *, replace: bool, meta: dict | None = None) -> str:
        """Enter ``result`` as the annotation of ``task`` (as listed); returns what was done.

        ``skipped``: a different completed annotation exists (and ``replace`` is off);
        ``unchanged``: it equals ``result``; ``updated``: the task's one completed annotation was
        overwritten; ``created``. A retry re-reads the task first, so nothing is entered twice.
        """
        task_id, known = task["id"], [task]

        def unit() -> str:
            current = known.pop() if known else self.sdk.tasks.get(str(task_id)).model_dump(mode="json")
            done = [a for a in current.get("annotations") or [] if not a.get("was_cancelled")]
            if done and all(same_result(a.get("result"), result) for a in done):
                outcome = "unchanged"
            elif done and not replace:
                return "skipped"
            elif len(done) > 1:
                raise UserError(f"task {task_id} has {len(done)} completed annotations; adjudicate it in Label Studio")
            elif done:
                self.sdk.annotations.update(done[0]["id"], result=result)
                outcome = "updated"
            else:
                self.sdk.annotations.create(task_id, result=result, was_cancelled=False, ground_truth=False)
                outcome = "created"
            old_meta = current.get("meta") or {}
            # an unchanged annotation keeps its provenance; only a missing one is filled in
            wanted = {k: v for k, v in (meta or {}).items() if outcome != "unchanged" or k not in old_meta}
            if any(old_meta.get(k) != v for k, v in wanted.items()):
                self.sdk.tasks.update(str(task_id), meta={**old_meta, **wanted})
            return outcome

        return self.call(f"annotate task {task_id}", unit)

    # -- export -----------------------------------------------------------------------------

    def download_export(self, project_id: int, handle: IO[bytes]) -> int:
        """Stream the full JSON export (all tasks) into ``handle``; a retry starts it over."""

        def unit() -> int:
            handle.seek(0)
            handle.truncate()
            size = 0
            chunks = self.sdk.projects.exports.download_sync(
                project_id, export_type="JSON", download_all_tasks=True,
                request_options={"chunk_size": 1 << 16},
            )
            for chunk in chunks:
                handle.write(chunk)
                size += len(chunk)
            handle.flush()
            return size

        return self.call("export the project", unit)
