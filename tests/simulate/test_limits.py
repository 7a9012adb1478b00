"""Honest at the limits (issue 17): quotas, throttling, dropped events, provisioned concurrency,
percentiles, measured peaks, growth past a quota and cold starts. Every expectation is computed by
hand in the comments."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wheretorun import recommend
from wheretorun.errors import InputError
from wheretorun.fleetsim.lambda_ import bounded_backlog, simulate_lambda
from wheretorun.fleetsim.quota import simulate_quota
from wheretorun.spec import load_workloads


def run(data: dict, base_dir=None):
    return recommend(load_workloads(data), base_dir=base_dir)


def option(wr, platform: str, model: bool = False):
    return next(o for o in (wr.model_options if model else wr.options) if o.platform == platform)


def glue(**w) -> dict:
    data = {"name": "w", "role": "glue", "traffic": "steady", "peak_to_mean": 1, "memory_gb": 0.125}
    data.update(w)
    return data


# ---- 1. asynchronous Lambda over the concurrency quota drops events older than the maximum age -----
@pytest.mark.parametrize(
    ("age_s", "dropped", "backlog"),
    [
        # 2,000 events/s x 1 s against 1,000: served 60,000/min, 60,000/min in excess; the queue holds
        # 60,000 x 360 = 21.6M (6 h of service) after 360 minutes, then drops 60,000/min for the
        # other 1,080 minutes of the day: 64.8M
        (21_600, 1_080 * 60_000, 21_600_000),
        # a 60 s maximum age holds one minute of service (60,000): full after the first minute
        (60, 1_439 * 60_000, 60_000),
    ],
)
def test_async_events_older_than_the_maximum_event_age_are_dropped(age_s, dropped, backlog):
    a = np.full(1_440, 120_000.0)
    s = simulate_lambda(
        a, 1.0, cold_start_s=1.0, concurrency_limit=1_000, synchronous=False, max_event_age_s=age_s
    )
    assert s.dropped == pytest.approx(dropped)
    assert s.backlog_end == pytest.approx(backlog)
    assert s.throttled == 0
    assert s.served == pytest.approx(1_440 * 60_000)  # every minute serves the quota's 60,000
    assert s.invocations == pytest.approx(s.served + s.dropped + s.backlog_end)
    # 37.5% dropped: the p99 event is a dropped one
    assert s.p99_s == math.inf and "dropped" in s.notes[0]


def test_bounded_backlog_is_lindley_capped():
    # rate 10, cap 15: 30 -> 15 (5 dropped), 0 -> 5, 30 -> 15 (10 dropped), 0 -> 5, 0 -> 0
    q, dropped = bounded_backlog(np.array([30.0, 0.0, 30.0, 0.0, 0.0]), 10.0, 15.0)
    assert q.tolist() == [15.0, 5.0, 15.0, 5.0, 0.0] and dropped == 15.0


@settings(max_examples=60, deadline=None)
@given(
    a=st.lists(st.floats(0, 1_000, allow_nan=False), min_size=1, max_size=300),
    rate=st.floats(1, 500),
    cap=st.floats(0, 5_000),
)
def test_bounded_backlog_is_the_capped_recursion_on_random_traffic(a, rate, cap):
    level, dropped, expected = 0.0, 0.0, []
    for x in a:
        level = max(0.0, level + x - rate)
        dropped += max(0.0, level - cap)
        level = min(level, cap)
        expected.append(level)
    q, d = bounded_backlog(np.array(a), rate, cap)
    assert np.allclose(q, expected, rtol=1e-9, atol=1e-6) and d == pytest.approx(dropped, rel=1e-9, abs=1e-6)
    # conservation: what arrived = served + dropped + still queued
    served = sum(a) - d - q[-1]
    assert served <= rate * len(a) + 1e-6


def test_async_lambda_over_the_quota_is_infeasible_and_names_the_dropped_events():
    # 2,000 requests/s x 1 s, flat, against 1,000: 60,000 events a minute in excess; after the queue
    # fills (360 minutes) every minute drops 60,000: (43,800 - 360) x 60,000 = 2,606,400,000 a month
    wr = run({"workloads": [glue(requests_per_second=2_000, duration_s=1, trigger="event")]}).workloads[0]
    lam = option(wr, "lambda")
    assert not lam.feasible
    assert "2,606,400,000 of 5,256,000,000 events a month (49.59%) dropped" in lam.blocked_by[0]
    assert "not billed" in lam.blocked_by[0] and "quota_increase.lambda-concurrency" in lam.blocked_by[0]
    assert lam.extras["dropped"] == pytest.approx(2_606_400_000)


def test_async_events_that_only_wait_keep_lambda_feasible_with_a_warning(tmp_path):
    # 1,500 events a minute (25/s) x 60 s = 1,500 concurrent for one minute a day against 1,000:
    # 500 x 60 s of work wait; the rest of the day (10 a minute, 10 concurrent) drains them at once
    rows = ["timestamp,requests"] + [
        f"{1_700_000_000 + 60 * m},{1_500 if m == 0 else 10}" for m in range(1_440)
    ]
    (tmp_path / "p.csv").write_text("\n".join(rows) + "\n")
    # the horizon holds 30 whole days and 600 minutes: 30 x 15,890 + 600 x 10 = 482,700
    w = glue(requests_per_month=482_700, traffic_profile="p.csv", duration_s=60, trigger="event")
    lam = option(run({"workloads": [w]}, base_dir=tmp_path).workloads[0], "lambda")
    assert lam.feasible and lam.extras["dropped"] == 0
    assert any("wait behind the 1,000 concurrent executions quota" in s for s in lam.soft_warnings)


def test_sync_lambda_over_the_quota_is_infeasible_with_the_throttled_requests_counted():
    # 2,000 requests/s x 1 s = 2,000 concurrent against 1,000: half of 5,256M a month throttled
    wr = run({"workloads": [glue(requests_per_second=2_000, duration_s=1, trigger="api")]}).workloads[0]
    lam = option(wr, "lambda")
    assert not lam.feasible
    b = lam.blocked_by[0]
    assert "2,628,000,000 of 5,256,000,000 requests a month (50.00%) throttled (HTTP 429" in b
    assert "the p99 request is a failure" in b and "at least 2,000 concurrent executions" in b
    # the counts travel in the JSON too: 2,628M throttled, the other 2,628M would be billed
    assert lam.extras["throttled"] == pytest.approx(2_628_000_000)
    assert lam.extras["billed_invocations"] == pytest.approx(2_628_000_000)


def test_a_quota_increase_makes_lambda_feasible_with_a_warning_and_a_trace_step():
    data = {
        "preferences": {"quota_increase": {"lambda-concurrency": 5_000}},
        "workloads": [glue(requests_per_second=2_000, duration_s=1, trigger="api")],
    }
    wr = run(data).workloads[0]
    lam = option(wr, "lambda")
    assert lam.feasible
    # every request runs and is billed: 2,000 x 2,628,000 s = 5,256M requests x $0.20/M = $1,051.20
    req = next(c for c in lam.cost_components if c.name == "Requests")
    assert req.quantity == Decimal("5256") and req.monthly_usd == Decimal("1051.2")
    assert any("'Concurrent executions' of at least 2,000" in s for s in lam.soft_warnings)
    step = next(t for t in wr.trace if t.question.startswith("Which AWS quotas"))
    assert step.answer == "lambda-concurrency: 5,000"


def test_an_increase_that_is_still_short_keeps_lambda_infeasible():
    data = {
        "preferences": {"quota_increase": {"lambda-concurrency": 1_500}},
        "workloads": [glue(requests_per_second=2_000, duration_s=1, trigger="api")],
    }
    lam = option(run(data).workloads[0], "lambda")
    # 2,000 against 1,500: a quarter of 5,256M throttled = 1,314M
    assert not lam.feasible and "1,314,000,000 of 5,256,000,000" in lam.blocked_by[0]
    assert "Even the 1,500 of preferences.quota_increase" in lam.blocked_by[0]


@pytest.mark.parametrize(
    ("quotas", "message"),
    [
        ({"lambda-concurency": 5000}, "did you mean 'lambda-concurrency'?"),
        ({"bedrock-tokens-per-minit": 1}, "did you mean 'bedrock-tokens-per-minute'?"),
        ({"lambda-concurrency": -1}, "greater than 0"),
    ],
)
def test_quota_increase_keys_and_values_are_validated(quotas, message):
    with pytest.raises(InputError) as e:
        load_workloads({"preferences": {"quota_increase": quotas}, "workloads": [glue(requests_per_month=1)]})
    assert "preferences.quota_increase" in str(e.value) and message in str(e.value)


# ---- 4. provisioned concurrency sized by search ------------------------------------------------------
def test_provisioned_concurrency_is_the_fewest_environments_that_meet_the_target(tmp_path):
    # 600 requests in the first minute of every 30, 1 s each: 10 concurrent in a burst, 10 + 2.326 x
    # sqrt(10) = 17.36 -> 18 environments needed; none warm 30 minutes later. Cold start (python,
    # 10 MB default package) 0.225 + 10 x 0.0458 = 0.683 s: 1,683 ms > the 1,500 ms target.
    # With N provisioned, 18 - N of a burst's 600 start cold: N = 12 gives 6/600 = 1.00% (the p99 of
    # a burst minute is cold), N = 13 gives 5/600 = 0.83%: 13 environments, p99 1,000 ms.
    # 13 x 1 GB x 2,628,000 s x $0.0000041667 = $142.35; 18 (no cold start at all) = $197.10.
    rows = ["timestamp,requests"] + [
        f"{1_700_000_000 + 60 * m},{600 if m % 30 == 0 else 0}" for m in range(1_440)
    ]
    (tmp_path / "burst.csv").write_text("\n".join(rows) + "\n")
    w = glue(
        requests_per_month=876_000,  # 600 x 48 a day x 30.4167 days
        traffic_profile="burst.csv",
        duration_s=1,
        memory_gb=1,
        p99_latency_ms=1_500,
        trigger="api",
        arch="x86_64",  # the x86 rates above (arch auto would take arm64)
    )
    lam = option(run({"workloads": [w]}, base_dir=tmp_path).workloads[0], "lambda")
    pc = next(c for c in lam.cost_components if c.name.startswith("Provisioned concurrency"))
    assert pc.name == "Provisioned concurrency (x86, 13 environments)"
    assert pc.quantity == Decimal(13 * 2_628_000)
    assert round(pc.monthly_usd, 2) == Decimal("142.35")
    assert lam.latency.p99_ms == 1_000
    assert any("18 environments" in n and "$197.10" in n for n in lam.notes)


def test_an_unreachable_target_is_said_and_not_priced():
    # 2 s per request can never meet a 1,500 ms p99, however many environments are warm
    w = glue(requests_per_month=1_000, duration_s=2, p99_latency_ms=1_500, trigger="api")
    lam = option(run({"workloads": [w]}).workloads[0], "lambda")
    assert not any(c.name.startswith("Provisioned") for c in lam.cost_components)
    assert any("unreachable on Lambda" in n for n in lam.notes)


# ---- 5. percentiles from one model ----------------------------------------------------------------
def test_lambda_p50_includes_the_cold_start_when_most_invocations_are_cold():
    # one request an hour: the previous one left 50 minutes earlier, beyond the 10-minute warm window,
    # so ~84% start cold (1 - P(another in the 10 minutes before)): p50 = 200 ms + 683 ms cold start
    wr = run({"workloads": [glue(requests_per_month=730, duration_s=0.2)]}).workloads[0]
    lam = option(wr, "lambda")
    assert lam.extras["cold_starts"] / 730 > 0.8
    assert lam.latency.p50_ms == pytest.approx(200 + 683)
    assert lam.latency.p99_ms == pytest.approx(200 + 683)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rps=st.floats(0.001, 500),
    duration=st.floats(0.01, 30),
    shape=st.sampled_from(["steady", "spiky", "diurnal"]),
    ptm=st.floats(1, 20),
    role=st.sampled_from(["glue", "inference"]),
    target=st.one_of(st.none(), st.floats(100, 120_000)),
)
def test_p50_never_exceeds_p99_for_any_option(rps, duration, shape, ptm, role, target):
    w = {
        "name": "w",
        "role": role,
        "requests_per_second": rps,
        "duration_s": duration,
        "traffic": shape,
        "peak_to_mean": ptm,
        "trigger": "api",
    }
    if role == "inference":
        w["model"] = {"id": "llama-3.1-8b"}
    if target is not None:
        w["p99_latency_ms"] = target
    wr = run({"workloads": [w]}).workloads[0]
    for o in wr.options + wr.model_options:
        if o.feasible and o.latency and o.latency.p50_ms is not None and o.latency.p99_ms is not None:
            assert o.latency.p50_ms <= o.latency.p99_ms + 1e-6, o.platform


def test_gpu_fleet_percentiles_come_from_the_sized_service_time():
    w = {
        "name": "m",
        "role": "inference",
        "model": {"id": "llama-3.1-8b"},
        "requests_per_second": 5,
        "input_tokens": 1_000,
        "output_tokens": 200,
        "trigger": "api",
    }
    wr = run({"team": {"ops_capacity": "platform"}, "workloads": [w]}).workloads[0]
    ecs = option(wr, "ecs-ec2")
    # p50 is the replica's latency at its batch (the queue is fed with it), never above p99
    assert ecs.latency.p50_ms <= ecs.latency.p99_ms
    assert ecs.latency.p99_ms <= 60_000  # an API behind a load balancer: sized under its 60 s timeout


# ---- 6. peak rate from a measured profile ----------------------------------------------------------
def test_a_measured_profile_sets_the_peak_rate(tmp_path):
    # one day of 1-minute rows, 100 a minute and 6,000 in minute 600; the 43,800-minute horizon holds
    # 30 whole days and 600 minutes (the peak minute is the 601st): 30 x 149,900 + 600 x 100 =
    # 4,557,000, declared as the volume, so the busiest minute stays 6,000: 100 requests/s
    rows = ["timestamp,requests"] + [
        f"{1_700_000_000 + 60 * m},{6_000 if m == 600 else 100}" for m in range(1_440)
    ]
    (tmp_path / "p.csv").write_text("\n".join(rows) + "\n")
    w = glue(requests_per_month=4_557_000, traffic_profile="p.csv", duration_s=0.2)
    del w["peak_to_mean"]
    wr = run({"workloads": [w]}, base_dir=tmp_path).workloads[0]
    assert wr.usage.peak_requests_per_s == pytest.approx(100)
    assert any(a.startswith("peak_to_mean = ") and "busiest minute" in a for a in wr.assumptions)
    fargate = option(wr, "fargate")
    assert any("at peak (100 requests/s" in n for n in fargate.notes)


# ---- 7. growth and Monte Carlo re-check the quotas -------------------------------------------------
def test_growth_reports_the_month_lambda_needs_a_quota_increase():
    # 300 requests/s x 1 s, flat: 300 concurrent, headroom 1,000 / 300 = 3.33x; at 10%/month month n
    # has 1.1^(n-1): 1.1^12 = 3.14, 1.1^13 = 3.45, so month 14 is the first over the default
    base = glue(requests_per_second=300, duration_s=1, trigger="api")
    plain = run({"growth": 0.1, "workloads": [base]}).workloads[0]
    layer = plain.model_dump(mode="json")["extras"]["growth"]["layers"][0]
    crossing = next(c for c in layer["quota_crossings"] if c["option"] == "lambda")
    assert crossing["month"] == 14 and crossing["kind"] == "over quota"
    lam = next(o for o in layer["options"] if o["key"] == "lambda")
    assert lam["monthly_total_usd"][12] is not None and lam["monthly_total_usd"][13] is None
    # with 5,000 granted it stays feasible (5,000 / 300 = 16.7x > 1.1^23 = 8.95) and is told to ask
    raised = run(
        {"growth": 0.1, "preferences": {"quota_increase": {"lambda-concurrency": 5_000}}, "workloads": [base]}
    ).workloads[0]
    layer = raised.model_dump(mode="json")["extras"]["growth"]["layers"][0]
    crossing = next(c for c in layer["quota_crossings"] if c["option"] == "lambda")
    assert crossing["month"] == 14 and crossing["kind"] == "needs increase"
    assert "lambda needs a quota increase (lambda-concurrency) from month 14" in layer["summary"]


def test_a_bedrock_workload_over_its_quota_does_not_stay_the_cheapest():
    # llama-3.1-8b on Bedrock: 300,000 tokens/min. 2 requests/s x (1,000 + 200) tokens x 60 =
    # 144,000 tokens/min, flat: headroom 300,000 / 144,000 = 2.08x; 1.1^7 = 1.95, 1.1^8 = 2.14:
    # over the quota from month 9, when Bedrock is no longer an option
    w = {
        "name": "m",
        "role": "inference",
        "model": {"id": "llama-3.1-8b"},
        "requests_per_second": 2,
        "traffic": "steady",
        "peak_to_mean": 1,
        "input_tokens": 1_000,
        "output_tokens": 200,
        "trigger": "api",
    }
    wr = run({"growth": 0.1, "workloads": [w]}).workloads[0]
    assert wr.recommendation.platform == "bedrock"
    layer = wr.model_dump(mode="json")["extras"]["growth"]["layers"][0]
    crossing = next(c for c in layer["quota_crossings"] if c["option"] == "bedrock")
    assert crossing["month"] == 9
    assert "stays the cheapest" not in layer["summary"]
    assert layer["cheapest_by_month"][8] != "bedrock"


def test_monte_carlo_counts_the_draws_over_the_quota():
    # the same workload with volume between 0.5x and 3x today (mode 1x): the quota is passed above
    # 2.08x, P(v > 2.083) = (3 - 2.083)^2 / ((3 - 0.5) x (3 - 1)) = 0.168 for a triangular(0.5, 1, 3)
    w = {
        "name": "m",
        "role": "inference",
        "model": {"id": "llama-3.1-8b"},
        "requests_per_second": 2,
        "traffic": "steady",
        "peak_to_mean": 1,
        "input_tokens": 1_000,
        "output_tokens": 200,
        "trigger": "api",
    }
    wr = run({"uncertainty": {"volume": [0.5, 3]}, "workloads": [w]}).workloads[0]
    layer = wr.model_dump(mode="json")["extras"]["uncertainty"]["layers"][0]
    bedrock = next(o for o in layer["options"] if o["key"] == "bedrock")
    assert bedrock["p_over_quota"] == pytest.approx(0.168, abs=0.015)
    assert "over its bedrock-tokens-per-minute quota" in layer["summary"]


# ---- 8. Bedrock quotas per model ------------------------------------------------------------------
def test_bedrock_quota_is_per_model_and_tokens_only():
    a = np.array([100.0, 300.0, 50.0, 1_000.0])
    # 1,000 tokens a request, 250,000 tokens/min: 250 requests a minute; 50 + 750 over; no rpm quota
    q = simulate_quota(a, 1_000, tpm_quota=250_000)
    assert q.minutes_over == 2 and q.throttled == pytest.approx(50 + 750) and q.rpm_quota is None


def test_bedrock_daily_quota_throttles_what_the_minutes_allow():
    # two days of 100 requests a minute x 10 tokens = 1,440,000 tokens a day against 1,000,000 a day:
    # 440,000 tokens = 44,000 requests over each day
    q = simulate_quota(np.full(2_880, 100.0), 10, tpm_quota=1e9, tpd_quota=1_000_000)
    assert q.days_over == 2 and q.throttled == pytest.approx(88_000)


@pytest.mark.parametrize(
    ("model", "tpm"),
    [
        ("claude-3-5-haiku", "2,000,000"),  # catalog bedrock_quotas.yml, us-east-1
        ("llama-3.1-8b", "300,000"),
    ],
)
def test_bedrock_over_its_model_quota_is_infeasible_unless_raised(model, tpm):
    # 100 requests/s x 1,200 tokens x 60 = 7.2M tokens/min, over either quota
    w = {
        "name": "m",
        "role": "inference",
        "model": {"id": model},
        "requests_per_second": 100,
        "traffic": "steady",
        "peak_to_mean": 1,
        "input_tokens": 1_000,
        "output_tokens": 200,
    }
    bedrock = option(run({"workloads": [w]}).workloads[0], "bedrock")
    assert not bedrock.feasible
    assert bedrock.blockers[0].value.startswith(f"{tpm} tokens/min")
    assert (
        "Provisioned Throughput" in bedrock.blocked_by[0]
        and "bedrock_quotas.yml" not in bedrock.blocked_by[0]
    )
    raised = {"preferences": {"quota_increase": {"bedrock-tokens-per-minute": 8_000_000}}, "workloads": [w]}
    bedrock = option(run(raised).workloads[0], "bedrock")
    assert bedrock.feasible
    assert any("request 'On-demand InvokeModel tokens per minute" in s for s in bedrock.soft_warnings)


# ---- 9. cold starts by runtime, package size and container image ----------------------------------
@pytest.mark.parametrize(
    ("workload", "seconds"),
    [
        ({}, 0.225 + 10 * 0.0458),  # python, the default 10 MB package: 0.683 s
        ({"runtime": "nodejs", "package_mb": 50}, 0.225 + 50 * 0.0458),  # 2.515 s
        ({"runtime": "java", "package_mb": 5}, 2.0 + 5 * 0.0458),  # 2.229 s
        ({"runtime": "go", "package_mb": 1}, 0.15 + 0.0458),  # 0.1958 s
    ],
)
def test_lambda_cold_start_by_runtime_and_package(workload, seconds):
    wr = run({"workloads": [glue(requests_per_month=1_000, duration_s=0.1, **workload)]}).workloads[0]
    lam = option(wr, "lambda")
    assert lam.latency.cold_start_s == pytest.approx(seconds)


def test_a_model_on_lambda_cold_starts_as_a_container_image_with_its_weights():
    w = {"name": "e", "role": "embedding", "model": {"id": "bge-small-en-v1.5"}, "requests_per_month": 1_000}
    wr = run({"workloads": [w]}).workloads[0]
    lam = option(wr, "lambda")
    gb = float(lam.notes[0].split("+ ")[1].split(" GB")[0])
    # 1.0 s image start + the weights x 2 s per GB
    assert lam.latency.cold_start_s == pytest.approx(1.0 + gb * 2.0, abs=0.01)
    assert "container image" in lam.notes[0]
