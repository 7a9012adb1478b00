"""The page in a real browser: Debian's Chromium driven by Playwright (never a downloaded browser).

Run: ``.venv/bin/python -m pytest tests/web/test_browser.py -m browser``. Skipped only when
/usr/bin/chromium is absent (``make test`` installs it with apt). Set WHERETORUN_SCREENSHOTS=docs/img
to refresh the README's screenshots.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "ai-product.yml"
TIMEOUT_MS = 30_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not installed (apt-get install chromium)"
    ),
]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    import uvicorn

    from wheretorun.web import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(), log_level="warning"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory, server: str) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=ARGS,
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
        )
        ctx.set_default_timeout(TIMEOUT_MS)
        outside: list[str] = []

        def only_local(route) -> None:  # type: ignore[no-untyped-def]
            url = route.request.url
            if url.startswith((server, "data:", "blob:", "file:")):
                route.continue_()
            else:
                outside.append(url)
                route.abort()

        ctx.route("**/*", only_local)
        ctx.outside = outside  # type: ignore[attr-defined]
        yield ctx
        ctx.close()


@pytest.fixture
def page(context):  # type: ignore[no-untyped-def]
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    pg.close()
    assert errors == [], errors
    assert context.outside == [], f"the page reached outside the server: {context.outside}"


def settle(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until the debounced update has been answered and rendered."""
    page.wait_for_function(
        "() => document.querySelector('#result').getAttribute('aria-busy') === 'false' && "
        "document.querySelector('#status').textContent === ''"
    )


def shot(page, tmp_path: Path, name: str, full_page: bool = False) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 10_000
    target = os.environ.get("WHERETORUN_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / name)
    return path


def test_answer_the_questions_and_read_the_recommendation(page, server: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with page.expect_response("**/v1/view?*") as first:
        page.goto(server + "/")
    settle(page)
    report = first.value.json()["report"]
    card = page.locator(".card.recommendation").first
    assert report["workloads"][0]["recommendation"]["platform"] in card.locator(".where").inner_text()

    page.select_option("select[name=role]", "inference")
    page.select_option("select[name=ops_capacity]", "platform")
    page.fill("input[name=model]", "llama-3.1-70b-instruct")
    with page.expect_response("**/v1/view?*") as answer:
        page.fill("input[name=requests_per_month]", "20000000")
    settle(page)
    sent = answer.value.request.post_data_json
    assert sent["team"]["ops_capacity"] == "platform"
    assert sent["workloads"][0]["requests_per_month"] == 20_000_000
    rec = answer.value.json()["report"]["workloads"][0]["recommendation"]
    where = card.locator(".where").inner_text()
    assert where.startswith(rec["platform"])
    total = f"${rec['monthly_cost_usd']['total']:,.2f}/month"
    assert total in card.inner_text()

    # the trace and the options table are on the page; charts only once asked for
    assert page.locator("ul.trace li").count() >= 5
    assert page.locator("tr.chosen").count() >= 1
    assert page.locator("figure.chart svg").count() == 0
    with page.expect_response("**/v1/view?charts=true"):
        page.click("#show-charts")
    settle(page)
    # a chart rendered: inline SVG with bar marks, named for a screen reader
    bars = page.locator('figure.chart[data-chart="cost-per-option"] svg g.mark-rect path')
    assert bars.count() >= 2
    assert page.get_by_role("img", name=re.compile(r"^Cost per option")).count() >= 1
    shot(page, tmp_path, "page-laptop.png")


def test_the_url_carries_the_state(page, context, server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/")
    settle(page)
    page.select_option("select[name=traffic]", "steady")
    page.fill("input[name=duration_s]", "1800")
    page.fill("input[name=requests_per_month]", "3000")
    # each answer is debounced on its own: wait for the URL to hold all three before reading it
    page.wait_for_url(re.compile(r"^(?=.*duration_s=1800)(?=.*requests_per_month=3000)(?=.*traffic=steady)"))
    settle(page)
    url = page.url
    where = page.locator(".card .where").first.inner_text()

    other = context.new_page()
    other.goto(url)
    settle(other)
    assert other.input_value("input[name=duration_s]") == "1800"
    assert other.input_value("select[name=traffic]") == "steady"
    assert other.locator(".card .where").first.inner_text() == where
    other.close()


def test_invalid_answers_point_at_the_field(page, server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/")
    settle(page)
    page.fill("input[name=peak_to_mean]", "0.5")
    page.wait_for_selector("#problems:not([hidden])")
    assert "workloads[0].peak_to_mean" in page.inner_text("#problems")
    assert "invalid" in (page.get_attribute("input[name=peak_to_mean]", "class") or "")
    page.fill("input[name=peak_to_mean]", "2")
    page.wait_for_selector("#problems", state="hidden")


def test_paste_a_workload_file_and_share_it(page, context, server: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/")
    settle(page)
    page.click("#tab-file")
    page.fill("#workload-text", EXAMPLE.read_text(encoding="utf-8"))
    page.wait_for_url(re.compile(r"mode=file#file="))
    page.wait_for_function("() => document.querySelectorAll('.card.recommendation').length === 4")
    settle(page)
    names = page.locator(".card h2").all_inner_texts()
    assert names == ["support-agent", "rag-retrieval", "summariser", "nightly-documents"]
    page.click("#show-charts")
    page.wait_for_function("() => document.querySelectorAll('figure.chart svg').length >= 6", timeout=120_000)
    settle(page)
    charts = page.locator("figure.chart svg")
    assert charts.count() >= 6
    shot(page, tmp_path, "page-file.png")

    other = context.new_page()
    other.goto(page.url)
    other.wait_for_function("() => document.querySelectorAll('.card.recommendation').length === 4")
    assert other.input_value("#workload-text") == EXAMPLE.read_text(encoding="utf-8")
    other.close()


def test_downloads(page, server: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/")
    settle(page)
    with page.expect_download() as md:
        page.click("#dl-md")
    text = Path(md.value.path()).read_text(encoding="utf-8")
    assert md.value.suggested_filename.endswith(".md")
    assert text.startswith("# Where the workloads") and "## Decision" in text
    with page.expect_download() as html:
        page.click("#dl-html")
    assert html.value.suggested_filename.endswith(".html")
    report = tmp_path / "report.html"
    shutil.copy(html.value.path(), report)
    # the downloaded report opens from disk, offline, with its charts
    page.goto(report.as_uri())
    assert page.locator("figure.chart svg g.mark-rect path").count() >= 2
    shot(page, tmp_path, "report.png")


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1366, 768)])
def test_no_sideways_scrolling_and_the_answer_first_on_a_phone(
    context, server: str, tmp_path: Path, width: int, height: int
) -> None:  # type: ignore[no-untyped-def]
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": height})
    page.goto(server + "/?role=orchestration&model=claude-3-5-haiku&weights=proprietary")
    settle(page)
    sizes = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert sizes[0] <= sizes[1], f"the page scrolls sideways at {width}px: {sizes}"
    if width >= 1366:  # on a laptop every table fits its panel (on a phone a wide one scrolls in place)
        tables = page.evaluate(
            "[...document.querySelectorAll('#report .scroll')].map(e => [e.scrollWidth, e.clientWidth, e.innerText.slice(0, 60)])"
        )
        assert tables and [t for t in tables if t[0] > t[1]] == []
    assert page.locator(".card .where").first.inner_text().startswith(("lambda", "step-functions"))
    if width < 860:  # the answer is on the first screen of a phone, above the questions
        top = page.evaluate("document.querySelector('.card.recommendation').getBoundingClientRect().top")
        assert top < height / 2, f"the answer starts {top}px down"
        shot(page, tmp_path, "page-phone.png")
    page.close()


def test_dropdowns_are_named_by_their_question(page, server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/")
    settle(page)
    for question, name in (
        ("1. Serving a model or orchestrating?", "role"),
        ("5. Traffic pattern", "traffic"),
        ("6. Can your team run GPU clusters at 3 a.m.?", "ops_capacity"),
    ):
        box = page.get_by_role("combobox", name=question, exact=True)
        assert box.get_attribute("name") == name


def test_a_stale_answer_is_dimmed_and_messages_do_not_overwrite_each_other(
    page, context, server: str
) -> None:  # type: ignore[no-untyped-def]
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(server + "/")
    settle(page)
    page.click("#copy-link")
    page.fill("input[name=requests_per_month]", "2000")  # an update answered while the notice shows
    settle(page)
    assert "link copied" in page.inner_text("#notices")
    page.fill("input[name=peak_to_mean]", "0.5")
    page.wait_for_selector("#problems:not([hidden])")
    assert "stale" in (page.get_attribute("#result", "class") or "")
    assert page.is_visible("#stale-note")
    opacity = page.evaluate("getComputedStyle(document.querySelector('#report')).opacity")
    assert float(opacity) < 0.6
    page.fill("input[name=peak_to_mean]", "2")
    page.wait_for_selector("#problems", state="hidden")
    settle(page)
    assert "stale" not in (page.get_attribute("#result", "class") or "") and not page.is_visible(
        "#stale-note"
    )


def test_growth_and_monte_carlo_from_the_form(page, server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/")
    settle(page)
    page.click("#advanced summary")
    page.fill("input[name=growth_pct]", "15")
    with page.expect_response("**/v1/view*") as answer:
        page.check("input[name=monte_carlo]")
    settle(page)
    sent = answer.value.request.post_data_json
    assert sent["growth"] == "15%/month" and sent["uncertainty"] == {"volume": [0.5, 2]}
    extras = answer.value.json()["report"]["workloads"][0]["extras"]
    assert extras.get("growth") and extras.get("uncertainty")


def test_api_docs_work_offline(page, server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/docs")
    page.wait_for_selector(".endpoint")
    titles = page.locator(".endpoint h3").all_inner_texts()
    assert any("/v1/recommend" in t for t in titles)
    assert any("/v1/catalog" in t for t in titles)
