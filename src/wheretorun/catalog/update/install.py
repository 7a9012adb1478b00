"""The catalog copy on disk, replaced atomically: a failure or a crash at any point leaves a whole
catalog, old or new, and never loses the prices refreshed before. A folder that holds something
other than a catalog is refused, never emptied.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import secrets
import shutil
from pathlib import Path

from ...errors import InputError, Problem
from ...files import write_atomically
from ..store import DATA_DIR, MARKER, VERSIONS, CatalogError, catalog_files_dir, load_catalog_dir

#
#   DIR/wheretorun-catalog.json   {"format": "wheretorun-catalog", "current": ID, "previous": ID|null}
#   DIR/versions/ID/*.yml         one whole catalog per version; never changed once in place
#
# A new version is written and validated under versions/.staging-*, renamed to versions/ID, and
# made current by replacing the marker (rename(2): atomic). Readers (store.catalog_files_dir) read
# the marker once. So at every instant the marker names a whole catalog, old or new; the previous
# version is kept (a reader that resolved it just before the swap still finds every file); older
# ones and crashed stagings are removed afterwards.
_FORMAT = "wheretorun-catalog"
_STAGING = ".staging-"
_MARKER_TMP = f".{MARKER}.*.tmp"  # files.write_atomically's name for the marker until it is renamed
_VERSION = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{6}$")


def read_catalog_copy(target: Path) -> tuple[dict[str, str], list[str]]:
    """(file name -> text of the catalog ``target`` holds, legacy files to remove once replaced).

    An absent or empty ``target`` is seeded from the embedded catalog. A copy written by this
    version (``MARKER``) gives its current version's files, or an error when that is unreadable:
    never a silent reseed, which would lose the prices refreshed before. A folder of nothing but the
    embedded catalog's file names is a copy written by an earlier wheretorun (files at the top level,
    migrated here). Anything else is refused: ``target`` is not a catalog, and nothing in it is touched.
    """
    if not target.exists():
        return _texts(DATA_DIR), []
    if not target.is_dir():
        raise _not_a_catalog(target, "it is a file, not a folder")
    if (target / MARKER).is_file():
        try:
            current = catalog_files_dir(target)
            if not any(current.glob("*.yml")):  # (its content is validated with the new figures)
                raise CatalogError(f"no catalog files in {current}")
        except (CatalogError, OSError) as e:
            raise InputError(
                [
                    Problem(
                        str(target),
                        "",
                        f"its catalog cannot be read ({e}); nothing was changed. Move the folder "
                        "away (or give another --catalog-dir) to start again from the embedded catalog",
                    )
                ]
            ) from None
        return _texts(current), []
    entries = sorted(p.name for p in target.iterdir())
    ours = _leftovers(target)
    others = [name for name in entries if name not in ours]
    if not others:
        return _texts(DATA_DIR), []  # empty, or only a crashed first update's staging
    embedded = {p.name for p in DATA_DIR.glob("*.yml")}
    if all(name in embedded and (target / name).is_file() for name in others):
        try:
            load_catalog_dir(target)
        except (CatalogError, OSError) as e:
            raise _not_a_catalog(target, f"its data files do not load ({e})") from None
        return _texts(target), others
    shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
    raise _not_a_catalog(target, f"it holds {shown}")


def _not_a_catalog(target: Path, why: str) -> InputError:
    return InputError(
        [
            Problem(
                "--catalog-dir",
                "",
                f"{target} is not a wheretorun catalog ({why}; no {MARKER}); nothing was changed. "
                "Give a new or empty folder, or one an earlier `prices update` wrote",
            )
        ]
    )


def _leftovers(target: Path) -> set[str]:
    """Top-level names of ``target`` that an interrupted first update left (a ``versions`` folder
    holding only stagings and version folders, a marker's temporary file); a user's own
    ``versions`` folder is not ours."""
    found = {p.name for p in target.glob(_MARKER_TMP)}
    versions = target / VERSIONS
    if versions.is_dir() and all(
        p.is_dir() and (p.name.startswith(_STAGING) or _VERSION.match(p.name)) for p in versions.iterdir()
    ):
        found.add(VERSIONS)
    return found


def _texts(directory: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.yml"))}


def install_version(target: Path, texts: dict[str, str], legacy: list[str]) -> str:
    """Write ``texts`` as a new version of the catalog copy ``target`` and make it current.

    Returns the version's name. Raises InputError when the new files do not load (nothing changed),
    when another update holds the folder, and OSError when the disk refuses (nothing changed
    unless the marker was replaced, after which the new catalog is whole and current).
    """
    target.mkdir(parents=True, exist_ok=True)
    lock = os.open(target, os.O_RDONLY)
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(
                [Problem(str(target), "", "another `prices update` is writing this catalog; try again")]
            ) from None
        versions = target / VERSIONS
        versions.mkdir(exist_ok=True)
        # what an update that crashed left: never current, nobody reads it
        for stale in versions.glob(_STAGING + "*"):
            shutil.rmtree(stale)
        for stale in target.glob(_MARKER_TMP):
            stale.unlink()
        staging = versions / f"{_STAGING}{secrets.token_hex(6)}"
        staging.mkdir()
        try:
            for name, text in texts.items():
                _write_synced(staging / name, text.encode("utf-8"))
            _fsync_dir(staging)
            try:
                load_catalog_dir(staging)  # the runtime's own validation: a bad figure fails here, not in use
            except CatalogError as e:
                raise InputError(
                    [Problem(str(target), "", f"update refused, the old catalog is unchanged: {e}")]
                ) from None
            version = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
            os.rename(staging, versions / version)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _fsync_dir(versions)
        previous = _current(target)
        marker = {"format": _FORMAT, "current": version, "previous": previous}
        write_atomically(target / MARKER, lambda fh: fh.write(json.dumps(marker, indent=2).encode() + b"\n"))
        _fsync_dir(target)
        # the new version is current: what follows only tidies up, and may fail without harm
        for old in versions.iterdir():
            if old.name not in (version, previous):
                shutil.rmtree(old, ignore_errors=True)
        for name in legacy:
            (target / name).unlink(missing_ok=True)
        return version
    finally:
        os.close(lock)


def _current(target: Path) -> str | None:
    if not (target / MARKER).is_file():
        return None
    return catalog_files_dir(target).name


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("xb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (a power cut must not undo the swap's order)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
