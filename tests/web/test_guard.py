"""Who may call the server and how much one request may cost (web/guard.py, web/server.py; issue 10)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from wheretorun.web import app as web
from wheretorun.web import guard, server
from wheretorun.web.app import create_app
from wheretorun.web.guard import Lane, Limits, host_name

ONE = {"workloads": [{"name": "a", "role": "glue", "requests_per_month": 1000}]}


def client(limits: Limits | None = None, host: str = "127.0.0.1:8000") -> TestClient:
    return TestClient(create_app(limits), base_url=f"http://{host}", raise_server_exceptions=False)


# ------------------------------------------------------------------------------------------ Host
@pytest.mark.parametrize(
    ("limits", "host", "status"),
    [
        (Limits(), "127.0.0.1:8000", 200),  # loopback by address
        (Limits(), "localhost:8000", 200),  # loopback by name
        (Limits(), "[::1]:8000", 200),  # IPv6 loopback, bracketed with a port
        (Limits(), "LOCALHOST", 200),  # host names are case-insensitive
        (Limits(), "evil.example:8000", 400),  # a DNS-rebinding page's own name
        (Limits(), "127.0.0.1.evil.example", 400),  # a loopback-looking prefix is not loopback
        (Limits.for_host("0.0.0.0"), "10.1.2.3:8000", 400),  # every interface names no host
        (Limits.for_host("10.1.2.3"), "10.1.2.3:8000", 200),  # the host it was started with
        (Limits.for_host("127.0.0.1", ("wtr.internal",)), "wtr.internal", 200),  # --allow-host
        (Limits.for_host("127.0.0.1", ("*",)), "anything.example", 200),  # --allow-host '*'
    ],
)
def test_host_header_is_checked(limits: Limits, host: str, status: int) -> None:
    r = client(limits, host).post("/v1/recommend", json=ONE)
    assert r.status_code == status, r.text
    if status == 400:
        assert r.json()["error"] == "invalid Host header"
        assert "--allow-host" in r.json()["problems"][0]["message"]


@pytest.mark.parametrize(
    ("value", "name"),
    [("127.0.0.1:8000", "127.0.0.1"), ("[::1]:80", "::1"), ("::1", "::1"), ("Example.COM", "example.com")],
)
def test_host_name_drops_port_and_brackets(value: str, name: str) -> None:
    assert host_name(value) == name


# ------------------------------------------------------------------ cross-site: Origin, media type
def test_the_issues_cross_origin_text_plain_post_is_refused() -> None:
    # issue 10: a page elsewhere POSTed text/plain with a foreign Host, and it was processed
    c = client(host="attacker.example")
    r = c.post(
        "/v1/view", content=b'{"workloads": []}', headers={"content-type": "text/plain", "origin": "http://x"}
    )
    assert r.status_code == 400
    r = client().post(
        "/v1/view",
        content=b'{"workloads": []}',
        headers={"content-type": "text/plain", "origin": "http://attacker.example"},
    )
    assert r.status_code == 403
    assert r.json()["error"] == "cross-origin request refused"


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        ("http://127.0.0.1:8000", 200),  # the page this server serves
        ("http://localhost:8000", 200),
        ("https://attacker.example", 403),
        ("null", 403),  # a sandboxed frame or a file:// page
    ],
)
def test_a_post_from_another_origin_is_refused(origin: str, status: int) -> None:
    r = client().post("/v1/recommend", json=ONE, headers={"origin": origin})
    assert r.status_code == status


@pytest.mark.parametrize(
    ("path", "content_type", "status"),
    [
        ("/v1/recommend", "application/json", 200),
        ("/v1/recommend", "application/json; charset=utf-8", 200),
        ("/v1/recommend", "text/plain", 415),  # CORS-simple: a foreign page can send it unasked
        ("/v1/recommend", "application/x-www-form-urlencoded", 415),  # an HTML form's
        ("/v1/recommend", "multipart/form-data; boundary=x", 415),
        ("/v1/recommend", None, 415),
        ("/v1/recommend", "application/yaml", 415),  # YAML only where text is parsed
        ("/v1/parse", "application/yaml", 200),
        ("/v1/parse", "application/json", 200),
        ("/v1/parse", "text/plain", 415),
    ],
)
def test_post_bodies_must_be_json(path: str, content_type: str | None, status: int) -> None:
    headers = {"content-type": content_type} if content_type else {}
    import json

    r = client().post(path, content=json.dumps(ONE).encode(), headers=headers)
    assert r.status_code == status, r.text
    if status == 415:
        assert r.json()["error"] == "unsupported media type"
        assert "application/json" in r.json()["problems"][0]["message"]


# ----------------------------------------------------------------------------------------- lanes
def test_lane_admits_queues_in_order_and_refuses_when_full() -> None:
    async def scenario() -> list[str]:
        lane = Lane("t", running=1, queued=2)
        order: list[str] = []
        assert lane.try_enter() is True  # running: 1 of 1
        first, second = lane.try_enter(), lane.try_enter()  # queued: 2 of 2
        assert lane.try_enter() is False  # full
        assert not isinstance(first, bool) and not isinstance(second, bool)

        async def waiter(name: str, fut: asyncio.Future[None]) -> None:
            await lane.wait(fut)
            order.append(name)
            lane.leave()

        tasks = [asyncio.create_task(waiter("first", first)), asyncio.create_task(waiter("second", second))]
        await asyncio.sleep(0)
        lane.leave()  # hands the slot to "first", which hands it to "second"
        await asyncio.gather(*tasks)
        assert lane.active == 0 and not lane.waiters
        return order

    assert asyncio.run(scenario()) == ["first", "second"]


def test_a_cancelled_waiter_gives_up_its_place() -> None:
    async def scenario() -> int:
        lane = Lane("t", running=1, queued=1)
        lane.try_enter()
        fut = lane.try_enter()
        assert not isinstance(fut, bool)
        task = asyncio.create_task(lane.wait(fut))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        lane.leave()
        return lane.active

    assert asyncio.run(scenario()) == 0  # nobody holds the slot a cancelled waiter would have had


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Requests that compute wait for this event (in their worker thread), as a slow render would."""
    event = threading.Event()
    real = web._recommend

    def slow(*args: object, **kw: object):  # type: ignore[no-untyped-def]
        event.wait(30)
        return real(*args, **kw)

    monkeypatch.setattr(web, "_recommend", slow)
    return event


async def _post(app, path: str = "/v1/recommend", **kw):  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        return await c.post(path, json=ONE, **kw)


def test_a_full_server_answers_503_with_retry_after(gate: threading.Event) -> None:
    app = create_app(Limits(max_requests=2, concurrency=1, retry_after_s=3))

    async def scenario():  # type: ignore[no-untyped-def]
        running = asyncio.create_task(_post(app))
        queued = asyncio.create_task(_post(app))  # admitted; waits for the one computing slot
        await asyncio.sleep(0.3)
        refused = await _post(app)  # two in flight: no room
        gate.set()
        return refused, await running, await queued

    refused, running, queued = asyncio.run(scenario())
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "3"
    assert refused.json()["error"] == "server busy"
    assert "requests: 2 running and 0 waiting" in refused.json()["problems"][0]["message"]
    assert (running.status_code, queued.status_code) == (200, 200)


def test_heavy_renders_have_their_own_lane(gate: threading.Event) -> None:
    app = create_app(Limits(heavy=1, heavy_queue=0))

    async def scenario():  # type: ignore[no-untyped-def]
        render = asyncio.create_task(_post(app, "/v1/render?format=html"))
        await asyncio.sleep(0.3)
        second_render = await _post(app, "/v1/view")
        markdown = asyncio.create_task(_post(app, "/v1/render?format=markdown"))  # no chart: not refused
        await asyncio.sleep(0.3)
        gate.set()
        return second_render, await markdown, await render

    second_render, markdown, render = asyncio.run(scenario())
    assert second_render.status_code == 503
    assert markdown.status_code == 200
    assert render.status_code == 200


def test_a_request_past_its_deadline_gets_504_and_its_work_keeps_its_lane(gate: threading.Event) -> None:
    app = create_app(Limits(request_timeout_s=0.5, max_requests=1))

    async def scenario():  # type: ignore[no-untyped-def]
        t = time.monotonic()
        late = await _post(app)
        waited = time.monotonic() - t
        busy = await _post(app)  # the abandoned work still runs: no room yet
        gate.set()
        for _ in range(100):  # the background work ends and frees its lane
            await asyncio.sleep(0.05)
            ok = await _post(app)
            if ok.status_code != 503:
                break
        return late, waited, busy, ok

    late, waited, busy, ok = asyncio.run(scenario())
    assert late.status_code == 504
    assert late.json()["error"] == "request timed out"
    assert "--request-timeout" in late.json()["problems"][0]["message"]
    assert waited < 5  # answered at the deadline, not when the work ended (the gate's 30 s)
    assert busy.status_code == 503
    assert ok.status_code == 200


def test_a_body_trickled_slower_than_its_deadline_gets_408() -> None:
    app = create_app(Limits(body_timeout_s=0.3))

    async def trickle():  # type: ignore[no-untyped-def]
        yield b'{"workloads": ['
        await asyncio.sleep(3)
        yield b"]}"

    async def scenario():  # type: ignore[no-untyped-def]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            return await c.post(
                "/v1/recommend", content=trickle(), headers={"content-type": "application/json"}
            )

    r = asyncio.run(scenario())
    assert r.status_code == 408
    assert "did not arrive within 0.3 s (15 bytes came)" in r.json()["problems"][0]["message"]


def test_big_documents_compute_a_few_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three 6-workload documents at once with ``big=1`` compute one after another, and a
    one-workload document sent after them is answered before the last of them."""
    app = create_app(Limits(big=1))
    now, most = 0, 0
    lock = threading.Lock()
    real = web._recommend

    def counted(wf, *args, **kw):  # type: ignore[no-untyped-def]
        nonlocal now, most
        if len(wf.workloads) == 1:
            return real(wf, *args, **kw)
        with lock:
            now += 1
            most = max(most, now)
        time.sleep(1.0)
        with lock:
            now -= 1
        return real(wf, *args, **kw)

    monkeypatch.setattr(web, "_recommend", counted)
    big = {"workloads": [{"name": f"w{i}", "role": "glue", "requests_per_month": 1000} for i in range(6)]}
    done: list[str] = []

    async def scenario() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", timeout=60) as c:

            async def post(doc: dict, name: str) -> int:
                r = await c.post("/v1/recommend", json=doc)
                done.append(name)
                return r.status_code

            bigs = [asyncio.create_task(post(big, "big")) for _ in range(3)]
            await asyncio.sleep(0.3)
            return [await post(ONE, "small"), *[await b for b in bigs]]

    assert asyncio.run(scenario()) == [200, 200, 200, 200]
    assert most == 1  # never two big documents computing together
    assert done.index("small") < 2  # it waited for no more than the big one already computing


# ---------------------------------------------------------------- slow clients on a real server
@pytest.fixture
def live(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    import uvicorn

    monkeypatch.setattr(server.HeaderTimeoutProtocol, "header_timeout_s", 0.5)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        create_app(), host="127.0.0.1", port=port, http=server.HeaderTimeoutProtocol, log_level="warning"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield port
    srv.should_exit = True
    thread.join(10)


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        return sock.recv(1024) == b""
    except TimeoutError:
        return False


def test_slow_headers_and_silent_connections_are_closed(live: int) -> None:
    with (
        socket.create_connection(("127.0.0.1", live)) as silent,
        socket.create_connection(("127.0.0.1", live)) as slow,
    ):
        slow.sendall(b"POST /v1/recommend HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the rest
        assert _closed_within(silent, 5)
        assert _closed_within(slow, 5)
    r = httpx.post(f"http://127.0.0.1:{live}/v1/recommend", json=ONE, timeout=60)
    assert r.status_code == 200  # a client that sends its request in time is served


def test_a_keep_alive_connection_serves_requests_past_the_header_deadline(live: int) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{live}", timeout=60) as c:
        for _ in range(3):  # one connection, 0.4 s apart: 1.2 s > the 0.5 s header deadline
            assert c.get("/healthz").status_code == 200
            time.sleep(0.4)


def test_memory_is_given_back_when_the_last_request_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    from wheretorun.web import guard

    calls: list[float] = []
    monkeypatch.setattr(guard, "release_memory", lambda: calls.append(time.monotonic()))
    app = create_app()

    async def scenario() -> None:
        for _ in range(3):  # three requests back to back: one release (at most one per 2 s) ...
            assert (await _post(app)).status_code == 200
        await asyncio.sleep(0.5)
        assert len(calls) == 1
        await asyncio.sleep(2.5)  # ... and one more after the burst, for what the others freed

    asyncio.run(scenario())
    assert len(calls) == 2
    assert calls[1] - calls[0] >= 1.9  # (each is timed as it runs, in a thread: a few ms late)


def test_serve_workers_get_the_limits_through_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # `serve --workers N`: uvicorn starts each worker from an import string, so the limits travel
    # in the environment; each worker's app must have exactly the limits serve was given
    limits = Limits.for_host("10.0.0.7", ("wtr.internal",), request_timeout_s=9.5, concurrency=3)
    monkeypatch.setenv(server.LIMITS_ENV, limits.to_json())
    assert server.app_from_env().state.limits == limits
    assert limits.allowed_hosts == ("localhost", "127.0.0.1", "::1", "10.0.0.7", "wtr.internal")


# --------------------------------------------------------------------------- memory after load
# Each runs in a fresh interpreter: the allocator's arenas are per process, and the limit only
# holds for threads started after it.
ARENAS = """
import ctypes, os, sys, tempfile, threading
from wheretorun.web import guard
if sys.argv[1] == "limit":
    assert guard.limit_malloc_arenas()
libc = ctypes.CDLL("libc.so.6")
libc.fdopen.restype = ctypes.c_void_p
barrier, held = threading.Barrier(7), []
def work():
    held.append(bytearray(200_000))  # a C allocation in this thread: it takes an arena
    barrier.wait()
threads = [threading.Thread(target=work) for _ in range(6)]
for t in threads:
    t.start()
barrier.wait()
with tempfile.TemporaryFile() as f:  # malloc_info(3): one <heap nr=N> element per arena
    fp = libc.fdopen(os.dup(f.fileno()), b"w")
    libc.malloc_info(0, ctypes.c_void_p(fp))
    libc.fclose(ctypes.c_void_p(fp))
    f.seek(0)
    print(f.read().decode().count("<heap nr="))
for t in threads:
    t.join()
"""

TRIM = """
from pathlib import Path
from wheretorun.web import guard
def rss_mb():
    status = Path("/proc/self/status").read_text()
    return int(next(l for l in status.splitlines() if l.startswith("VmRSS:")).split()[1]) / 1024
chunks = [bytearray(64 * 1024) for _ in range(2000)]  # 125 MiB below the mmap threshold: the heap
pin = bytearray(64 * 1024)  # above them, so free() cannot shrink the heap from its top
del chunks
before = rss_mb()
guard.release_memory()
print(before - rss_mb())
"""


def _python(source: str, *args: str) -> str:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", source, *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


glibc_only = pytest.mark.skipif(
    guard._mallopt is None or guard._trim is None, reason="the C library is not glibc"
)


@glibc_only
def test_limit_malloc_arenas_keeps_threads_to_two_arenas() -> None:
    # six threads allocating at once: glibc gives each its own arena (the main one + 6 = 7) ...
    assert int(_python(ARENAS, "none")) == 7
    # ... unless the process is limited first: the main arena and one the threads share
    assert int(_python(ARENAS, "limit")) == guard.MALLOC_ARENAS == 2


@glibc_only
def test_release_memory_gives_freed_heap_pages_back() -> None:
    # 125 MiB freed but kept by the allocator (a live block above it); released, RSS falls by most
    assert float(_python(TRIM)) > 100


def test_memory_calls_do_nothing_without_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guard, "_trim", None)
    monkeypatch.setattr(guard, "_mallopt", None)
    guard.release_memory()  # musl, macOS: no malloc_trim, nothing to do, no error
    assert guard.limit_malloc_arenas() is False


def test_serve_limits_the_arenas_before_the_server_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    calls: list[str] = []
    monkeypatch.setattr(server, "limit_malloc_arenas", lambda: calls.append("limit"))
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: calls.append("uvicorn"))
    server.run("127.0.0.1", 8000, Limits())
    assert calls == ["limit", "uvicorn"]
    calls.clear()
    monkeypatch.setenv(server.LIMITS_ENV, Limits().to_json())
    server.app_from_env()  # each process of `serve --workers N`
    assert calls == ["limit"]
