"""Self-hosted fleets minute by minute: Fargate tasks, ECS/EKS on EC2 (CPU or GPU) and SageMaker
endpoints, each a target-tracking autoscaled set of replicas serving a FIFO queue.

``fleet_schedule`` is the autoscaler (replicas launched and serving per minute), ``run_queue`` the
queue it serves, ``fleet_for_p99`` the warm floor a latency target needs; the arithmetic over
windows of minutes is ``windows``. docs/simulation.md ("Self-hosted fleets") gives the sources.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import behaviour
from .traffic import Traffic
from .windows import (
    backlog,
    rolling_max,
    rolling_min,
    rolling_sum_before,
    scaled,
    series,
    shifted,
    total_of,
    weighted_quantile,
)


@dataclass
class FleetSim:
    """What a scaled fleet did over the horizon (totals over the horizon, not per month)."""

    minutes: int
    replica_hours: float
    peak_replicas: int
    mean_replicas: float
    min_replicas: int
    utilisation: float
    idle_replica_hours: float
    requests: float
    served: float
    backlog_end: float  # still queued when the horizon ends (served after it)
    queued: float  # requests that waited past the minute they arrived in
    mean_wait_s: float  # over the queued requests
    cold_waits: float  # requests that arrived to a fleet scaled to zero and waited for a node
    spot_interruptions: float
    p50_s: float
    p99_s: float
    notes: list[str] = field(default_factory=list)

    @property
    def throttled(self) -> float:
        return 0.0


@dataclass
class Schedule:
    """Replicas per minute an autoscaled fleet has launched (billed) and serving (started)."""

    launched: np.ndarray
    serving: np.ndarray
    cold_waits: float  # expected requests that find the fleet at zero
    lag_min: int
    cap: float  # requests one replica serves in a minute at 100%
    spot_loss: np.ndarray | None = None
    spot_interruptions: float = 0.0

    def with_floor(self, floor: int) -> Schedule:
        """The same fleet with ``floor`` replicas kept warm all month (max commutes with the rolling windows)."""
        if floor <= 0:
            return self
        return Schedule(
            np.maximum(self.launched, floor),
            np.maximum(self.serving, floor),
            0.0,
            self.lag_min,
            self.cap,
            self.spot_loss,
            self.spot_interruptions,
        )


def fleet_schedule(
    arrivals: np.ndarray | Traffic,
    per_replica_rps: float,
    start_s: float,
    min_replicas: int,
    target_utilisation: float,
    *,
    max_replicas: int | None = None,
    spot_interruptions_per_month: float = 0.0,
    seed: int = 0,
) -> Schedule:
    """Target-tracking autoscaling of replicas that each serve ``per_replica_rps``.

    - desired replicas in minute t: ceil(requests / (per-replica capacity x target utilisation)),
      within [min_replicas, max_replicas];
    - scale-out happens once demand has stayed above the fleet for the alarm's datapoints (3 x 1
      minute), scale-in once it stayed below for 15 (behaviour.yml, autoscaling/*);
    - a new replica is billed from launch and serves ``start_s`` later (Fargate task start, GPU node
      provisioning + image pull + model load);
    - ``min_replicas = 0`` scales to zero after 15 idle minutes; the first request after that waits
      for a node;
    - Spot: interruptions at ``spot_interruptions_per_month`` per instance-month take a replica out
      until its replacement serves (start time minus the 2-minute notice).
    """
    if per_replica_rps <= 0:
        raise ValueError("per_replica_rps must be positive")
    if not 0 < target_utilisation <= 1:
        raise ValueError("target_utilisation must be in (0, 1]")
    a, shape, scale = scaled(arrivals)
    n = a.size
    cap = per_replica_rps * 60.0
    per_replica = cap * target_utilisation
    lag = max(0, math.ceil(start_s / 60 - 1e-9))
    out_points = int(behaviour.value("autoscaling/scale-out-datapoints"))
    in_points = int(behaviour.value("autoscaling/scale-in-datapoints"))
    floor = max(0, int(min_replicas))

    def desired(x: np.ndarray) -> np.ndarray:
        """Replicas asked for by a minute whose shape value is x: ceil(requests / (per-replica
        capacity x target utilisation)) within the bounds; non-decreasing in x."""
        d = x * scale
        d /= per_replica
        d -= 1e-9
        np.ceil(d, out=d)
        np.maximum(d, floor, out=d)
        if max_replicas is not None:
            np.minimum(d, max_replicas, out=d)
        return d

    # the alarm fires when every one of the last `out_points` datapoints asks for more, and acts on
    # the previous minute's datapoints; scale-in waits until `in_points` datapoints ask for less.
    # Those windows select minutes, so they are taken over the shape once (Shape: exact).
    envelope = ("launch", out_points, in_points)

    def launch_envelope(x: np.ndarray) -> np.ndarray:
        return rolling_max(shifted(rolling_min(x, out_points)), in_points)

    launched = desired(shape.stat(envelope, launch_envelope))
    cold_waits = 0.0
    sparse = False
    if floor == 0:
        # sparse traffic: the fleet is at zero unless a request arrived in the scale-in window.
        # Where 800 or more did, both Poisson terms are exact constants in float64 (exp(-800) is 24
        # orders below the smallest subnormal): on with probability 1 (min(replicas <= 1, 1) leaves
        # them as they are) and no cold wait. Those minutes are skipped (``where``: exp and expm1
        # take a slow path there); the fewest in a window are the shape's times the scale (exact).
        sums = shape.stat(("sum_before", in_points), lambda x: rolling_sum_before(x, in_points))
        least = shape.stat(("sum_before_least", in_points), lambda x: sums.min(initial=np.inf, keepdims=True))
        sparse = bool(least[0] * scale < 800.0)
    if sparse:
        before = sums * scale
        live = before < 800.0
        came = np.negative(a)
        np.expm1(came, out=came, where=live)  # -P(a request arrives in the minute) where live
        idle = np.negative(before)
        np.exp(idle, out=idle, where=live)
        idle[~live] = 0.0  # P(none arrived in the window before)
        cold_waits = -float(np.multiply(idle, came, out=idle).sum())
        on = np.add(before, a, out=before)
        np.negative(on, out=on)
        low = launched <= 1
        low &= live
        np.expm1(on, out=on, where=low)
        np.negative(on, out=on)  # P(a request arrived in the window or the minute), where low
        np.minimum(launched, on, out=launched, where=low)
        serving = rolling_min(launched, lag + 1)
    else:
        # launched is the desired replicas of the envelope, so serving is of its rolling minimum
        serving = desired(
            shape.stat(
                ("serving", out_points, in_points, lag),
                lambda x: rolling_min(shape.stat(envelope, launch_envelope), lag + 1),
            )
        )
    sched = Schedule(launched, serving, cold_waits, lag, cap)
    if spot_interruptions_per_month > 0 and n:
        total = float(launched.sum())
        rng = np.random.default_rng(seed)
        count = float(rng.poisson(spot_interruptions_per_month * total / 60 / 730)) if total else 0.0
        if count:
            at = rng.choice(n, size=int(count), p=launched / total)
            down = max(1, math.ceil((start_s - behaviour.value("spot/notice-s")) / 60))
            loss = np.zeros(n + down + 1)
            np.add.at(loss, at, 1.0)
            np.add.at(loss, at + down, -1.0)
            sched.spot_loss = np.cumsum(loss)[:n]
            sched.spot_interruptions = count
    return sched


def run_queue(
    arrivals: np.ndarray | Traffic,
    sched: Schedule,
    *,
    service_s: float,
    service_p99_s: float | None = None,
    min_replicas: int = 0,
) -> FleetSim:
    """Serve ``arrivals`` with the schedule's serving replicas; requests beyond capacity queue (FIFO)."""
    a = series(arrivals)
    return _serve(a, total_of(arrivals, a), sched, service_s, service_p99_s, min_replicas)


def _serve(
    a: np.ndarray,
    total: float,
    sched: Schedule,
    service_s: float,
    service_p99_s: float | None,
    min_replicas: int,
) -> FleetSim:
    """``run_queue`` of the series ``a`` whose sum is ``total`` (computed once by callers that serve
    the same arrivals with several schedules)."""
    n = a.size
    cap = sched.cap
    service_p99_s = service_s if service_p99_s is None else service_p99_s
    serving = sched.serving
    if sched.spot_loss is not None:
        serving = np.maximum(serving - sched.spot_loss, 0.0)
    capacity = serving * cap
    if (a <= capacity).all():
        # no minute's arrivals exceed its capacity: no queue at all (lindley's zeros)
        backlog_end, qm = 0.0, np.zeros(0)
        weights = values = np.zeros(0)
    else:
        q = backlog(a, capacity)
        backlog_end = float(q[-1])
        mask = np.flatnonzero(q > 1e-12)
        qm = q[mask]
        weights = np.minimum(a[mask], qm)  # requests of the minute still waiting at its end (FIFO)
        values = 60.0 * qm / np.maximum(capacity[mask], cap)
    served = total - backlog_end
    queued = float(weights.sum())
    mean_wait = float(qm.sum()) * 60 / queued if queued > 1e-9 else 0.0
    if sched.cold_waits > 0:
        values = np.append(values, sched.lag_min * 60.0)
        weights = np.append(weights, sched.cold_waits)
    undelayed = max(0.0, total - float(weights.sum()))
    w50 = weighted_quantile(values, weights, 0.50, undelayed)
    w99 = weighted_quantile(values, weights, 0.99, undelayed)
    replica_minutes = float(sched.launched.sum())
    replica_hours = replica_minutes / 60
    work_hours = served / cap / 60
    return FleetSim(
        minutes=n,
        replica_hours=replica_hours,
        peak_replicas=int(math.ceil(float(sched.launched.max(initial=0)) - 1e-9)),
        mean_replicas=replica_minutes / n if n else 0.0,
        min_replicas=min_replicas,
        utilisation=min(1.0, work_hours / replica_hours) if replica_hours else 0.0,
        idle_replica_hours=max(0.0, replica_hours - work_hours),
        requests=total,
        served=served,
        backlog_end=backlog_end,
        queued=queued,
        mean_wait_s=mean_wait,
        cold_waits=sched.cold_waits,
        spot_interruptions=sched.spot_interruptions,
        p50_s=service_s + w50,
        p99_s=max(service_p99_s, service_s + w99),
    )


def simulate_fleet(
    arrivals: np.ndarray | Traffic,
    per_replica_rps: float,
    start_s: float,
    min_replicas: int,
    target_utilisation: float,
    *,
    service_s: float,
    service_p99_s: float | None = None,
    max_replicas: int | None = None,
    spot_interruptions_per_month: float = 0.0,
    seed: int = 0,
) -> FleetSim:
    """``fleet_schedule`` then ``run_queue``: one autoscaled fleet over the traffic."""
    sched = fleet_schedule(
        arrivals,
        per_replica_rps,
        start_s,
        min_replicas,
        target_utilisation,
        max_replicas=max_replicas,
        spot_interruptions_per_month=spot_interruptions_per_month,
        seed=seed,
    )
    return run_queue(
        arrivals,
        sched,
        service_s=service_s,
        service_p99_s=service_p99_s,
        min_replicas=max(0, int(min_replicas)),
    )


def fleet_for_p99(
    arrivals: np.ndarray | Traffic,
    sched: Schedule,
    p99_target_s: float,
    *,
    service_s: float,
    service_p99_s: float | None,
    min_replicas: int,
    max_floor: int,
) -> tuple[int, FleetSim, FleetSim]:
    """(warm floor, fleet with it, autoscaled fleet): the fewest replicas kept warm all month so that
    p99 latency meets ``p99_target_s`` (bisection; p99 falls as the floor rises). Floor 0 when
    autoscaling alone meets it; ``max_floor`` when nothing up to it does."""

    a = series(arrivals)
    total = total_of(arrivals, a)  # once for every floor tried

    def run(f: int) -> FleetSim:
        return _serve(a, total, sched.with_floor(f), service_s, service_p99_s, min_replicas)

    auto = run(0)
    if auto.p99_s <= p99_target_s:
        return 0, auto, auto
    lo, hi = max(min_replicas, 0), max(max_floor, min_replicas, 1)
    best = run(hi)
    if best.p99_s > p99_target_s:
        return hi, best, auto
    while hi - lo > 1:
        mid = (lo + hi) // 2
        s = run(mid)
        if s.p99_s <= p99_target_s:
            hi, best = mid, s
        else:
            lo = mid
    return hi, best, auto


def constant_fleet(
    arrivals_total: float,
    minutes: int,
    replicas: int,
    per_replica_rps: float,
    *,
    service_s: float,
    service_p99_s: float | None = None,
) -> FleetSim:
    """Fast path: a fleet whose minimum already covers the busiest minute never scales or queues."""
    hours = replicas * minutes / 60
    work_hours = arrivals_total / per_replica_rps / 3600
    return FleetSim(
        minutes=minutes,
        replica_hours=hours,
        peak_replicas=replicas,
        mean_replicas=float(replicas),
        min_replicas=replicas,
        utilisation=min(1.0, work_hours / hours) if hours else 0.0,
        idle_replica_hours=max(0.0, hours - work_hours),
        requests=arrivals_total,
        served=arrivals_total,
        backlog_end=0.0,
        queued=0.0,
        mean_wait_s=0.0,
        cold_waits=0.0,
        spot_interruptions=0.0,
        p50_s=service_s,
        p99_s=service_s if service_p99_s is None else service_p99_s,
    )
