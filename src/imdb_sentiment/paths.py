"""Output paths checked before the work: everything that can be known about where a result will
go is checked in a few system calls, before minutes of training or scoring are spent.

Used by ``bundle.save``, ``RecordWriter`` and the command line alike, so the messages are the
same wherever the problem is found.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import UserError


def expand(path: str | os.PathLike) -> Path:
    """``~`` and ``~user`` expanded; an unknown user is a UserError, not a RuntimeError."""
    try:
        return Path(path).expanduser()
    except RuntimeError:
        raise UserError(f"cannot expand {os.fspath(path)!r}: no such user") from None


def check_folder_output(path: str | os.PathLike, what: str = "output") -> Path:
    """A folder that will be created or replaced at ``path``: not the current folder or one
    above it, not a link or a file, in a place that can be written."""
    path = expand(path)
    name = os.path.basename(os.path.normpath(path))
    if name in ("", ".", "..") or path.resolve() in (Path.cwd(), *Path.cwd().parents):
        raise UserError(f"{what} {path} is the current folder or one above it; "
                        f"name a new folder")
    if path.is_symlink():
        raise UserError(f"{what} {path} is a symbolic link; give the folder itself")
    if path.exists() and not path.is_dir():
        raise UserError(f"{what} {path} exists and is not a folder")
    check_writable_parent(path)
    return path


def check_file_output(path: str | os.PathLike, *, input: Path | None = None) -> Path:
    """A file that will be written at ``path`` (through a temporary file and a rename)."""
    path = expand(path)
    if path.is_dir():
        raise UserError(f"output {path} is a folder")
    if path.exists() and not path.is_file():
        raise UserError(f"output {path} exists and is not a regular file")
    if input is not None and path.exists() and input.exists() and os.path.samefile(path, input):
        raise UserError(f"output {path} is the input file; choose another path")
    if not path.parent.is_dir():
        raise UserError(f"folder {path.parent} does not exist")
    check_writable_parent(path)
    return path


def check_writable_parent(path: Path) -> None:
    """The nearest existing folder above ``path`` must let us create an entry: tried for real
    (a temporary folder made and removed), since permission bits say nothing of a read-only
    file system, and nothing to root."""
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise UserError(f"cannot write {path}: {parent} is not a folder")
    try:
        os.rmdir(tempfile.mkdtemp(dir=parent, prefix=".imdb-sentiment-probe-"))
    except OSError as error:
        raise UserError(f"cannot write {path}: {error.strerror or error}") from None
