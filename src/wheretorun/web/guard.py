"""What stands between a request and the library: who may call, what they may send, how much work
one request may cost, and for how long (issue 10).

- **Host** must be a loopback name or a host the server was started with (``serve --host``,
  ``--allow-host``): a DNS-rebinding page that points its own name at 127.0.0.1 is refused (400).
- **Origin**, when a browser sends one with a POST, must be such a host too (403): a page on another
  site in the user's browser cannot drive the server.
- **POST bodies are JSON** (``application/json``; ``/v1/parse`` also takes YAML as
  ``application/yaml``), else 415: a browser sends those types cross-site only after a CORS
  preflight, which this server never grants, so no "simple" cross-site form or ``text/plain``
  POST reaches the library.
- **Lanes.** A request that finds no room gets 503 with ``Retry-After`` at once instead of
  waiting without bound. What draws charts (``/v1/view``, ``/v1/render?format=html``: seconds
  each) runs in the ``heavy`` lane (``heavy`` at once, ``heavy_queue`` waiting); everything else
  is admitted up to ``max_requests`` in flight. Once its body is read, a request computes in the
  ``small`` lane (``concurrency`` at once) or, for a document of more than ``BIG_DOCUMENT``
  workloads, the ``big`` lane (``big`` at once): on two cores a 50-workload document takes half
  a second of the one interpreter lock, and a 20 ms request must not queue behind them (issue 10:
  44 chart renders made a 20 ms request wait 25 s; under 32 clients p99 was 8.6 s).
- **Deadline.** A request that has no answer after ``request_timeout_s`` (its waits included)
  gets 504 and is cancelled: a wait ends at once, but Python cannot stop a thread, so work already
  computing finishes in the background, still holding its lanes: under overload new requests get
  503, not a pile-up.
- **Body read time.** The body must arrive within ``body_timeout_s`` (408): a client trickling
  bytes cannot hold a lane. Header read time and idle connections are bounded in ``server.py``.
- **Memory back when idle.** When the last request in flight ends, the heap's free pages go back
  to the system (``release_memory``): a burst of 50-workload documents (1.9 MB answers each) left
  the server 60 % larger for good, freed by Python but kept by the C allocator. And ``serve``
  keeps the C allocator to ``MALLOC_ARENAS`` arenas (``limit_malloc_arenas``): glibc gives each
  new thread an arena of its own (up to 8 per core), so the request threads' freed memory sat in
  arenas other threads never reuse; after ``make bench``'s load the server kept 19 MB more in
  them (+22 % over idle in all; with two arenas, +12 to +15 %; docs/web.md, "Under load").
"""

from __future__ import annotations

import asyncio
import collections
import ctypes
import ctypes.util
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("wheretorun.web")

#: Names that always mean this machine.
LOOPBACK = ("localhost", "127.0.0.1", "::1")
#: Hosts that mean "every interface": binding one of them does not name the host clients use.
ANY_INTERFACE = ("0.0.0.0", "::", "")
JSON_TYPES = ("application/json",)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")
#: Documents with more workloads than this compute a few at a time (``Limits.big``).
BIG_DOCUMENT = 5


@dataclass(frozen=True)
class Limits:
    """The server's limits; ``wheretorun serve`` sets them from its flags (docs/web.md, "serve flags")."""

    allowed_hosts: tuple[str, ...] = LOOPBACK
    request_timeout_s: float = 60.0
    body_timeout_s: float = 10.0
    max_requests: int = 128  # in flight (chart renders apart): beyond, 503
    concurrency: int = 8  # small documents computing at once; the others wait their turn
    big: int = 1  # documents of more than BIG_DOCUMENT workloads computing at once
    heavy: int = 2  # chart renders running at once (the chart workers draw one chart each at a time)
    heavy_queue: int = 4
    retry_after_s: int = 2
    chart_workers: int = 1  # processes drawing charts (report/charts.py)
    chart_timeout_s: float = 30.0  # per chart

    @classmethod
    def for_host(cls, host: str, extra: tuple[str, ...] = (), **kw: Any) -> Limits:
        """The limits of a server bound to ``host``: loopback names, ``host`` itself unless it is
        "every interface", and ``extra`` (``"*"`` allows any Host)."""
        hosts = [*LOOPBACK, *([] if host in ANY_INTERFACE else [host]), *extra]
        return cls(allowed_hosts=tuple(dict.fromkeys(h.lower().strip("[]") for h in hosts)), **kw)

    def to_json(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def from_json(cls, text: str) -> Limits:
        data = json.loads(text)
        data["allowed_hosts"] = tuple(data["allowed_hosts"])
        return cls(**data)


@dataclass
class Lane:
    """At most ``running`` at once, at most ``queued`` waiting in arrival order; no more.

    Plain counters and futures rather than an ``asyncio.Semaphore``: a waiter's future is woken on
    its own loop, so one lane serves every event loop of a process (a test client starts one per
    request), and ``try_enter`` answers "full" without waiting.
    """

    name: str
    running: int
    queued: int
    active: int = 0
    waiters: collections.deque[asyncio.Future[None]] = field(default_factory=collections.deque)

    def try_enter(self) -> asyncio.Future[None] | bool:
        """True: a slot is taken; False: lane and queue are full; a future: queued, done when a slot
        is handed over."""
        if self.active < self.running and not self.waiters:
            self.active += 1
            return True
        if len(self.waiters) >= self.queued:
            return False
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        return waiter

    async def wait(self, waiter: asyncio.Future[None]) -> None:
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter in self.waiters:
                self.waiters.remove(waiter)
            elif waiter.done() and not waiter.cancelled():
                self.leave()  # the slot was handed over as we were cancelled: pass it on
            raise

    def leave(self) -> None:
        """Hand the slot to the first waiter still waiting, else free it."""
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.get_loop().call_soon_threadsafe(self._hand_over, waiter)
                return
        self.active -= 1

    def _hand_over(self, waiter: asyncio.Future[None]) -> None:
        if waiter.done():  # cancelled between leave() and now
            self.leave()
        else:
            waiter.set_result(None)

    async def __aenter__(self) -> None:
        entered = self.try_enter()
        if entered is False:
            raise LaneFull(self.name)
        if entered is not True:
            await self.wait(entered)

    async def __aexit__(self, *exc: object) -> None:
        self.leave()


class LaneFull(Exception):
    pass


def _glibc(name: str):
    """glibc's function ``name``, or None where the C library is not glibc (musl, macOS: their
    allocators differ, and have neither ``malloc_trim`` nor ``mallopt``)."""
    try:
        return getattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), name)
    except (OSError, AttributeError):
        return None


_trim = _glibc("malloc_trim")
_mallopt = _glibc("mallopt")
M_ARENA_MAX = -8  # mallopt's parameter number (glibc malloc.h)
#: C allocator arenas a server process keeps (``limit_malloc_arenas``): the main thread's and one
#: for the request threads. Python's interpreter lock already serialises nearly every allocation,
#: so more arenas buy no parallelism, only memory that one thread freed and no other reuses.
MALLOC_ARENAS = 2


def release_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc ``malloc_trim(0)``:
    https://man7.org/linux/man-pages/man3/malloc_trim.3.html). Not ``gc.collect()``: a full
    collection holds the interpreter for a tenth of a second, which the next request would wait."""
    if _trim is not None:
        _trim(0)  # ctypes lets go of the interpreter lock for the call


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Keep glibc's allocator to ``arenas`` arenas in this process (``mallopt(M_ARENA_MAX)``, as the
    ``MALLOC_ARENA_MAX`` environment variable would at start:
    https://www.gnu.org/software/libc/manual/html_node/Memory-Allocation-Tunables.html). Call it
    before the threads that allocate start: a thread keeps the arena it was given. True if set
    (False where the C library is not glibc: nothing to do)."""
    return _mallopt is not None and _mallopt(M_ARENA_MAX, arenas) == 1


def _json(status: int, error: str, message: str, headers: dict[str, str] | None = None) -> ASGIApp:
    from fastapi.responses import JSONResponse

    body = {"error": error, "problems": [{"file": "<request>", "path": "", "message": message}]}
    return JSONResponse(body, status_code=status, headers=headers)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def host_name(value: str) -> str:
    """The host of a Host header or of an Origin's authority, without port or brackets, lowercase."""
    value = value.strip().lower()
    if value.startswith("["):  # [::1]:8000
        return value[1 : value.find("]")] if "]" in value else value
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


def media_type(scope: Scope) -> str:
    return (_header(scope, b"content-type") or "").split(";", 1)[0].strip().lower()


class Guard:
    """The checks and lanes above, as ASGI middleware (outermost: before anything reads the body)."""

    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app = app
        self.limits = limits
        self.any_host = "*" in limits.allowed_hosts
        self.hosts = set(limits.allowed_hosts)
        self.requests = Lane("requests", limits.max_requests, 0)
        self.heavy = Lane("chart renders", limits.heavy, limits.heavy_queue)
        self.last_release = 0.0
        self.release_pending = False

    def _refusal(self, scope: Scope) -> ASGIApp | None:
        host = _header(scope, b"host")
        if not self.any_host and (host is None or host_name(host) not in self.hosts):
            allowed = ", ".join(sorted(self.hosts))
            return _json(
                400,
                "invalid Host header",
                f"Host {host!r} is not one this server answers to ({allowed}); "
                "start it with `wheretorun serve --allow-host NAME` to add one",
            )
        if scope["method"] not in ("POST", "PUT", "PATCH", "DELETE"):
            return None
        origin = _header(scope, b"origin")
        if origin is not None and not self.any_host:
            origin_host = host_name(urlsplit(origin).netloc) if origin != "null" else "null"
            if origin_host not in self.hosts:
                return _json(
                    403,
                    "cross-origin request refused",
                    f"a page from {origin} may not call this server; open the page it serves instead",
                )
        media_types = JSON_TYPES + (YAML_TYPES if scope["path"] == "/v1/parse" else ())
        got = media_type(scope)
        if got not in media_types:
            return _json(
                415,
                "unsupported media type",
                f"the body is {got or 'of no declared type'}; send it as {' or '.join(media_types)} "
                "(Content-Type header)",
            )
        return None

    def _lane(self, scope: Scope) -> Lane | None:
        path = scope["path"]
        if path == "/healthz" or scope["method"] in ("OPTIONS", "HEAD"):
            return None
        if path == "/v1/view":
            return self.heavy
        if path == "/v1/render":
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            if "html" in query.get("format", []):
                return self.heavy
        return self.requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        lane = self._lane(scope)
        if lane is None:
            await self.app(scope, receive, send)
            return
        entered = lane.try_enter()
        if entered is False:
            busy = _json(
                503,
                "server busy",
                f"{lane.name}: {lane.running} running and {lane.queued} waiting, the most this server "
                f"takes; retry in {self.limits.retry_after_s} s",
                {"Retry-After": str(self.limits.retry_after_s)},
            )
            await busy(scope, receive, send)
            return
        await self._run_with_deadline(lane, entered, scope, receive, send)

    async def _run_with_deadline(
        self, lane: Lane, entered: asyncio.Future[None] | bool, scope: Scope, receive: Receive, send: Send
    ) -> None:
        state = {"started": False, "abandoned": False}

        async def guarded_send(message: Message) -> None:
            if state["abandoned"]:
                return  # the client already has its 504
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        async def run() -> None:
            if entered is not True:
                await lane.wait(entered)  # type: ignore[arg-type]
            try:
                await self.app(scope, receive, guarded_send)
            finally:
                lane.leave()
                self._idle_check()

        task = asyncio.ensure_future(run())
        done, _ = await asyncio.wait({task}, timeout=self.limits.request_timeout_s)
        if task in done:
            task.result()
            return
        state["abandoned"] = True
        task.cancel()  # a wait ends now; a thread already computing finishes first
        task.add_done_callback(_retrieve)
        log.warning(
            "%s %s: no answer after %g s; answered 504 (work already computing finishes unseen)",
            scope["method"],
            scope["path"],
            self.limits.request_timeout_s,
        )
        if not state["started"]:
            await _json(
                504,
                "request timed out",
                f"no answer within {self.limits.request_timeout_s:g} s (`wheretorun serve "
                "--request-timeout`); try fewer workloads per request, or the CLI",
            )(scope, receive, send)

    def _idle_check(self) -> None:
        """When the last request in flight has ended, give memory back: at most every 2 s (in a
        thread: it takes milliseconds), and once more 2 s after the last of a burst."""
        if self.requests.active or self.heavy.active:
            return
        loop = asyncio.get_running_loop()
        wait = self.last_release + 2 - time.monotonic()
        if wait > 0:
            if not self.release_pending:
                self.release_pending = True
                loop.call_later(wait, self._retry_release)
            return
        self.last_release = time.monotonic()
        loop.run_in_executor(None, release_memory)

    def _retry_release(self) -> None:
        self.release_pending = False
        self._idle_check()


def _retrieve(task: asyncio.Future[None]) -> None:
    """Read an abandoned task's outcome so asyncio does not warn that nobody did; log a failure."""
    if not task.cancelled() and task.exception() is not None:
        log.error("an abandoned request failed", exc_info=task.exception())


__all__ = [
    "BIG_DOCUMENT",
    "LOOPBACK",
    "MALLOC_ARENAS",
    "Guard",
    "Lane",
    "LaneFull",
    "Limits",
    "host_name",
    "limit_malloc_arenas",
    "release_memory",
]
