"""How compute is bought (issue 13): commitments, Spot, and what each invoice line says it charged.

Expected figures are computed by hand from the catalog's us-east-1 prices, arithmetic in comments.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from platform_cases import context, option, workload_file
from wheretorun.decide.catalog_merge import catalog_for
from wheretorun.platforms.selfhost import instance_hourly
from wheretorun.spec import load_workloads

COMMITMENTS = ("on-demand", "spot", "savings-plan-1yr", "savings-plan-3yr")


def _file(commitment: str | None = None, key: str = "commitment", **workload: object) -> dict:
    """``workload_file(**workload)`` bought with ``commitment`` (the file's ``prices.<key>``)."""
    data = workload_file(**workload)
    if commitment is not None:
        data["prices"] = {key: commitment}
    return data


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


# ---- 7. x86 and Graviton EC2 candidates (arch) ------------------------------------------------------
@pytest.mark.parametrize(
    ("arch", "instance", "monthly"),
    [
        # one replica all month (1,000 requests of 1 s): Graviton m7g.large 730 h x $0.0816 = $59.568
        ("auto", "m7g.large", "59.568"),
        ("arm64", "m7g.large", "59.568"),
        # x86 pinned: the cheapest x86 instance holding 0.5 GB, c7i.large 730 h x $0.08925 = $65.1525
        ("x86_64", "c7i.large", "65.1525"),
    ],
)
def test_ecs_on_cpu_compares_x86_and_graviton(arch: str, instance: str, monthly: str) -> None:
    opt = option(_file(arch=arch, requests_per_month=1000, duration_s=1), "ecs-ec2")
    assert opt.instance_type == instance
    usage = lines(opt)[f"Instance usage (on-demand, {instance})"]
    assert usage.monthly_usd == Decimal(monthly)
    said = [n for n in opt.notes if "must build for arm64" in n]
    assert bool(said) == (instance.startswith("m7g"))
    # the candidates listed are of the asked architecture only
    (cands,) = [n for n in opt.notes if n.startswith("cheapest candidates")]
    assert ("m7g" in cands) == (arch != "x86_64") and ("7i." in cands) == (arch != "arm64")


def test_an_x86_instance_without_a_plan_rate_stays_on_demand_and_says_why() -> None:
    # c7i.large has no Savings Plan figure in the catalog: on-demand $0.08925, not a silent discount
    opt = option(_file("savings-plan-1yr", arch="x86_64", requests_per_month=1000, duration_s=1), "ecs-ec2")
    usage = lines(opt)["Instance usage (on-demand, c7i.large)"]
    assert (usage.purchase, usage.unit_price_usd) == ("on-demand", Decimal("0.08925"))
    assert "no savings-plan-1yr rate in the catalog for c7i.large: priced on-demand" in (usage.note or "")


# ---- 3. SageMaker Savings Plans ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("commitment", "monthly", "purchase"),
    [
        # 1M x 0.05 s x 2 GB = 100,000 GB-s x $0.00002 = $2.00 on-demand
        ("on-demand", "2", "on-demand"),
        # SageMaker Savings Plan 20 % (catalog sagemaker/savings-plan-1yr): 100,000 x 0.000016 = $1.60
        ("savings-plan-1yr", "1.6", "savings-plan-1yr"),
        # no 3-year figure: the 1-year rate, never more
        ("savings-plan-3yr", "1.6", "savings-plan-3yr"),
        # no Spot for SageMaker
        ("spot", "2", "on-demand"),
    ],
)
def test_sagemaker_serverless_gets_the_sagemaker_savings_plan(
    commitment: str, monthly: str, purchase: str
) -> None:
    data = _file(
        commitment,
        role="reranking",
        model={"params_b": 0.3, "weights": "open"},
        duration_s=0.05,
        memory_gb=2,
    )
    (line,) = [c for c in option(data, "sagemaker-serverless").cost_components if c.driver == "volume"]
    assert (line.monthly_usd, line.purchase) == (Decimal(monthly), purchase)
    assert (purchase in line.name) == (purchase != "on-demand")


# ---- 4. the trace says what the commitment discounted ------------------------------------------------
def _trace_step(data: dict):
    from wheretorun import recommend

    w = recommend(load_workloads(data), file="<t>").workloads[0]
    steps = [t for t in w.trace if t.question.startswith("Which lines does the commitment")]
    return w, steps


def test_the_trace_lists_the_lines_the_commitment_discounted() -> None:
    w, (step,) = _trace_step(_file("savings-plan-1yr", arch="x86_64"))
    assert w.recommendation.platform == "lambda"
    # Lambda duration at 11.8 % off: 0.0000166667 x 0.882 = 0.0000147000294 per GB-s
    assert "lambda (chosen): discounted Duration (x86, first 6B GB-s, savings-plan-1yr)" in step.because
    assert "$0.0000147000294/GB-seconds" in step.because
    # the x86 EC2 candidates have no plan rate: said, with why
    assert (
        "ecs-ec2 none (no savings-plan-1yr rate in the catalog for c7i.large: priced on-demand)"
        in step.because
    )


def test_the_trace_says_spot_was_refused_for_api_work() -> None:
    w, (step,) = _trace_step(_file("spot", requests_per_month=1000, duration_s=1, arch="x86_64"))
    assert "nothing discounted" in step.because or "none (" in step.because
    assert "may not be interrupted (trigger api: a caller is waiting)" in step.because


def test_no_commitment_no_trace_step() -> None:
    assert _trace_step(_file())[1] == []


# ---- 5. a line never says a purchase option it did not charge -----------------------------------------
EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.yml"))


@pytest.mark.parametrize("commitment", COMMITMENTS)
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_label_purchase_typed_purchase_and_price_agree_on_every_example(
    example: Path, commitment: str
) -> None:
    """label purchase == typed purchase == the price actually used, for every line of every option."""
    from wheretorun import recommend
    from wheretorun.platforms.purchase import covered
    from wheretorun.spec.models import PriceOverrides

    wf = load_workloads(example)
    prices = (wf.prices or PriceOverrides()).model_copy(
        update={"commitment": commitment, "ec2_commitment": None}
    )
    wf = wf.model_copy(update={"prices": prices})
    catalog = catalog_for(wf, str(example))
    report = recommend(wf, file=str(example), base_dir=example.parent)
    checked = 0
    for w in report.workloads:
        for o in (o for o in [*w.options, *w.model_options] if o.feasible):
            for c in o.cost_components:
                named = re.search(
                    r"\b(on-demand|spot|savings-plan-1yr|savings-plan-3yr)\)", c.name
                ) or re.search(r"\((on-demand|spot|savings-plan-1yr|savings-plan-3yr),", c.name)
                if named:
                    assert named.group(1) == c.purchase, (o.platform, c.name)
                if c.purchase in ("spot", "savings-plan-1yr", "savings-plan-3yr"):
                    assert named and c.purchase == commitment, (o.platform, c.name)
                    ref = catalog.price(c.price_key)
                    list_prices = [t.price for t in ref.tiers] if ref.tiers else [ref.value]
                    assert c.unit_price_usd < max(list_prices), (o.platform, c.name)
                    assert c.unit_price_usd not in list_prices, (o.platform, c.name)
                    checked += 1
                elif covered(c) and c.purchase == "on-demand":
                    assert not named or named.group(1) == "on-demand", (o.platform, c.name)
                    ref = catalog.price(c.price_key)
                    list_prices = [t.price for t in ref.tiers] if ref.tiers else [ref.value]
                    assert c.unit_price_usd in list_prices, (o.platform, c.name, c.unit_price_usd)
    if commitment in ("savings-plan-1yr", "savings-plan-3yr"):
        assert checked, "a Savings Plan discounted nothing in this example"
