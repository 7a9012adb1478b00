"""The web shell: a REST API and one page over the same library the CLI uses.

``POST /v1/recommend`` answers exactly what ``recommend --format json`` prints (the contract JSON,
``Report.to_json_dict()``). Invalid input gets the CLI's problems (field path and message) as a
422; malformed JSON a 400; bodies over ``MAX_BODY_BYTES`` a 413 before they are read in full, or
not in full within ``Limits.body_timeout_s`` a 408; anything unexpected a logged 500 without a
stack trace. Who may call and how much one request may cost is ``guard.py``'s (Host, Origin,
JSON-only POSTs, lanes with 503 and Retry-After, a 504 deadline). Every asset the page needs ships in
``web/static``: the app works with no internet (the OpenAPI page too: FastAPI's default /docs
loads Swagger UI from a CDN, so a local page renders /openapi.json instead).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import InputError, Problem
from ..spec.loader import _json_int, decode_bytes, parse_text, path_from_loc, validate_data
from ..spec.models import WorkloadFile
from .guard import BIG_DOCUMENT, Guard, Lane, LaneFull, Limits

log = logging.getLogger("wheretorun.web")

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_WORKLOADS = 50  # per request: each is priced on every platform and charted; a CLI run has no cap
BODY = "<request body>"
FileName = Annotated[
    str,
    Query(
        min_length=1,
        max_length=200,
        description="The name problems and the report give the workload file (as the CLI gives its path).",
    ),
]
STATIC = files("wheretorun.web") / "static"

# The page and the docs load only what this server serves; inline SVG needs inline style attributes.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


class BodyTooLarge(Exception):
    pass


class MalformedBody(Exception):
    def __init__(self, file: str, message: str):
        super().__init__(message)
        self.file = file
        self.message = message


def _error(status: int, error: str, problems: list[dict[str, str]] | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "problems": problems or []}, status_code=status)


def _too_large(size: int | None) -> JSONResponse:
    got = f"{size:,} bytes" if size is not None else f"more than {MAX_BODY_BYTES:,} bytes"
    msg = f"the request body is {got}; the limit is {MAX_BODY_BYTES:,} bytes"
    return _error(413, "request body too large", [Problem(BODY, "", msg).as_dict()])


class BodyLimit:
    """Refuse bodies over ``max_bytes``: by Content-Length before reading, else while reading.

    The body is buffered (at most ``max_bytes``) and replayed to the app, so a chunked upload
    with no Content-Length cannot grow memory without bound.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES, timeout_s: float = 10.0):
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = -1
            if declared < 0:
                await _error(400, "invalid Content-Length header")(scope, receive, send)
                return
            if declared > self.max_bytes:
                await _too_large(declared)(scope, receive, send)
                return
        chunks: list[bytes] = []
        total = 0
        deadline = asyncio.get_running_loop().time() + self.timeout_s
        while True:
            try:  # a client trickling its body cannot hold a lane
                message = await asyncio.wait_for(receive(), deadline - asyncio.get_running_loop().time())
            except TimeoutError:
                msg = f"the request body did not arrive within {self.timeout_s:g} s ({total:,} bytes came)"
                await _error(408, "request body too slow", [Problem(BODY, "", msg).as_dict()])(
                    scope, receive, send
                )
                return
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > self.max_bytes:
                await _too_large(None)(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _json_body(request: Request, name: str) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise MalformedBody(name, "the request body is empty; send the workload file as JSON")
    text = decode_bytes(raw, name)
    try:
        return json.loads(text, parse_int=_json_int)  # a 5,000-digit integer: 422 at its field
    except json.JSONDecodeError as e:
        raise MalformedBody(name, f"invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
    except RecursionError:
        raise MalformedBody(name, "refused: the JSON nests too deeply") from None


def _workload_file(data: Any, name: str) -> WorkloadFile:
    wf = validate_data(data, name)  # the CLI's validation, so the same paths and messages
    problems = []
    if len(wf.workloads) > MAX_WORKLOADS:
        problems.append(
            Problem(
                name,
                "workloads",
                f"{len(wf.workloads):,} workloads; the web API takes at most {MAX_WORKLOADS} per request "
                "(the CLI has no such limit)",
            )
        )
    for i, w in enumerate(wf.workloads):
        if w.traffic_profile is not None:
            problems.append(
                Problem(
                    name,
                    f"workloads[{i}].traffic_profile",
                    "the web API cannot read files on the server; omit traffic_profile (use traffic and "
                    "peak_to_mean) or run `wheretorun recommend FILE` where the CSV is",
                )
            )
    if problems:
        raise InputError(problems)
    return wf


def _recommend(wf: WorkloadFile, name: str, charts: bool = False):
    """The report; ``charts``: with the chart data, for the HTML page and report."""
    from ..decide import recommend

    return recommend(wf, file=name, breakeven_curve=charts)


def _workload_schema() -> tuple[dict[str, Any], dict[str, Any]]:
    """The workload file's JSON Schema as an OpenAPI component plus its nested definitions."""
    schema = WorkloadFile.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    return schema, defs


def _body(ref: str = "WorkloadFile") -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "description": "The workload file as JSON (the same fields as the YAML file).",
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
        }
    }


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "problems"],
    "properties": {
        "error": {"type": "string"},
        "problems": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["file", "path", "message"],
                "properties": {
                    "file": {"type": "string"},
                    "path": {"type": "string", "description": "Field path such as workloads[0].duration_s"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}
ERRORS: dict[str | int, dict[str, Any]] = {
    str(code): {
        "description": text,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    for code, text in (
        (400, "Malformed JSON or an empty body."),
        (413, f"Body over {MAX_BODY_BYTES:,} bytes."),
        (422, "Invalid input: one problem per field, as the CLI prints them."),
    )
}


def _static(name: str, media_type: str) -> Response:
    return Response(
        (STATIC / name).read_bytes(), media_type=media_type, headers={"Content-Security-Policy": CSP}
    )


async def _computed(request: Request, data: Any, work, charts: bool = False):
    """``work()`` in a thread (validation included: never on the event loop), once its lane has
    room: ``big`` for a document of more than ``BIG_DOCUMENT`` workloads, else ``small``; a chart
    render (``charts``) is already limited by the guard's lane of its own."""
    if charts:
        return await run_in_threadpool(work)
    workloads = data.get("workloads") if isinstance(data, dict) else None
    big = isinstance(workloads, list) and len(workloads) > BIG_DOCUMENT
    lane: Lane = request.app.state.big_lane if big else request.app.state.small_lane
    async with lane:
        return await run_in_threadpool(work)


def _warm_charts(limits: Limits) -> None:
    """Start the chart workers and draw one tiny chart, so that the first page does not wait the
    second or two vl-convert takes to start."""
    from ..report.charts import ChartError, start_chart_workers, to_svg

    start_chart_workers(limits.chart_workers, limits.chart_timeout_s)
    try:
        to_svg({"mark": "point", "data": {"values": [{"x": 1}]}, "encoding": {"x": {"field": "x"}}})
    except ChartError as e:  # the page says so per chart; the server serves anyway
        log.warning("charts: %s", e)


def create_app(limits: Limits | None = None) -> FastAPI:
    """The app; ``limits``: who may call and how much a request may cost (default: loopback
    clients only, the defaults of ``Limits``)."""
    from .. import __version__

    limits = limits or Limits()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=_warm_charts, args=(limits,), daemon=True, name="charts").start()
        yield
        from ..report.charts import stop_chart_workers

        stop_chart_workers()

    app = FastAPI(
        title="wheretorun",
        version=__version__,
        summary="Where should each part of your AI system run on AWS, and what will it really cost?",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.limits = limits
    # every request the guard admits may wait in these: they never refuse one
    app.state.small_lane = Lane("small documents", limits.concurrency, limits.max_requests)
    app.state.big_lane = Lane("big documents", limits.big, limits.max_requests)

    # ---------------------------------------------------------------- errors
    @app.exception_handler(InputError)
    async def _input_error(_: Request, e: InputError) -> JSONResponse:
        return _error(422, "invalid input", [p.as_dict() for p in e.problems])

    @app.exception_handler(MalformedBody)
    async def _malformed(_: Request, e: MalformedBody) -> JSONResponse:
        return _error(400, "malformed request body", [Problem(e.file, "", e.message).as_dict()])

    @app.exception_handler(RequestValidationError)
    async def _bad_params(_: Request, e: RequestValidationError) -> JSONResponse:
        problems = [
            Problem("<request>", path_from_loc(tuple(err["loc"])), str(err["msg"])).as_dict()
            for err in e.errors()
        ]
        return _error(422, "invalid request parameters", problems)

    @app.exception_handler(ValidationError)
    async def _invalid(request: Request, e: ValidationError) -> JSONResponse:
        # a model validated inside the library: still the user's input, named by its field path
        file = request.query_params.get("file", BODY)
        problems = [
            Problem(file, path_from_loc(tuple(err["loc"])), str(err["msg"])).as_dict() for err in e.errors()
        ]
        return _error(422, "invalid input", problems)

    @app.exception_handler(LaneFull)
    async def _full(_: Request, e: LaneFull) -> JSONResponse:
        retry = str(limits.retry_after_s)
        response = _error(503, "server busy", [Problem("<request>", "", f"{e}: no room; retry").as_dict()])
        response.headers["Retry-After"] = retry
        return response

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, e: StarletteHTTPException) -> JSONResponse:
        return _error(e.status_code, str(e.detail))

    @app.exception_handler(Exception)
    async def _internal(request: Request, e: Exception) -> JSONResponse:
        # No stack trace leaves the server (it goes to the log); the type names what broke.
        log.error("%s %s failed", request.method, request.url.path, exc_info=e)
        return _error(
            500, f"internal error ({type(e).__name__}); please report it with the input that caused it"
        )

    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES, timeout_s=limits.body_timeout_s)
    app.add_middleware(Guard, limits=limits)  # added last: runs first

    # ---------------------------------------------------------------- API
    @app.post(
        "/v1/recommend",
        summary="Recommend where each workload runs (the JSON of `recommend --format json`)",
        openapi_extra=_body(),
        responses={"200": {"description": "The contract JSON of `recommend --format json`."}, **ERRORS},
    )
    async def recommend_endpoint(request: Request, file: FileName = BODY) -> Response:
        data = await _json_body(request, file)

        def run() -> bytes:
            # the very bytes of `recommend --format json`, serialised once (an inventory's are MBs)
            return _recommend(_workload_file(data, file), file).to_json_bytes()

        return Response(await _computed(request, data, run), media_type="application/json")

    @app.post(
        "/v1/render",
        summary="The decision record (Markdown) or the self-contained HTML report, as a download",
        openapi_extra=_body(),
        responses={
            "200": {
                "description": "The document.",
                "content": {
                    "text/markdown": {"schema": {"type": "string"}},
                    "text/html": {"schema": {"type": "string"}},
                },
            },
            **ERRORS,
        },
    )
    async def render_endpoint(
        request: Request,
        format: Literal["markdown", "html"] = Query("markdown", description="markdown or html"),
        file: FileName = BODY,
    ) -> Response:
        data = await _json_body(request, file)

        def run() -> Response:
            from ..report import render

            report = _recommend(_workload_file(data, file), file, charts=format == "html")
            text = render(report, format)
            ext, media = ("md", "text/markdown") if format == "markdown" else ("html", "text/html")
            name = f"wheretorun-decision-{dt.date.today().isoformat()}.{ext}"
            return Response(
                text,
                media_type=f"{media}; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )

        return await _computed(request, data, run, charts=format == "html")

    @app.post(
        "/v1/view",
        summary="For the page: the contract JSON plus the report body (HTML with inline SVG charts)",
        openapi_extra=_body(),
        responses={"200": {"description": "{report, html}"}, **ERRORS},
    )
    async def view_endpoint(
        request: Request,
        file: FileName = BODY,
        charts: bool = Query(
            True,
            description="false: the report without its charts, in tens of milliseconds (the page asks "
            "for the charts only when they are shown; rendering them takes seconds)",
        ),
    ) -> JSONResponse:
        data = await _json_body(request, file)

        def run() -> dict[str, Any]:
            from ..report.html import render_fragment

            report = _recommend(_workload_file(data, file), file, charts=charts)
            return {"report": report.to_json_dict(), "html": render_fragment(report, charts=charts)}

        return JSONResponse(await _computed(request, data, run, charts=True))

    @app.post(
        "/v1/parse",
        summary="Parse a workload file (YAML or JSON text) into JSON, validated",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/yaml": {"schema": {"type": "string"}},
                    "application/json": {"schema": {"type": "object"}},
                },
            }
        },
        responses={"200": {"description": "{workload: the file as JSON}"}, **ERRORS},
    )
    async def parse_endpoint(request: Request, file: FileName = BODY) -> JSONResponse:
        raw = await request.body()

        def run() -> dict[str, Any]:
            data = parse_text(decode_bytes(raw, file), file)
            _workload_file(data, file)
            return {"workload": data}

        return JSONResponse(await _computed(request, None, run))

    @app.post(
        "/v1/size",
        summary="Memory and throughput of a model on accelerators (the JSON of `size --json`)",
        openapi_extra=_body("SizeRequest"),
        responses={"200": {"description": "The JSON of `wheretorun size --json`."}, **ERRORS},
    )
    async def size_endpoint(request: Request, file: FileName = BODY) -> JSONResponse:
        data = await _json_body(request, file)
        return JSONResponse(await _computed(request, None, lambda: size_json(data, file)))

    @app.get("/v1/catalog", summary="The price catalog in use (as `prices show --json`), or its models")
    def catalog_endpoint(
        region: str = Query("us-east-1", max_length=40, description="AWS region"),
        service: str | None = Query(
            None, max_length=60, description="One service (lambda, ec2, ...) or 'models'"
        ),
    ) -> JSONResponse:
        return JSONResponse(catalog_doc(region, service))

    @app.get("/v1/schema", summary="JSON Schema of the workload file (as `wheretorun schema`)")
    def schema_endpoint() -> JSONResponse:
        from ..spec import json_schema

        return JSONResponse(json_schema())

    @app.get("/v1/choices", summary="Allowed values for the page's form (from the spec and the catalog)")
    def choices_endpoint() -> JSONResponse:
        return JSONResponse(choices())

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    # ---------------------------------------------------------------- page
    @app.get("/", include_in_schema=False)
    def index() -> Response:
        return _static("index.html", "text/html; charset=utf-8")

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        return _static("docs.html", "text/html; charset=utf-8")

    @app.get("/report.css", include_in_schema=False)
    def report_css() -> PlainTextResponse:
        from ..report.html import REPORT_CSS

        return PlainTextResponse(REPORT_CSS, media_type="text/css")

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
            wf, defs = _workload_schema()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(defs)
            components["WorkloadFile"] = wf
            size_schema = SizeRequest.model_json_schema(ref_template="#/components/schemas/{model}")
            components["SizeRequest"] = size_schema
            components["Error"] = ERROR_SCHEMA
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


class SizeRequest(BaseModel):
    """The body of ``POST /v1/size``: the options of ``wheretorun size`` as JSON fields."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    model: str | None = Field(None, max_length=200, description="Catalog model id, e.g. llama-3.1-8b.")
    params_b: float | None = Field(None, description="Billions of parameters (architecture estimated).")
    precision: str = Field("bf16", max_length=20, description="fp32, bf16, fp16, fp8, int8 or int4.")
    gpu: str | None = Field(None, max_length=40, description="Accelerator, e.g. A10G, L4, H100, Inferentia2.")
    gpus: int | None = Field(None, description="How many (tensor parallel); default: fewest that fit.")
    context: int | None = Field(None, description="Context tokens per sequence.")
    batch: int | None = Field(None, description="Concurrent sequences (default 1).")
    input_tokens: int | None = Field(None, description="Prompt tokens per request.")
    output_tokens: int | None = Field(None, description="Output tokens per request.")


def size_json(data: Any, name: str) -> dict[str, Any]:
    """``wheretorun size --json`` for a JSON body; the CLI's checks, its flags named as body fields."""
    from pydantic import ValidationError

    from ..sizing.request import resolve_size_request
    from ..spec.loader import problems_from_validation

    if not isinstance(data, dict):
        raise InputError([Problem(name, "", "expected a JSON object with the fields of `wheretorun size`")])
    try:
        req = SizeRequest.model_validate(data)
    except ValidationError as e:
        raise InputError(problems_from_validation(e, name, SizeRequest)) from None
    try:
        result = resolve_size_request(
            req.model,
            req.params_b,
            req.precision,
            req.gpu,
            req.gpus,
            req.context,
            req.batch,
            req.input_tokens,
            req.output_tokens,
        )
    except InputError as e:
        raise InputError(
            [
                Problem(name, p.file.lstrip("-").replace("/--", "/").replace("-", "_"), p.message)
                for p in e.problems
            ]
        ) from None
    return result.to_json_dict()


def catalog_doc(region: str, service: str | None) -> dict[str, Any]:
    """The same document as ``wheretorun prices show --json [--service S] [--region R]``."""
    from ..catalog.listing import price_document, services, today
    from ..catalog.store import SUPPORTED_REGIONS, load_catalog
    from ..errors import did_you_mean

    if region not in SUPPORTED_REGIONS:
        raise InputError(
            [
                Problem(
                    "<request>",
                    "query.region",
                    f"region '{region}' is not in the catalog{did_you_mean(region, SUPPORTED_REGIONS)}; "
                    f"allowed: {', '.join(SUPPORTED_REGIONS)}",
                )
            ]
        )
    catalog = load_catalog(region)
    known = services(catalog)
    if service is not None and service not in known:
        raise InputError(
            [
                Problem(
                    "<request>",
                    "query.service",
                    f"unknown service '{service}'{did_you_mean(service, known)}; known: {', '.join(known)}",
                )
            ]
        )
    return price_document(catalog, region, service, today())


def choices() -> dict[str, Any]:
    """Allowed values of the form's selects, read from the spec's types and the catalog."""
    from typing import get_args

    from ..catalog.store import SUPPORTED_REGIONS, load_catalog
    from ..spec import models as m

    return {
        "regions": list(SUPPORTED_REGIONS),
        "roles": list(get_args(m.Role)),
        "ops_capacity": list(get_args(m.OpsCapacity)),
        "weights": list(get_args(m.Weights)),
        "precision": list(get_args(m.Precision)),
        "traffic": list(get_args(m.Traffic)),
        "gpu": list(get_args(m.GpuNeed)),
        "trigger": list(get_args(m.Trigger)),
        "models": load_catalog().model_ids(),
    }


app = create_app()
