"""Lambda: exact invoices and the hard limits at their boundaries."""

from __future__ import annotations

from decimal import Decimal

import pytest

import platform_cases


def option(data: dict, platform: str = "lambda", layer: str | None = None):
    # these invoices are x86 (the pre-arm64 figures of seeds and price pages); arch: auto prices both
    # and keeps arm64 (tests/platforms/test_purchase.py)
    # and the function's own invoice (front_door: none; the API Gateway in front is tested there too)
    data = {**data, "workloads": [{"arch": "x86_64", "front_door": "none", **w} for w in data["workloads"]]}
    return platform_cases.option(data, platform, layer)


def infra_lines(opt):
    return {c.name: c for c in opt.cost_components if c.kind == "infra"}


def test_one_million_calls_of_200_ms_at_512_mb_is_100000_gb_seconds(one_workload):
    opt = option(one_workload(requests_per_month=1_000_000, duration_s=0.2, memory_gb=0.5))
    lines = infra_lines(opt)
    duration = lines["Duration (x86, first 6B GB-s)"]
    assert duration.quantity == Decimal("100000")
    assert duration.unit == "GB-seconds"
    assert duration.unit_price_usd == Decimal("0.0000166667")
    assert duration.monthly_usd == Decimal("1.66667")
    requests = lines["Requests"]
    assert requests.quantity == 1 and requests.unit == "1M requests"
    assert requests.monthly_usd == Decimal("0.2")
    assert opt.monthly_cost_usd.infra == Decimal("1.86667")
    assert all(c.source and c.as_of for c in opt.cost_components)


def test_seed1_ten_gb_five_minute_invocation_costs_five_cents_not_eight(one_workload):
    # seed 1 claims ~$0.083 per 5-minute 10 GB invocation; 300 s x 10 GB x $0.0000166667 = $0.05
    opt = option(one_workload(requests_per_month=1, duration_s=300, memory_gb=10))
    duration = infra_lines(opt)["Duration (x86, first 6B GB-s)"]
    assert duration.quantity == Decimal("3000")
    assert duration.monthly_usd == Decimal("0.0500001")


def test_duration_is_billed_in_whole_milliseconds(one_workload):
    opt = option(one_workload(requests_per_month=1000, duration_s=0.0101, memory_gb=1))
    # 10.1 ms rounds up to 11 ms
    assert infra_lines(opt)["Duration (x86, first 6B GB-s)"].quantity == Decimal("11")


def test_tiers_split_above_six_billion_gb_seconds(one_workload):
    # 10M requests x 900 s x 1 GB = 9B GB-s: 6B at tier 1, 3B at tier 2; 10M / 43,800 min x 900 s / 60
    # = 3,425 concurrent at the mean, over the default 1,000 quota: priced with a raised quota
    data = one_workload(requests_per_month=10_000_000, duration_s=900, memory_gb=1)
    data["preferences"] = {"quota_increase": {"lambda-concurrency": 20_000}}
    opt = option(data)
    lines = infra_lines(opt)
    assert lines["Duration (x86, first 6B GB-s)"].quantity == Decimal("6000000000")
    assert lines["Duration (x86, next 9B GB-s)"].quantity == Decimal("3000000000")
    assert lines["Duration (x86, next 9B GB-s)"].unit_price_usd == Decimal("0.000015")


@pytest.mark.parametrize(
    ("duration", "feasible"),
    [(900, True), (901, False), (899.999, True)],
)
def test_timeout_boundary_900_seconds(one_workload, duration, feasible):
    opt = option(one_workload(duration_s=duration))
    assert opt.feasible is feasible
    if not feasible:
        assert "900 s" in opt.blocked_by[0] and "901 s" in opt.blocked_by[0]


def test_p99_past_the_timeout_blocks_too(one_workload):
    opt = option(one_workload(duration_s=30, duration_p99_s=1200))
    assert not opt.feasible and "1,200 s at p99" in opt.blocked_by[0]


@pytest.mark.parametrize(
    ("memory_gb", "feasible"),
    [(10, True), (10240 / 1024, True), (10241 / 1024, False), (12, False)],
)
def test_memory_boundary_10240_mb(one_workload, memory_gb, feasible):
    opt = option(one_workload(memory_gb=memory_gb))
    assert opt.feasible is feasible
    if not feasible:
        assert "10,240 MB" in " ".join(opt.blocked_by)


def test_no_gpu_for_a_generative_model(one_workload):
    opt = option(one_workload(role="inference", model={"id": "llama-3.1-8b"}, duration_s=5, memory_gb=None))
    assert not opt.feasible
    assert "GPU" in opt.blocked_by[0] and "8.03B" in opt.blocked_by[0]


def test_small_embedding_model_runs_on_lambda(one_workload):
    opt = option(
        one_workload(role="embedding", model={"id": "bge-small-en-v1.5"}, duration_s=0.05, memory_gb=1)
    )
    assert opt.feasible


def test_free_tier_is_off_unless_asked(one_workload):
    data = one_workload(requests_per_month=500_000, duration_s=0.1, memory_gb=0.5)
    assert not any("Free tier" in c.name for c in option(data).cost_components)
    data["preferences"] = {"free_tier": True}
    opt = option(data)
    assert opt.monthly_cost_usd.infra == 0  # 500k requests and 25,000 GB-s sit inside the free tier


def test_comfort_zone_is_a_warning_not_a_limit(one_workload):
    opt = option(one_workload(memory_gb=4, duration_s=700))
    assert opt.feasible
    assert any("comfort zone" in w for w in opt.soft_warnings)


def test_cold_starts_that_break_the_p99_target_are_priced_with_provisioned_concurrency(one_workload):
    sparse = one_workload(requests_per_month=3000, traffic="spiky", duration_s=0.2, memory_gb=1)
    assert not any("Provisioned" in c.name for c in option(sparse).cost_components)  # no target: on-demand
    opt = option({**sparse, "workloads": [{**sparse["workloads"][0], "p99_latency_ms": 500}]})
    lines = infra_lines(opt)
    pc = lines["Provisioned concurrency (x86, 1 environment)"]
    assert pc.quantity == Decimal(1 * 2_628_000)  # 1 environment x 1 GB x every second of a 730-hour month
    assert pc.price_key == "lambda/provisioned-concurrency-x86"
    assert "Duration (x86, provisioned)" in lines and "Duration (x86, first 6B GB-s)" not in lines
    assert opt.latency.p99_ms <= 500
    assert any("provisioned concurrency" in n for n in opt.notes)
