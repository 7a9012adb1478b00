"""Bedrock on-demand quotas minute by minute (and day by day): the requests a model's tokens-per-
minute, requests-per-minute and tokens-per-day quotas throttle.

docs/simulation.md ("Bedrock") gives the model and its sources.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import behaviour
from .traffic import Traffic
from .windows import series


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
    a = series(arrivals)
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
