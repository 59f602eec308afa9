"""A Label Studio JSON export file -> its tasks, and the records of the valid ones.

The file is parsed incrementally (``ijson``), one task at a time, within limits that keep hostile
files linear in time and bounded in memory; :func:`convert_tasks` adds the export-wide rules (one
task per task id and per sentence) to :func:`vietlao.export.convert_task` and reports every problem
of the export at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

import ijson
from ijson.common import ObjectBuilder

from vietlao.export.task import (
    MAX_DEPTH,
    MAX_TEXT_CHARS,
    Context,
    ExportError,
    Problem,
    SentenceRecord,
    _TaskInvalid,
    convert_task,
)


def iter_tasks(path: Path) -> Iterator[object]:
    """Tasks of an export file, parsed incrementally. Raises :class:`ExportError` if malformed."""
    source = str(path)
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise ExportError(source, [Problem(None, None, f"cannot read: {exc}")]) from exc
    with handle:
        head = handle.read(64).lstrip()
        if head.startswith(b"\xef\xbb\xbf"):
            raise ExportError(source, [Problem(None, None, "the file starts with a byte-order mark; save it as UTF-8 without BOM")])
        if not head.startswith(b"["):
            raise ExportError(source, [Problem(None, None, "an export must be a JSON list of tasks")])
        handle.seek(0)
        try:
            yield from _items(handle, source)
        except ijson.JSONError as exc:
            raise ExportError(source, [Problem(None, None, f"malformed or truncated JSON: {exc}")]) from exc


#: Longest run of bytes without a quote: a string of ``MAX_TEXT_CHARS`` characters, each written
#: as an escaped surrogate pair (12 bytes) at worst.
MAX_RUN_BYTES = 12 * MAX_TEXT_CHARS


class _Oversized(Exception):
    pass


class _BoundedReader:
    """A binary file whose reads fail after ``MAX_RUN_BYTES`` bytes without a quote (``\\"`` does
    not count). yajl re-scans a token that spans reads, so a string of n bytes would cost O(n²)
    time (a 50 MB string takes about 15 s to parse); this stops it after about a megabyte."""

    def __init__(self, raw):
        self.raw, self.run, self.position, self.backslash = raw, 0, 0, False

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        text = ((b"\\" if self.backslash else b"") + chunk).replace(b'\\"', b"__")
        first = text.find(b'"')
        run = self.run + (len(text) if first < 0 else first)
        if run > MAX_RUN_BYTES:
            raise _Oversized(
                f"a string of more than {MAX_RUN_BYTES} bytes from byte {self.position - self.run} "
                f"(strings are limited to {MAX_TEXT_CHARS} characters)"
            )
        self.run = run if first < 0 else len(text) - 1 - text.rfind(b'"')
        self.position += len(chunk)
        self.backslash = chunk.endswith(b"\\")
        return chunk


def _problem_in(builder: ObjectBuilder, message: str) -> Problem:
    """A problem of the task being built, named as far as it has been read."""
    task = builder.value if isinstance(builder.value, dict) else {}
    data = task.get("data") if isinstance(task.get("data"), dict) else {}
    return Problem(task.get("id"), data.get("sentence_id"), message)


def _items(handle, source: str) -> Iterator[object]:
    """The items of the top-level list, like ``ijson.items(handle, "item")`` but bounded: a string
    longer than ``MAX_TEXT_CHARS`` or nesting deeper than ``MAX_DEPTH`` (which makes ijson's path
    prefixes grow quadratically) stops the read after the task that holds it; a string too long to
    parse in linear time (see :class:`_BoundedReader`) stops it at once."""
    events = ijson.basic_parse(_BoundedReader(handle), use_float=True)
    depth, builder, problem = 1, ObjectBuilder(), None
    try:
        next(events, None)  # the opening "[" (checked by the caller)
        for event, value in events:
            if event == "start_map" or event == "start_array":
                depth += 1
                skip = depth > MAX_DEPTH
            elif event == "end_map" or event == "end_array":
                depth -= 1
                if depth == 0:
                    break
                skip = depth >= MAX_DEPTH
            else:
                skip = depth > MAX_DEPTH
                if (event == "string" or event == "map_key") and len(value) > MAX_TEXT_CHARS:
                    what = "a key" if event == "map_key" else f"a string near key {getattr(builder, 'key', None)!r}"
                    problem = problem or f"{what} has {len(value)} characters (limit {MAX_TEXT_CHARS})"
                    value = ""
            if skip:
                problem = problem or f"JSON nested deeper than {MAX_DEPTH} levels"
                continue
            builder.event(event, value)
            if depth == 1:
                if problem:
                    raise ExportError(source, [_problem_in(builder, problem)])
                yield builder.value
                builder = ObjectBuilder()
        for _ in events:  # whatever follows the list is an error, raised by the parser
            pass
    except _Oversized as exc:
        raise ExportError(source, [_problem_in(builder, str(exc))]) from None


class ExportChecks:
    """The export-wide rules of :func:`convert_tasks`: one task per task id and per sentence id.
    Holds what has been seen and every problem found so far."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.seen_sentences: dict[str, object] = {}
        self.seen_tasks: set = set()

    def admit(self, task: object) -> tuple[object, object, bool]:
        """``(task id, sentence id, whether to convert the task)``; a refused task is a problem."""
        task_id = task.get("id") if isinstance(task, dict) else None
        data = task.get("data") if isinstance(task, dict) else None
        sentence_id = data.get("sentence_id") if isinstance(data, dict) else None
        if not isinstance(task_id, (int, str, type(None))):
            self.problems.append(Problem(None, sentence_id, f"task id must be an integer, got {type(task_id).__name__}"))
            return task_id, sentence_id, False
        if task_id is not None and task_id in self.seen_tasks:
            self.problems.append(Problem(task_id, sentence_id, "duplicate task id"))
            return task_id, sentence_id, False
        self.seen_tasks.add(task_id)
        if isinstance(sentence_id, str) and sentence_id in self.seen_sentences:
            self.problems.append(Problem(
                task_id, sentence_id, f"duplicate task for this sentence (also task {self.seen_sentences[sentence_id]})"
            ))
            return task_id, sentence_id, False
        if isinstance(sentence_id, str):
            self.seen_sentences[sentence_id] = task_id
        return task_id, sentence_id, True

    def admit_all(self, task_ids: list, sentence_ids: list[str]) -> bool:
        """Admit tasks known to be valid on their own, in bulk, if none of them can break a rule
        (integer or string ids, all new, all distinct); otherwise admit nothing and return False."""
        if not (
            all(type(t) is int or type(t) is str for t in task_ids)
            and len(set(task_ids)) == len(task_ids) and self.seen_tasks.isdisjoint(task_ids)
            and len(set(sentence_ids)) == len(sentence_ids) and self.seen_sentences.keys().isdisjoint(sentence_ids)
        ):
            return False
        self.seen_tasks.update(task_ids)
        self.seen_sentences.update(zip(sentence_ids, task_ids))
        return True


def convert_tasks(
    tasks: Iterable[object], ctx: Context, source: str = "export", *, _convert=None, _checks=None
) -> Iterator[SentenceRecord]:
    """Records of valid tasks; after the last task, raises :class:`ExportError` with every problem.

    ``_convert`` (default :func:`convert_task`) and ``_checks`` let
    :func:`vietlao.stream.convert_export` replay conversions done in worker processes through the
    same export-wide checks, and admit ranges of valid tasks in bulk."""
    convert = _convert or convert_task
    checks = _checks or ExportChecks()
    problems = checks.problems
    for task in tasks:
        task_id, sentence_id, admitted = checks.admit(task)
        if not admitted:
            continue
        try:
            record = convert(task, ctx)
        except _TaskInvalid as invalid:
            problems.extend(Problem(task_id, sentence_id, m) for m in invalid.messages)
            continue
        if not problems:
            yield record
    if problems:
        raise ExportError(source, problems)


def read_export(path: Path, ctx: Context) -> list[SentenceRecord]:
    """Every record of an export, or :class:`ExportError` listing every problem."""
    return list(convert_tasks(iter_tasks(path), ctx, source=str(path)))
