"""Minute-by-minute capacity of each platform over a traffic series, vectorised with NumPy.

No Python loop runs per request or per minute: scaling rules are rolling maxima and minima over
windows of minutes, queues are Lindley's recursion solved with cumulative sums
(q[t] = S[t] - min(0, min_{s<=t} S[s]) for S = cumsum(arrivals - capacity)), and idle gaps of
sparse traffic are Poisson probabilities (exp(-expected arrivals in the gap)).

The model is a fluid one at 1-minute resolution: arrivals and capacity are expected values per
minute, queueing *inside* a minute is not modelled, so a fleet that keeps up minute by minute shows
no queueing delay. docs/simulation.md describes each platform's model and its sources.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import behaviour
from .traffic import Shape, Traffic

#: z of the 99th percentile of a normal: instantaneous concurrency ~ mean + z x sqrt(mean) (Poisson).
Z99 = 2.326
#: Below this mean concurrency a minute needs one environment at most: c + Z99 sqrt(c) reaches 1 at
#: c = 0.1357 (0.13 + 2.326 x sqrt(0.13) = 0.969), so 0.13 leaves a margin far above float rounding.
BUSY_CONCURRENCY = 0.13


def _rolling(x: np.ndarray, window: int, ufunc: np.ufunc) -> np.ndarray:
    """ufunc-reduce of x[t-window+1 .. t] for every t in O(n log window) (a sparse table).

    m_k[t] reduces the 2^k minutes ending at t (m_{k+1}[t] = op(m_k[t], m_k[t - 2^k])); a window
    of w minutes is the overlap of two 2^k windows with 2^k <= w. x[0] stands in for the minutes
    before the horizon (the fleet starts in steady state).
    """
    n = x.size
    if window <= 1 or n == 0:
        return x
    pad = window - 1
    buf = np.concatenate([np.full(pad, x[0]), x])
    m = buf
    span = 1
    while span * 2 <= window:
        nxt = np.empty_like(m)
        nxt[:span] = m[:span]
        ufunc(m[span:], m[:-span], out=nxt[span:])
        m = nxt
        span *= 2
    # window = op(m[t], m[t - (window - span)])
    shift = window - span
    out = m[pad:].copy()
    if shift:
        ufunc(out, m[pad - shift : pad - shift + n], out=out)
    return out


def rolling_max(x: np.ndarray, window: int) -> np.ndarray:
    """max(x[t-window+1 .. t]) (x[0] repeated before the start)."""
    return _rolling(np.asarray(x, dtype=np.float64), window, np.maximum)


def rolling_min(x: np.ndarray, window: int) -> np.ndarray:
    """min(x[t-window+1 .. t]) (x[0] repeated before the start)."""
    return _rolling(np.asarray(x, dtype=np.float64), window, np.minimum)


def rolling_sum_before(x: np.ndarray, window: int) -> np.ndarray:
    """sum(x[t-window .. t-1]): what arrived in the ``window`` minutes before minute t."""
    n = x.size
    c = np.empty(n + 1)
    c[0] = 0.0
    np.cumsum(x, out=c[1:])
    out = c[:n].copy()
    if window < n:
        out[window:] -= c[: n - window]
    return out


def lindley(arrivals: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Backlog at the end of each minute of a FIFO queue served at ``capacity`` per minute.

    When capacity covers every minute the backlog is zero throughout, and that is returned without
    the cumulative sums: they would give exactly 0.0 too (every term of S is <= 0, so S never rises
    and S - min(S, 0) is S - S).
    """
    if (arrivals <= capacity).all():
        return np.zeros(np.shape(arrivals))
    return _backlog(arrivals, capacity)


def _backlog(arrivals: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """``lindley`` once it is known that some minute's arrivals exceed its capacity."""
    s = np.cumsum(arrivals - capacity)
    # fmin is minimum for numbers (they differ on NaN only, and there is none); its accumulate
    # runs about 1.4x faster
    low = np.fmin.accumulate(s)
    np.minimum(low, 0.0, out=low)
    return np.subtract(s, low, out=low)


def _series(arrivals: np.ndarray | Traffic) -> np.ndarray:
    if isinstance(arrivals, Traffic):
        return arrivals.per_minute
    return np.asarray(arrivals, dtype=np.float64)


def _total(arrivals: np.ndarray | Traffic, a: np.ndarray) -> float:
    """Requests over the horizon: a Traffic knows its sum (the same ``per_minute.sum()``)."""
    return arrivals.total if isinstance(arrivals, Traffic) else float(a.sum())


def _scaled(arrivals: np.ndarray | Traffic) -> tuple[np.ndarray, Shape, float]:
    """(arrivals, shape, scale) with arrivals == shape.values * scale bit for bit: a Traffic's shape,
    whose window statistics are shared by every volume, or the series itself at scale 1 (x * 1.0 is x)."""
    if isinstance(arrivals, Traffic) and arrivals.shape is not None:
        return arrivals.per_minute, arrivals.shape, arrivals.scale
    a = _series(arrivals)
    return a, Shape(a), 1.0


def _by_value(x: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """``minutes`` in increasing order of x (those above a threshold are then a tail)."""
    return minutes[np.argsort(x[minutes], kind="stable")]


def _shifted(x: np.ndarray) -> np.ndarray:
    """x one minute later (x[0] stands in for the minute before the horizon)."""
    return np.concatenate([x[:1], x[:-1]])


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float, zero_weight: float) -> float:
    """Quantile ``q`` of a distribution: ``zero_weight`` at 0 plus ``values`` with ``weights``."""
    total = zero_weight + float(weights.sum())
    if total <= 0:
        return 0.0
    rank = q * total
    if rank <= zero_weight:
        return 0.0
    order = np.argsort(values, kind="stable")
    cw = zero_weight + np.cumsum(weights[order])
    i = int(np.searchsorted(cw, rank, side="left"))
    return float(values[order][min(i, values.size - 1)])


# ---- self-hosted fleets: Fargate tasks, ECS/EKS on EC2 (CPU or GPU), SageMaker endpoints ----------
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
    a, shape, scale = _scaled(arrivals)
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
        return rolling_max(_shifted(rolling_min(x, out_points)), in_points)

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
    a = _series(arrivals)
    return _serve(a, _total(arrivals, a), sched, service_s, service_p99_s, min_replicas)


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
        q = _backlog(a, capacity)
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
    w50 = _weighted_quantile(values, weights, 0.50, undelayed)
    w99 = _weighted_quantile(values, weights, 0.99, undelayed)
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

    a = _series(arrivals)
    total = _total(arrivals, a)  # once for every floor tried

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


# ---- Lambda --------------------------------------------------------------------------------------
@dataclass
class LambdaSim:
    minutes: int
    invocations: float  # requests that arrived
    served: float
    throttled: float  # rejected (synchronous callers get 429 TooManyRequestsException)
    backlog_end: float  # asynchronous events still queued at the end (Lambda retries them)
    queued: float
    cold_starts: float
    peak_concurrency: float
    #: environments the busiest minute needs (concurrency + its 99th-percentile margin)
    peak_environments: float
    mean_concurrency: float
    provisioned_concurrency: int
    cold_share: float
    p50_s: float
    p99_s: float
    notes: list[str] = field(default_factory=list)
    dropped: float = 0.0  # asynchronous events older than the maximum event age: discarded, never run
    max_wait_s: float = 0.0  # longest time an asynchronous event waited in Lambda's queue
    worst_minute_cold_share: float = 0.0  # cold starts / requests in the minute with the most scale-up

    @property
    def failed(self) -> float:
        """Requests that never ran: throttled (synchronous) or dropped (asynchronous)."""
        return self.throttled + self.dropped

    @property
    def failed_share(self) -> float:
        return self.failed / self.invocations if self.invocations else 0.0


def bounded_backlog(arrivals: np.ndarray, rate: float, cap: float) -> tuple[np.ndarray, float]:
    """(backlog at the end of each minute, requests dropped) of a FIFO queue served at ``rate`` per
    minute that holds at most ``cap`` requests: q[t] = min(cap, max(0, q[t-1] + a[t] - rate)).

    Lambda's asynchronous queue discards an event older than the function's maximum event age: with
    FIFO service at ``rate``, an event that finds ``cap = rate x age`` ahead of it would wait longer
    than the age, so it is dropped. Until the backlog first reaches the cap it is ``lindley``'s
    (cumulative sums, no loop); from there the cap breaks that solution and the recursion runs as a
    loop over the rest of the minutes (only a function whose events are dropped gets there).
    """
    q = lindley(arrivals, np.full(arrivals.size, rate))
    full = np.flatnonzero(q > cap)
    if full.size == 0:
        return q, 0.0
    first = int(full[0])
    level = float(q[first - 1]) if first else 0.0
    dropped = 0.0
    rest = []
    for x in (arrivals[first:] - rate).tolist():
        level += x
        if level <= 0.0:
            level = 0.0
        elif level > cap:
            dropped += level - cap
            level = cap
        rest.append(level)
    q[first:] = rest
    return q, dropped


def simulate_lambda(
    arrivals: np.ndarray | Traffic,
    duration_s: float,
    *,
    duration_p99_s: float | None = None,
    cold_start_s: float,
    concurrency_limit: float,
    provisioned_concurrency: int = 0,
    synchronous: bool = True,
    warm_idle_min: float | None = None,
    max_event_age_s: float | None = None,
) -> LambdaSim:
    """Execution environments, cold starts and throttles of one function, minute by minute.

    - concurrency in minute t = arrivals/60 x duration (Little's law); environments needed =
      concurrency + 2.33 sqrt(concurrency) (Poisson arrivals, 99th percentile), rounded up;
    - an environment stays warm ``warm_idle_min`` after its last use (behaviour.yml,
      lambda/warm-idle-min): a minute needing more environments than were busy in the previous
      window starts the difference cold; sparse traffic also starts cold after an idle gap, with
      probability exp(-expected arrivals in the window before);
    - provisioned concurrency keeps that many environments initialised (no cold start below it);
    - above ``concurrency_limit`` synchronous requests are throttled (HTTP 429, not billed);
      asynchronous events (event and queue triggers) wait in Lambda's internal queue, served at the
      limit's rate, and are dropped once older than ``max_event_age_s`` (behaviour.yml,
      lambda/max-event-age-s: 6 hours, configurable 60 s - 6 h per function);
    - p50 and p99 come from one distribution: warm requests at the duration, cold ones a cold start
      later, queued events their wait later; when 1% or more of the requests fail (throttled or
      dropped) the p99 request is a failure and ``p99_s`` is infinite.
    """
    a, shape, scale = _scaled(arrivals)
    n = a.size
    p99 = duration_s if duration_p99_s is None else duration_p99_s
    warm_min = int(round(behaviour.value("lambda/warm-idle-min") if warm_idle_min is None else warm_idle_min))
    per_request = duration_s / 60.0
    # the busiest minute's concurrency, from the shape's peak (the map from shape to concurrency is
    # non-decreasing, so this is the maximum of arrivals x per_request exactly): the scans below run
    # only when it can matter
    peak_conc = shape.peak * scale * per_request if n else 0.0

    def environments(x: np.ndarray) -> np.ndarray:
        """Environments needed in a minute whose shape value is x (non-decreasing in x)."""
        c = x * scale
        c *= per_request
        e = np.sqrt(c)
        e *= Z99
        e += c
        e -= 1e-9
        return np.ceil(e, out=e)

    pc = max(0, int(provisioned_concurrency))
    cold = 0.0
    # scale-ups: environments needed beyond those used in the warm window before (or provisioned),
    # in minutes needing more than one (busy minutes). A minute can need more than its window only
    # if its shape value exceeds the window's maximum (environments are non-decreasing in it): those
    # "rises" are a property of the shape (cached, in order of value; a few in ten minutes) and the
    # only minutes evaluated, every other minute's excess being exactly 0. Of the rises, only those
    # above BUSY_CONCURRENCY can need more than one environment (see its comment: the margin to
    # 0.1357 is far above the rounding of concurrency = value x scale x per_request): a tail.
    rises = np.zeros(0, dtype=np.intp)
    excess = np.zeros(0)
    worst_minute = 0.0
    if peak_conc > BUSY_CONCURRENCY:
        prev_max = shape.stat(("prev_max", warm_min), lambda x: _shifted(rolling_max(x, warm_min)))
        # minute 0 is no rise: its window before is itself (the horizon starts warm)
        rises = shape.stat(("rises", warm_min), lambda x: _by_value(x, np.flatnonzero(x > prev_max)))
        values = shape.stat(("rise_values", warm_min), lambda x: x[rises])
        busy = int(np.searchsorted(values, BUSY_CONCURRENCY / (scale * per_request), side="right"))
        rises = rises[busy:]
        envs = environments(values[busy:])
        warm = environments(prev_max[rises])  # the window's maximum of environments (Shape: exact)
        np.maximum(warm, pc, out=warm)
        excess = np.subtract(envs, warm, out=warm)
        np.maximum(excess, 0.0, out=excess)
        excess *= envs > 1  # a minute needing one environment at most is no scale-up (0 x finite = 0)
        cold += float(excess.sum())
        if excess.size:
            # the burstiest minute's own cold share: a month's p99 can hide bursts whose every
            # request in a hundred starts cold
            worst_minute = float((excess / np.maximum(a[rises], 1e-12)).max())
    if pc < 1 and n > 1:
        # idle gaps (Poisson): a minute's first request is cold when nothing arrived in the warm window
        # before; only minutes with fewer than ~40 expected arrivals in the window can be cold at all.
        # Minute 0 is never a gap: the horizon starts warm (steady state), like the fleets.
        sums = shape.stat(("sum_before", warm_min), lambda x: rolling_sum_before(x, warm_min))
        # the fewest and most arrivals in the window before minutes 1.. are the shape's times the
        # scale (x -> x * scale is non-decreasing): whether no minute, every minute or some are gaps
        # is known without comparing the month
        least, most = shape.stat(
            ("sum_before_range", warm_min), lambda x: np.array([sums[1:].min(), sums[1:].max()])
        )
        if least * scale < 40.0:
            before = sums[1:] * scale  # expected arrivals in the window before minutes 1..
            minutes: slice | np.ndarray = slice(None)  # every minute (sparse traffic)
            where: bool | np.ndarray = True
            if not most * scale < 40.0:
                is_gap = before < 40.0
                if 3 * np.count_nonzero(is_gap) < n:
                    minutes = np.flatnonzero(is_gap)  # a few: gathered
                else:
                    # many: every minute, cheaper than gathering them; outside the gaps the window is
                    # infinite, so the term is exactly 0 (exp(-inf) = 0, times a finite number), and
                    # expm1 is skipped there (``where``: large arguments take its slow path)
                    before[~is_gap] = np.inf
                    where = is_gap
            # float32 for the transcendental functions (7x faster here; a probability needs no more):
            # exp(-before) x -expm1(-arrivals)
            p = before[minutes].astype(np.float32)
            np.negative(p, out=p)
            np.exp(p, out=p)
            came = a[1:][minutes].astype(np.float32)
            np.negative(came, out=came)
            np.expm1(came, out=came, where=where)
            np.multiply(p, came, out=p)
            np.negative(p, out=p)  # exact: (x * -y) == -(x * y) in IEEE arithmetic
            idle = np.zeros(n - 1)  # minute t's chance of a cold start is idle[t - 1]
            idle[minutes] = p
            if cold:
                # where scale-ups were counted, the idle term only adds what exceeds them
                up = np.flatnonzero(excess)
                at = rises[up] - 1  # no rise in minute 0
                idle[at] = np.maximum(idle[at] - excess[up], 0.0)
            cold += float(idle.sum())
    total = _total(arrivals, a)
    notes: list[str] = []
    limit = float(concurrency_limit)
    throttled = 0.0
    dropped = 0.0
    backlog_end = 0.0
    queued = 0.0
    extra_wait = 0.0
    wait_values = np.zeros(0)
    wait_weights = np.zeros(0)
    if n and peak_conc > limit:  # some minute's concurrency is above the limit
        conc = a * per_request
        over = conc > limit
        if synchronous:
            throttled = float((a[over] * (1.0 - limit / conc[over])).sum())
            notes.append(
                f"{int(over.sum()):,} minute(s) need more than the {limit:,.0f} concurrent executions quota: "
                f"{throttled:,.0f} requests throttled (HTTP 429, not billed)"
            )
        else:
            age = behaviour.value("lambda/max-event-age-s") if max_event_age_s is None else max_event_age_s
            rate = limit / duration_s * 60.0
            q, dropped = bounded_backlog(a, rate, rate * age / 60.0)
            backlog_end = float(q[-1])
            waiting = q > 1e-12
            wait_weights = np.minimum(a[waiting], q[waiting])
            wait_values = q[waiting] / rate * 60.0
            queued = float(wait_weights.sum())
            extra_wait = float(q.max()) / rate * 60.0
            notes.append(
                f"{int(over.sum()):,} minute(s) above the {limit:,.0f} concurrency quota: events queue in Lambda "
                f"(up to {extra_wait:,.0f} s behind, the maximum event age is {age:,.0f} s)"
                + (
                    f"; {dropped:,.0f} events older than that are dropped (or sent to a failure destination), "
                    "never run and not billed"
                    if dropped > 0
                    else ""
                )
            )
    rate_cap = behaviour.value("lambda/scale-rate-per-min")
    jump = np.zeros(0)
    if n and float(environments(np.array([shape.peak]))[0]) > rate_cap:  # the most environments
        envs = environments(shape.values)
        jump = envs[1:] - envs[:-1]
    if (jump > rate_cap).any():
        notes.append(
            f"{int((jump > rate_cap).sum()):,} minute(s) add more than {rate_cap:,.0f} environments, Lambda's scaling "
            "rate per function (1,000 every 10 s): the burst is throttled or delayed while it scales"
        )
    served = total - throttled - dropped - backlog_end
    share = cold / total if total else 0.0
    failed_share = (throttled + dropped) / total if total else 0.0
    # one distribution for both percentiles: the wait of queued events (weights per minute), cold
    # starts (share of the requests) and warm requests; failures rank above everything
    ran = max(total - throttled - dropped, 0.0)
    delay50 = delay99 = 0.0
    if wait_weights.size and ran > 0:
        on_time = max(ran - float(wait_weights.sum()), 0.0)
        delay50 = _weighted_quantile(wait_values, wait_weights, min(1.0, 0.50 * total / ran), on_time)
        delay99 = _weighted_quantile(wait_values, wait_weights, min(1.0, 0.99 * total / ran), on_time)
    p50 = duration_s + (cold_start_s if share > 0.5 else 0.0) + delay50
    p99_s = p99 + (cold_start_s if share >= 0.01 else 0.0) + delay99
    if failed_share > 0.5:
        p50 = math.inf
    if failed_share >= 0.01:
        p99_s = math.inf
    return LambdaSim(
        minutes=n,
        invocations=total,
        served=served,
        throttled=throttled,
        backlog_end=backlog_end,
        queued=queued,
        cold_starts=cold,
        peak_concurrency=float(peak_conc),
        peak_environments=float(environments(np.array([shape.peak]))[0]) if n else 0.0,
        mean_concurrency=total * per_request / n if n else 0.0,  # mean of arrivals x per_request
        provisioned_concurrency=pc,
        cold_share=share,
        p50_s=p50,
        p99_s=p99_s,
        notes=notes,
        dropped=dropped,
        max_wait_s=extra_wait,
        worst_minute_cold_share=min(worst_minute, 1.0),
    )


# ---- Bedrock on-demand quotas --------------------------------------------------------------------
@dataclass
class QuotaSim:
    minutes: int
    requests: float
    minutes_over: int
    share_of_minutes_over: float
    throttled: float  # requests beyond the quotas (per minute, then per day), never served
    peak_requests_per_min: float
    peak_tokens_per_min: float
    rpm_quota: float | None  # None: not enforced (AWS dropped requests-per-minute quotas on bedrock-runtime)
    tpm_quota: float
    notes: list[str] = field(default_factory=list)
    tpd_quota: float | None = None
    days_over: int = 0
    peak_tokens_per_day: float = 0.0

    @property
    def throttled_share(self) -> float:
        return self.throttled / self.requests if self.requests else 0.0


def simulate_quota(
    arrivals: np.ndarray | Traffic,
    tokens_per_request: float,
    *,
    rpm_quota: float | None = None,
    tpm_quota: float | None = None,
    tpd_quota: float | None = None,
) -> QuotaSim:
    """Minutes (and days) in which one model's on-demand tokens exceed the account's quotas.

    Bedrock bills tokens whatever the shape, but requests over a quota get ThrottlingException and
    are not served: per minute, the requests beyond min(rpm, tpm / tokens per request) (rpm only when
    given: AWS no longer enforces requests-per-minute quotas on the bedrock-runtime endpoint); per
    day (``tpd_quota``, 1,440-minute days from the horizon's start), the requests served after the
    day's tokens reach it. Tokens counted are input + output; Bedrock reserves input + max_tokens at
    the start of a request, so the real headroom is smaller when max_tokens is left high.
    """
    a = _series(arrivals)
    tpm = behaviour.value("bedrock/tokens-per-minute") if tpm_quota is None else tpm_quota
    allowed = tpm / tokens_per_request if tokens_per_request > 0 else math.inf
    if rpm_quota is not None:
        allowed = min(allowed, rpm_quota)
    peak = arrivals.peak if isinstance(arrivals, Traffic) else float(a.max(initial=0))
    n = a.size
    # no minute above the quota (the usual case): nothing in excess, without the per-minute pass
    excess = np.maximum(a - allowed, 0.0) if peak > allowed else np.zeros(0)
    over = int((excess > 1e-9).sum())
    per_minute = float(excess.sum())
    days_over = 0
    per_day = 0.0
    peak_day = 0.0
    if n and tokens_per_request > 0:
        served = a - excess if excess.size else a
        whole = n // 1440 * 1440
        days = served[:whole].reshape(-1, 1440).sum(axis=1) if whole else served.sum(keepdims=True)
        day_tokens = days * tokens_per_request
        peak_day = float(day_tokens.max(initial=0))
        if tpd_quota is not None:
            beyond = np.maximum(day_tokens - tpd_quota, 0.0)
            days_over = int((beyond > 1e-6).sum())
            per_day = float(beyond.sum()) / tokens_per_request
    notes = []
    what = f"{tpm:,.0f} tokens/min" + (f", {rpm_quota:,.0f} requests/min" if rpm_quota is not None else "")
    if over:
        notes.append(
            f"{over:,} of {n:,} minutes ({over / n:.2%}) exceed the on-demand quota ({what}): "
            f"{per_minute:,.0f} requests throttled (ThrottlingException, not billed); the busiest minute needs "
            f"{peak * tokens_per_request:,.0f} tokens/min"
        )
    if days_over:
        notes.append(
            f"{days_over:,} day(s) exceed the daily quota of {tpd_quota:,.0f} tokens: {per_day:,.0f} more "
            f"requests throttled; the busiest day needs {peak_day:,.0f} tokens"
        )
    return QuotaSim(
        minutes=n,
        requests=float(a.sum()),
        minutes_over=over,
        share_of_minutes_over=over / n if n else 0.0,
        throttled=per_minute + per_day,
        peak_requests_per_min=peak,
        peak_tokens_per_min=peak * tokens_per_request,
        rpm_quota=rpm_quota,
        tpm_quota=tpm,
        notes=notes,
        tpd_quota=tpd_quota,
        days_over=days_over,
        peak_tokens_per_day=peak_day,
    )
