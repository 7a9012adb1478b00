"""The file's shared costs (issue 15) in every format: their own section, each a function of the one
report object, and the figures add up to the system total.

Three glue functions on Lambda (team limited x1.0, $120/h, setup over 12 months): Lambda's fixed
engineering (6 / 12 + 1.5 + 0.75) h = 2.75 h x $120 = $330.00 once; each function's own cost is its
marginal engineering (2 / 12 + 0.5 + 0.25) h x $120 = $110.00 plus its infrastructure.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from wheretorun import load_workloads, recommend
from wheretorun.report.html import render_fragment
from wheretorun.report.markdown import render_markdown
from wheretorun.report.model import Report
from wheretorun.report.table import render_table

GLUE = {"role": "glue", "requests_per_month": 50_000, "duration_s": 1, "trigger": "event"}
TODAY = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def report() -> Report:
    data = {
        "team": {"ops_capacity": "limited", "engineer_hourly_usd": 120},
        "workloads": [{"name": f"glue-{i}", **GLUE} for i in range(3)],
    }
    return recommend(load_workloads(data))


def test_the_json_lists_lambdas_fixed_engineering_once(report: Report) -> None:
    data = report.to_json_dict()
    assert [(s["platform"], s["kind"], s["monthly_usd"]) for s in data["shared_costs"]] == [
        ("lambda", "ops", 330.0)
    ]
    own = sum(Decimal(str(w["recommendation"]["monthly_cost_usd"]["total"])) for w in data["workloads"])
    assert Decimal(str(data["total_monthly_cost_usd"])) == own + 330
    assert data["portfolio"] == {
        "standalone_total_usd": data["total_monthly_cost_usd"],
        "joint_total_usd": data["total_monthly_cost_usd"],
        "moved": [],
    }


def test_markdown_has_a_shared_costs_section_and_a_row_in_the_decision(report: Report) -> None:
    md = render_markdown(report, today=TODAY)
    assert "## Shared costs" in md
    assert re.search(r"\| lambda fixed engineering \| lambda \| ops \| \$330\.00 \|", md)
    assert "| Shared costs (once per file) |  |  |  | $0.00 | $330.00 | $330.00 |" in md
    # the system row's engineering = 3 x $110.00 marginal + $330.00 shared = $660.00
    assert re.search(r"\| \*\*System\*\* \|.*\| \$660\.00 \| \*\*\$[\d,.]+\*\* \|", md)


def test_html_has_a_shared_costs_section(report: Report) -> None:
    html = render_fragment(report, today=TODAY, charts=False)
    assert "<h2>Shared costs</h2>" in html
    assert "<td>lambda fixed engineering</td><td>lambda</td><td>ops</td><td class=num>$330.00</td>" in html
    assert html.index("<h2>Shared costs</h2>") < html.index("<h2>Per workload</h2>")


def test_the_table_shows_the_shared_row_before_the_total(report: Report) -> None:
    text = render_table(report, width=80)
    assert re.search(r"shared\s+1 line, once per file\s+\$0\.00\s+\$330\.00\s+\$330\.00\s*\n Total", text), (
        text
    )


def test_every_format_is_a_function_of_the_report_object(report: Report) -> None:
    again = Report.model_validate_json(report.to_json())
    assert render_markdown(again, today=TODAY) == render_markdown(report, today=TODAY)
    assert render_table(again, width=120) == render_table(report, width=120)
    assert render_fragment(again, today=TODAY, charts=False) == render_fragment(
        report, today=TODAY, charts=False
    )
