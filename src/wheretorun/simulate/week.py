"""Traffic against provisioned capacity over the busiest week, for the report's chart.

The same simulation that priced a self-hosted fleet (``fleetsim.fleet.fleet_schedule`` over the
workload's 1-minute traffic) is replayed for the option, and the week with the most requests is
cut out and averaged into 15-minute buckets (672 points: enough to see idle nights and the lag of
scale-out, small enough for a self-contained HTML report).
"""

from __future__ import annotations

import numpy as np

from ..fleetsim.fleet import fleet_schedule
from ..platforms.capacity import traffic_for
from ..platforms.usage import Usage
from ..results import CapacityWeek, Option

WEEK_MINUTES = 7 * 24 * 60
BUCKET_MINUTES = 15


def busiest_week(per_minute: np.ndarray) -> int:
    """Start minute of the 7-day window with the most requests (0 when the horizon is shorter)."""
    if per_minute.size <= WEEK_MINUTES:
        return 0
    sums = np.cumsum(np.concatenate(([0.0], per_minute)))
    window = sums[WEEK_MINUTES:] - sums[:-WEEK_MINUTES]
    return int(np.argmax(window))


def capacity_week(usage: Usage, option: Option, target_utilisation: float) -> CapacityWeek | None:
    """The busiest week of a feasible self-hosted fleet, else None.

    ``requests`` is the offered load and ``capacity`` what the serving replicas can take at 100 %,
    both in requests per second averaged over each 15-minute bucket.
    """
    ex = option.fleet
    if not option.feasible or ex is None or not ex.per_replica_rps:
        return None
    rps = ex.per_replica_rps
    traffic = traffic_for(usage)
    arrivals = np.asarray(traffic.per_minute, dtype=np.float64)
    floor = max(ex.min_replicas, ex.warm_floor)
    schedule = fleet_schedule(traffic, rps, ex.scale_out_s, floor, target_utilisation)
    start = busiest_week(arrivals)
    end = min(arrivals.size, start + WEEK_MINUTES)
    n = (end - start) // BUCKET_MINUTES * BUCKET_MINUTES
    if n == 0:
        return None
    load = arrivals[start : start + n].reshape(-1, BUCKET_MINUTES).mean(axis=1) / 60.0
    serving = np.asarray(schedule.serving[start : start + n], dtype=np.float64)
    capacity = serving.reshape(-1, BUCKET_MINUTES).mean(axis=1) * float(rps)
    return CapacityWeek(
        minutes=list(range(0, n, BUCKET_MINUTES)),
        requests=[round(float(x), 6) for x in load],
        capacity=[round(float(x), 6) for x in capacity],
        unit="requests/s",
        platform=f"{option.platform} ({option.instance_type})" if option.instance_type else option.platform,
        week_starts_at_minute=start,
        traffic=traffic.source,
        method=f"the busiest 7 days of {arrivals.size:,} simulated minutes, 15-minute means",
    )
