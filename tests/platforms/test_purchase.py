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
    assert note is not None and "1-year rate" in note and "37% off on-demand" in note


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


# ---- 2. one commitment for every platform it covers ------------------------------------------------
def lines(opt) -> dict:
    return {c.name: c for c in opt.cost_components if c.kind == "infra"}


@pytest.mark.parametrize(
    ("commitment", "trigger", "vcpu_price", "label"),
    [
        # Compute Savings Plan on Fargate (catalog 20 % / 45 %): 0.04048 x 0.80 = 0.032384; x 0.55 = 0.022264
        ("savings-plan-1yr", "api", "0.032384", "Compute (0.25 vCPU task, x86, savings-plan-1yr)"),
        ("savings-plan-3yr", "api", "0.022264", "Compute (0.25 vCPU task, x86, savings-plan-3yr)"),
        # Fargate Spot for queued work: 67 % off, + 5 % re-run overhead: 0.04048 x 0.33 x 1.05 = 0.01402632
        ("spot", "queue", "0.01402632", "Compute (0.25 vCPU task, x86, spot)"),
        # an API caller is waiting: no Spot, on-demand $0.04048 and a label that says so
        ("spot", "api", "0.04048", "Compute (0.25 vCPU task, x86)"),
        ("on-demand", "queue", "0.04048", "Compute (0.25 vCPU task, x86)"),
    ],
)
def test_fargate_is_charged_the_purchase_option_its_label_names(
    commitment: str, trigger: str, vcpu_price: str, label: str
) -> None:
    opt = option(_file(commitment, trigger=trigger, arch="x86_64", duration_s=2, memory_gb=1), "fargate")
    compute = lines(opt)[label]
    assert compute.unit_price_usd == Decimal(vcpu_price)
    assert compute.monthly_usd == compute.quantity * Decimal(vcpu_price)


def test_interruptible_true_lets_api_work_run_on_spot() -> None:
    opt = option(_file("spot", trigger="api", interruptible=True, arch="x86_64", duration_s=2), "fargate")
    assert lines(opt)["Compute (0.25 vCPU task, x86, spot)"].unit_price_usd == Decimal("0.01402632")


def test_a_queue_worker_marked_not_interruptible_stays_on_demand() -> None:
    opt = option(_file("spot", trigger="queue", interruptible=False, arch="x86_64", duration_s=2), "fargate")
    assert lines(opt)["Compute (0.25 vCPU task, x86)"].unit_price_usd == Decimal("0.04048")
    assert any("may not be interrupted" in n and "interruptible: false" in n for n in opt.notes)


@pytest.mark.parametrize(
    ("commitment", "price"),
    [
        # Compute Savings Plan on Lambda duration, 11.8 % (1yr and 3yr alike in the Price List source):
        # 0.0000166667 x 0.882 = 0.0000147000294 per GB-s
        ("savings-plan-1yr", "0.0000147000294"),
        ("savings-plan-3yr", "0.0000147000294"),
    ],
)
def test_lambda_duration_gets_the_compute_savings_plan_rate(commitment: str, price: str) -> None:
    # 1M requests x 200 ms x 512 MB = 100,000 GB-s; x 0.0000147000294 = $1.47000294
    opt = option(_file(commitment, arch="x86_64"), "lambda")
    duration = lines(opt)[f"Duration (x86, first 6B GB-s, {commitment})"]
    assert duration.quantity == Decimal("100000")
    assert duration.unit_price_usd == Decimal(price)
    assert duration.monthly_usd == Decimal(price) * 100000
    # requests are not covered by Savings Plans: 1M x $0.20
    assert lines(opt)["Requests"].monthly_usd == Decimal("0.2")


def test_lambda_has_no_spot_and_says_so() -> None:
    opt = option(_file("spot", trigger="queue", arch="x86_64"), "lambda")
    assert lines(opt)["Duration (x86, first 6B GB-s)"].unit_price_usd == Decimal("0.0000166667")
    assert "Lambda has no Spot: priced on-demand" in opt.notes


@pytest.mark.parametrize("commitment", ["spot", "savings-plan-1yr", "savings-plan-3yr"])
def test_no_line_names_a_purchase_option_it_did_not_charge(commitment: str) -> None:
    """Every instance line's label names the option whose price it charged: on-demand-priced lines
    say on-demand, discounted ones are below on-demand."""
    for platform in ("ecs-ec2", "sagemaker-endpoint"):
        data = _file(
            commitment, role="inference", model={"id": "llama-3.1-8b"}, input_tokens=500, output_tokens=200
        )
        opt = option(data, platform)
        for c in opt.cost_components:
            if not c.name.startswith("Instance usage"):
                continue
            on_demand = context(data).catalog.price(c.price_key).value
            if c.unit_price_usd == on_demand:
                assert c.name.startswith("Instance usage (on-demand,"), c.name
            else:
                assert c.name.startswith(f"Instance usage ({commitment},"), c.name
                assert c.unit_price_usd < on_demand


# ---- 6. arch: auto prices x86 and arm64 and keeps the cheaper -----------------------------------------
@pytest.mark.parametrize(
    ("platform", "arch", "label", "price"),
    [
        # Lambda arm64 first tier $0.0000133334 per GB-s vs x86 $0.0000166667: auto keeps arm64
        ("lambda", "auto", "Duration (arm64, first 7.5B GB-s)", "0.0000133334"),
        ("lambda", "x86_64", "Duration (x86, first 6B GB-s)", "0.0000166667"),
        ("lambda", "arm64", "Duration (arm64, first 7.5B GB-s)", "0.0000133334"),
        # Fargate Graviton $0.03238 per vCPU-hour vs x86 $0.04048: auto keeps arm64
        ("fargate", "auto", "Compute (0.25 vCPU task, arm64)", "0.03238"),
        ("fargate", "x86_64", "Compute (0.25 vCPU task, x86)", "0.04048"),
    ],
)
def test_arch_auto_prices_both_and_keeps_the_cheaper(
    platform: str, arch: str, label: str, price: str
) -> None:
    opt = option(_file(arch=arch, duration_s=2, memory_gb=1), platform)
    assert lines(opt)[label].unit_price_usd == Decimal(price)
    said = [n for n in opt.notes if "must build for arm64" in n]
    assert bool(said) == ("arm64" in label)


def test_lambda_arm64_gb_seconds_bill_exactly() -> None:
    # 1M requests x 200 ms x 512 MB = 100,000 GB-s x $0.0000133334 = $1.33334; + requests $0.20;
    # + the HTTP API in front (api trigger, front_door auto): 1M x $1.00 per million = $1.00
    opt = option(_file(), "lambda")
    assert lines(opt)["Duration (arm64, first 7.5B GB-s)"].monthly_usd == Decimal("1.33334")
    assert opt.monthly_cost_usd.infra == Decimal("2.53334")


# ---- 4. the front door ----------------------------------------------------------------------------------
def _door(opt) -> dict:
    return {c.name: c.monthly_usd for c in opt.cost_components if c.name.startswith("API Gateway")}


@pytest.mark.parametrize(
    ("rps", "door", "expected"),
    [
        # 500 req/s x 3,600 x 730 h = 1,314M requests: 300M x $1.00 + 1,014M x $0.90 = $300 + $912.60
        (500, "auto", {"first 300 M": "300", "over 300 M": "912.6"}),
        # exactly at the tier boundary: 300M requests = 114.155... req/s; 300M / 2,628,000 s
        (Decimal(300_000_000) / 2_628_000, "api-gateway-http", {"first 300 M": "300"}),
        # REST API: 1,314M: 333M x $3.50 + 667M x $2.80 + 314M x $2.38 = 1,165.50 + 1,867.60 + 747.32
        (500, "api-gateway-rest", {"first 333 M": "1165.5", "next 667 M": "1867.6", "next 19K M": "747.32"}),
        (500, "function-url", {}),
        (500, "none", {}),
    ],
)
def test_lambda_api_front_door_is_priced_at_its_tiers(rps, door: str, expected: dict) -> None:
    data = _file(front_door=door, requests_per_second=float(rps), duration_s=0.1)
    del data["workloads"][0]["requests_per_month"]
    got = _door(option(data, "lambda"))
    assert {k.split(", ", 1)[1].removesuffix(" requests)"): v for k, v in got.items()} == {
        k: pytest.approx(Decimal(v), abs=Decimal("0.000001")) for k, v in expected.items()
    }


def test_lambda_at_500_rps_includes_1212_60_of_http_api() -> None:
    data = _file(requests_per_second=500, duration_s=0.1)
    del data["workloads"][0]["requests_per_month"]
    assert sum(_door(option(data, "lambda")).values()) == Decimal("1212.6")


def test_queued_lambda_work_has_no_front_door() -> None:
    assert _door(option(_file(trigger="queue"), "lambda")) == {}


def test_a_container_fleet_behind_api_gateway_has_no_alb() -> None:
    # 1M requests: $1.00 per million on HTTP API, and no load balancer lines
    opt = option(_file(front_door="api-gateway-http", duration_s=2), "fargate")
    assert sum(_door(opt).values()) == Decimal("1")
    assert not any("load balancer" in c.name.lower() for c in opt.cost_components)
    # auto: an ALB (730 h x $0.0225 = $16.425)
    alb = option(_file(duration_s=2), "fargate")
    assert lines(alb)["Application load balancer"].monthly_usd == Decimal("16.425")
