"""One Lambda function minute by minute: execution environments, cold starts (scale-ups and idle
gaps), throttles above the concurrency quota and the asynchronous event queue.

docs/simulation.md ("Lambda") gives the model and its sources; the window arithmetic is ``windows``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import behaviour
from .traffic import Traffic
from .windows import (
    by_value,
    lindley,
    rolling_max,
    rolling_sum_before,
    scaled,
    shifted,
    total_of,
    weighted_quantile,
)

#: z of the 99th percentile of a normal: instantaneous concurrency ~ mean + z x sqrt(mean) (Poisson).
Z99 = 2.326
#: Below this mean concurrency a minute needs one environment at most: c + Z99 sqrt(c) reaches 1 at
#: c = 0.1357 (0.13 + 2.326 x sqrt(0.13) = 0.969), so 0.13 leaves a margin far above float rounding.
BUSY_CONCURRENCY = 0.13


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
    a, shape, scale = scaled(arrivals)
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
        prev_max = shape.stat(("prev_max", warm_min), lambda x: shifted(rolling_max(x, warm_min)))
        # minute 0 is no rise: its window before is itself (the horizon starts warm)
        rises = shape.stat(("rises", warm_min), lambda x: by_value(x, np.flatnonzero(x > prev_max)))
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
    total = total_of(arrivals, a)
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
        delay50 = weighted_quantile(wait_values, wait_weights, min(1.0, 0.50 * total / ran), on_time)
        delay99 = weighted_quantile(wait_values, wait_weights, min(1.0, 0.99 * total / ran), on_time)
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
