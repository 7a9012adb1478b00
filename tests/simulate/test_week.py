"""The capacity-week chart data: the busiest week of the same simulation that priced the fleet."""

from __future__ import annotations

import numpy as np

from wheretorun import load_workloads
from wheretorun.decide.assemble import recommend_workload
from wheretorun.decide.catalog_merge import catalog_for
from wheretorun.platforms.usage import derive_usage
from wheretorun.simulate.week import WEEK_MINUTES, busiest_week, capacity_week


def test_busiest_week_finds_the_heaviest_window():
    a = np.ones(WEEK_MINUTES * 3)
    a[WEEK_MINUTES + 100 : WEEK_MINUTES + 200] = 50
    start = busiest_week(a)
    assert start <= WEEK_MINUTES + 100 < WEEK_MINUTES + 200 <= start + WEEK_MINUTES


def test_short_horizon_starts_at_zero():
    assert busiest_week(np.ones(100)) == 0


def test_capacity_covers_the_load_of_a_steady_gpu_fleet():
    wf = load_workloads(
        {
            "team": {"ops_capacity": "platform"},
            "workloads": [
                {
                    "name": "m",
                    "role": "inference",
                    "model": {"id": "llama-3.1-8b"},
                    "requests_per_second": 5,
                    "traffic": "steady",
                    "input_tokens": 800,
                    "output_tokens": 200,
                }
            ],
        }
    )
    cat = catalog_for(wf, "<t>")
    wr = recommend_workload(wf, 0, cat, "<t>", None)
    option = next(o for o in wr.options if o.platform == "ecs-ec2")
    week = capacity_week(derive_usage(wf, 0, cat, "<t>", None), option, wf.preferences.target_utilisation)
    assert week is not None
    # 7 days x 96 fifteen-minute buckets = 672
    assert len(week.minutes) == len(week.requests) == len(week.capacity) == 672
    assert week.unit == "requests/s" and week.platform.startswith("ecs-ec2")
    # requests/s averaged per bucket match the workload's mean within the traffic shape's spread
    assert 0.5 * 5 < np.mean(week.requests) < 2 * 5
    # a steady fleet sized at 70 % utilisation has headroom over the load on average
    assert np.mean(week.capacity) > np.mean(week.requests)


def test_serverless_options_have_no_capacity_week():
    wf = load_workloads(
        {"workloads": [{"name": "g", "role": "glue", "requests_per_month": 1000, "duration_s": 1}]}
    )
    cat = catalog_for(wf, "<t>")
    wr = recommend_workload(wf, 0, cat, "<t>", None)
    lam = next(o for o in wr.options if o.platform == "lambda")
    assert capacity_week(derive_usage(wf, 0, cat, "<t>", None), lam, 0.7) is None
