"""The serving model's arithmetic (sizing/serving.py): closed loop, open loop, queueing, Neuron, TP floor."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wheretorun.catalog.store import load_catalog
from wheretorun.sizing import architecture_from_card
from wheretorun.sizing.efficiency import load_efficiency
from wheretorun.sizing.serving import (
    ServingSetup,
    _erlang_c,
    at_concurrency,
    at_rate,
    max_concurrency,
    max_rate,
    max_requests_per_s,
    poisson_quantile,
)

CAT = load_catalog()
LLAMA8 = architecture_from_card(CAT.find_model("llama-3.1-8b"))  # type: ignore[arg-type]


def setup(accel: str = "A10G", tp: int = 1, kv: int = 40, engine: str = "vllm", **kw) -> ServingSetup:  # type: ignore[no-untyped-def]
    return ServingSetup(LLAMA8, "fp16", CAT.accelerators[accel], tp, 550, 150, kv, engine, **kw)


def test_one_request_in_flight_is_overhead_plus_prefill_plus_its_own_decode() -> None:
    s = setup(engine="tgi")
    p, step, r0 = s.prefill_s(), s.step_s(1), s.request_overhead_s
    pt = at_concurrency(s, 1)
    # batch 1: nobody else's prompt interferes; latency = r0 + P + 150 x step
    assert pt.request_latency_s == pytest.approx(r0 + p + 150 * step)
    assert pt.ttft_s == pytest.approx(r0 + step / 2 + p)
    assert pt.tpot_s == pytest.approx((pt.request_latency_s - pt.ttft_s) / 149)
    assert pt.output_tokens_per_s == pytest.approx(150 / (p + 150 * step))
    assert pt.queue_s == 0 and not pt.saturated


def test_prefill_interference_makes_tpot_longer_than_the_bare_step() -> None:
    s = setup()
    pt = at_concurrency(s, 16)
    # cycle = 16 prefills + 150 steps at batch 16; each request spends the whole cycle in service
    cycle = 16 * s.prefill_s() + 150 * s.step_s(16)
    assert pt.request_latency_s == pytest.approx(s.request_overhead_s + cycle)
    assert pt.requests_per_s == pytest.approx(16 / cycle)
    assert pt.tpot_s > s.step_s(16) * 1.2


def test_beyond_the_kv_cache_requests_queue() -> None:
    s = setup(kv=40)
    pt = at_concurrency(s, 64)
    x = 40 / s.cycle_s(40)
    # 64 in flight, 40 decoding: 24 wait 24 / X seconds
    assert pt.batch == 40 and pt.saturated
    assert pt.queue_s == pytest.approx(24 / x)
    assert pt.output_tokens_per_s == pytest.approx(at_concurrency(s, 40).output_tokens_per_s)


@pytest.mark.parametrize(
    ("servers", "load", "expected"),
    [
        (1, 0.5, 0.5),  # M/M/1: an arrival waits with probability rho
        (2, 1.0, 1 / 3),  # B(2,1) = 0.5/2.5 = 0.2; C = 0.2 / (1 - 0.5 x 0.8) = 1/3
        (3, 0.0, 0.0),
        (2, 2.0, 1.0),  # at capacity everyone waits
    ],
)
def test_erlang_c(servers: int, load: float, expected: float) -> None:
    assert _erlang_c(servers, load) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("q", "mean", "k"),
    [
        (0.5, 1.0, 1),  # P(0) = e^-1 = 0.368 < 0.5 <= P(<=1) = 0.736
        (0.99, 1.0, 4),  # P(<=3) = 0.981 < 0.99 <= P(<=4) = 0.996
        (0.99, 0.0, 0),
    ],
)
def test_poisson_quantile(q: float, mean: float, k: int) -> None:
    assert poisson_quantile(q, mean) == k


@settings(max_examples=40, deadline=None)
@given(share=st.floats(0.02, 0.98))
def test_at_a_rate_tails_are_above_means_and_grow_with_load(share: float) -> None:
    s = setup()
    cap = max_requests_per_s(s)
    a, b = at_rate(s, cap * share * 0.9), at_rate(s, cap * share)
    for pt in (a, b):
        assert pt.latency_p99_s >= pt.latency_p50_s  # type: ignore[operator]
        assert pt.ttft_p99_s >= pt.ttft_s - 1e-12  # type: ignore[operator]
        assert pt.output_tokens_per_s == pytest.approx(pt.requests_per_s * 150)
    assert b.latency_p99_s >= a.latency_p99_s - 1e-9  # type: ignore[operator]
    assert b.request_latency_s >= a.request_latency_s - 1e-9


def test_at_or_above_capacity_the_replica_is_saturated() -> None:
    s = setup()
    pt = at_rate(s, max_requests_per_s(s))
    assert pt.saturated and math.isinf(pt.latency_p99_s)  # type: ignore[arg-type]


@pytest.mark.parametrize(("ttft", "tpot"), [(0.5, None), (None, 0.045), (0.4, 0.04)])
def test_max_rate_meets_the_targets_and_a_little_more_does_not(
    ttft: float | None, tpot: float | None
) -> None:
    s = setup()
    r = max_rate(s, max_ttft_s=ttft, max_tpot_s=tpot)
    assert r > 0
    ok, over = at_rate(s, r), at_rate(s, r * 1.02)
    if ttft:
        assert ok.ttft_p99_s <= ttft  # type: ignore[operator]
    if tpot:
        assert ok.tpot_s <= tpot
    assert over.saturated or (ttft and over.ttft_p99_s > ttft) or (tpot and over.tpot_s > tpot)  # type: ignore[operator]


def test_max_concurrency_is_the_last_concurrency_within_the_targets() -> None:
    s = setup()
    c = max_concurrency(s, None, 0.045)
    assert 1 <= c < s.batch_limit
    assert at_concurrency(s, c).tpot_s <= 0.045 < at_concurrency(s, c + 1).tpot_s
    assert max_concurrency(s, None, 0.001) == 0  # faster than one bare step: impossible


def test_neuron_runs_its_compiled_batch_whatever_the_load() -> None:
    s = ServingSetup(LLAMA8, "fp16", CAT.accelerators["Inferentia2"], 1, 550, 150, 1000, "neuron",
                     compiled_batch=8, compiled_sequence_tokens=4096)  # fmt: skip
    # every step costs batch 8 at 4,096 tokens: the same at 1 and at 8 sequences
    assert s.step_s(1) == s.step_s(8)
    assert s.batch_limit == 8
    assert at_concurrency(s, 12).queue_s > 0


def test_tensor_parallel_adds_a_per_layer_all_reduce_floor() -> None:
    eff = load_efficiency()
    floor = eff.interconnects["nvlink4"].tp_layer_s
    one = setup("H100", 1, interconnect="nvlink4").step_s(1)
    eight = setup("H100", 8, interconnect="nvlink4").step_s(1)
    # TP8 splits the memory traffic eight ways but pays 32 layers x the floor on every step
    assert eight > 32 * floor
    assert eight > one / 8 + 32 * floor * 0.99
    pcie = setup("L40S", 4, interconnect="pcie4").step_s(1) - setup("L40S", 4, interconnect="nvlink4").step_s(
        1
    )
    assert pcie == pytest.approx(32 * (eff.interconnects["pcie4"].tp_layer_s - floor), rel=0.05)
