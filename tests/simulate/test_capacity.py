"""The capacity hook over a workload's traffic: what platforms and the decision see."""

from __future__ import annotations

from decimal import Decimal

import pytest

from wheretorun.catalog.store import load_catalog
from wheretorun.errors import InputError
from wheretorun.platforms.capacity import (
    bedrock_quota,
    lambda_fleet,
    lambda_fleet_closed_form,
    replica_fleet,
    traffic_for,
)
from wheretorun.platforms.usage import derive_usage
from wheretorun.spec.models import WorkloadFile

LAMBDA_REQUEST = Decimal(
    "0.0000002"
)  # USD per request, https://aws.amazon.com/lambda/pricing/ (x86, us-east-1)
LAMBDA_GB_S = Decimal("0.0000166667")  # USD per GB-second, first tier


def usage(tmp_path=None, **w):
    data = {"name": "w", "role": "glue", "requests_per_month": 3_000_000, "duration_s": 0.5, "memory_gb": 1}
    data.update(w)
    wf = WorkloadFile.model_validate({"workloads": [data]})
    return derive_usage(wf, 0, load_catalog(), "w.yml", tmp_path)


def lambda_cost(invocations: float, duration_s: float, memory_gb: float) -> Decimal:
    n = Decimal(str(invocations)).quantize(Decimal(1))
    return n * LAMBDA_REQUEST + n * Decimal(str(duration_s)) * Decimal(str(memory_gb)) * LAMBDA_GB_S


def test_simulated_lambda_cost_equals_the_closed_form_for_uniform_traffic():
    u = usage(traffic="steady", peak_to_mean=1)
    sim = lambda_fleet(u, 1.0, 0.01, 1000)
    closed = lambda_fleet_closed_form(u, 1.0, 0.01, 1000)
    assert sim.method == "simulated, 1-minute, 730 h"
    assert sim.billed_invocations == pytest.approx(closed.billed_invocations, rel=1e-12)
    assert lambda_cost(sim.billed_invocations, 0.5, 1).quantize(Decimal("0.01")) == lambda_cost(
        closed.billed_invocations, 0.5, 1
    ).quantize(Decimal("0.01"))
    assert sim.throttled == 0 and sim.cold_starts < closed.cold_starts  # steady traffic stays warm


def test_spiky_and_steady_traffic_of_the_same_volume_differ_on_a_fleet_not_on_lambda():
    steady, spiky = usage(traffic="steady", peak_to_mean=1.5), usage(traffic="spiky", peak_to_mean=8)
    assert traffic_for(steady).total == pytest.approx(traffic_for(spiky).total, rel=1e-12)
    # a GPU fleet: 2 requests/s per replica, nodes serve 5 minutes after launch
    a = replica_fleet(steady, 2.0, 300, 1, 0.7)
    b = replica_fleet(spiky, 2.0, 300, 1, 0.7)
    assert b.replica_hours > a.replica_hours * 1.2
    assert b.idle_replica_hours > a.idle_replica_hours
    assert "kept warm" in b.method  # API requests may not wait past the load balancer's timeout
    la, lb = lambda_fleet(steady, 1.0, 0.01, 1000), lambda_fleet(spiky, 1.0, 0.01, 1000)
    assert la.billed_invocations == pytest.approx(lb.billed_invocations, rel=1e-12)
    assert lb.peak_concurrency > la.peak_concurrency


def test_a_p99_target_buys_warm_replicas():
    loose = usage(traffic="spiky", peak_to_mean=8, trigger="queue")
    strict = usage(traffic="spiky", peak_to_mean=8, trigger="queue", p99_latency_ms=2000)
    a, b = replica_fleet(loose, 2.0, 300, 1, 0.7), replica_fleet(strict, 2.0, 300, 1, 0.7)
    assert a.warm_floor == 0 and a.p99_ms > 2000
    assert b.warm_floor > 0 and b.p99_ms <= 2000 and b.replica_hours > a.replica_hours
    assert b.autoscaled_p99_ms == pytest.approx(a.p99_ms)


def test_a_small_workload_takes_the_constant_fast_path():
    r = replica_fleet(usage(requests_per_month=1000), 10.0, 60, 1, 0.7)
    assert r.replica_hours == 730 and r.peak_replicas == 1 and "covers the busiest minute" in r.method


def test_batch_keeps_work_over_throughput():
    r = replica_fleet(usage(traffic="batch"), 1.0, 180, 0, 1.0, batch=True)
    assert r.replica_hours == pytest.approx(3_000_000 / 3600)


def test_bedrock_quota_is_a_risk_over_the_month():
    q = bedrock_quota(usage(traffic="spiky", peak_to_mean=8, requests_per_month=20_000_000), rpm_quota=200)
    assert q.minutes_over > 0 and q.throttled_requests > 0 and q.notes


def test_a_bad_profile_reaches_the_user_with_the_field_path(tmp_path):
    (tmp_path / "load.csv").write_text("timestamp,requests\n2026-01-01T00:05:00Z,1\n2026-01-01T00:00:00Z,1\n")
    u = usage(tmp_path, traffic_profile="load.csv")
    with pytest.raises(InputError) as e:
        replica_fleet(u, 2.0, 300, 1, 0.7)
    assert str(e.value) == (
        "load.csv: workloads[0].traffic_profile: line 3: timestamps are not sorted ascending (or repeat): "
        "2026-01-01T00:00:00Z comes after 2026-01-01T00:05:00Z"
    )


def test_a_profile_replaces_the_preset_shape_and_keeps_the_declared_volume(tmp_path):
    lines = [f"2026-01-01T{h:02d}:00:00Z,{1000 if h == 12 else 10}" for h in range(24)]
    (tmp_path / "load.csv").write_text("timestamp,requests\n" + "\n".join(lines) + "\n")
    u = usage(tmp_path, traffic_profile="load.csv")
    tr = traffic_for(u)
    assert tr.total == pytest.approx(3_000_000, rel=1e-12)
    assert tr.source.startswith("profile load.csv (60-minute interval)")
    r = lambda_fleet(u, 1.0, 0.01, 1000)
    assert any("repeated" in n for n in r.notes) and any("measures" in n for n in r.notes)
