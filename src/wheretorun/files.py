"""Writing output files so that an interrupted run never leaves half of one, nor a temporary file."""

from __future__ import annotations

import ctypes
import errno
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_atomically(out: Path, write: Callable[[BinaryIO], object]) -> None:
    """``write`` into a temporary file beside ``out``, renamed over it once complete: Ctrl-C, a full
    disk or ``kill -9`` leaves the previous file whole and no temporary file behind. Raises OSError.

    On Linux the temporary file is unnamed while it is written (``O_TMPFILE``, open(2)): a process
    killed mid-write (a 468 MB inventory report) leaves nothing for anyone to clean up. It gets a
    name only once complete and synced, for the instant between linkat(2) and the rename. Where
    ``O_TMPFILE`` is missing (another OS, a file system without it) a named ``mkstemp`` file is
    removed on every exit path Python sees.

    What ``out`` already is decides how it is written: a symbolic link is followed (its target is
    replaced, the link kept); a folder is an error (IsADirectoryError); a stream (``/dev/stdout``, a
    FIFO, a device such as ``/dev/null``) is written in place, never renamed over: replacing it would
    destroy it, and a stream has no previous content to keep whole.
    """
    out = Path(os.path.realpath(out)) if out.is_symlink() else out
    try:
        mode = out.stat().st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder", str(out))
    if mode is not None and not stat.S_ISREG(mode):
        with open(out, "wb") as stream:
            write(stream)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = _unnamed_file(out.parent)
    if fd is None:
        _write_named(out, write)
        return
    tmp = out.parent / f".{out.name}.{secrets.token_hex(6)}.tmp"
    with os.fdopen(fd, "w+b") as fh:
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())
        try:
            _link(fh.fileno(), tmp)
        except OSError:  # this file system cannot name an unnamed file: copy it to a named one
            _UNLINKABLE.add(out.parent.stat().st_dev)
            fh.seek(0)
            _write_named(out, lambda named: shutil.copyfileobj(fh, named))
            return
    try:
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


_AT_FDCWD = -100
_AT_EMPTY_PATH = 0x1000
#: file systems (st_dev) where an unnamed file could not be given a name: named files from then on
_UNLINKABLE: set[int] = set()


def _unnamed_file(directory: Path) -> int | None:
    """A descriptor of a new unnamed file in ``directory`` (mode 0666 less the umask), or None."""
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag or directory.stat().st_dev in _UNLINKABLE:
        return None
    try:
        return os.open(directory, flag | os.O_RDWR | os.O_CLOEXEC, 0o666)
    except OSError as e:
        # EOPNOTSUPP/EISDIR/EINVAL: no O_TMPFILE here; anything else (EACCES, EROFS, ENOSPC) is real
        if e.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
            return None
        raise


def _link(fd: int, path: Path) -> None:
    """Give the unnamed file ``fd`` the name ``path`` (linkat(2); open(2) on O_TMPFILE).

    ``AT_EMPTY_PATH`` on the descriptor itself (allowed to the file's opener since Linux 6.10, to
    CAP_DAC_READ_SEARCH before), else the ``/proc/self/fd`` link with ``AT_SYMLINK_FOLLOW``.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.linkat(fd, b"", _AT_FDCWD, os.fsencode(path), _AT_EMPTY_PATH) == 0:
        return
    os.link(f"/proc/self/fd/{fd}", path, follow_symlinks=True)


def _write_named(out: Path, write: Callable[[BinaryIO], object]) -> None:
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as a plain open() would create it (mkstemp makes it private)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
