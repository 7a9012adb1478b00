"""`wheretorun serve`: the web page and REST API (FastAPI on uvicorn), on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import InputError, Problem, missing_extra
from .app import app, err_console, guarded


@app.command("serve")
def serve_cmd(
    host: Annotated[
        str, typer.Option("--host", help="Interface to bind; 0.0.0.0 exposes the page to your network.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port (1-65535).")] = 8000,
) -> None:
    """Serve the page (the seven questions, shareable results) and the REST API.

    Examples:

      wheretorun serve                 # then open http://127.0.0.1:8000/

      curl -s -X POST http://127.0.0.1:8000/v1/recommend -H 'content-type: application/json' -d @system.json
    """

    def run() -> None:
        if not 1 <= port <= 65535:
            raise InputError([Problem("--port", "", f"port {port} is out of range; allowed: 1-65535")])
        try:
            import uvicorn

            from ..web import create_app
        except ImportError as e:
            raise missing_extra("web", "serve", e.name) from None
        err_console.print(f"wheretorun: serving on http://{host}:{port}/ (API docs at /docs); Ctrl-C stops")
        uvicorn.run(create_app(), host=host, port=port, log_level="info", server_header=False)

    guarded(run)
