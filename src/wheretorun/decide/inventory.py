"""Answering an inventory of thousands of workloads on every core the machine gives us.

Workloads are independent: each report depends only on the workload file, the catalog and caches
that hold pure functions of their keys. So a file of ``PARALLEL_MIN_WORKLOADS`` or more is cut into
chunks of ``CHUNK`` workloads; forked worker processes answer some chunks while this process
answers the others, and the reports are put back in file order. The answers are the same whoever
computed them (tests/decide/test_inventory.py compares every byte of the JSON), and anything a
worker did not deliver -- it failed, was killed, or the pool could not start -- is computed here,
where an unexpected error surfaces exactly as it would in a single process.

Why by hand rather than ``ProcessPoolExecutor.map``: this process must work too (on two cores a
pool alone would leave one idle while the parent waits), chunks are handed out as workers free up
(an inventory mixes cheap and dear workloads), and reports travel in a form that is quick to load
(``_dumps``): pydantic's own pickling rebuilds each model through ``__setstate__`` and costs most of
what the worker saved. Where forking is unsafe (not Linux, or other threads running, as in the web
server) the file is answered here alone. ``WHERETORUN_WORKERS`` caps the number of processes (1: no
workers).

A worker dies with this process (``_die_with_parent``): ``kill -9`` of a ``recommend`` leaves no
worker behind holding its copy of the catalog and caches (140 MB each).
"""

from __future__ import annotations

import io
import os
import pickle
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from .._perf import rebuild
from ..errors import InputError, Problem

if TYPE_CHECKING:  # the pool's modules load when an inventory is large enough to share the work
    from concurrent.futures import Future, ProcessPoolExecutor

#: Below this many workloads one process answers (starting a worker costs more than it saves).
PARALLEL_MIN_WORKLOADS = 1000
#: Workloads per chunk: small enough that no process waits long for the last one.
CHUNK = 32
#: Most processes used, whatever the machine (the gain flattens while the memory grows).
MAX_PROCESSES = 8
#: Chunks queued per worker, so that a worker never waits for this process to hand it the next.
IN_FLIGHT = 3

Answer = Callable[[int], Any]  # workload index -> its report; raises InputError for bad input

#: The job the forked workers run: set before the pool forks them, so they inherit it (nothing of the
#: workload file, catalog or caches is pickled).
_job: Answer | None = None


def processes() -> int:
    """How many processes may answer: the cores this process may run on, within ``MAX_PROCESSES``
    and ``WHERETORUN_WORKERS``; 1 where forking is unsafe."""
    import multiprocessing

    if (
        sys.platform != "linux"
        or threading.active_count() > 1
        or multiprocessing.current_process().daemon  # a daemonic process may not have children
    ):
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    limit = MAX_PROCESSES
    setting = os.environ.get("WHERETORUN_WORKERS", "").strip()
    if setting.isdigit() and int(setting) >= 1:
        limit = int(setting)
    return max(1, min(cores, limit))


def answer_all(
    n: int, answer: Answer, on_progress: Callable[[int, int], None] | None = None
) -> tuple[list[Any], list[Problem]]:
    """(reports in file order, input problems in file order) of ``answer(i)`` for every ``i < n``."""
    workers = processes() - 1 if n >= PARALLEL_MIN_WORKLOADS else 0
    if workers < 1:
        return _answer_range(answer, 0, n, on_progress, n)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _job
    _job = answer
    try:
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_die_with_parent,
            initargs=(os.getpid(),),
        )
    except (OSError, ValueError):
        _job = None
        return _answer_range(answer, 0, n, on_progress, n)
    try:
        return _answer_shared(n, answer, pool, workers, on_progress)
    finally:
        _job = None
        pool.shutdown(wait=False, cancel_futures=True)


#: prctl(2) option: the signal this process gets when the thread that forked it ends
_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """In a worker, first thing: be killed (SIGKILL) when ``parent`` dies, however it dies.

    prctl(PR_SET_PDEATHSIG) fires when the forking thread ends; the pool forks from the calling
    (main) thread, so that is when the process ends. A parent already gone before the call (the
    race prctl(2) warns of) shows as a changed ``getppid()``: exit at once.
    """
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def _answer_range(
    answer: Answer,
    start: int,
    stop: int,
    on_progress: Callable[[int, int], None] | None = None,
    n: int = 0,
    done_before: int = 0,
) -> tuple[list[Any], list[Problem]]:
    reports: list[Any] = []
    problems: list[Problem] = []
    for i in range(start, stop):
        try:
            reports.append(answer(i))
        except InputError as e:
            problems += e.problems
        if on_progress:
            on_progress(done_before + i - start + 1, n)
    return reports, problems


def _answer_shared(
    n: int,
    answer: Answer,
    pool: ProcessPoolExecutor,
    workers: int,
    on_progress: Callable[[int, int], None] | None,
) -> tuple[list[Any], list[Problem]]:
    from concurrent.futures.process import BrokenProcessPool

    chunks = [(start, min(start + CHUNK, n)) for start in range(0, n, CHUNK)]
    results: list[tuple[list[Any], list[Problem]] | None] = [None] * len(chunks)
    sent: deque[tuple[int, Future]] = deque()
    next_chunk = 0
    done = 0
    pool_broken = False

    def collect(k: int, future: Future) -> None:
        nonlocal done, pool_broken
        try:
            results[k] = pickle.loads(future.result())
        except BrokenProcessPool:
            pool_broken = True  # its chunks are answered here below
        except Exception:  # answered here instead (below), where the error surfaces as usual
            pass
        else:
            done += chunks[k][1] - chunks[k][0]
            if on_progress:
                on_progress(done, n)

    while next_chunk < len(chunks):
        while sent and sent[0][1].done():
            collect(*sent.popleft())
        while not pool_broken and len(sent) < IN_FLIGHT * workers and next_chunk < len(chunks):
            start, stop = chunks[next_chunk]
            try:
                sent.append((next_chunk, pool.submit(_answer_chunk, start, stop)))
            except Exception:  # the pool cannot take work: the rest is answered here
                pool_broken = True
                break
            next_chunk += 1
        if next_chunk < len(chunks):
            start, stop = chunks[next_chunk]
            results[next_chunk] = _answer_range(answer, start, stop, on_progress, n, done)
            done += stop - start
            next_chunk += 1
    while sent:
        collect(*sent.popleft())
    reports: list[Any] = []
    problems: list[Problem] = []
    for k, result in enumerate(results):
        if result is None:  # a worker did not deliver it
            start, stop = chunks[k]
            result = _answer_range(answer, start, stop)
            done += stop - start
            if on_progress:
                on_progress(done, n)
        reports += result[0]
        problems += result[1]
    return reports, problems


def _answer_chunk(start: int, stop: int) -> bytes:
    """In a worker: one chunk's (reports, problems), pickled compactly (``_dumps``)."""
    assert _job is not None, "a worker runs only inside answer_all"
    return _dumps(_answer_range(_job, start, stop))


# ---- compact pickling of report models --------------------------------------------------------------
class _ModelPickler(pickle.Pickler):
    """Pickles a pydantic model as its class and ``__dict__`` (rebuilt by ``_perf.rebuild``), not through
    ``__getstate__``/``__setstate__`` (whose Python ``__setstate__`` made loading a worker's reports
    cost most of what computing them did): about as many bytes, an eighth of the time to load."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, BaseModel) and obj.__pydantic_extra__ is None and obj.__pydantic_private__ is None:
            fields_set = obj.__pydantic_fields_set__
            return rebuild, (
                type(obj),
                obj.__dict__,
                None if len(fields_set) == len(obj.__dict__) else fields_set,
            )
        return NotImplemented


def _dumps(value: Any) -> bytes:
    buf = io.BytesIO()
    _ModelPickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buf.getvalue()
