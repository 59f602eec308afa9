"""Streaming conversion of a large export into ``ner`` and ``stance`` Arrow files.

Memory does not grow with the number of tasks; ranges of tasks can be converted in worker
processes. Records and errors are exactly those of ``convert_tasks(iter_tasks(...))``.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
import re
import shutil
import stat
import sys
import tempfile
from collections import Counter, deque
from pathlib import Path
from typing import Callable, Iterator

import orjson
import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute.cast

from vietlao.dataset.batches import NER_SCHEMA, _SentenceSink, sentence_batches, stance_batch
from vietlao.export.task import MAX_DEPTH, MAX_TEXT_CHARS, Context, _convert_task, _TaskInvalid
from vietlao.dataset.fastpath import convert_range
from vietlao.export.reader import ExportChecks, convert_tasks, iter_tasks
from vietlao.dataset.rows import splits_and_folds
from vietlao.corpus.segment import character_classes
from vietlao.export.typed import decode_range, short_runs, within_limits


# -- streaming conversion of a large export ----------------------------------------------------------
#
# ``iter_tasks`` reads the export event by event, which caps a single process at a few thousand
# tasks per second. For large files the export is cut into byte ranges of whole tasks, each converted
# in a worker by the first route that applies:
#
# 1. typed: msgspec decodes the range into Label Studio's task layout (:mod:`vietlao.export.typed`) and
#    :func:`vietlao.fastpath.convert_range` converts it column-wise if every task is plain and valid;
#    the main process then admits the range's task and sentence ids in bulk;
# 2. generic: orjson parses the range and ``_convert_task`` converts task by task (validation and
#    token offsets), naming every problem; the main process replays every task through
#    ``convert_tasks`` (duplicates, the problem list and its order).
#
# The main process writes the batches in order. Anything unusual (a range that does not parse, a
# string longer than MAX_TEXT_CHARS, nesting deeper than MAX_DEPTH, a long run without quotes, an
# integer orjson and yajl read differently) makes the rest of the file go through ``iter_tasks``,
# so records and errors are those of ``convert_tasks(iter_tasks(...))``.

#: Bytes per range of tasks handed to a worker (about 800 tasks of a Label Studio export;
#: larger ranges spread the fixed cost of a range but take more memory per worker).
CHUNK_BYTES = 3 << 20
#: How far past ``CHUNK_BYTES`` to look for the next task boundary before giving up on cutting.
_MAX_SCAN = 16 << 20
_JSON_WS = b" \t\n\r"
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
    if not left.rstrip(_JSON_WS).endswith(b"}") or b'"' not in pattern or len(pattern) < 8:
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


def _task_ranges(fd: int, size: int, chunk_bytes: int) -> Iterator[tuple[int, int, bool] | None]:
    """``(start, end, last)`` byte ranges of whole tasks, in order: ``b"[" + file[start:end]`` (plus
    ``b"]"`` unless last) is the JSON list of those tasks if the cut is right, which the parse
    checks. Ends with None where the file cannot be cut (the rest goes through ``iter_tasks``)."""
    head = os.pread(fd, 1 << 16, 0)
    opening = len(head) - len(head.lstrip(_JSON_WS))
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


def _read_range(fd: int, start: int, end: int, last: bool) -> bytearray | None:
    """The tasks in a byte range as a JSON list: ``b"[" + file[start:end]`` plus ``b"]"`` unless
    ``last`` (read in place, without copying), or None if the file is shorter."""
    data = bytearray(end - start + (1 if last else 2))
    data[0] = 0x5B  # [
    if not last:
        data[-1] = 0x5D  # ]
    if os.preadv(fd, [memoryview(data)[1 : 1 + end - start]], start) != end - start:
        return None
    return data


def _parse_range(data: bytearray) -> list | None:
    """The tasks of a range read by :func:`_read_range`, exactly as ``iter_tasks`` would give
    them, or None."""
    if not short_runs(data):
        return None
    try:
        tasks = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(tasks, list) or not _tasks_within_limits(tasks):
        return None
    return tasks


class _Failed:
    """An exception to raise where the sequential path would have raised it."""

    def __init__(self, exc: BaseException, when_written: bool):
        self.exc, self.when_written = exc, when_written


def _skeleton(task: object) -> dict | None:
    """What ``convert_tasks`` reads of a task itself: its id and sentence id."""
    if not isinstance(task, dict):
        return None
    data = task.get("data")
    return {"id": task.get("id"), "data": {"sentence_id": data.get("sentence_id")} if isinstance(data, dict) else None}


class _Job:
    """What converting a range needs; one per worker process."""

    def __init__(self, path: Path, ctx: Context, split_of, fold_of_doc):
        self.path, self.ctx, self.split_of, self.fold_of_doc = path, ctx, split_of, fold_of_doc
        self.fd = os.open(path, os.O_RDONLY)
        if not stat.S_ISREG(os.fstat(self.fd).st_mode):
            os.close(self.fd)
            raise OSError(f"{path} is not a regular file")
        character_classes()  # built once, before any worker is forked

    def __call__(self, task_range: tuple[int, int, bool]):
        """``(True, task ids, sentence ids, batches)`` if every task in the range is valid (typed
        decoding and :func:`~vietlao.fastpath.convert_range`), else ``(False, skeletons, outcomes,
        batches)``; batches are ``{split: (ner, stance)}``. An outcome is None (valid), the
        problem messages, or _Failed. None if the range does not parse."""
        data = _read_range(self.fd, *task_range)
        if data is None:
            return None
        typed = decode_range(data)
        if typed is not None:
            batches = convert_range(typed, self.ctx, self.split_of, self.fold_of_doc)
            if batches is not None:
                return True, [t.id for t in typed], [t.data.sentence_id for t in typed], batches
            del typed
        tasks = _parse_range(data)
        del data
        if tasks is None:
            return None
        skeletons, outcomes, by_split = [], [], {}
        for task in tasks:
            skeletons.append(_skeleton(task))
            try:
                record, spans = _convert_task(task, self.ctx)
            except _TaskInvalid as invalid:
                outcomes.append(invalid.messages)
                continue
            except Exception as exc:  # noqa: BLE001 - raised again where convert_tasks would
                outcomes.append(_Failed(exc, when_written=False))
                continue
            try:
                split, fold = self.split_of(record.doc_id), self.fold_of_doc(record.doc_id)
            except Exception as exc:  # noqa: BLE001 - raised again where the writer would
                outcomes.append(_Failed(exc, when_written=True))
                continue
            outcomes.append(None)
            by_split.setdefault(split, []).append((record, spans, fold))
        return False, skeletons, outcomes, {split: sentence_batches(items) for split, items in by_split.items()}


_worker_job: _Job | None = None


def _start_worker(path, ctx, split_of, fold_of_doc) -> None:
    global _worker_job
    gc.disable()  # conversion makes no reference cycles: reference counting frees everything
    pa.set_memory_pool(pa.system_memory_pool())  # see convert_export
    _worker_job = _Job(path, ctx, split_of, fold_of_doc)


#: The ``ner`` batch as it crosses the pipe: tags as int8 (they are < 128), else the same.
_TAG_COLUMNS = (NER_SCHEMA.get_field_index("ner_tags"), NER_SCHEMA.get_field_index("ner_tags_coarse"))
_PIPE_SCHEMA = pa.schema(
    [f.with_type(pa.list_(pa.int8())) if i in _TAG_COLUMNS else f for i, f in enumerate(NER_SCHEMA)]
)


def _pack(ner: pa.RecordBatch, stance: pa.RecordBatch) -> tuple:
    """A worker's batches for the pipe, about half their size: the ``ner`` batch as an Arrow IPC
    message with int8 tags, and of the ``stance`` batch only its labels and targets (see
    :func:`stance_batch`; the main process then builds no array from Python values, which would
    import pandas there)."""
    columns = [
        pa.compute.cast(c, _PIPE_SCHEMA.field(i).type) if i in _TAG_COLUMNS else c for i, c in enumerate(ner.columns)
    ]
    return pa.RecordBatch.from_arrays(columns, schema=_PIPE_SCHEMA).serialize(), (stance.column("label"), stance.column("target"))


def _unpack(packed) -> tuple[pa.RecordBatch, pa.RecordBatch]:
    """The ``ner`` and ``stance`` batches of :func:`_pack` (or batches as they are)."""
    message, stance = packed
    if isinstance(message, pa.RecordBatch):
        return message, stance  # converted in this process: the batches themselves
    pipe = pa.ipc.read_record_batch(message, _PIPE_SCHEMA)
    ner = pa.RecordBatch.from_arrays(
        [pa.compute.cast(c, NER_SCHEMA.field(i).type) if i in _TAG_COLUMNS else c for i, c in enumerate(pipe.columns)],
        schema=NER_SCHEMA,
    )
    return ner, stance_batch(ner, *stance)


def _run_in_worker(task_range):
    """The job's result, its batches packed for the pipe (Arrow IPC is cheaper to send than pickled
    arrays, and is read back without copying)."""
    result = _worker_job(task_range)
    if result is None:
        return None
    *head, batches = result
    return (*head, {split: _pack(ner, stance) for split, (ner, stance) in batches.items()})


def _converted_ranges(path: Path, job: _Job, workers: int, chunk_bytes: int):
    """``(range, result)`` in file order; a range of None or a result of None ends the fast path."""
    ranges = _task_ranges(job.fd, os.fstat(job.fd).st_size, chunk_bytes)
    if workers <= 1:
        for task_range in ranges:
            yield task_range, (job(task_range) if task_range else None)
        return
    import multiprocessing

    # fork: the workers inherit the imported modules and the context; no Arrow thread has started yet
    pool = multiprocessing.get_context("fork").Pool(
        workers, initializer=_start_worker, initargs=(path, job.ctx, job.split_of, job.fold_of_doc)
    )
    try:
        pending: deque = deque()
        for task_range in ranges:
            if task_range is None:
                pending.append((None, None))
                break
            pending.append((task_range, pool.apply_async(_run_in_worker, (task_range,))))
            while len(pending) > 2 * workers:
                task_range, result = pending.popleft()
                yield task_range, result.get()
        while pending:
            task_range, result = pending.popleft()
            yield task_range, (result.get() if result is not None else None)
    finally:
        pool.terminate()
        pool.join()


def convert_export(
    export_path: Path,
    out_dir: Path,
    ctx: Context,
    *,
    workers: int = 1,
    progress: bool | None = None,
    split_of: Callable[[str], str] | None = None,
    fold_of_doc: Callable[[str], int] | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> Counter:
    """A Label Studio JSON export -> the ``ner`` and ``stance`` Arrow files under ``out_dir``, streaming.

    Same validation, records, bytes and errors as ``write_sentence_configs(convert_tasks(
    iter_tasks(export_path), ctx), ...)`` (every problem is reported in an
    :class:`~vietlao.export.ExportError`, and then nothing is written), in memory that does not grow
    with the export beyond one small entry per task for the duplicate checks (about 19 MB per
    100,000 tasks). ``workers`` > 1 converts ranges of tasks in that many processes (forked).
    ``progress``: a tqdm bar on stderr (default: if stderr is a terminal; it appears after two
    seconds). ``split_of`` and ``fold_of_doc`` default to the context's documents (the project's if it
    has none). ``out_dir`` must
    not exist; it is written as a sibling temporary folder and renamed when complete. Returns rows
    per (config, split).
    """
    export_path, out_dir = Path(export_path), Path(out_dir)
    if split_of is None or fold_of_doc is None:
        splits, folds = splits_and_folds([d.meta for d in ctx.documents.values()] or None)
        split_of, fold_of_doc = split_of or splits.__getitem__, fold_of_doc or folds.__getitem__
    if out_dir.exists():
        raise FileExistsError(f"{out_dir} exists; convert_export writes a new folder")
    if progress is None:
        progress = sys.stderr.isatty()
    source = str(export_path)
    try:
        job = _Job(export_path, ctx, split_of, fold_of_doc)
    except OSError:
        job = None  # iter_tasks reports it, as the plain path would
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    sink = _SentenceSink(tmp)
    from tqdm import tqdm

    bar = tqdm(total=os.path.getsize(export_path) if job else None, unit="B", unit_scale=True,
               unit_divisor=1024, desc=export_path.name, disable=not progress, delay=2, file=sys.stderr)
    outcome: list = [None]
    checks = ExportChecks()

    def replay(task, _ctx):
        state = outcome[0]
        if state is None:
            return None
        if isinstance(state, list):
            raise _TaskInvalid(state)
        if isinstance(state, _Failed):
            if state.when_written:
                return state
            raise state.exc
        return state(task)  # the sequential path: really convert

    def sequential(task):
        return _convert_task(task, ctx)

    def tasks() -> Iterator[object]:
        done = 0
        if job is not None:
            for task_range, result in _converted_ranges(export_path, job, workers, chunk_bytes):
                if result is None:
                    break
                valid, first, second, batches = result
                n = len(first)
                if not valid:  # skeletons and outcomes
                    replayed = zip(first, second)
                elif checks.admit_all(first, second):  # task ids and sentence ids of valid tasks
                    replayed = ()
                else:  # a duplicate: replay the tasks one by one for the problem list
                    skeletons = [{"id": t, "data": {"sentence_id": s}} for t, s in zip(first, second)]
                    replayed = zip(skeletons, itertools.repeat(None))
                for skeleton, outcome[0] in replayed:
                    yield skeleton
                for split, packed in batches.items():
                    sink.add_batches(split, *_unpack(packed))
                done += n
                bar.update(task_range[1] - task_range[0] + 1)
                bar.set_postfix(tasks=done, refresh=False)
                if task_range[2]:
                    return
        outcome[0] = sequential
        for task in itertools.islice(iter_tasks(export_path), done, None):
            yield task
            done += 1
            if done % 1000 == 0:
                bar.set_postfix(tasks=done)

    collecting, pool = gc.isenabled(), pa.default_memory_pool()
    try:
        # malloc gives freed Arrow buffers back; mimalloc, Arrow's default, keeps them per process.
        pa.set_memory_pool(pa.system_memory_pool())
        # Conversion makes no reference cycles, so reference counting frees everything; the
        # collector would only walk the millions of live parsed objects again and again.
        gc.disable()
        for item in convert_tasks(tasks(), ctx, source=source, _convert=replay, _checks=checks):
            if item is None:
                continue
            if isinstance(item, _Failed):
                raise item.exc
            record, spans = item
            sink.add_record(split_of(record.doc_id), record, spans, fold_of_doc(record.doc_id))
        counts = sink.close()
        tmp.rename(out_dir)
        return counts
    except BaseException:
        with contextlib.suppress(Exception):
            sink.abort()
        raise
    finally:
        if collecting:
            gc.enable()
        pa.set_memory_pool(pool)
        bar.close()
        if job is not None:
            os.close(job.fd)
        shutil.rmtree(tmp, ignore_errors=True)


