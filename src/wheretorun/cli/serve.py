"""`wheretorun serve`: the web page and REST API (FastAPI on uvicorn), on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

from typing import Annotated

import typer

from .._perf import start_up_done
from ..errors import InputError, Problem, missing_extra
from .app import app, err_console, guarded


@app.command("serve")
def serve_cmd(
    host: Annotated[
        str, typer.Option("--host", help="Interface to bind; 0.0.0.0 exposes the page to your network.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port (1-65535).")] = 8000,
    workers: Annotated[
        int, typer.Option("--workers", help="Server processes (uvicorn workers); about one per core.")
    ] = 1,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-host",
            help="Another Host name clients may use (repeatable; '*' allows any). Loopback names and "
            "--host are always allowed.",
        ),
    ] = None,
    request_timeout: Annotated[
        float, typer.Option("--request-timeout", help="Seconds before a request is answered 504.")
    ] = 60.0,
    concurrency: Annotated[
        int,
        typer.Option("--concurrency", help="Small documents computed at once per process; others wait."),
    ] = 8,
    max_requests: Annotated[
        int, typer.Option("--max-requests", help="Requests in flight per process; beyond them, 503.")
    ] = 128,
    chart_workers: Annotated[
        int, typer.Option("--chart-workers", help="Processes drawing charts (per server process).")
    ] = 1,
) -> None:
    """Serve the page (the seven questions, shareable results) and the REST API.

    Examples:

      wheretorun serve                 # then open http://127.0.0.1:8000/

      curl -s -X POST http://127.0.0.1:8000/v1/recommend -H 'content-type: application/json' -d @system.json
    """

    def run() -> None:
        start_up_done()  # a server runs for weeks: the collector resumes before it starts
        problems = []
        if not 1 <= port <= 65535:
            problems.append(Problem("--port", "", f"port {port} is out of range; allowed: 1-65535"))
        for flag, value, low, high in (
            ("--workers", workers, 1, 64),
            ("--concurrency", concurrency, 1, 1024),
            ("--max-requests", max_requests, 1, 100_000),
            ("--chart-workers", chart_workers, 1, 16),
        ):
            if not low <= value <= high:
                problems.append(Problem(flag, "", f"{value} is out of range; allowed: {low}-{high}"))
        if not 1 <= request_timeout <= 3600:
            problems.append(Problem("--request-timeout", "", f"{request_timeout:g} s; allowed: 1-3600 s"))
        if problems:
            raise InputError(problems)
        try:
            import uvicorn  # noqa: F401  (checked here even when the web modules are already loaded)

            from ..web.guard import Limits
            from ..web.server import run as run_server
        except ImportError as e:
            raise missing_extra("web", "serve", e.name) from None
        if unusable := _cannot_listen(host, port):
            raise InputError([Problem(*unusable)])
        limits = Limits.for_host(
            host,
            tuple(allow_host or ()),
            request_timeout_s=request_timeout,
            concurrency=concurrency,
            max_requests=max_requests,
            chart_workers=chart_workers,
        )
        err_console().print(f"wheretorun: serving on http://{host}:{port}/ (API docs at /docs); Ctrl-C stops")
        run_server(host, port, limits, workers=workers)

    guarded(run)


def _cannot_listen(host: str, port: int) -> tuple[str, str, str] | None:
    """(flag, "", why) when the server could not listen on ``host:port``, found before it starts:
    uvicorn logs the failure and exits with status 3, which is ``--fail-above``'s budget status."""
    import errno
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as e:
        return "--host", "", f"cannot listen on {host}: not an address of this machine ({e})"
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                return (
                    "--port",
                    "",
                    f"cannot listen on {host}:{port}: the port is in use; choose another --port",
                )
            return (
                "--host",
                "",
                f"cannot listen on {host}:{port}: {e.strerror or e}; choose another --host or --port",
            )
    return None
