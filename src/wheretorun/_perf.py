"""The performance machinery, in one place and under one cache policy.

None of this changes an answer: every helper here returns what the plain code would, faster. It
sits under every layer and imports nothing of wheretorun (import-linter checks both).

Cache policy (every cache in wheretorun follows it; each use says in a comment why it caches):

- **Bounded.** A cache holds at most ``maxsize`` entries and drops the least recently used: no
  cache grows with the number of workloads, requests or files a process sees (a web server runs
  for weeks). ``memo`` for functions, ``Bounded`` for a cache that is a value of its own.
- **Keyed by value, never by ``id()``.** A key holds what the cached value depends on: arguments
  that are values (strings, numbers, tuples), a file's path with its modification time and size,
  or a digest of the content (``Catalog.digest``). An ``id()`` is reused once its object is freed,
  so a key built on one can return another object's value.
- **Lifetimes.** A process-wide cache holds only what is fixed for the process or named by its
  key (the packaged data files, the installed genai-prices snapshot, a catalog version). What one
  request's inputs shape (its workload file, its overrides) is cached on an object that lives as
  long as that request (``platforms.base.Context.memo``), never process-wide.
- **Shared means read-only.** A cached value is returned to every caller: NumPy arrays are marked
  read-only, lists and models are never mutated by a caller.

- **On disk, only parsed data.** ``parsed_yaml`` keeps what a packaged YAML file parses to, as
  JSON, under the digest of the file's bytes (``$WHERETORUN_CACHE_DIR``, else the user's cache
  folder): never code, never a validated object; a changed file is a new key, an unreadable entry
  is parsed again, and the folder keeps the newest ``DISK_ENTRIES`` entries.

Start-up (``start_up_paused``, ``start_up_done``, ``read_yaml``, ``parsed_yaml``): a command run
from the shell spends most of its time importing libraries and reading the packaged data.

Besides caches: the two bypasses of pydantic's constructors (``construct``, ``rebuild``: both fill a
model's ``__dict__`` directly from values that were validated where they were computed) and the
splicing of a streamed JSON document (``splice_list``).
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import hashlib
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar, cast

if TYPE_CHECKING:  # imported by the console script before anything else: no library at import
    from pydantic import BaseModel

P = ParamSpec("P")
R = TypeVar("R")
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
M = TypeVar("M", bound="BaseModel")

_object_setattr = object.__setattr__


# ---- caches ---------------------------------------------------------------------------------------
def memo(maxsize: int) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Cache a function's results by the values of its (hashable) arguments, least recently used
    first out beyond ``maxsize`` (``functools.lru_cache``, which also makes concurrent callers safe)."""
    if maxsize < 1:
        raise ValueError("a cache is bounded: maxsize must be at least 1")

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        return cast(Callable[P, R], functools.lru_cache(maxsize=maxsize)(fn))

    return wrap


class Bounded(Generic[K, V]):
    """A mapping of at most ``maxsize`` entries, least recently used first out: for a cache whose
    key is computed from an object's values rather than given as arguments (``get``)."""

    def __init__(self, maxsize: int):
        if maxsize < 1:
            raise ValueError("a cache is bounded: maxsize must be at least 1")
        self.maxsize = maxsize
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()  # the web app's worker threads share process-wide caches

    def get(self, key: K, compute: Callable[[], V]) -> V:
        """The value under ``key``, computed (``compute()``, outside the lock) and kept when absent."""
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        value = compute()
        with self._lock:
            self._data[key] = value
            if len(self._data) > self.maxsize:
                self._data.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._data)


# ---- pydantic models built without re-validation --------------------------------------------------
def rebuild(cls: type[M], values: dict[str, Any], fields_set: set[str] | None = None) -> M:
    """A model whose ``__dict__`` is ``values`` (every field, in field order), as pydantic's own
    constructor leaves it: no validation, no extra, no private state (the report models have none).

    For values validated where they were computed: invoice lines, options and trace steps (thousands
    for an inventory, ``construct``) and reports unpickled from a worker process
    (``decide.inventory``). ``fields_set`` None: every field was set.
    """
    m = cls.__new__(cls)
    _object_setattr(m, "__dict__", values)
    _object_setattr(m, "__pydantic_fields_set__", set(values) if fields_set is None else fields_set)
    _object_setattr(m, "__pydantic_extra__", None)
    _object_setattr(m, "__pydantic_private__", None)
    return m


def construct(cls: type[M], **values: Any) -> M:
    """``cls.model_construct(**values)`` without its per-field bookkeeping, for values of *every*
    field (anything less falls back to ``model_construct``, which fills in defaults)."""
    fields = cls.__pydantic_fields__
    if len(values) != len(fields):
        return cls.model_construct(**values)
    return rebuild(cls, {name: values[name] for name in fields})


# ---- JSON written piece by piece --------------------------------------------------------------------
def splice_list(out: IO[bytes], skeleton: bytes, key: bytes, items: Iterable[bytes]) -> bool:
    """Write ``skeleton`` (pretty-printed JSON with 2-space indents whose top-level ``key`` is an
    empty list) with ``items`` (each a pretty-printed JSON value) in that list: the bytes the whole
    document would serialise to, without ever holding it whole.

    Pretty-printed JSON is each line's text after a fixed indent, so an item is indented to its depth
    by prefixing every line. Returns False, writing nothing, when the list is not where expected.
    """
    marker = b'\n  "' + key + b'": [],\n'  # raw newlines: only the structure has them, never a string
    if marker not in skeleton:
        return False
    head, tail = skeleton.split(marker, 1)
    out.write(head + b'\n  "' + key + b'": [\n')
    previous: bytes | None = None
    for text in items:
        if previous is not None:
            out.write(b"    " + previous.replace(b"\n", b"\n    ") + b",\n")
        previous = text
    if previous is not None:
        out.write(b"    " + previous.replace(b"\n", b"\n    ") + b"\n")
    out.write(b"  ],\n" + tail)
    return True


# ---- start-up ----------------------------------------------------------------------------------------
_paused_for_start_up = False


def start_up_paused() -> None:
    """Python's cyclic garbage collector off while a command run from the shell imports its
    libraries and reads the packaged data (the console script, ``wheretorun.__main__``, calls it first).

    Importing builds some hundred thousand objects that all stay alive (modules, classes, pydantic's
    validators): the collector would walk the growing heap again and again for nothing to collect,
    about a fifth of a one-workload ``recommend`` (bench row ``start-up``). The command ends the
    pause (``start_up_done``) once it has imported what it needs; a library or a test importing
    wheretorun never pauses the collector.
    """
    global _paused_for_start_up
    if gc.isenabled():
        gc.disable()
        _paused_for_start_up = True


def start_up_done() -> None:
    """End ``start_up_paused``'s pause: what start-up built is frozen (``gc.freeze``: the collector
    never walks it again, reference counting still frees it) and the collector resumes. Nothing
    when no pause is in effect (a library call, a test, a second call)."""
    global _paused_for_start_up
    if _paused_for_start_up:
        _paused_for_start_up = False
        gc.freeze()
        gc.enable()


@contextmanager
def collector_paused(keep_results: bool) -> Iterator[None]:
    """Python's cyclic garbage collector off while an inventory is answered, back as it was after.

    Each workload allocates a few hundred objects and keeps most of them (its report), so the
    collector would walk the growing heap of earlier reports again and again: a quarter of the time
    of 10,000 workloads, for almost nothing to collect (the reports hold no reference cycles;
    reference counting frees everything else at once). Answers do not depend on it.

    ``keep_results`` (an inventory): the objects now alive are frozen (``gc.freeze``) before the
    collector resumes. Otherwise its first pass would walk every report built meanwhile (0.8 s at
    10,000 workloads) and each full pass after it, while the report is rendered, again (1.5 s).
    Frozen objects are still freed by reference counting when the report is dropped; what freezing
    gives up is collecting reference cycles that are garbage at that moment: a ``recommend`` call
    leaves none (tests/decide/test_inventory.py counts them) beyond the few classes built once when
    libraries are first imported.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if keep_results:
            gc.freeze()
        if was_enabled:
            gc.enable()


def safe_yaml_loader() -> type:
    """PyYAML's safe loader, libyaml's (C) when it is installed: it parses about 10x faster than
    the pure-Python one and accepts the same safe subset (no tag builds an object)."""
    import yaml  # here, not at the top: the console script imports this module first (start_up_paused)

    return cast(type, getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def read_yaml(stream: str | bytes | IO[str] | IO[bytes]) -> Any:
    """``yaml.safe_load`` with ``safe_yaml_loader()``: for the packaged data files, read by every
    command (a user's workload file has its own bounded loader, ``spec.loader``)."""
    import yaml

    return yaml.load(stream, Loader=safe_yaml_loader())  # noqa: S506 - a safe loader


#: Entries ``parsed_yaml`` keeps on disk (a catalog is 14 files; a ``prices update`` writes a new
#: version of some of them): the oldest beyond this are removed.
DISK_ENTRIES = 256
#: Part of every disk key: a new encoding of the entries is a new key, never a misread.
_DISK_FORMAT = b"wheretorun parsed-yaml v1\0"


def cache_dir() -> Path | None:
    """Where ``parsed_yaml`` keeps its entries: ``$WHERETORUN_CACHE_DIR`` (empty: no disk cache),
    else ``$XDG_CACHE_HOME/wheretorun``, else ``~/.cache/wheretorun``."""
    configured = os.environ.get("WHERETORUN_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "wheretorun"


def parsed_yaml(raw: bytes) -> Any:
    """``read_yaml(raw)``, kept on disk as JSON under the digest of ``raw``.

    The packaged catalog is 170 kB of YAML: libyaml parses it, but PyYAML then builds every value in
    Python, 60 ms of each command; decoding the same values from JSON takes a tenth of that. YAML's
    dates travel as ``{"$date": ...}``; an entry is written only when it decodes back to exactly
    what YAML gave. Any failure to read or write the cache (a read-only home, a full disk, an entry
    cut short) falls back to parsing: the cache changes no answer, only how fast it comes.
    """
    folder = cache_dir()
    entry = folder / f"{hashlib.sha256(_DISK_FORMAT + raw).hexdigest()}.json" if folder else None
    if entry is not None:
        try:
            return json.loads(entry.read_bytes(), object_hook=_decode_dates)
        except (OSError, ValueError):
            pass  # absent or unreadable: parse, and write it anew
    data = read_yaml(raw)
    if entry is not None:
        _store(entry, data)
    return data


def _store(entry: Path, data: Any) -> None:
    try:
        text = json.dumps(data, default=_encode_dates, separators=(",", ":"))
        if json.loads(text, object_hook=_decode_dates) != data:
            return  # a mapping shaped like an encoded date, or a value JSON cannot carry
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = entry.with_name(f".{entry.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, entry)  # atomic: a reader sees the whole entry or none
        finally:
            tmp.unlink(missing_ok=True)  # a full disk leaves no partial file behind
        entries = sorted(entry.parent.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for old in entries[: max(0, len(entries) - DISK_ENTRIES)]:
            old.unlink(missing_ok=True)
    except (OSError, TypeError, ValueError):
        return


def _encode_dates(value: object) -> object:
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    raise TypeError(f"{type(value).__name__} is not a YAML value")


def _decode_dates(obj: dict[str, Any]) -> object:
    if len(obj) == 1:
        if "$date" in obj:
            return dt.date.fromisoformat(obj["$date"])
        if "$datetime" in obj:
            return dt.datetime.fromisoformat(obj["$datetime"])
    return obj
