"""Streaming conversion of a large export into ``ner`` and ``stance`` Arrow files.

Memory does not grow with the number of tasks; ranges of tasks can be converted in worker
processes. Records and errors are exactly those of ``convert_tasks(iter_tasks(...))``.

The export is cut into byte ranges of whole tasks (:mod:`vietlao.dataset.ranges`), each converted by
the first route that applies:

1. typed: msgspec decodes the range into Label Studio's task layout (:mod:`vietlao.export.typed`) and
   :func:`vietlao.dataset.fastpath.convert_range` converts it column-wise if every task is plain and
   valid; the main process then admits the range's task and sentence ids in bulk;
2. generic: orjson parses the range and :func:`~vietlao.export.task.convert_task` converts task by
   task, naming every problem; the main process replays every task's outcome through the
   export-wide checks (:class:`~vietlao.export.reader.ExportChecks`: duplicates, the problem list
   and its order).

The main process writes the batches in order. Anything unusual (a range that does not parse as
``iter_tasks`` would read it, a cut in the wrong place) makes the rest of the file go through
``iter_tasks`` and ``convert_tasks``, so records and errors are those of the plain path.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import multiprocessing
import os
import stat
import sys
from collections import Counter, deque
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable

import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute.cast
from tqdm import tqdm

from vietlao.corpus.segment import character_classes
from vietlao.dataset.batches import NER_SCHEMA, SentenceSink, sentence_batches, stance_batch
from vietlao.dataset.fastpath import Declined, convert_range
from vietlao.dataset.ranges import CHUNK_BYTES, parse_range, read_range, task_ranges
from vietlao.dataset.rows import splits_and_folds
from vietlao.export.reader import ExportChecks, convert_tasks, iter_tasks
from vietlao.export.task import Context, TaskInvalid, convert_task
from vietlao.export.typed import decode_range, task_id
from vietlao.files import atomic_folder, input_problem


class _Unplaced:
    """A valid task whose document has no split: raised where the plain path writes it."""

    def __init__(self, exc: LookupError):
        self.exc = exc


def _skeleton(task: object) -> dict | None:
    """What the export-wide checks read of a task itself: its id and sentence id."""
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
        character_classes()  # the tokenizer's tables, built once before any worker is forked
        ctx.sentence_ids  # noqa: B018 - likewise the context's sentence index

    def __call__(self, task_range: tuple[int, int, bool]):
        """``(True, task ids, sentence ids, batches)`` if every task in the range is valid (typed
        decoding and :func:`~vietlao.dataset.fastpath.convert_range`), else ``(False, skeletons,
        outcomes, batches)``; batches are ``{split: (ner, stance)}``. An outcome is None (valid),
        the problem messages, or :class:`_Unplaced`. None if the range does not parse."""
        data = read_range(self.fd, *task_range)
        if data is None:
            return None
        typed = decode_range(data)
        if typed is not None:
            try:
                batches = convert_range(typed, self.ctx, self.split_of, self.fold_of_doc)
            except Declined:
                del typed  # the generic route below names the problem
            else:
                return True, [task_id(t) for t in typed], [t.data.sentence_id for t in typed], batches
        tasks = parse_range(data)
        del data
        if tasks is None:
            return None
        skeletons, outcomes, by_split = [], [], {}
        for task in tasks:
            skeletons.append(_skeleton(task))
            try:
                record = convert_task(task, self.ctx)
            except TaskInvalid as invalid:
                outcomes.append(invalid.messages)
                continue
            try:
                split, fold = self.split_of(record.doc_id), self.fold_of_doc(record.doc_id)
            except LookupError as exc:
                outcomes.append(_Unplaced(exc))
                continue
            outcomes.append(None)
            by_split.setdefault(split, []).append((record, fold))
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
    ranges = task_ranges(job.fd, os.fstat(job.fd).st_size, chunk_bytes)
    if workers <= 1:
        for task_range in ranges:
            yield task_range, (job(task_range) if task_range else None)
        return
    # fork: the workers inherit the imported modules and the context; no Arrow thread has started yet.
    # An executor, not multiprocessing.Pool: Pool.terminate() can deadlock while its task thread is
    # putting a task (seen under load); shutdown() lets the ranges in flight finish instead, and a
    # worker that dies surfaces as BrokenProcessPool rather than a wait that never ends.
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker,
        initargs=(path, job.ctx, job.split_of, job.fold_of_doc),
    )
    try:
        pending: deque = deque()
        for task_range in ranges:
            if task_range is None:
                pending.append((None, None))
                break
            pending.append((task_range, pool.submit(_run_in_worker, task_range)))
            while len(pending) > 2 * workers:
                task_range, result = pending.popleft()
                yield task_range, result.result()
        while pending:
            task_range, result = pending.popleft()
            yield task_range, (result.result() if result is not None else None)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _replay(result: tuple, checks: ExportChecks) -> None:
    """Pass a converted range's tasks through the export-wide checks, in order."""
    valid, first, second, _ = result
    if valid:
        if checks.admit_all(first, second):
            return
        first = [{"id": t, "data": {"sentence_id": s}} for t, s in zip(first, second)]  # a duplicate
        second = itertools.repeat(None)
    for skeleton, outcome in zip(first, second):
        tid, sentence_id, admitted = checks.admit(skeleton)
        if not admitted:
            continue
        if isinstance(outcome, list):
            checks.reject(tid, sentence_id, outcome)
        elif isinstance(outcome, _Unplaced) and not checks.problems:
            raise outcome.exc


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
    :class:`~vietlao.export.task.ExportError`, and then nothing is written), in memory that does not
    grow with the export beyond one small entry per task for the duplicate checks (about 19 MB per
    100,000 tasks). ``workers`` > 1 converts ranges of tasks in that many processes (forked).
    ``progress``: a tqdm bar on stderr (default: if stderr is a terminal; it appears after two
    seconds). ``split_of`` and ``fold_of_doc`` default to the context's documents (the project's if it
    has none). ``out_dir`` must not exist; it is written as a sibling temporary folder and renamed
    when complete (its parent folders are created, and removed again if the conversion fails).
    Returns rows per (config, split).
    """
    export_path, out_dir = Path(export_path), Path(out_dir)
    if split_of is None or fold_of_doc is None:
        splits, folds = splits_and_folds([d.meta for d in ctx.documents.values()] or None)
        split_of, fold_of_doc = split_of or splits.__getitem__, fold_of_doc or folds.__getitem__
    if out_dir.exists():
        raise FileExistsError(f"{out_dir} exists; convert_export writes a new folder")
    if progress is None:
        progress = sys.stderr.isatty()
    try:  # not opened if it is no regular file: a FIFO would block
        job = None if input_problem(export_path) else _Job(export_path, ctx, split_of, fold_of_doc)
    except OSError:
        job = None  # iter_tasks reports it, as the plain path would
    bar = tqdm(total=os.path.getsize(export_path) if job else None, unit="B", unit_scale=True,
               unit_divisor=1024, desc=export_path.name, disable=not progress, delay=2, file=sys.stderr)
    checks = ExportChecks()
    collecting, pool = gc.isenabled(), pa.default_memory_pool()
    try:
        with atomic_folder(out_dir) as tmp:  # parents created, and removed again on a failure
            sink = SentenceSink(tmp)
            try:
                counts = _convert(export_path, job, ctx, workers, chunk_bytes, sink, checks, bar, split_of, fold_of_doc)
            except BaseException:
                with contextlib.suppress(Exception):
                    sink.abort()
                raise
        return counts
    finally:
        if collecting:
            gc.enable()
        pa.set_memory_pool(pool)
        bar.close()
        if job is not None:
            os.close(job.fd)


def _convert(export_path: Path, job: _Job | None, ctx: Context, workers: int, chunk_bytes: int, sink: SentenceSink,
             checks: ExportChecks, bar: tqdm, split_of, fold_of_doc) -> Counter:
    """The body of :func:`convert_export`: every range into ``sink``; rows per (config, split)."""
    # malloc gives freed Arrow buffers back; mimalloc, Arrow's default, keeps them per process.
    pa.set_memory_pool(pa.system_memory_pool())
    # Conversion makes no reference cycles, so reference counting frees everything; the
    # collector would only walk the millions of live parsed objects again and again.
    gc.disable()
    source = str(export_path)
    done, finished = 0, False
    if job is not None:
        for task_range, result in _converted_ranges(export_path, job, workers, chunk_bytes):
            if result is None:
                break
            _replay(result, checks)
            for split, packed in result[3].items():
                sink.add_batches(split, *_unpack(packed))
            done += len(result[1])
            bar.update(task_range[1] - task_range[0] + 1)
            bar.set_postfix(tasks=done, refresh=False)
            if task_range[2]:
                finished = True
                break
    if finished:
        checks.finish(source)
    else:  # the rest of the file, as the plain path reads it
        rest = itertools.islice(iter_tasks(export_path), done, None)
        for record in convert_tasks(rest, ctx, source=source, checks=checks):
            sink.add_record(split_of(record.doc_id), record, fold_of_doc(record.doc_id))
    return sink.close()
