"""The window arithmetic every fleet simulator shares, vectorised with NumPy.

No Python loop runs per request or per minute: scaling rules are rolling maxima and minima over
windows of minutes (a sparse table, ``rolling_max``/``rolling_min``), queues are Lindley's recursion
solved with cumulative sums (q[t] = S[t] - min(0, min_{s<=t} S[s]) for S = cumsum(arrivals -
capacity), ``lindley``), and percentiles come from weighted distributions (``weighted_quantile``).

The model is a fluid one at 1-minute resolution: arrivals and capacity are expected values per
minute, queueing *inside* a minute is not modelled, so a fleet that keeps up minute by minute shows
no queueing delay. docs/simulation.md describes each platform's model and its sources.
"""

from __future__ import annotations

import numpy as np

from .traffic import Shape, Traffic


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
    return backlog(arrivals, capacity)


def backlog(arrivals: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """``lindley`` once it is known that some minute's arrivals exceed its capacity."""
    s = np.cumsum(arrivals - capacity)
    # fmin is minimum for numbers (they differ on NaN only, and there is none); its accumulate
    # runs about 1.4x faster
    low = np.fmin.accumulate(s)
    np.minimum(low, 0.0, out=low)
    return np.subtract(s, low, out=low)


def series(arrivals: np.ndarray | Traffic) -> np.ndarray:
    if isinstance(arrivals, Traffic):
        return arrivals.per_minute
    return np.asarray(arrivals, dtype=np.float64)


def total_of(arrivals: np.ndarray | Traffic, a: np.ndarray) -> float:
    """Requests over the horizon: a Traffic knows its sum (the same ``per_minute.sum()``)."""
    return arrivals.total if isinstance(arrivals, Traffic) else float(a.sum())


def scaled(arrivals: np.ndarray | Traffic) -> tuple[np.ndarray, Shape, float]:
    """(arrivals, shape, scale) with arrivals == shape.values * scale bit for bit: a Traffic's shape,
    whose window statistics are shared by every volume, or the series itself at scale 1 (x * 1.0 is x)."""
    if isinstance(arrivals, Traffic) and arrivals.shape is not None:
        return arrivals.per_minute, arrivals.shape, arrivals.scale
    a = series(arrivals)
    return a, Shape(a), 1.0


def by_value(x: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """``minutes`` in increasing order of x (those above a threshold are then a tail)."""
    return minutes[np.argsort(x[minutes], kind="stable")]


def shifted(x: np.ndarray) -> np.ndarray:
    """x one minute later (x[0] stands in for the minute before the horizon)."""
    return np.concatenate([x[:1], x[:-1]])


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float, zero_weight: float) -> float:
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
