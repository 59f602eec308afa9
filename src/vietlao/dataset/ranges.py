"""An export file cut into byte ranges of whole tasks, each read as a JSON list of tasks.

The cut is made at the separator between two top-level tasks, learnt from the first tasks of the
file; :func:`parse_range` checks that a range is a list of tasks exactly as
:func:`vietlao.export.reader.iter_tasks` would read them (same limits, no key twice in an object),
so that whatever it returns converts as on the plain route.
"""

from __future__ import annotations

import os
import re
from typing import Iterator

import orjson

from vietlao.export.reader import JSON_WHITESPACE
from vietlao.export.rules import MAX_DEPTH, MAX_TEXT_CHARS
from vietlao.export.typed import same_keys, short_runs, within_limits

#: Bytes per range of tasks handed to a worker (about 800 tasks of a Label Studio export;
#: larger ranges spread the fixed cost of a range but take more memory per worker).
CHUNK_BYTES = 3 << 20
#: How far past ``CHUNK_BYTES`` to look for the next task boundary before giving up on cutting.
_MAX_SCAN = 16 << 20
_LEXEME = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|"|[\[\]{},]', re.S)


def _separator(head: bytes, start: int) -> tuple[bytes, int] | None:
    """What surrounds the comma between two top-level tasks, learnt from the first tasks of the
    list that opens at ``head[start]``: ``(pattern, offset of the comma in it)``, or None."""
    depth, cuts = 0, [start]
    for m in _LEXEME.finditer(head, start):
        token = m.group()
        if token[:1] == b'"':
            if len(token) == 1:
                break  # a string cut by the end of ``head``
            continue
        if token in b"[{":
            depth += 1
        elif token in b"]}":
            depth -= 1
            if depth == 0:
                cuts.append(m.start())
                break
        elif depth == 1:
            cuts.append(m.start())
            if len(cuts) == 4:
                break
    tasks = [head[a + 1 : b] for a, b in zip(cuts, cuts[1:])]
    if len(tasks) < 3:
        return None
    left = os.path.commonprefix([t[::-1][:48] for t in tasks[:2]])[::-1]
    right = os.path.commonprefix([t[:48] for t in tasks[1:3]])
    pattern = left + b"," + right
    if not left.rstrip(JSON_WHITESPACE).endswith(b"}") or b'"' not in pattern or len(pattern) < 8:
        return None
    return pattern, len(left)


def _find(fd: int, pattern: bytes, start: int, stop: int) -> int:
    """Position of ``pattern`` in the file between ``start`` and ``stop``, or -1."""
    window = 1 << 18
    while start < stop:
        block = os.pread(fd, min(window, stop - start) + len(pattern) - 1, start)
        i = block.find(pattern)
        if i >= 0:
            return start + i
        if len(block) < len(pattern):
            return -1
        start += len(block) - len(pattern) + 1
    return -1


def task_ranges(fd: int, size: int, chunk_bytes: int) -> Iterator[tuple[int, int, bool] | None]:
    """``(start, end, last)`` byte ranges of whole tasks, in order: ``b"[" + file[start:end]`` (plus
    ``b"]"`` unless last) is the JSON list of those tasks if the cut is right, which the parse
    checks. Ends with None where the file cannot be cut (the rest goes through ``iter_tasks``)."""
    head = os.pread(fd, 1 << 16, 0)
    opening = len(head) - len(head.lstrip(JSON_WHITESPACE))
    if head[opening : opening + 1] != b"[":
        yield None
        return
    learnt = _separator(head, opening)
    start = opening + 1
    while True:
        if size - start <= chunk_bytes:
            yield start, size, True
            return
        if learnt is None:
            yield None
            return
        pattern, comma = learnt
        found = _find(fd, pattern, start + chunk_bytes, min(size, start + chunk_bytes + _MAX_SCAN))
        if found < 0:
            if size - start <= chunk_bytes + _MAX_SCAN:
                yield start, size, True
            else:
                yield None
            return
        yield start, found + comma, False
        start = found + comma + 1


#: A member of a container at depth MAX_DEPTH, in a task (depth 2) dumped with two-space indents.
_DEEP_LINE = b"\n" + b" " * (2 * (MAX_DEPTH - 1))


def _tasks_within_limits(tasks: list) -> bool:
    """:func:`~vietlao.typed.within_limits` for every task, walking only the tasks a cheap test cannot clear:
    orjson's indented dump shows the depth, is at least as long as any string, and fails on
    integers beyond 53 bits."""
    for task in tasks:
        try:
            dump = orjson.dumps(task, option=orjson.OPT_INDENT_2 | orjson.OPT_STRICT_INTEGER)
        except orjson.JSONEncodeError:
            dump = None
        if (dump is None or len(dump) > MAX_TEXT_CHARS or _DEEP_LINE in dump) and not within_limits([task], 1):
            return False
    return True


def read_range(fd: int, start: int, end: int, last: bool) -> bytearray | None:
    """The tasks in a byte range as a JSON list: ``b"[" + file[start:end]`` plus ``b"]"`` unless
    ``last`` (read in place, without copying), or None if the file is shorter."""
    data = bytearray(end - start + (1 if last else 2))
    data[0] = 0x5B  # [
    if not last:
        data[-1] = 0x5D  # ]
    if os.preadv(fd, [memoryview(data)[1 : 1 + end - start]], start) != end - start:
        return None
    return data


def parse_range(data: bytearray) -> list | None:
    """The tasks of a range read by :func:`read_range`, exactly as ``iter_tasks`` would give
    them, or None: then the range may hold what ``iter_tasks`` refuses or reads differently (a
    string or run without quotes beyond the limits, nesting, an integer beyond 64 bits, which
    orjson reads as a float, or a key twice in one object, which orjson reads as the last one)."""
    if not short_runs(data) or LONG_DIGITS.search(data):
        return None
    try:
        tasks = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(tasks, list) or not _tasks_within_limits(tasks):
        return None
    if not same_keys(data, orjson.dumps(tasks).count(b":")):
        return None  # a key twice in one object: the plain route names it
    return tasks



#: A run of 19 digits: an integer near or beyond 64 bits (or a long fraction, which does no harm).
LONG_DIGITS = re.compile(rb"\d{19}")
