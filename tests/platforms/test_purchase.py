"""How compute is bought (issue 13): commitments, Spot, and what each invoice line says it charged.

Expected figures are computed by hand from the catalog's us-east-1 prices, arithmetic in comments.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from wheretorun.decide.engine import catalog_for
from wheretorun.platforms import PLATFORMS, Context, assess
from wheretorun.platforms.selfhost import instance_hourly
from wheretorun.platforms.usage import derive_usage
from wheretorun.spec import load_workloads

COMMITMENTS = ("on-demand", "spot", "savings-plan-1yr", "savings-plan-3yr")


def _file(commitment: str | None = None, key: str = "commitment", **workload: object) -> dict:
    w: dict = {
        "name": "w",
        "role": "glue",
        "requests_per_month": 1_000_000,
        "duration_s": 0.2,
        "memory_gb": 0.5,
    }
    w.update(workload)
    data: dict = {"workloads": [w]}
    if commitment is not None:
        data["prices"] = {key: commitment}
    return data


def context(data: dict, layer: str | None = None) -> Context:
    wf = load_workloads(data)
    cat = catalog_for(wf, "<t>")
    usage = derive_usage(wf, 0, cat, "<t>", None)
    layer = layer or ("orchestration" if wf.workloads[0].role in ("glue", "orchestration") else "model")
    return Context(usage=usage, wf=wf, catalog=cat, layer=layer)


def option(data: dict, platform: str):
    return assess(PLATFORMS[platform], context(data))


# ---- 1. commitments never invert ------------------------------------------------------------------
def test_a_missing_3yr_rate_falls_back_to_the_1yr_rate_not_on_demand() -> None:
    # g6e.xlarge: on-demand $1.861/h, 1-year plan 37.0 % off, no 3-year figure in the catalog.
    # 1yr: 1.861 x 0.63 = $1.17243/h; 3yr falls back to the same $1.17243/h (was $1.861 on-demand)
    ctx = context(_file("savings-plan-3yr"))
    inst = ctx.catalog.instances["g6e.xlarge"]
    ref, paid, purchase, note = instance_hourly(ctx, inst)
    assert ref.value == Decimal("1.861")
    assert paid == Decimal("1.17243")
    assert purchase == "savings-plan-3yr"
    assert note is not None and "1-year rate" in note and "37% off" in note


def test_a_3yr_rate_in_the_catalog_is_used() -> None:
    # m7g.xlarge: on-demand $0.1632/h; 3-year plan 49.3 % off: 0.1632 x 0.507 = $0.0827424/h
    ctx = context(_file("savings-plan-3yr"))
    _ref, paid, purchase, _note = instance_hourly(ctx, ctx.catalog.instances["m7g.xlarge"])
    assert (paid, purchase) == (Decimal("0.0827424"), "savings-plan-3yr")


def test_ec2_commitment_is_an_alias_of_commitment() -> None:
    a = context(_file("savings-plan-1yr", key="ec2_commitment"))
    b = context(_file("savings-plan-1yr"))
    inst = a.catalog.instances["g5.xlarge"]
    assert instance_hourly(a, inst)[1:3] == instance_hourly(b, inst)[1:3]
    assert instance_hourly(a, inst)[2] == "savings-plan-1yr"


def _paid(commitment: str, instance: str, **workload: object) -> Decimal:
    ctx = context(_file(commitment, trigger="queue", **workload))
    return instance_hourly(ctx, ctx.catalog.instances[instance])[1]


def _all_instances() -> list[str]:
    ctx = context(_file())
    return sorted(i.type for i in ctx.catalog.instances.values() if ctx.catalog.has_price(i.price_key))


@pytest.mark.parametrize("instance", _all_instances())
def test_a_longer_commitment_never_costs_more_for_any_instance_in_the_catalog(instance: str) -> None:
    """3yr <= 1yr <= on-demand for every priced instance type (EC2 and SageMaker)."""
    on_demand = _paid("on-demand", instance)
    one = _paid("savings-plan-1yr", instance)
    three = _paid("savings-plan-3yr", instance)
    assert three <= one <= on_demand
    # Spot (interruptible work) is never above on-demand either, re-run overhead included
    assert _paid("spot", instance) <= on_demand


def test_llama_8b_at_20_rps_on_a_3yr_plan_costs_no_more_than_on_a_1yr_plan() -> None:
    """The issue's reproduction: $8,601.67 on 3 years vs $5,419.05 on 1 year before the fix."""
    w = {
        "role": "inference",
        "model": {"id": "llama-3.1-8b"},
        "requests_per_second": 20,
        "requests_per_month": None,
        "input_tokens": 500,
        "output_tokens": 200,
    }
    totals = {}
    for c in ("savings-plan-1yr", "savings-plan-3yr", "on-demand"):
        data = _file(c, **w)
        del data["workloads"][0]["requests_per_month"]
        totals[c] = option(data, "ecs-ec2").monthly_cost_usd.infra
    assert totals["savings-plan-3yr"] <= totals["savings-plan-1yr"] < totals["on-demand"]


def test_commitment_and_its_alias_must_agree() -> None:
    from wheretorun.errors import InputError

    data = _file("savings-plan-1yr")
    data["prices"]["ec2_commitment"] = "spot"
    with pytest.raises(InputError) as e:
        load_workloads(data)
    assert "ec2_commitment" in str(e.value) and "disagree" in str(e.value)
