"""Window statistics taken once per traffic shape give the same simulation as the series itself.

The fast path (``fleetsim.traffic.Shape``) must be exact: rolling maxima and minima commute with the
non-decreasing per-minute functions the simulators apply, so schedules match bit for bit; rolling
sums are scaled instead of re-summed, so what depends on them matches up to float rounding.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from wheretorun.fleetsim.fleet import fleet_schedule, run_queue
from wheretorun.fleetsim.lambda_ import simulate_lambda
from wheretorun.fleetsim.traffic import Shape, Traffic, preset
from wheretorun.fleetsim.windows import lindley

shapes = arrays(
    np.float64, st.integers(30, 400), elements=st.floats(0, 50, allow_nan=False, allow_infinity=False)
)


def scaled(values: np.ndarray, scale: float) -> Traffic:
    shape = Shape(values)
    return Traffic(shape.values * scale, "test", (), shape, scale)


@settings(max_examples=60, deadline=None)
@given(
    x=shapes,
    scale=st.floats(1e-3, 1e4),
    rps=st.floats(0.05, 20),
    start=st.sampled_from([0, 60, 300]),
    lo=st.integers(1, 3),
)
def test_a_fleet_over_a_shared_shape_is_the_fleet_over_its_series(x, scale, rps, start, lo):
    tr = scaled(x, scale)
    assert tr.peak == tr.per_minute.max()  # from the shape's peak, exactly
    fast = fleet_schedule(tr, rps, start, lo, 0.7, max_replicas=lo + 30)
    plain = fleet_schedule(tr.per_minute.copy(), rps, start, lo, 0.7, max_replicas=lo + 30)
    assert np.array_equal(fast.launched, plain.launched)
    assert np.array_equal(fast.serving, plain.serving)
    assert run_queue(tr, fast, service_s=1.0) == run_queue(tr.per_minute.copy(), plain, service_s=1.0)


@settings(max_examples=60, deadline=None)
@given(x=shapes, scale=st.floats(1e-3, 1e4), d=st.floats(0.01, 60), pc=st.integers(0, 3))
def test_lambda_over_a_shared_shape_is_lambda_over_its_series(x, scale, d, pc):
    tr = scaled(x, scale)
    kw = {"cold_start_s": 1.0, "concurrency_limit": 1000, "provisioned_concurrency": pc}
    fast = simulate_lambda(tr, d, **kw)
    plain = simulate_lambda(tr.per_minute.copy(), d, **kw)
    # the rolling sum of the window before is scaled, not re-summed: float rounding only
    assert fast.cold_starts == pytest.approx(plain.cold_starts, rel=1e-9, abs=1e-12)
    fast.cold_starts = plain.cold_starts
    fast.cold_share = plain.cold_share
    assert fast == plain


def test_presets_share_their_shape_across_volumes():
    low, high = preset("spiky", 1e5, 8), preset("spiky", 3e7, 8)
    assert low.shape is high.shape
    assert np.array_equal(low.per_minute, low.shape.values * low.scale)


def test_a_queue_that_keeps_up_is_exactly_empty():
    rng = np.random.default_rng(5)
    a = rng.random(1000) * 10
    c = a + rng.random(1000)
    s = np.cumsum(a - c)
    assert np.array_equal(lindley(a, c), s - np.minimum(np.minimum.accumulate(s), 0.0))
    assert not lindley(a, c).any()
