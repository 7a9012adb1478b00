"""The fleet, Lambda and Bedrock-quota simulations: conservation, scale-up lag, bounds, monotone cost."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from wheretorun.fleetsim.fleet import fleet_schedule, simulate_fleet
from wheretorun.fleetsim.lambda_ import simulate_lambda
from wheretorun.fleetsim.quota import simulate_quota
from wheretorun.fleetsim.windows import lindley, rolling_max, rolling_min


def loop_queue(a, c):
    q, out = 0.0, []
    for x, y in zip(a, c, strict=True):
        q = max(0.0, q + x - y)
        out.append(q)
    return np.array(out)


def test_lindley_matches_the_minute_by_minute_recursion():
    rng = np.random.default_rng(1)
    a, c = rng.random(500) * 10, rng.random(500) * 10
    assert np.allclose(lindley(a, c), loop_queue(a, c))


def test_rolling_windows_match_a_loop():
    x = np.random.default_rng(2).random(200)
    for w in (1, 2, 3, 15, 16):
        pad = np.concatenate([np.full(w - 1, x[0]), x])
        assert np.array_equal(rolling_max(x, w), [pad[i : i + w].max() for i in range(200)])
        assert np.array_equal(rolling_min(x, w), [pad[i : i + w].min() for i in range(200)])


def test_a_step_increase_queues_while_new_replicas_start():
    # 1 request/s for 2 hours, then 5/s; each replica serves 1/s; GPU nodes take 5 minutes to serve
    a = np.concatenate([np.full(120, 60.0), np.full(120, 300.0)])
    sim = simulate_fleet(a, 1.0, 300, 1, 0.7, service_s=1.0)
    assert sim.queued > 0 and sim.p99_s > 300  # 3 minutes of alarm + 5 of start-up
    instant = simulate_fleet(a, 1.0, 0, 1, 0.7, service_s=1.0)
    assert 0 < instant.queued < sim.queued  # the alarm's 3 minutes remain
    assert instant.p99_s < sim.p99_s
    assert sim.requests == pytest.approx(sim.served + sim.backlog_end)


def test_a_fleet_keeping_up_has_no_queue_and_bills_its_replicas():
    a = np.full(600, 30.0)  # 0.5 request/s, one replica at 70% covers it
    sim = simulate_fleet(a, 1.0, 60, 1, 0.7, service_s=0.4)
    assert sim.queued == 0 and sim.replica_hours == pytest.approx(10.0)
    assert sim.utilisation == pytest.approx(0.5)
    assert sim.p50_s == pytest.approx(0.4)


def test_scale_to_zero_saves_idle_hours_and_makes_the_first_request_wait():
    a = np.zeros(24 * 60)
    a[600] = 1.0  # one request a day
    zero = simulate_fleet(a, 1.0, 300, 0, 0.7, service_s=1.0)
    one = simulate_fleet(a, 1.0, 300, 1, 0.7, service_s=1.0)
    assert zero.replica_hours < 1 < one.replica_hours
    assert zero.cold_waits > 0.5 and zero.p99_s >= 300


def test_spot_interruptions_cost_capacity_not_requests():
    a = np.full(43_800, 120.0)
    sim = simulate_fleet(a, 1.0, 300, 3, 0.7, service_s=1.0, spot_interruptions_per_month=20, seed=4)
    assert sim.spot_interruptions > 0
    assert sim.requests == pytest.approx(sim.served + sim.backlog_end)


def test_lambda_throttles_synchronous_calls_above_the_quota_and_conserves_requests():
    a = np.full(60, 60_000.0)  # 1,000/s x 2 s = 2,000 concurrent, quota 1,000
    sync = simulate_lambda(a, 2.0, cold_start_s=1.0, concurrency_limit=1000)
    assert sync.throttled == pytest.approx(a.sum() / 2)
    assert sync.invocations == pytest.approx(sync.served + sync.throttled + sync.backlog_end)
    asyn = simulate_lambda(a, 2.0, cold_start_s=1.0, concurrency_limit=1000, synchronous=False)
    assert asyn.throttled == 0 and asyn.queued > 0
    assert asyn.invocations == pytest.approx(asyn.served + asyn.backlog_end)


def test_lambda_cold_starts_come_from_idle_gaps_and_provisioned_concurrency_removes_them():
    a = np.zeros(24 * 60)
    a[::60] = 1.0  # one call an hour: every call finds its environment recycled
    sim = simulate_lambda(a, 0.2, cold_start_s=1.0, concurrency_limit=1000)
    assert sim.cold_starts == pytest.approx(23 * (1 - np.exp(-1)), rel=1e-6)
    assert sim.p99_s == pytest.approx(1.2)
    warm = simulate_lambda(a, 0.2, cold_start_s=1.0, concurrency_limit=1000, provisioned_concurrency=1)
    assert warm.cold_starts == 0 and warm.p99_s == pytest.approx(0.2)


def test_bedrock_quota_counts_minutes_and_requests_over_it():
    a = np.array([100.0, 300.0, 50.0, 1000.0])
    q = simulate_quota(a, 1000, rpm_quota=200, tpm_quota=250_000)
    assert q.minutes_over == 2 and q.throttled == pytest.approx(100 + 800)
    assert q.peak_tokens_per_min == 1_000_000


traffic = arrays(
    np.float64, st.integers(30, 400), elements=st.floats(0, 500, allow_nan=False, allow_infinity=False)
)


@settings(max_examples=60, deadline=None)
@given(
    a=traffic,
    rps=st.floats(0.05, 20),
    start=st.sampled_from([0, 60, 300]),
    lo=st.integers(0, 3),
    extra=st.integers(0, 20),
)
def test_fleet_properties_on_random_traffic(a, rps, start, lo, extra):
    hi = lo + extra + 1
    sched = fleet_schedule(a, rps, start, lo, 0.7, max_replicas=hi)
    assert (sched.launched <= hi + 1e-9).all()
    assert (sched.serving <= sched.launched + 1e-9).all()
    if lo >= 1:
        assert (sched.launched >= lo).all()
    sim = simulate_fleet(a, rps, start, lo, 0.7, service_s=1.0, max_replicas=hi)
    assert sim.requests == pytest.approx(a.sum(), rel=1e-9, abs=1e-9)
    assert sim.requests == pytest.approx(sim.served + sim.backlog_end, rel=1e-9, abs=1e-6)
    assert 0 <= sim.utilisation <= 1


@settings(max_examples=60, deadline=None)
@given(a=traffic, k=st.floats(1.0, 10.0), rps=st.floats(0.05, 20), lo=st.integers(0, 3))
def test_replica_hours_never_fall_as_volume_rises(a, k, rps, lo):
    base = simulate_fleet(a, rps, 300, lo, 0.7, service_s=1.0)
    more = simulate_fleet(a * k, rps, 300, lo, 0.7, service_s=1.0)
    assert more.replica_hours >= base.replica_hours - 1e-9


@settings(max_examples=40, deadline=None)
@given(a=traffic, d=st.floats(0.01, 60), limit=st.floats(1, 2000))
def test_lambda_conserves_requests_on_random_traffic(a, d, limit):
    for sync in (True, False):
        s = simulate_lambda(a, d, cold_start_s=1.0, concurrency_limit=limit, synchronous=sync)
        ran = s.served + s.throttled + s.dropped + s.backlog_end
        assert s.invocations == pytest.approx(ran, rel=1e-9, abs=1e-6)
        assert s.cold_starts >= 0
        assert s.p50_s <= s.p99_s
