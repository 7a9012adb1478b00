"""Straightforward pure-Python versions of what the library vectorises: the yardstick of the bench.

Same models, written the obvious way (a loop per minute, a loop per draw), so the ratio shows what
vectorising buys and a wrong fast path shows up as a different answer.
"""

from __future__ import annotations

import math
import random


def fleet_loop(arrivals, per_replica_rps, start_s, floor, target_util, out_points=3, in_points=15):
    """Autoscaled fleet, minute by minute: (replica-hours, queued requests, backlog at the end)."""
    cap = per_replica_rps * 60
    lag = math.ceil(start_s / 60 - 1e-9)
    desired = [max(floor, math.ceil(x / (cap * target_util) - 1e-9)) for x in arrivals]
    n = len(arrivals)
    launched, serving = [], []
    for t in range(n):
        tgt = min(desired[max(0, s)] for s in range(t - out_points, t)) if t else desired[0]
        launched.append(tgt)
    launched = [
        max(launched[max(0, s)] if s >= 0 else launched[0] for s in range(t - in_points + 1, t + 1))
        for t in range(n)
    ]
    serving = [min(launched[s] if s >= 0 else launched[0] for s in range(t - lag, t + 1)) for t in range(n)]
    q = queued = 0.0
    for t in range(n):
        q = max(0.0, q + arrivals[t] - serving[t] * cap)
        queued += min(arrivals[t], q)
    return sum(launched) / 60, queued, q


def lambda_loop(arrivals, duration_s, limit, warm_min=10):
    """Cold starts and throttles, minute by minute."""
    envs = []
    cold = throttled = 0.0
    for t, x in enumerate(arrivals):
        conc = x * duration_s / 60
        e = math.ceil(conc + 2.326 * math.sqrt(conc) - 1e-9)
        warm = max(envs[max(0, t - warm_min) : t], default=e)
        before = sum(arrivals[max(0, t - warm_min) : t])
        idle = math.exp(-before) * -math.expm1(-x) if t else 0.0
        cold += idle if e <= 1 else max(e - warm, 0, idle)
        envs.append(e)
        if conc > limit:
            throttled += x * (1 - limit / conc)
    return cold, throttled


def quota_loop(arrivals, tokens, rpm, tpm):
    allowed = min(rpm, tpm / tokens)
    over = sum(1 for x in arrivals if x > allowed)
    return over, sum(max(0.0, x - allowed) for x in arrivals)


def montecarlo_loop(options, ranges, draws, seed=0):
    """options: [(fixed, volume_usd, ops_usd)] re-priced draw by draw; returns P(cheapest) per option."""
    rnd = random.Random(seed)
    wins = [0] * len(options)
    for _ in range(draws):
        v = rnd.triangular(*ranges["volume"])
        r = rnd.triangular(*ranges["rate"])
        costs = [f + vol * v + ops * r for f, vol, ops in options]
        wins[costs.index(min(costs))] += 1
    return [w / draws for w in wins]
