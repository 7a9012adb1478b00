"""The organisation's view: shared costs counted once, engineering as fixed + marginal, joint placement.

Expected values are computed by hand from src/wheretorun/catalog/data/engineering.yml (lambda:
fixed 6 h setup, 1.5 h/month upkeep, 0.75 h/month on-call; marginal 2 h, 0.5 h/month, 0.25 h/month),
team.engineer_hourly_usd 120, ops_capacity limited (x1.0), setup amortised over 12 months.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wheretorun import InputError, load_workloads, recommend
from wheretorun.decide import portfolio as pf
from wheretorun.decide.choose import platform_rank
from wheretorun.report.model import CostComponent, MonthlyCost, Option

GLUE = {"role": "glue", "requests_per_month": 50_000, "duration_s": 1, "trigger": "event"}
TEAM = {"ops_capacity": "limited", "engineer_hourly_usd": 120}
# lambda fixed: (6 / 12 + 1.5 + 0.75) h x $120 = 2.75 h x 120 = $330/month, once per file
LAMBDA_FIXED = Decimal(330)
# lambda marginal: (2 / 12 + 0.5 + 0.25) h x $120 = $20 + $60 + $30 = $110/month per workload
LAMBDA_MARGINAL = Decimal(110)


def glue_file(n: int, **extra) -> dict:
    return {
        "team": {**TEAM, **extra.pop("team", {})},
        "workloads": [{"name": f"glue-{i}", **GLUE} for i in range(n)],
        **extra,
    }


def ops_of(report) -> Decimal:
    own = sum(w.recommendation.monthly_cost_usd.ops for w in report.workloads)
    return own + sum(c.monthly_usd for c in report.shared_costs if c.kind == "ops")


@pytest.mark.parametrize("n", [1, 2, 5])
def test_n_identical_workloads_share_the_platform_fixed_engineering(n):
    report = recommend(load_workloads(glue_file(n)))
    assert {w.recommendation.platform for w in report.workloads} == {"lambda"}
    # one fixed line for the file, n marginal parts: 330 + n x 110 (n=5: 880, not 5 x 440 = 2,200)
    assert ops_of(report) == LAMBDA_FIXED + n * LAMBDA_MARGINAL
    assert [(c.name.split(":")[0], c.platform, c.kind, c.monthly_usd) for c in report.shared_costs] == [
        ("Platform fixed engineering", "lambda", "ops", LAMBDA_FIXED)
    ]
    own = sum(w.recommendation.monthly_cost_usd.total for w in report.workloads)
    assert report.total_monthly_cost_usd == own + LAMBDA_FIXED
    # alone, each workload's option still carries the whole platform: 330 + 110 = 440
    alone = report.workloads[0].chosen
    assert alone.monthly_cost_usd.ops == LAMBDA_FIXED + LAMBDA_MARGINAL


def test_a_platform_the_team_runs_today_carries_no_fixed_engineering():
    report = recommend(load_workloads(glue_file(3, team={"runs_today": ["lambda"]})))
    assert report.shared_costs == []
    assert ops_of(report) == 3 * LAMBDA_MARGINAL  # 3 x 110: setup sunk, on-call rota exists


def test_the_flat_override_is_charged_per_workload_as_if_alone():
    # engineering.lambda.setup_hours: 0 (flat form) -> no shared line; each workload pays 0 h of
    # setup + the catalog's one-workload upkeep (1.5 + 0.5 = 2 h) and on-call (0.75 + 0.25 = 1 h):
    # 3 h x $120 = $360, twice (step-functions' $260 fixed + 2 x $260 marginal = $780 is dearer)
    report = recommend(load_workloads(glue_file(2, engineering={"lambda": {"setup_hours": 0}})))
    assert {w.recommendation.platform for w in report.workloads} == {"lambda"}
    assert report.shared_costs == []
    assert ops_of(report) == 2 * 3 * Decimal(120)


def test_a_costly_flat_override_moves_the_file_to_a_shared_platform():
    # lambda flat setup 24 h: 24 / 12 + 2 + 1 = 5 h = $600 per workload, nothing shared; two workloads
    # on step-functions share its fixed (8 / 12 + 1 + 0.5 = 2.1667 h = $260) and each add $260
    report = recommend(load_workloads(glue_file(2, engineering={"lambda": {"setup_hours": 24}})))
    assert {w.recommendation.platform for w in report.workloads} == {"step-functions"}
    assert [c.platform for c in report.shared_costs] == ["step-functions"]
    assert report.shared_costs[0].monthly_usd == Decimal(260)


def test_the_two_part_override_replaces_each_part():
    # fixed 12 h setup, 0 upkeep, 0 on-call -> 1 h/month = $120 once; marginal given 0/1/0 -> $120 each
    data = glue_file(
        3,
        engineering={
            "lambda": {
                "fixed": {"setup_hours": 12, "upkeep_hours_per_month": 0, "oncall_hours_per_month": 0},
                "marginal": {"setup_hours": 0, "upkeep_hours_per_month": 1, "oncall_hours_per_month": 0},
            }
        },
    )
    report = recommend(load_workloads(data))
    assert ops_of(report) == 120 + 3 * 120


@pytest.mark.parametrize(
    ("engineering", "team", "needle"),
    [
        ({"lambda": {"setup_hours": 1, "fixed": {"setup_hours": 2}}}, {}, "not both"),
        ({}, {"runs_today": ["lamda"]}, "did you mean 'lambda'"),
    ],
)
def test_bad_engineering_input_is_refused_with_the_field(engineering, team, needle):
    with pytest.raises(InputError) as e:
        load_workloads(glue_file(1, engineering=engineering, team=team))
    assert needle in str(e.value)


# ---- joint placement against brute force ----------------------------------------------------------
PLATFORMS = ["lambda", "fargate", "eks-ec2", "bedrock"]
#: the shared lines each test platform opens (eks-ec2: its fixed engineering and the control plane)
KEYS = {
    "lambda": ["engineering-fixed/lambda"],
    "fargate": ["engineering-fixed/fargate"],
    "eks-ec2": ["engineering-fixed/eks-ec2", "eks/control-plane"],
    "bedrock": [],
}


def option(platform: str, own: int, fixed: dict[str, int]) -> Option:
    lines = [
        CostComponent(
            name=key,
            unit="month",
            quantity=1,
            unit_price_usd=fixed[key],
            monthly_usd=fixed[key],
            price_key=key,
            kind="infra" if key.startswith("eks/") else "ops",
            driver="fixed" if key.startswith("eks/") else "engineer_rate",
            purchase="on-demand" if key.startswith("eks/") else "n/a",
        )
        for key in KEYS[platform]
    ]
    lines.append(
        CostComponent(
            name="own",
            unit="month",
            quantity=1,
            unit_price_usd=own,
            monthly_usd=own,
            driver="fixed",
            purchase="on-demand",
        )
    )
    infra = sum(c.monthly_usd for c in lines if c.kind == "infra")
    ops = sum(c.monthly_usd for c in lines if c.kind == "ops")
    return Option(
        platform=platform,
        feasible=True,
        cost_components=lines,
        monthly_cost_usd=MonthlyCost(infra=infra, ops=ops, total=infra + ops),
    )


@settings(max_examples=60, deadline=None)
@given(
    fixed=st.fixed_dictionaries({k: st.integers(0, 500) for ks in KEYS.values() for k in ks}),
    costs=st.lists(
        st.dictionaries(st.sampled_from(PLATFORMS), st.integers(0, 400), min_size=1), min_size=1, max_size=5
    ),
)
def test_joint_placement_equals_brute_force(fixed, costs):
    slots = []
    for i, c in enumerate(costs):
        opts = [option(p, own, fixed) for p, own in c.items()]
        alone = min(opts, key=lambda o: (o.monthly_cost_usd.total, platform_rank()[o.platform])).platform
        s = pf.Slot(i, "platform", opts, alone)
        s.keys = [frozenset(c.price_key for c in pf.shared_lines(o)) for o in opts]
        slots.append(s)
    lines = pf.fixed_costs(slots)
    best = pf.joint(slots, lines, platform_rank())
    brute = min(
        pf.file_total(slots, list(picks), lines).total
        for picks in itertools.product(*[[o.platform for o in s.options] for s in slots])
    )
    assert best.total == brute
    standalone = pf.file_total(slots, [s.standalone for s in slots], lines).total
    assert best.total <= standalone
