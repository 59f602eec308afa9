"""A Label Studio JSON export file -> its tasks, and the records of the valid ones.

The file is parsed incrementally (``ijson``), one task at a time, within limits that keep hostile
files linear in time and bounded in memory; :func:`convert_tasks` adds the export-wide rules (one
task per task id and per sentence, :class:`ExportChecks`) to :func:`vietlao.export.task.convert_task`
and reports every problem of the export at once.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Iterator

import ijson
import orjson
from ijson.common import ObjectBuilder

from vietlao.files import input_problem
from vietlao.export.rules import MAX_DEPTH, MAX_INT, MAX_TEXT_CHARS
from vietlao.export.task import Context, ExportError, Problem, SentenceRecord, TaskInvalid, convert_task

#: What JSON counts as whitespace.
JSON_WHITESPACE = b" \t\n\r"
#: Bytes the parser asks for at a time.
READ_BYTES = 64 << 10


def iter_tasks(path: Path) -> Iterator[object]:
    """Tasks of an export file, parsed incrementally. Raises :class:`ExportError` if malformed."""
    source = str(path)
    problem = input_problem(Path(path))  # a pipe would block or could not be read twice
    if problem:
        raise ExportError(source, [Problem(None, None, f"the export {problem}")])
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise ExportError(source, [Problem(None, None, f"cannot read: {exc}")]) from exc
    with handle:
        problem = _opening_problem(handle)
        if problem:
            raise ExportError(source, [Problem(None, None, problem)])
        handle.seek(0)
        yield from _items(handle, source)


#: Compressed files, told by their first bytes: (magic, format, how to decompress).
_COMPRESSED = (
    (b"\x1f\x8b", "gzip", "gunzip"), (b"PK\x03\x04", "zip", "unzip"), (b"BZh", "bzip2", "bunzip2"),
    (b"\xfd7zXZ\x00", "xz", "unxz"), (b"\x28\xb5\x2f\xfd", "zstd", "unzstd"),
)


def _opening_problem(handle) -> str | None:
    """What is wrong with the start of the file, if it does not open a JSON list of UTF-8 tasks."""
    head = handle.read(64)
    for magic, kind, undo in _COMPRESSED:
        if head.startswith(magic):
            return f"the file is {kind}-compressed; decompress it first ({undo}): an export is a JSON list of tasks"
    if head.startswith(b"\xef\xbb\xbf"):
        return "the file starts with a byte-order mark; save it as UTF-8 without BOM"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        return "the file is not UTF-8 (it looks like UTF-16); save the export as UTF-8"
    while head and not head.lstrip(JSON_WHITESPACE):
        head = handle.read(1 << 16)
    head = head.lstrip(JSON_WHITESPACE)
    if not head:
        return "the file is empty (or only whitespace); an export is a JSON list of tasks"
    if not head.startswith(b"["):
        return f"an export must be a JSON list of tasks; the file starts with {head[:20]!r}"
    return None


#: Longest run of bytes without a quote: a string of ``MAX_TEXT_CHARS`` characters, each written
#: as an escaped surrogate pair (12 bytes) at worst.
MAX_RUN_BYTES = 12 * MAX_TEXT_CHARS


class _Oversized(Exception):
    pass


#: From a point outside any escape, what holds no lone surrogate escape: bytes other than a
#: backslash, an escape other than ``\u``, a ``\u`` escape of a character that is not a
#: surrogate, an escaped high surrogate with its escaped low one. It stops at the first lone
#: surrogate escape, at an escape cut by the end of the bytes, or at a malformed ``\u`` escape.
#: The alternatives start with different bytes and nothing follows the loop, so the greedy match
#: never backtracks; no possessive quantifier (CPython 3.11.2 matches those wrongly).
_PAIRED = re.compile(
    rb"(?:[^\\]+|\\[^u]|\\u(?:[0-9a-cA-CeEfF][0-9a-fA-F]{3}|[dD][0-7][0-9a-fA-F]{2}"
    rb"|[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}))*"
)
#: An escaped UTF-16 surrogate; the group is its third hexadecimal digit (8-B high, C-F low).
_SURROGATE = re.compile(rb"\\u[dD]([89a-fA-F])[0-9a-fA-F]{2}")
#: An escaped low surrogate.
_LOW = re.compile(rb"\\u[dD][c-fC-F][0-9a-fA-F]{2}")


def _lone_surrogate(escape: str, high: bool) -> str:
    """The problem of a string holding an escaped UTF-16 surrogate that is not half of a pair."""
    half = "a high surrogate without an escaped low one right after it" if high else (
        "a low surrogate without an escaped high one right before it")
    return f"a string holds an escaped lone UTF-16 surrogate {escape} ({half}), which is not text"


class _LoneSurrogates:
    """Escaped UTF-16 surrogates that are not half of a pair, in a file read chunk by chunk: a high
    one (``\\uD800``-``\\uDBFF``) not followed at once by an escaped low one (``\\uDC00``-
    ``\\uDFFF``), or a low one not preceded by a high one. yajl decodes the first to a wrong
    character (``"\\ud800b"`` to ``"?b"``, ``"\\ud800\\u0041"`` to U+10041) and the second to
    bytes that are not UTF-8 (an error that stops the parser), so each is replaced by ``\\ufffd``
    before the parser reads it. Escapes are read from the start of the file as JSON reads them
    (``\\\\ud800`` is a backslash and the text ``ud800``); an escape cut by the end of a chunk is
    held back and decided with the next chunk."""

    def __init__(self) -> None:
        #: The end of what has been read that is held back (at most 11 bytes): an escape cut by the
        #: end of the chunk, or an escaped high surrogate and the start of the next escape. No
        #: escape is open before it, so that ``carry + chunk`` is read from outside any escape.
        self.carry = b""

    def feed(self, chunk: bytes) -> tuple[bytes, int, str | None]:
        """``(bytes, where, problem)``: the bytes of ``chunk``, after those held back from the
        chunks before, that can be passed on (all of them at the end of the file, ``chunk`` empty),
        each lone surrogate escape replaced; where the first one starts in them and its problem."""
        data = self.carry + chunk if self.carry else chunk
        self.carry = b""
        pieces, start, where, problem = [], 0, -1, None
        while chunk:
            paired = _PAIRED.match(data, start)
            assert paired is not None  # a starred pattern matches at every position
            end = paired.end()
            if end == len(data):
                break
            rest = data[end : end + 12]
            surrogate = _SURROGATE.match(rest)
            if surrogate:
                high = surrogate.group(1) in b"89abAB"
                after = rest[6:]  # a low surrogate's escape, or (cut by the end of data) the start of one
                if not high or len(after) == 6 or not _LOW.fullmatch(after + b"\\udc00"[len(after) :]):
                    if problem is None:
                        where, problem = end, _lone_surrogate(rest[:6].decode("ascii"), high)
                    pieces += [data[start:end], b"\\ufffd"]
                    start = end + 6
                    continue
            if len(rest) < 12:
                data, self.carry = data[:end], data[end:]
            break  # or a malformed \u escape: the parser refuses it and reads no further
        if pieces:
            data = b"".join([*pieces, data[start:]])
        return data, where, problem


class _BoundedReader:
    """A binary file whose reads fail after ``MAX_RUN_BYTES`` bytes without a quote (``\\"`` does
    not count). yajl re-scans a token that spans reads, so a string of n bytes would cost O(n²)
    time (a 50 MB string takes about 15 s to parse); this stops it after about a megabyte.
    Lone surrogate escapes are replaced (:class:`_LoneSurrogates`); ``lone`` becomes the problem
    of the first one when the parser has read every byte before it, so that the task being built
    is the one that holds it, and the caller refuses that task once it has read it whole."""

    def __init__(self, raw):
        self.raw, self.run, self.position, self.backslash = raw, 0, 0, False
        self.after_list = False  # set when the top-level list has closed: whitespace may follow
        self.surrogates, self.lone, self.held = _LoneSurrogates(), None, None

    def read(self, size: int = -1) -> bytes:
        if self.held:  # the bytes from the first lone surrogate escape on
            (chunk, self.lone), self.held = self.held, None
        else:
            chunk, where, lone = self.surrogates.feed(self.raw.read(size))
            while not chunk and self.surrogates.carry:  # all held back: read on
                chunk, where, lone = self.surrogates.feed(self.raw.read(size))
            if lone and not self.lone:
                if where:
                    chunk, self.held = chunk[:where], (chunk[where:], lone)
                else:
                    self.lone = lone
        if self.after_list and not chunk.strip(JSON_WHITESPACE):
            self.position += len(chunk)
            return chunk
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
    data = raw if isinstance(raw := task.get("data"), dict) else {}
    return Problem(task.get("id"), data.get("sentence_id"), message)


def _items(handle, source: str) -> Iterator[object]:
    """The items of the top-level list, like ``ijson.items(handle, "item")`` but bounded: a string
    longer than ``MAX_TEXT_CHARS``, nesting deeper than ``MAX_DEPTH`` (which makes ijson's path
    prefixes grow quadratically) or a key twice in one object stops the read after the task that
    holds it, and so does an escaped surrogate that is not half of a pair (see
    :class:`_BoundedReader`); a string too long to parse in linear time or an integer beyond 64
    bits stops it at once."""
    reader = _BoundedReader(handle)
    events = ijson.basic_parse(reader, buf_size=READ_BYTES, use_float=True)
    keys: list[set[str]]  # the keys seen in each open object
    depth, builder, problem, keys = 1, ObjectBuilder(), None, []
    try:
        next(events, None)  # the opening "[" (checked by the caller)
        for event, value in events:
            if event == "start_map" or event == "start_array":
                depth += 1
                skip = depth > MAX_DEPTH
                if event == "start_map" and not skip:
                    keys.append(set())
            elif event == "end_map" or event == "end_array":
                depth -= 1
                if depth == 0:
                    break
                skip = depth >= MAX_DEPTH
                if event == "end_map" and not skip:
                    keys.pop()
            else:
                skip = depth > MAX_DEPTH
                if (event == "string" or event == "map_key") and len(value) > MAX_TEXT_CHARS:
                    what = "a key" if event == "map_key" else f"a string near key {getattr(builder, 'key', None)!r}"
                    problem = problem or f"{what} has {len(value)} characters (limit {MAX_TEXT_CHARS})"
                    value = ""
                elif event == "map_key" and not skip:
                    if value in keys[-1]:
                        problem = problem or f"key {value!r} appears twice in one object"
                    keys[-1].add(value)
            if skip:
                problem = problem or f"JSON nested deeper than {MAX_DEPTH} levels"
                continue
            builder.event(event, value)
            if depth == 1:
                if problem or reader.lone:
                    raise ExportError(source, [_problem_in(builder, problem or reader.lone)])
                yield builder.value
                builder = ObjectBuilder()
        reader.after_list = True
        for _ in events:  # whatever follows the list is an error, raised by the parser
            pass
    except _Oversized as exc:
        raise ExportError(source, [_problem_in(builder, str(exc))]) from None
    except UnicodeDecodeError as exc:  # yajl passes encoded surrogates, overlong forms, code points > U+10FFFF
        message = f"a string holds bytes that are not UTF-8 (byte 0x{exc.object[exc.start]:02x}: {exc.reason})"
        raise ExportError(source, [_problem_in(builder, message)]) from None
    except ijson.JSONError as exc:
        if "integer overflow" not in str(exc):
            raise ExportError(source, [Problem(None, None, f"malformed or truncated JSON: {exc}")]) from None
        message = f"an integer beyond 64 bits (integers are limited to ±{MAX_INT})"
        raise ExportError(source, [_problem_in(builder, message)]) from None


class ExportChecks:
    """The export-wide rules of :func:`convert_tasks`: one task per task id and per sentence id.
    Holds what has been seen and every problem found so far, the tasks' own included."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.seen_sentences: dict[str, object] = {}
        self.seen_tasks: set = set()

    def admit(self, task: object) -> tuple[object, object, bool]:
        """``(task id, sentence id, whether to convert the task)``; a refused task is a problem."""
        task_id = task.get("id") if isinstance(task, dict) else None
        data = task.get("data") if isinstance(task, dict) else None
        sentence_id = data.get("sentence_id") if isinstance(data, dict) else None
        if not isinstance(task_id, (int, str, type(None))) or isinstance(task_id, bool):
            name = {bool: "boolean", float: "number", list: "list", dict: "object"}.get(type(task_id), type(task_id).__name__)
            self.problems.append(Problem(None, sentence_id, f"task id must be an integer, got {name} {_json(task_id)}"))
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

    def reject(self, task_id: object, sentence_id: object, messages: list[str]) -> None:
        """Record the problems of an admitted task."""
        self.problems.extend(Problem(task_id, sentence_id, m) for m in messages)

    def finish(self, source: str) -> None:
        """Raise :class:`ExportError` with every problem found, if any."""
        if self.problems:
            raise ExportError(source, self.problems)


def _json(value: object) -> str:
    text = orjson.dumps(value, default=repr).decode() if not isinstance(value, float) else repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


def convert_tasks(tasks: Iterable[object], ctx: Context, source: str = "export") -> Iterator[SentenceRecord]:
    """Records of valid tasks; after the last task, raises :class:`ExportError` with every problem."""
    checks = ExportChecks()
    for task in tasks:
        task_id, sentence_id, admitted = checks.admit(task)
        if not admitted:
            continue
        try:
            record = convert_task(task, ctx)
        except TaskInvalid as invalid:
            checks.reject(task_id, sentence_id, invalid.messages)
            continue
        if not checks.problems:
            yield record
    checks.finish(source)


def read_export(path: Path, ctx: Context) -> list[SentenceRecord]:
    """Every record of an export, or :class:`ExportError` listing every problem."""
    return list(convert_tasks(iter_tasks(path), ctx, source=str(path)))
