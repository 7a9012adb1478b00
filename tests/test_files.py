"""files.write_atomically: the previous file or the new one, never half of one, and no temporary
file left behind on any exit, kill -9 included."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from wheretorun import files
from wheretorun.files import write_atomically

# Writes a megabyte to OUT, then kills itself with SIGKILL before the write completes.
KILLED_MID_WRITE = """
import os, signal, sys
from pathlib import Path
from wheretorun.files import write_atomically

def write(fh):
    fh.write(b"x" * 1_000_000)
    fh.flush()
    os.kill(os.getpid(), signal.SIGKILL)

write_atomically(Path(sys.argv[1]), write)
"""


@pytest.mark.parametrize("unnamed", [True, False], ids=["O_TMPFILE", "named temporary file"])
def test_complete_writes_replace_the_file_with_plain_permissions(tmp_path, monkeypatch, unnamed):
    if not unnamed:
        monkeypatch.setattr(files, "_unnamed_file", lambda directory: None)
    out = tmp_path / "sub" / "report.json"
    write_atomically(out, lambda fh: fh.write(b"first"))
    write_atomically(out, lambda fh: fh.write(b"second"))
    assert out.read_bytes() == b"second"
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # as open() makes it, not mkstemp's 0600
    assert [p.name for p in out.parent.iterdir()] == ["report.json"]


@pytest.mark.parametrize("unnamed", [True, False], ids=["O_TMPFILE", "named temporary file"])
@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_failed_write_leaves_the_previous_file_and_nothing_else(tmp_path, monkeypatch, unnamed, error):
    if not unnamed:
        monkeypatch.setattr(files, "_unnamed_file", lambda directory: None)
    out = tmp_path / "report.json"
    out.write_bytes(b"previous")

    def half(fh):
        fh.write(b"half of the new")
        raise error

    with pytest.raises(type(error)):
        write_atomically(out, half)
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_failed_rename_leaves_no_temporary_file(tmp_path, monkeypatch):
    out = tmp_path / "report.json"
    out.write_bytes(b"previous")

    def refuse(src, dst):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError):
        write_atomically(out, lambda fh: fh.write(b"new"))
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


@pytest.mark.skipif(sys.platform != "linux", reason="O_TMPFILE is Linux's")
def test_kill_9_mid_write_leaves_no_temporary_file(tmp_path):
    out = tmp_path / "report.json"
    out.write_bytes(b"previous")
    src = Path(files.__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    done = subprocess.run([sys.executable, "-c", KILLED_MID_WRITE, str(out)], env=env, timeout=60)
    assert done.returncode == -9
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_where_an_unnamed_file_cannot_be_named_it_is_copied_to_a_named_one(tmp_path, monkeypatch):
    """Some file systems (and sandboxes) refuse linkat(2) of an O_TMPFILE file: the content written
    is kept, through a named temporary file, and later writes there go straight to a named one."""

    def refuse(fd, path):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(files, "_link", refuse)
    monkeypatch.setattr(files, "_UNLINKABLE", set())
    out = tmp_path / "report.json"
    write_atomically(out, lambda fh: fh.write(b"x" * 100_000))
    assert out.read_bytes() == b"x" * 100_000
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
    assert files._unnamed_file(tmp_path) is None  # remembered for this file system


def test_a_link_is_followed_and_kept(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    link = tmp_path / "latest.json"
    link.symlink_to(target.name)
    write_atomically(link, lambda fh: fh.write(b"new"))
    assert link.is_symlink() and target.read_text() == "new"


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        write_atomically(tmp_path, lambda fh: fh.write(b"x"))


def test_a_fifo_is_written_in_place_not_replaced(tmp_path: Path) -> None:
    """`--out /dev/stdout` or a named pipe: a stream is written into, never renamed over."""
    import stat
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_atomically(fifo, lambda fh: fh.write(b"streamed"))
    reader.join(timeout=10)
    assert got == [b"streamed"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_a_device_is_written_not_replaced(tmp_path: Path) -> None:
    """Through a link in the test's own folder: were the device replaced (the defect), the link
    would be, never the machine's /dev/null."""
    import stat

    link = tmp_path / "discard"
    link.symlink_to(os.devnull)
    before = os.stat(os.devnull)
    write_atomically(link, lambda fh: fh.write(b"gone"))
    assert link.is_symlink()
    after = os.stat(os.devnull)
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
