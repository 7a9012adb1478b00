"""Growth projection and Monte Carlo re-price a report's options (built here, independent of pricing)."""

from __future__ import annotations

import json
from decimal import Decimal

import numpy as np
import pytest

from wheretorun.report.model import (
    CatalogInfo,
    CostComponent,
    FleetFacts,
    MonthlyCost,
    Option,
    Recommendation,
    Report,
    UsageSummary,
    WorkloadReport,
)
from wheretorun.simulate.growth import attach_growth
from wheretorun.simulate.montecarlo import analyse, attach_uncertainty
from wheretorun.simulate.reprice import layers
from wheretorun.spec.models import WorkloadFile


def comp(name, usd, scales=(), kind="infra", driver=None, purchase="on-demand"):
    d = Decimal(str(usd))
    if driver is None:
        driver = "engineer_rate" if "engineer_rate" in scales else "volume" if "volume" in scales else "fixed"
    return CostComponent(
        name=name,
        unit="x",
        quantity=Decimal(1),
        unit_price_usd=d,
        monthly_usd=d,
        kind=kind,
        scales_with=list(scales),
        driver=driver,
        purchase="n/a" if driver == "engineer_rate" else purchase,
    )


def option(platform, comps, itype=None, fleet=None):
    """A priced option; ``fleet``: the facts re-pricing reads of a self-hosted fleet (the rest neutral)."""
    infra = sum((c.monthly_usd for c in comps if c.kind == "infra"), Decimal(0))
    ops = sum((c.monthly_usd for c in comps if c.kind == "ops"), Decimal(0))
    facts = dict(fleet or {})
    uses_gpu = facts.pop("uses_gpu", False)
    neutral = {
        "min_replicas": 0,
        "spot_discount_pct": None,
        "peak_replicas": 1,
        "utilisation": 0.5,
        "idle_replica_hours": 0.0,
        "idle_cost_usd": 0.0,
        "scale_out_s": 60.0,
        "warm_floor": 0,
        "method": "given by the test",
        "queued_requests": 0.0,
        "throttled_requests": 0.0,
    }
    return Option(
        platform=platform,
        feasible=True,
        instance_type=itype,
        monthly_cost_usd=MonthlyCost(infra=infra, ops=ops, total=infra + ops),
        cost_components=comps,
        fleet=FleetFacts(**(neutral | facts)) if facts else None,
        uses_gpu=uses_gpu,
    )


# Bedrock: $500 of tokens + $100 engineering; a GPU fleet of 1 x $1/h always on + $400 engineering, whose
# one replica is 7% busy at peak today (0.49 requests/s; 10 requests/s per replica at a 70% target)
BEDROCK = option(
    "bedrock",
    [comp("Input tokens", 500, ("volume", "tokens")), comp("Engineering", 100, ("engineer_rate",), "ops")],
)
FLEET = option(
    "ecs-ec2",
    [
        comp("Instance usage (on-demand, g5.xlarge)", 730, driver="time"),
        comp("Engineering", 400, ("engineer_rate",), "ops"),
    ],
    "g5.xlarge",
    {
        "per_replica_rps": 10.0,
        "hourly_usd": 1.0,
        "replica_hours": 730,
        "min_replicas": 1,
        "peak_replicas": 1,
        "uses_gpu": True,
    },
)


def report(*opts, rec="bedrock"):
    wr = WorkloadReport(
        name="chat",
        role="inference",
        recommendation=Recommendation(platform=rec, pattern="p", summary="s"),
        options=list(opts),
        trace=[],
        # only the peak is read (a fleet's replicas follow it): 0.49 requests/s at peak
        usage=UsageSummary(
            requests_per_month=1000000,
            mean_requests_per_s=0.38,
            peak_requests_per_s=0.49,
            tokens_per_month=0,
            duration_s=1,
            memory_gb=1,
        ),
    )
    return Report(
        catalog=CatalogInfo(as_of="2026-11-01", region="us-east-1"),
        workloads=[wr],
        total_monthly_cost_usd=Decimal(0),
    )


def wf(**extra):
    return WorkloadFile.model_validate(
        {"workloads": [{"name": "chat", "role": "glue", "requests_per_month": 1}], **extra}
    )


def test_today_reprices_to_the_report_totals():
    r = report(BEDROCK, FLEET)
    for _, _, models in layers(r.workloads[0], wf()):
        for m in models:
            assert float(m.cost()) == pytest.approx(m.base_total, abs=1e-9)


def test_fleet_steps_up_in_whole_replicas():
    ((_, _, models),) = layers(report(BEDROCK, FLEET).workloads[0], wf())
    fleet = next(m for m in models if m.platform == "ecs-ec2")
    # peak need today 0.49 / (10 x 0.7) = 0.07 replica: x14 still fits one, x15 needs two
    assert fleet.cost(v=14) == pytest.approx(1130)
    assert fleet.cost(v=15) == pytest.approx(1860)
    assert fleet.cost(v=1, theta=0.5) == pytest.approx(1130)  # half the throughput still fits


def test_growth_finds_the_month_the_cheapest_changes_and_when_to_revisit():
    r = report(BEDROCK, FLEET)
    attach_growth(r, wf(growth="20%/month"))
    projection = r.workloads[0].growth
    assert projection is not None
    g = projection.model_dump(mode="json")  # the contract's shape, as the JSON writes it
    json.dumps(g)
    (layer,) = g["layers"]
    bedrock = layer["options"][0]["monthly_total_usd"]
    assert bedrock[0] == 600 and bedrock[1] == pytest.approx(700)  # tokens grow 20%, engineering does not
    # Bedrock 100 + 500 x 1.2^(n-1) passes the fleet's 1,130 (one replica) at month 5 (1.2^4 = 2.07)
    assert layer["changes"] == [{"month": 5, "from": "bedrock", "to": "ecs-ec2 (g5.xlarge)"}]
    assert layer["recommended_overtaken_month"] == 5
    assert layer["runner_up_within_10pct_month"] == 5
    assert layer["revisit_by_month"] == 4  # a month before the change
    assert "month 5" in layer["summary"]


def test_no_growth_given_means_no_projection():
    r = report(BEDROCK, FLEET)
    attach_growth(r, wf())
    assert r.workloads[0].growth is None and "growth" not in r.workloads[0].extras


def test_monte_carlo_probabilities_percentiles_and_sensitivity():
    r = report(BEDROCK, FLEET)
    f = wf(uncertainty={"volume": [0.5, 4], "engineer_hourly_usd": [100, 200], "throughput": [0.5, 1.5]})
    attach_uncertainty(r, f, draws=10_000, seed=1)
    spread = r.workloads[0].uncertainty
    assert spread is not None
    u = spread.model_dump(mode="json")
    json.dumps(u)
    (layer,) = u["layers"]
    p = {o["key"]: o["p_cheapest"] for o in layer["options"]}
    assert sum(p.values()) == pytest.approx(1)
    assert 0 < p["bedrock"] < 1  # high volume draws make the fleet cheaper
    b = layer["options"][0]
    assert b["p10_usd"] < b["p50_usd"] < b["p90_usd"]
    assert [s["input"] for s in layer["sensitivity"]][0] == "volume"
    assert layer["sensitivity"][-1]["input"] == "throughput" and layer["sensitivity"][-1]["swing_usd"] == 0


def test_monte_carlo_is_deterministic_for_a_seed_and_exact_when_ranges_are_points():
    r = report(BEDROCK, FLEET)
    f = wf(uncertainty={"volume": [2, 2]})
    a = analyse(r.workloads[0], f, draws=100, seed=0)
    assert a == analyse(r.workloads[0], f, draws=100, seed=0)
    assert a is not None and a.layers[0].options[0].p50_usd == pytest.approx(1100)  # 100 + 500 x 2


def test_spot_discount_moves_only_options_priced_on_spot():
    spot_fleet = option(
        "ecs-ec2",
        [comp("Instance usage (spot, g5.xlarge)", 365, driver="time", purchase="spot")],
        "g5.xlarge",
        {
            "per_replica_rps": 1.0,
            "hourly_usd": 0.5,
            "replica_hours": 730,
            "min_replicas": 1,
            "spot_discount_pct": 50,
        },
    )
    ((_, _, models),) = layers(report(BEDROCK, spot_fleet, rec="ecs-ec2").workloads[0], wf())
    m = next(m for m in models if m.platform == "ecs-ec2")
    assert float(m.cost(spot_pct=np.float64(75))) == pytest.approx(182.5)
    assert float(next(x for x in models if x.platform == "bedrock").cost(spot_pct=75.0)) == 600


@pytest.mark.parametrize(
    ("name", "purchase", "moves"),
    [
        # the purchase field decides, not the label: a line named "spot" bought on-demand stays put
        ("Instance usage (spot, ml.g5.xlarge)", "on-demand", False),
        # and a Spot line moves whatever its name says
        ("Instance usage (g5.xlarge)", "spot", True),
    ],
)
def test_repricing_reads_the_purchase_field_never_the_name(name, purchase, moves):
    fleet = option(
        "ecs-ec2",
        [comp(name, 365, driver="time", purchase=purchase)],
        "g5.xlarge",
        {
            "per_replica_rps": 1.0,
            "hourly_usd": 0.5,
            "replica_hours": 730,
            "min_replicas": 1,
            "spot_discount_pct": 50,
        },
    )
    ((_, _, models),) = layers(report(fleet, rec="ecs-ec2").workloads[0], wf())
    # at 75 % off instead of 50 %: 365 x (100 - 75) / (100 - 50) = 182.5; unmoved: 365
    assert float(models[0].cost(spot_pct=75.0)) == pytest.approx(182.5 if moves else 365)


def test_only_a_fleets_time_lines_step_with_replicas():
    """A load balancer's hours (driver fixed) stay put when the fleet doubles; its instance-hours
    (driver time) double."""
    fleet = option(
        "ecs-ec2",
        [
            comp("Instance usage (on-demand, g5.xlarge)", 730, driver="time"),
            comp("Application load balancer", 16.4),
        ],
        "g5.xlarge",
        {"per_replica_rps": 10.0, "hourly_usd": 1.0, "replica_hours": 730, "min_replicas": 1},
    )
    ((_, _, models),) = layers(report(fleet, rec="ecs-ec2").workloads[0], wf())
    # peak need 0.49 / (10 x 0.7) = 0.07 replica; x15 needs 2 replicas: 2 x 730 + 16.4
    assert float(models[0].cost(v=15)) == pytest.approx(1476.4)
