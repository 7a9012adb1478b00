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

Besides caches: the two bypasses of pydantic's constructors (``construct``, ``rebuild``: both fill a
model's ``__dict__`` directly from values that were validated where they were computed) and the
splicing of a streamed JSON document (``splice_list``).
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import IO, Any, Generic, ParamSpec, TypeVar, cast

from pydantic import BaseModel

P = ParamSpec("P")
R = TypeVar("R")
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
M = TypeVar("M", bound=BaseModel)

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
