"""Running the app on uvicorn with bounded connections (``wheretorun serve``).

uvicorn bounds a connection's idle time between requests (``timeout_keep_alive``) and, with
``limit_concurrency``, how many it holds, but not how long a client may take to send a request's
headers: 500 connections that each sent half a header stayed open for good (issue 10).
``HeaderTimeoutProtocol`` closes a connection whose request headers are not complete within
``HEADER_TIMEOUT_S`` of its first byte (or of its opening); the body's time is ``guard.Limits``'.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from .guard import Limits, limit_malloc_arenas

HEADER_TIMEOUT_S = 10.0
KEEP_ALIVE_S = 5
MAX_CONNECTIONS = 200  # beyond: uvicorn answers 503 at once
MAX_HEADER_BYTES = 16 * 1024
WORKER_STARTUP_S = 60
LIMITS_ENV = "WHERETORUN_SERVE_LIMITS"  # how `serve --workers N` hands its limits to each worker


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol, plus a deadline for each request's headers."""

    header_timeout_s = HEADER_TIMEOUT_S

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_timer: asyncio.TimerHandle | None = None
        self._arm()

    def _waiting_for_headers(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self._waiting_for_headers() and not self.transport.is_closing():
            self.logger.info(
                "closing a connection whose request headers took over %g s", self.header_timeout_s
            )
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self._waiting_for_headers():
            self._arm()  # a (next) request has begun: its headers have until the deadline
        before = self.cycle
        super().data_received(data)
        if self.cycle is not before:  # its headers are complete: the body is the guard's to time
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._disarm()  # idle now: uvicorn's keep-alive timeout bounds it

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def app_from_env():
    """The app factory each ``serve --workers N`` process calls: the limits come in the environment."""
    from .app import create_app

    limit_malloc_arenas()  # before this worker's threads start (guard.py, "Memory back when idle")
    return create_app(Limits.from_json(os.environ[LIMITS_ENV]))


def run(host: str, port: int, limits: Limits, workers: int = 1, log_level: str = "info") -> None:
    """Serve until interrupted."""
    import uvicorn

    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": log_level,
        "server_header": False,
        "http": HeaderTimeoutProtocol,
        "timeout_keep_alive": KEEP_ALIVE_S,
        "limit_concurrency": MAX_CONNECTIONS,
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
    }
    if workers > 1:  # uvicorn starts the processes; each builds its app from the import string
        os.environ[LIMITS_ENV] = limits.to_json()
        uvicorn.run(
            "wheretorun.web.server:app_from_env",
            factory=True,
            workers=workers,
            # a worker answers uvicorn's health pings only once it has imported the app: seconds
            # on a busy machine, where uvicorn's 5 s default killed every worker as it started
            timeout_worker_healthcheck=WORKER_STARTUP_S,
            **options,
        )
    else:
        from .app import create_app

        limit_malloc_arenas()  # before the request threads start (guard.py, "Memory back when idle")
        uvicorn.run(create_app(limits), **options)


__all__ = ["HEADER_TIMEOUT_S", "HeaderTimeoutProtocol", "run"]
