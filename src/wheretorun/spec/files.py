"""Files a workload file names (``traffic_profile``): read only from inside the workload file's folder.

Whoever runs wheretorun on someone else's workload file (CI on a pull request) must not have it
read ``/proc/self/environ``, ``~/.aws/credentials`` or ``../../secrets.csv`` and quote them in an
error. So a named file must:

- be a relative path (absolute paths are refused),
- resolve, symlinks followed, inside the workload file's folder (``..`` may not climb out of it,
  and a symlink may not point out of it),
- be a regular file (a FIFO would block the run, a device or ``/proc`` file could be anything),

unless the user allows another folder explicitly (``recommend --allow-files-from DIR``): then an
absolute path, a ``..`` or a symlink into that folder is accepted. A document that came from no
file (the web API, ``load_workloads(dict)`` without a folder) reads no files at all.

The rule is checked twice: when the file is loaded (so a bad path is reported with every other
problem) and again when the file is opened (``open_regular``), without following a symlink in the
last component and refusing anything but a regular file, so a path swapped in between is refused.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..errors import InputError, Problem

NO_FILES = "the API reads no files: give the traffic shape with `traffic` and `peak_to_mean`, or run `wheretorun recommend FILE` where the file is"


@dataclass(frozen=True)
class FileAccess:
    """Where the files a workload file names may be read from.

    ``base_dir``: the workload file's folder (relative paths resolve against it); None for a
    document that came from no file, which reads none. ``allowed``: further folders the user
    allowed explicitly (absolute paths, ``..`` and symlinks into them are accepted).
    """

    base_dir: Path | None
    allowed: tuple[Path, ...] = ()

    @classmethod
    def of(cls, base_dir: FileAccess | Path | str | None, allowed: Iterable[Path | str] = ()) -> FileAccess:
        if isinstance(base_dir, FileAccess):
            return base_dir
        return cls(None if base_dir is None else Path(base_dir), tuple(Path(d) for d in allowed))

    def problem(self, value: str) -> str | None:
        """Why ``value`` may not be read (a message naming what is allowed), or None."""
        try:
            self.resolve(value)
        except _Refused as e:
            return str(e)
        return None

    def resolve(self, value: str) -> Path:
        """The real path of ``value`` after the checks above; raises ``_Refused`` with the reason."""
        if self.base_dir is None:
            raise _Refused(NO_FILES)
        base = _real(self.base_dir)
        allowed = [d for d in (_real(a) for a in self.allowed) if d is not None]
        if base is None:
            raise _Refused(f"the workload file's folder {self.base_dir} cannot be read")
        hint = (
            f"allowed: a path relative to the workload file's folder ({base}), inside it"
            + (f", or inside {', '.join(str(a) for a in self.allowed)}" if self.allowed else "")
            + "; `recommend --allow-files-from DIR` allows another folder"
        )
        p = Path(value)
        candidate = p if p.is_absolute() else Path(base) / p
        try:
            real = Path(os.path.realpath(candidate, strict=True))
        except FileNotFoundError:
            raise _Refused(f"file not found ({value}); {hint}") from None
        except (OSError, RuntimeError) as e:  # a symlink loop, a path too long, no permission
            raise _Refused(f"cannot resolve {value}: {getattr(e, 'strerror', None) or e}; {hint}") from None
        inside_base = real.is_relative_to(base)
        inside_allowed = any(real.is_relative_to(a) for a in allowed)
        if p.is_absolute() and not inside_allowed:
            raise _Refused(f"absolute paths are refused ({value}); {hint}")
        if not (inside_base or inside_allowed):
            how = "through a symlink " if ".." not in p.parts else ""
            raise _Refused(f"{value} leads {how}outside the workload file's folder; {hint}")
        try:
            mode = real.stat().st_mode
        except OSError as e:
            raise _Refused(f"cannot read {value}: {e.strerror or e}") from None
        if not stat.S_ISREG(mode):
            raise _Refused(f"{value} is {_kind(mode)}, not a regular file")
        return real


class _Refused(Exception):
    pass


def _real(d: Path) -> Path | None:
    try:
        return Path(os.path.realpath(d, strict=True))
    except (OSError, RuntimeError):
        return None


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def resolve_named_file(access: FileAccess, value: str, *, file: str, field_path: str) -> Path:
    """``access.resolve`` with the refusal as an InputError naming ``file`` and ``field_path``."""
    try:
        return access.resolve(value)
    except _Refused as e:
        raise InputError([Problem(file, field_path, f"refused: {e}")]) from None


def open_regular(path: Path, *, max_bytes: int, file: str, field_path: str) -> IO[str]:
    """Open ``path`` as UTF-8 text if it is a regular file of at most ``max_bytes``, else InputError.

    Opened without blocking (a FIFO would wait for a writer forever) and without following a
    symlink in the last component; the type is checked on the open descriptor, so a path swapped
    for a FIFO or a device after it was checked is refused, not read.
    """

    def fail(message: str) -> InputError:
        return InputError([Problem(file, field_path, message)])

    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise fail(f"file not found ({path})") from None
    except OSError as e:
        raise fail(f"refused: cannot open {path} as a regular file: {e.strerror or e}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise fail(f"refused: {path} is {_kind(st.st_mode)}, not a regular file")
        if st.st_size > max_bytes:
            raise fail(f"{st.st_size / 1e6:,.0f} MB is too large (at most {max_bytes / 1e6:,.0f} MB)")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "r", newline="", encoding="utf-8-sig")
    except BaseException:
        os.close(fd)
        raise
