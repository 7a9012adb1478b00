"""The HTML report is one self-contained file with the record's content and its charts inline."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from wheretorun.report.charts import NOT_COMPUTED, charts_for, write_charts
from wheretorun.report.html import render_fragment, render_html
from wheretorun.report.model import Report

FIXTURES = Path(__file__).parent / "fixtures"
DAY = dt.date(2026, 11, 22)
URL_ATTRS = {"src", "href", "srcset", "data", "action", "poster", "xlink:href"}


def load(name: str) -> Report:
    return Report.model_validate(json.loads((FIXTURES / name).read_text(encoding="utf-8")))


class Resources(HTMLParser):
    """Every tag, and every attribute that makes a browser fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in URL_ATTRS and value:
                self.urls.append((tag, name, value))


def external_references(html: str) -> list[str]:
    """What a browser would fetch from the network: URL attributes, CSS url() and @import."""
    p = Resources()
    p.feed(html)
    found = [f"{t} {n}={v}" for t, n, v in p.urls if not v.startswith(("#", "data:"))]
    found += re.findall(r"url\(\s*['\"]?(?!data:|#)[^)]*\)", html)
    found += re.findall(r"@import", html)
    return found


@pytest.fixture(scope="module")
def extras_html() -> str:
    return render_html(load("ai-product-extras.json"), today=DAY)


def test_self_contained_no_network_at_view_time(extras_html: str) -> None:
    assert external_references(extras_html) == []
    p = Resources()
    p.feed(extras_html)
    assert "script" not in p.tags and "link" not in p.tags and "iframe" not in p.tags
    assert "<style>" in extras_html and '<meta name="viewport"' in extras_html


def test_the_detector_catches_a_cdn() -> None:
    assert external_references('<script src="https://cdn.example/x.js"></script>') != []
    assert external_references("<style>@import 'x.css'</style>") != []


def test_every_chart_is_inline_svg_with_marks(extras_html: str) -> None:
    figures = re.findall(r'<figure class="chart" data-chart="([a-z-]+)">(.*?)</figure>', extras_html, re.S)
    drawn = {key for key, body in figures if "<svg" in body}
    assert {"cost-per-option", "cost-vs-volume", "capacity-week", "growth", "uncertainty"} <= drawn
    for _, body in figures:
        if "<svg" in body:
            assert re.search(r'class="mark-(rect|line|symbol|rule|tick|text)', body), "a chart without marks"


def test_missing_analyses_say_so() -> None:
    html = render_html(load("ai-product.json"), today=DAY)
    assert f"Traffic against provisioned capacity over a week: {NOT_COMPUTED}." in html
    assert f"Monte Carlo cost spread: {NOT_COMPUTED}." in html


def test_report_carries_the_record(extras_html: str) -> None:
    for text in (
        "Where the workloads of ai-product run on AWS",
        "Options considered",
        "Why: question by question",
        "When to revisit",
        "$17,212.83",
        "20,000,000 x GB-seconds",
        "$0.0000166667",
        "Growth projection, model layer",
        "Cost spread, model layer (Monte Carlo)",
    ):
        assert text in extras_html, text


def test_names_are_escaped_not_executed() -> None:
    report = load("ai-product.json")
    report.workloads[0].name = '<script>alert("x")</script>'
    html = render_fragment(report, today=DAY)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_charts_for_says_why_a_chart_is_missing() -> None:
    charts = charts_for(load("ai-product.json"))
    assert len(charts) == 4 * 5
    agent = {c.key: c for c in charts if c.workload == "support-agent"}
    assert agent["cost-per-option"].spec is not None
    assert agent["capacity-week"].spec is None and agent["capacity-week"].reason == NOT_COMPUTED


def test_growth_chart_skips_the_months_an_option_is_over_its_quota() -> None:
    """An option over its quota in force has no total that month (null); the chart drew float(None)
    and the HTML report crashed for every file with --growth where a quota is passed."""
    from wheretorun.report.charts import growth

    report = load("ai-product-extras.json")
    w = next(w for w in report.workloads if w.name == "summariser")
    assert w.growth is not None
    option = w.growth.layers[0].options[0]
    option.monthly_total_usd[-3:] = [None, None, None]  # over its quota from month 22 of 24
    spec = growth(w)
    assert spec is not None

    def rows(node):  # every inline data row of the spec
        if isinstance(node, dict):
            yield from node.get("values", []) if isinstance(node.get("values"), list) else []
            for v in node.values():
                yield from rows(v)
        elif isinstance(node, list):
            for v in node:
                yield from rows(v)

    points = [r for r in rows(spec) if "usd" in r and r["option"] == option.key]
    assert [row["month"] for row in points] == list(range(1, 22))


def test_write_charts_writes_svg_and_png(tmp_path: Path) -> None:
    report = load("ai-product-extras.json")
    report.workloads = [w for w in report.workloads if w.name == "summariser"]
    paths = write_charts(report, tmp_path / "charts")
    names = sorted(p.name for p in paths)
    assert names == sorted(
        f"01-summariser-{key}.{ext}"
        for key in ("cost-per-option", "cost-vs-volume", "capacity-week", "growth", "uncertainty")
        for ext in ("svg", "png")
    )
    for p in paths:
        data = p.read_bytes()
        assert data.startswith(b"\x89PNG") if p.suffix == ".png" else data.startswith(b"<svg")


def test_an_inventory_charts_its_costliest_workloads_only() -> None:
    """Five charts a workload take vl-convert a quarter of a second: an inventory of thousands gets
    charts for its 20 costliest workloads, and every other workload says why it has none."""
    from wheretorun import load_workloads, recommend
    from wheretorun.report.model import DETAILED_UP_TO

    workloads = [
        {"name": f"job-{i:02d}", "role": "glue", "requests_per_month": 10_000 * (i + 1)} for i in range(24)
    ]
    report = recommend(load_workloads({"workloads": workloads}), breakeven_curve=True)
    charts = charts_for(report)
    charted = {c.workload for c in charts if c.key != "charts"}
    costliest = sorted(report.workloads, key=lambda w: w.recommendation.monthly_cost_usd.total, reverse=True)
    assert charted == {w.name for w in costliest[:DETAILED_UP_TO]}
    skipped = [c for c in charts if c.key == "charts"]
    assert {c.workload for c in skipped} == {w.name for w in costliest[DETAILED_UP_TO:]}
    assert all(c.spec is None and "20 costliest of the 24 workloads" in c.reason for c in skipped)
    html = render_html(report, today=DAY)
    assert html.count("20 costliest of the 24 workloads") == 4


def test_growth_and_monte_carlo_draw_each_layer_on_its_own_axis() -> None:
    """support-agent's model layer (thousands a month) and its code layer (hundreds) would flatten
    each other on one axis: two charts, stacked, each with its own dollar scale."""
    from wheretorun.report.charts import growth, uncertainty

    report = load("ai-product-extras.json")
    agent = next(w for w in report.workloads if w.name == "support-agent")
    for build, axis in ((growth, "y"), (uncertainty, "x")):
        spec = build(agent)
        assert len(spec["vconcat"]) == 2 and spec["resolve"]["scale"][axis] == "independent"
    single = next(w for w in report.workloads if w.name == "summariser")
    assert "vconcat" not in growth(single) and "vconcat" not in uncertainty(single)


def test_every_chart_has_a_text_alternative(extras_html: str) -> None:
    svgs = re.findall(r"<svg[^>]*>(?:<title>[^<]*</title>)?", extras_html)
    assert svgs
    for svg in svgs:
        assert 'role="img"' in svg and 'aria-label="' in svg and "<title>" in svg, svg[:300]
