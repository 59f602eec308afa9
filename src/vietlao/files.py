"""Files the commands read and write: the one home of the rules for paths given by the user.

- **Inputs** (:func:`input_problem`) are regular files: a folder, a pipe (``/dev/stdin``, a FIFO, which
  would block until a writer comes) or a device is refused before it is opened.
- **Outputs** go only where the user named (:func:`check_output`), never onto the project's inputs or
  published files (:attr:`vietlao.paths.Project.protected`) unless that is the command's own job
  (``allowed``); a symlink is written through (the link stays, its target is replaced).
- **Atomically**: a file (:func:`atomic_output`, :func:`atomic_write`) or a folder
  (:func:`atomic_folder`) is written to a temporary sibling and renamed into place when complete; on
  an error, Ctrl-C or SIGTERM (the command line turns it into :class:`SystemExit`) the temporary copy
  is removed. A temporary name is ``.NAME.PID.XXXXXXXX.vietlao-tmp``: the next run into the same
  folder removes the ones whose process is gone (a SIGKILL leaves them behind).
- Every failure to write is one :class:`~vietlao.errors.UserError` naming the path and what to do.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path
from typing import IO, Iterable, Iterator

from vietlao.errors import UserError, shown

#: The end of every temporary file or folder name.
TEMP_SUFFIX = ".vietlao-tmp"
_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[^.]+" + re.escape(TEMP_SUFFIX) + "$")


def given(value: str | None, option: str) -> Path | None:
    """The path of a command-line option (``None`` if not given); an empty one is refused rather
    than read as the default."""
    if value is None:
        return None
    if not value.strip():
        raise UserError(f"{option} is empty; name a file or folder (or leave it out for the default)")
    return Path(value)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO or standard input)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"


def input_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as an input file (``None`` if it can): missing, unreadable, or
    not a regular file. Nothing is opened, so a FIFO cannot block."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    if not stat.S_ISREG(mode):
        return (f"is {_kind(mode)}, not a file; save the data to a file first"
                + (" (e.g. `cat > export.json`)" if stat.S_ISFIFO(mode) else ""))
    if not os.access(path, os.R_OK):
        return "cannot read: permission denied"
    return None


def check_input(path: Path, what: str) -> Path:
    """``path``, or one :class:`UserError` naming ``what`` and the problem (:func:`input_problem`)."""
    problem = input_problem(path)
    if problem:
        raise UserError(f"{what} {shown(path)} {problem}")
    return path


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_output(path: Path, option: str, *, allowed: Iterable[Path] = (), folder: bool = False,
                 inputs: Iterable[Path] = ()) -> Path:
    """The real path to write for ``path`` (symlinks followed), or one :class:`UserError`.

    Refused: a path inside the project's protected files and folders (``project().protected``)
    other than one of ``allowed`` (exactly; for a folder, ``allowed`` folders themselves); one of
    the command's own ``inputs``; an existing path of the wrong kind (a folder for a file, a pipe or
    device for either)."""
    from vietlao.paths import project

    target = Path(os.path.realpath(path))
    allowed = {Path(os.path.realpath(p)) for p in allowed}
    if target not in allowed:
        for protected in project().protected:
            if _inside(target, Path(os.path.realpath(protected))):
                raise UserError(
                    f"{option} {shown(path)} would write into {shown(protected)}, one of the project's inputs or "
                    "published files; name a path outside them"
                )
    for source in inputs:
        if os.path.realpath(source) == str(target):
            raise UserError(f"{option} {shown(path)} is also this command's input; name another file")
    with contextlib.suppress(OSError):
        mode = os.stat(target).st_mode
        if folder and not stat.S_ISDIR(mode):
            raise UserError(f"{option} {shown(path)} exists and is not a folder; choose another {option}")
        if not folder and not stat.S_ISREG(mode):
            raise UserError(f"{option} {shown(path)} is {_kind(mode)}, not a file; name a file")
    return target


def _cannot_write(path: Path, exc: OSError) -> UserError:
    blocker = exc.filename if isinstance(exc, (FileExistsError, NotADirectoryError)) else None
    if blocker and not os.path.isdir(blocker):
        return UserError(f"cannot write {shown(path)}: {shown(blocker)} is not a folder; choose another path")
    return UserError(f"cannot write {shown(path)}: {exc.strerror or type(exc).__name__}; "
                     "choose a path in a folder you can write to")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(target: Path) -> list[Path]:
    """Remove the temporary files and folders for ``target`` that a process left behind when it
    was killed (its PID no longer runs); the ones removed."""
    removed = []
    with contextlib.suppress(OSError):
        for entry in target.parent.iterdir():
            match = _TEMP.match(entry.name)
            if not match or match["name"] != target.name or _alive(int(match["pid"])):
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed


def _prefix(target: Path) -> str:
    return f".{target.name}.{os.getpid()}."


def _make_parents(folder: Path) -> list[Path]:
    """Create the missing folders up to ``folder``; the ones created, outermost first."""
    missing = [p for p in reversed([folder, *folder.parents]) if not p.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    return missing


def _remove_created(created: list[Path]) -> None:
    for made in reversed(created):
        with contextlib.suppress(OSError):
            made.rmdir()


def default_mode(path: Path) -> int:
    """The mode for a new version of ``path``: the old file's, else 0666 less the umask."""
    with contextlib.suppress(OSError):
        return os.stat(path).st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_output(path: Path, *, binary: bool = False, mode: int | None = None) -> Iterator[IO]:
    """A handle on a temporary sibling of ``path`` (already checked with :func:`check_output`), which
    replaces ``path`` when the block ends without an error (flushed, synced, given ``mode``, default
    :func:`default_mode`) and is removed otherwise. Missing parent folders are created. The
    temporary file's path is ``handle.name``, for checks before it replaces ``path``."""
    path = Path(path)
    created: list[Path] = []
    try:
        created = _make_parents(path.parent)
        remove_stale(path)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_prefix(path), suffix=TEMP_SUFFIX)
    except OSError as exc:
        _remove_created(created)
        raise _cannot_write(path, exc) from None
    try:
        os.close(fd)  # opened again by name, so that ``handle.name`` is the temporary path
        handle = open(tmp, "w+b") if binary else open(tmp, "w+", encoding="utf-8", newline="\n")
        with handle:
            yield handle  # the caller's errors pass as they are
            try:
                handle.flush()
                os.fsync(handle.fileno())
            except OSError as exc:
                raise _cannot_write(path, exc) from None
        try:
            os.chmod(tmp, default_mode(path) if mode is None else mode)
            os.replace(tmp, path)
        except OSError as exc:
            raise _cannot_write(path, exc) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if not path.exists():
            _remove_created(created)


@contextlib.contextmanager
def scratch_file(target: Path) -> Iterator[IO[bytes]]:
    """A binary scratch file beside ``target`` (a download before it is checked), named like the
    other temporary files and always removed when the block ends."""
    target = Path(target)
    try:
        _make_parents(target.parent)
        remove_stale(target)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=_prefix(target), suffix=TEMP_SUFFIX)
    except OSError as exc:
        raise _cannot_write(target, exc) from None
    try:
        with os.fdopen(fd, "w+b") as handle:
            yield handle
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def atomic_write(path: Path, data: str | bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` atomically (:func:`atomic_output`)."""
    with atomic_output(path, binary=isinstance(data, bytes), mode=mode) as handle:
        handle.write(data)


@contextlib.contextmanager
def atomic_folder(target: Path, mode: int = 0o755) -> Iterator[Path]:
    """A temporary sibling folder of ``target`` (mode ``mode``: a published folder) that replaces
    ``target`` when the block ends without an error (two renames; the old copy is removed last), and
    is removed otherwise, with the parent folders this call created."""
    target = Path(target)
    created: list[Path] = []
    try:
        created = _make_parents(target.parent)
        remove_stale(target)
        tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=_prefix(target), suffix=TEMP_SUFFIX))
        os.chmod(tmp, mode)
    except OSError as exc:
        _remove_created(created)
        raise _cannot_write(target, exc) from None
    try:
        yield tmp  # the caller's errors pass as they are
        try:
            _swap(tmp, target)
        except OSError as exc:
            raise _cannot_write(target, exc) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if not target.exists():
            _remove_created(created)


def _swap(new: Path, target: Path) -> None:
    if not target.exists():
        new.rename(target)
        return
    old = Path(tempfile.mkdtemp(dir=target.parent, prefix=_prefix(target), suffix=TEMP_SUFFIX))
    try:
        target.rename(old / target.name)
        new.rename(target)
    finally:
        shutil.rmtree(old, ignore_errors=True)
