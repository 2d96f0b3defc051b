"""Writing files and folders so that a path holds the old content or the new, never half of one.

Every file this tool writes goes to a temporary name beside its target, is flushed and
``fsync``-ed, gets the mode the user's umask gives an ordinary new file (the temporary-file
helpers would leave 0600 and 0700), and is renamed into place; the folder is ``fsync``-ed after.
A full disk, a file-size limit or a read-only place becomes a :class:`UserError` naming the path.

A bundle folder is swapped as a whole with ``renameat2(RENAME_EXCHANGE)`` (Linux 3.15+): the
new folder, complete on disk, and the old one trade names in one system call, so the path holds
the old bundle or the new at every instant, whatever signal arrives (RELIABILITY.md). Where the
call is missing (another OS, a file system without it) two renames do the job and a crash between
them leaves the old bundle under a hidden name beside the path; :func:`exchange` says which.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import UserError

_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


def umask() -> int:
    """The process's umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode() -> int:
    return 0o666 & ~umask()


def folder_mode() -> int:
    return 0o777 & ~umask()


def describe(error: OSError) -> str:
    """A one-line reason for an OSError: its text, with a hint for the common full-disk cases."""
    reason = error.strerror or str(error)
    if error.errno == errno.EFBIG:
        reason += " (the file-size limit, ulimit -f)"
    return reason


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, mode: str = "w", *,
                newline: str | None = None) -> Iterator:
    """``with atomic_file(path) as f: f.write(...)``: ``path`` appears, complete, only if the
    block ends without an exception; otherwise it keeps its old content (or stays absent)."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise UserError(f"cannot write {path}: {describe(error)}") from error
    tmp = Path(tmp)
    try:
        kwargs = {} if "b" in mode else {"encoding": "utf-8", "newline": newline}
        with os.fdopen(fd, mode, **kwargs) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
        fsync_folder(path.parent)
    except OSError as error:
        raise UserError(f"cannot write {path}: {describe(error)}") from error
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_file(path) as file:
        file.write(text)


def make_temp_folder(beside: Path, tag: str) -> Path:
    """A new empty folder ``.NAME.TAG-XXXX`` next to ``beside``, with the umask's mode."""
    try:
        folder = Path(tempfile.mkdtemp(dir=beside.parent, prefix=f".{beside.name}.{tag}-"))
        os.chmod(folder, folder_mode())
    except OSError as error:
        raise UserError(f"cannot write in {beside.parent}: {describe(error)}") from error
    return folder


def sync_tree(folder: Path) -> None:
    """fsync every file and folder under ``folder`` (files first, then their folders)."""
    for root, _dirs, files in os.walk(folder, topdown=False):
        for name in files:
            file = Path(root, name)
            if file.is_symlink() or not file.is_file():
                continue
            fd = os.open(file, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_folder(Path(root))


def _renameat2():
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2  # glibc 2.28+
    except (OSError, AttributeError):
        return None
    function.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                         ctypes.c_uint)
    function.restype = ctypes.c_int
    return function


def exchange(a: Path, b: Path) -> bool:
    """Swap the names of two existing paths in one step; False where the system cannot."""
    function = _renameat2()
    if function is None:
        return False
    if function(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # not on this file system
        return False
    raise OSError(code, os.strerror(code), str(b))


def replace_folder(new: Path, path: Path) -> None:
    """Put the complete folder ``new`` at ``path``; what was at ``path`` ends up at ``new``.

    One atomic exchange where the system has it; else two renames (a crash between them leaves
    the old folder at ``new``, which the caller names in its messages).
    """
    fsync_folder(path.parent)
    if not exchange(new, path):
        parked = new.with_name(new.name + ".old")
        os.rename(path, parked)
        os.rename(new, path)
        os.rename(parked, new)
    fsync_folder(path.parent)
