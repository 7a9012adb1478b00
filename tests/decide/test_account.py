"""Account-wide allowances counted once per file (issue 15): Lambda's free tier and duration tiers.

us-east-1 prices (src/wheretorun/catalog/data/lambda.yml): requests $0.20 per 1M; x86 duration
$0.0000166667 per GB-s for the first 6B GB-s, $0.000015 for the next 9B, $0.0000133334 beyond.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from wheretorun import load_workloads, recommend
from wheretorun.catalog.store import load_catalog
from wheretorun.decide.account import lambda_allowances
from wheretorun.invoice import tiered_lines
from wheretorun.results import MonthlyCost, Option

# 1M requests x 0.4 s x 1 GB = 400,000 GB-s per function: each exactly the whole free tier
FUNCTION = {
    "role": "glue",
    "requests_per_month": 1_000_000,
    "duration_s": 0.4,
    "memory_gb": 1,
    "trigger": "event",
    "arch": "x86_64",
}


def inventory(n: int, free_tier: bool, **fields) -> dict:
    return {
        "team": {"ops_capacity": "limited", "engineer_hourly_usd": 120},
        "preferences": {"free_tier": free_tier},
        "workloads": [{"name": f"fn-{i}", **FUNCTION, **fields} for i in range(n)],
    }


def lambda_infra(report) -> Decimal:
    """The file's Lambda infrastructure: the workloads' own infra + the Lambda account adjustments."""
    own = sum(w.recommendation.monthly_cost_usd.infra for w in report.workloads)
    return own + sum(
        s.monthly_usd for s in report.shared_costs if s.kind == "infra" and s.platform == "lambda"
    )


def test_five_functions_share_one_free_tier():
    report = recommend(load_workloads(inventory(5, free_tier=True)))
    assert {w.recommendation.platform for w in report.workloads} == {"lambda"}
    # alone each function is free: 1M requests and 400,000 GB-s, all within the allowance
    assert all(w.recommendation.monthly_cost_usd.infra == 0 for w in report.workloads)
    # the account: 5M requests - 1M free = 4M x $0.20 = $0.80; 2M GB-s - 400,000 free = 1.6M GB-s
    # x $0.0000166667 = $26.66672; bill $27.46672 (the issue's $27.47)
    assert lambda_infra(report) == Decimal("0.80") + Decimal("1600000") * Decimal("0.0000166667")
    (free,) = [s for s in report.shared_costs if s.name == "Lambda free tier once per account"]
    assert free.kind == "infra" and free.platform == "lambda"
    # the adjustment: 4 of the 5 per-function allowances added back (4M requests, 1.6M GB-s)
    assert free.monthly_usd == Decimal("27.46672")
    own = sum(w.recommendation.monthly_cost_usd.total for w in report.workloads)
    assert report.total_monthly_cost_usd == own + sum(s.monthly_usd for s in report.shared_costs)
    assert report.portfolio.joint_total_usd == report.total_monthly_cost_usd


@pytest.mark.parametrize(
    ("n", "free_tier"),
    [
        (1, True),  # one function: its own allowance is the account's
        (5, False),  # free tier off (the default): nothing to share out
    ],
)
def test_no_free_tier_adjustment_when_there_is_nothing_to_share(n, free_tier):
    report = recommend(load_workloads(inventory(n, free_tier=free_tier)))
    assert [s.name for s in report.shared_costs if s.kind == "infra"] == []


def test_duration_tiers_apply_to_the_account_not_each_function():
    # two functions of 4B GB-s each: alone each stays in the first tier (6B GB-s); the account's 8B
    # GB-s puts 2B in the second: 2B x (0.000015 - 0.0000166667) = 2,000,000,000 x -0.0000016667
    # = -$3,333.40
    catalog = load_catalog()
    ref = catalog.price("lambda/duration-x86")
    picks = []
    for _ in range(2):
        lines = tiered_lines(
            "Duration", "x86", ref, Decimal(4_000_000_000), "GB-s", driver="volume", purchase="on-demand"
        )
        total = sum(c.monthly_usd for c in lines)
        picks.append(
            Option(
                platform="lambda",
                feasible=True,
                cost_components=lines,
                monthly_cost_usd=MonthlyCost(infra=total, ops=Decimal(0), total=total),
            )
        )
    (tiers,) = lambda_allowances(picks, catalog, free_tier=False)
    assert tiers.name == "Lambda duration tiers across the account"
    assert tiers.monthly_usd == Decimal("2000000000") * (Decimal("0.000015") - Decimal("0.0000166667"))
    # one function alone: its invoice already went through the tiers, nothing to adjust
    assert lambda_allowances(picks[:1], catalog, free_tier=False) == []
