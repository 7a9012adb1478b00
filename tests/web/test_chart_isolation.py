"""A crash or a hang in the chart library costs one chart, never the process (report/charts.py; issue 10).

vl-convert panicked and aborted the whole process on a control character in a label: the CLI's
``--format html`` exited 134 and the server died. Labels are now made safe, and the library runs
in worker processes: these tests make it really crash (an unsafe label let through) and hang.
"""

from __future__ import annotations

import os
import unicodedata

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from wheretorun.decide import recommend
from wheretorun.report import charts
from wheretorun.report.html import render_html
from wheretorun.spec.models import WorkloadFile
from wheretorun.web.app import create_app

ONE = {"workloads": [{"name": "search", "role": "glue", "requests_per_month": 1000}]}
BELL = {"workloads": [{"name": "a\u0007b", "role": "glue", "requests_per_month": 1000}]}
DRAWN = 2  # ONE's charts: cost per option and the capacity week (no model: no break-even curve)
XML_FORBIDDEN = {*range(0x20), 0x7F, *range(0x80, 0xA0), *range(0xD800, 0xE000), 0xFFFE, 0xFFFF}


@pytest.fixture
def client() -> TestClient:
    return TestClient(
        create_app(),
        base_url="http://127.0.0.1:8000",
        headers={"content-type": "application/json"},
        raise_server_exceptions=False,
    )


@pytest.fixture
def fresh_workers():  # type: ignore[no-untyped-def]
    """Each test starts and leaves with no chart worker running."""
    charts.stop_chart_workers()
    yield
    charts.stop_chart_workers()


def report_named(name: str):  # type: ignore[no-untyped-def]
    """A real report whose workload is called ``name`` (past the spec's name checks, as a library
    caller or a future field could bring one)."""
    report = recommend(WorkloadFile.model_validate(ONE), breakeven_curve=True)
    report.workloads[0] = report.workloads[0].model_copy(update={"name": name})
    return report


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("a\u0007b", "a\u2407b"),  # BEL: the panic of issue 10; its Control Picture
        ("a\x00b", "a\u2400b"),  # NUL
        ("tab\there", "tab\u2409here"),  # even tab and newline: a label is one line
        ("del\x7f", "del\u2421"),
        ("c1\x85", "c1\ufffd"),  # C1 control (NEL)
        ("half \ud800 pair", "half \ufffd pair"),  # a lone surrogate (JSON "\\ud800" decodes to one)
        ("non\ufffechar", "non\ufffdchar"),
        (
            "llama-3.1-8b (g5.xlarge) \u00e9\u4e2d\U0001f600",
            "llama-3.1-8b (g5.xlarge) \u00e9\u4e2d\U0001f600",
        ),
    ],
)
def test_safe_text(text: str, safe: str) -> None:
    assert charts.safe_text(text) == safe


@given(st.text())
def test_safe_text_leaves_nothing_xml_forbids_and_keeps_the_rest(text: str) -> None:
    out = charts.safe_text(text)
    assert len(out) == len(text)  # one for one: labels keep their shape
    assert not {ord(c) for c in out} & XML_FORBIDDEN
    for a, b in zip(text, out, strict=True):
        assert a == b or ord(a) in XML_FORBIDDEN


def test_safe_spec_reaches_every_string() -> None:
    spec = {"title": "a\x07", "data": {"values": [{"a\x01": ["x\x02", 1, None, 2.5]}]}}
    assert charts.safe_spec(spec) == {
        "title": "a\u2407",
        "data": {"values": [{"a\u2401": ["x\u2402", 1, None, 2.5]}]},
    }


def test_a_control_character_in_a_name_is_drawn_as_its_picture(fresh_workers: None) -> None:
    report = report_named("a\u0007b")
    drawable = sum(c.spec is not None for c in charts.charts_for(report))
    assert drawable >= 2  # cost per option, capacity week at least
    html = render_html(report)
    assert "could not be drawn" not in html
    assert html.count("<svg") == drawable
    assert "a\u2407b" in html  # in the chart titles, visibly


def test_the_issues_request_no_longer_kills_the_server(client: TestClient) -> None:
    # The spec may refuse the name (422 naming it); whatever it does, no 5xx, and the server serves.
    for path in ("/v1/view", "/v1/render?format=html"):
        r = client.post(path, json=BELL)
        assert r.status_code in (200, 422), r.text
        if r.status_code == 422:
            assert r.json()["problems"][0]["path"] == "workloads[0].name"
    assert client.post("/v1/view", json=ONE).status_code == 200


def test_a_crashing_chart_library_costs_the_chart_not_the_server(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, fresh_workers: None
) -> None:
    # Let an unsafe title through: vl-convert panics and aborts its process, as in issue 10.
    monkeypatch.setattr(charts, "safe_spec", lambda spec: {**spec, "title": "a\x07b"})
    r = client.post("/v1/view", json=ONE)
    assert r.status_code == 200
    html = r.json()["html"]
    assert "could not be drawn: the chart library crashed (SIGABRT)" in html
    assert "<svg" not in html
    r = client.post("/v1/render?format=html", json=ONE)
    assert r.status_code == 200
    assert "the chart library crashed (SIGABRT)" in r.text
    monkeypatch.undo()  # the library is well again: the next request draws its charts
    r = client.post("/v1/view", json=ONE)
    assert r.status_code == 200
    assert r.json()["html"].count("<svg") == DRAWN
    assert os.getpid()  # and this process, the server's, is still here to say so


def test_a_hanging_chart_library_is_stopped_at_its_timeout(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, fresh_workers: None
) -> None:
    monkeypatch.setattr(charts, "_WORKER_SOURCE", "import time; time.sleep(600)")
    monkeypatch.setattr(charts, "CHART_TIMEOUT_S", 1.0)
    r = client.post("/v1/render?format=html", json=ONE)
    assert r.status_code == 200
    assert r.text.count("took more than 1 s and was stopped") == DRAWN  # each chart given 1 s
    monkeypatch.undo()
    r = client.post("/v1/render?format=html", json=ONE)
    assert r.text.count("<svg") == DRAWN


def test_write_charts_names_the_chart_that_failed(
    tmp_path, monkeypatch: pytest.MonkeyPatch, fresh_workers: None
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(charts, "safe_spec", lambda spec: {**spec, "title": "a\x07b"})
    with pytest.raises(charts.ChartError, match=r"chart 01-search-cost-per-option \('search'\): .*crashed"):
        charts.write_charts(report_named("search"), tmp_path)


def test_stopping_ends_the_workers(fresh_workers: None) -> None:
    charts.start_chart_workers()
    worker = charts._idle[0]
    assert worker.alive()
    charts.stop_chart_workers()
    assert not worker.alive()


def test_a_killed_parent_leaves_no_chart_worker(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import signal
    import subprocess
    import sys
    import time

    script = (
        "import sys, time\n"
        "from wheretorun.report import charts\n"
        "charts.start_chart_workers()\n"
        "print(charts._idle[0].proc.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) as parent:
        assert parent.stdout is not None
        worker = int(parent.stdout.readline())
        os.kill(worker, 0)  # alive
        parent.send_signal(signal.SIGKILL)  # as kill -9: no atexit
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return  # gone (reaped by init)
        time.sleep(0.1)
    pytest.fail(f"chart worker {worker} outlived its killed parent")


def test_unicode_categories_of_the_pictures() -> None:
    # what a reader sees in place of a control character is a symbol, never another control
    assert {unicodedata.category(charts.safe_text(chr(c))) for c in range(0x20)} == {"So"}
