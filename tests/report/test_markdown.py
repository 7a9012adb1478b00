"""The Markdown decision record: every section an architect commits, numbers with units, exact to the report."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from wheretorun.report import render
from wheretorun.report.adr import quantity, unit_price, usd
from wheretorun.report.markdown import render_markdown
from wheretorun.report.model import Report

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = Path(__file__).parent / "golden"
DAY = dt.date(2026, 11, 22)


def load(name: str) -> Report:
    return Report.model_validate(json.loads((FIXTURES / name).read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def report() -> Report:
    return load("ai-product.json")


@pytest.fixture(scope="module")
def md(report: Report) -> str:
    return render_markdown(report, today=DAY)


def test_record_has_the_sections_of_an_adr(md: str) -> None:
    for heading in (
        "# Where the workloads of the AI system run on AWS",
        "- Status: proposed",
        "- Date: 2026-11-22",
        "## Context",
        "## Decision",
        "#### Options considered",
        "#### Why: question by question",
        "#### Consequences",
        "#### Break-even volume",
        "#### When to revisit",
        "#### Assumptions and warnings",
        "#### Cost lines:",
    ):
        assert heading in md, heading
    assert "prices as of 2026-11-22 (oldest figure 2023-12-31)" in md
    assert "ops capacity: limited; engineer rate: $120.00/hour" in md


def test_decision_table_matches_the_report_to_the_cent(report: Report, md: str) -> None:
    for w in report.workloads:
        mc = w.recommendation.monthly_cost_usd
        assert mc is not None
        row = next(
            line for line in md.splitlines() if line.startswith(f"| {w.name} | {w.recommendation.platform}")
        )
        assert f"| {usd(mc.infra)} | {usd(mc.ops)} | {usd(mc.total)} |" in row
    assert f"**{usd(report.total_monthly_cost_usd)}**" in md
    assert usd(report.total_monthly_cost_usd) == "$17,212.83"


def test_every_option_is_listed_and_blocked_ones_name_their_limit(report: Report, md: str) -> None:
    for w in report.workloads:
        for o in [*w.options, *w.model_options]:
            if not o.feasible:
                assert f"blocked: {o.blocked_by[0]}" in md.replace("\\|", "|")
    assert "| orchestration | **lambda** |  | $333.73 | $440.00 | $773.73 | chosen |" in md


def test_trace_is_complete(report: Report, md: str) -> None:
    for w in report.workloads:
        for step in w.trace:
            assert f"**{step.question}** {step.answer}." in md


def test_cost_lines_show_quantity_times_unit_price_and_source_date(report: Report, md: str) -> None:
    chosen = report.workloads[0].chosen
    assert chosen is not None
    for c in chosen.cost_components:
        assert c.quantity * c.unit_price_usd == pytest.approx(c.monthly_usd, abs=Decimal("0.01"))
        line = next(x for x in md.splitlines() if x.startswith(f"| {c.name}"))
        assert (
            f"| {quantity(c.quantity)} x {c.unit} | {unit_price(c.unit_price_usd)} | {usd(c.monthly_usd)} |"
            in line
        )
        assert f"({c.as_of})" in line
    assert "| 20,000,000 x GB-seconds | $0.0000166667 | $333.33 |" in md


def test_break_even_and_guideline_are_stated(md: str) -> None:
    assert (
        "No break-even found: self-hosting on ecs-ec2 stays dearer than Bedrock up to 10,000x today's volume"
        in md
    )
    assert "today: 14.4B tokens/month" in md
    assert "< 100M tokens/month Bedrock wins" in md


def test_optional_analyses_appear_when_computed() -> None:
    report = load("ai-product-extras.json")
    md = render_markdown(report, today=DAY)
    assert "# Where the workloads of ai-product run on AWS" in md
    spread = next(w for w in report.workloads if w.name == "summariser").uncertainty
    assert spread is not None
    bedrock = next(o for o in spread.layers[0].options if o.key == "bedrock")
    assert "#### Cost spread, model layer (Monte Carlo)" in md
    assert (
        f"| bedrock | {usd(bedrock.today_usd)} | {usd(bedrock.p10_usd)} | {usd(bedrock.p50_usd)} "
        f"| {usd(bedrock.p90_usd)} | {bedrock.p_cheapest * 100:.0f}% |"
    ) in md
    assert "#### Growth projection, model layer" in md
    assert "the cheapest option changes in month 18 (bedrock -> ecs-ec2 (p4d.24xlarge))" in md
    assert "- By month 10 at 15%/month growth (model layer):" in md


def test_table_cells_cannot_break_the_table(report: Report) -> None:
    data = report.model_copy(deep=True)
    data.workloads[0].name = "a|b\nc"
    md = render_markdown(data, today=DAY)
    assert "| a\\|b c | lambda |" in md


def test_render_dispatches_markdown(report: Report) -> None:
    assert render(report, "markdown").startswith("# Where the workloads")


def test_golden(report: Report, md: str, update_golden: bool) -> None:
    """The whole record for the example system; regenerate with --update-golden and read the diff."""
    path = GOLDEN / "ai-product.md"
    if update_golden:
        path.parent.mkdir(exist_ok=True)
        path.write_text(md, encoding="utf-8")
    assert md == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "example", sorted(p.name for p in (Path(__file__).resolve().parents[2] / "examples").glob("*.yml"))
)
def test_no_decision_record_states_a_negative_margin(example: str) -> None:
    """A workload moved by the file's joint placement is dearer on its own than the next option: the
    record says so, never "$-5.42/month cheaper" nor "rises by more than -1%" (rag-service.yml did)."""
    from wheretorun import load_workloads, recommend

    path = Path(__file__).resolve().parents[2] / "examples" / example
    text = render(recommend(load_workloads(path), file=str(path), base_dir=path.parent), "markdown")
    assert "$-" not in text and "more than -" not in text
    if example == "rag-service.yml":
        assert "dearer on its own than sagemaker-serverless" in text
