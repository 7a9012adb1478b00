"""How much capacity a workload keeps provisioned over a month: the hook between platforms and traffic.

Platforms ask two questions: how many replica-hours does a fleet of always-warm servers burn to
serve this traffic (Fargate tasks, GPU instances, SageMaker endpoints), and how does a
per-request service (Lambda) behave (cold starts, throttles). This first version answers in
closed form from the mean and the peak; ``simulate`` answers minute by minute.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..units import HOURS_PER_MONTH
from .usage import Usage


@dataclass
class FleetResult:
    replica_hours: float
    peak_replicas: int
    min_replicas: int
    mean_replicas: float
    utilisation: float  # served work / provisioned capacity, 0..1
    idle_replica_hours: float
    queued_requests: float = 0.0
    throttled_requests: float = 0.0
    p50_ms: float | None = None
    p99_ms: float | None = None
    method: str = "closed form (peak replicas always on)"
    notes: list[str] = field(default_factory=list)


@dataclass
class LambdaResult:
    invocations: float
    cold_starts: float
    throttled: float
    peak_concurrency: float
    p99_ms: float | None
    method: str = "closed form"
    notes: list[str] = field(default_factory=list)


def replica_fleet(
    usage: Usage,
    per_replica_rps: float,
    scale_out_s: float,
    min_replicas: int,
    target_utilisation: float,
    *,
    batch: bool = False,
) -> FleetResult:
    """Replica-hours for always-on servers that each sustain ``per_replica_rps``.

    Closed form: provision for the peak at the target utilisation, all month (a fleet that cannot
    scale faster than ``scale_out_s`` keeps peak capacity warm). Batch work runs at full
    utilisation for exactly as long as it needs.
    """
    if per_replica_rps <= 0:
        raise ValueError("per_replica_rps must be positive")
    work_hours = usage.requests_per_month / per_replica_rps / 3600  # replica-hours of pure work
    if batch:
        hours = max(work_hours, 0.0)
        return FleetResult(
            replica_hours=hours, peak_replicas=max(1, math.ceil(hours / HOURS_PER_MONTH)), min_replicas=0,
            mean_replicas=hours / HOURS_PER_MONTH, utilisation=1.0 if hours else 0.0, idle_replica_hours=0.0,
            method="closed form (batch: instance-hours = work / throughput)",
        )
    peak = max(min_replicas, math.ceil(usage.peak_rps / (per_replica_rps * target_utilisation) - 1e-9), 1)
    hours = peak * HOURS_PER_MONTH
    util = min(1.0, work_hours / hours) if hours else 0.0
    return FleetResult(
        replica_hours=hours, peak_replicas=peak, min_replicas=max(min_replicas, 1), mean_replicas=float(peak),
        utilisation=util, idle_replica_hours=max(0.0, hours - work_hours),
    )


def lambda_fleet(usage: Usage, cold_start_s: float, cold_fraction: float, concurrency_limit: float) -> LambdaResult:
    peak_conc = usage.peak_concurrency
    throttled = 0.0
    notes = []
    if peak_conc > concurrency_limit:
        notes.append(
            f"peak concurrency {peak_conc:,.0f} exceeds the default quota of {concurrency_limit:,.0f}: ask AWS to raise it"
        )
    return LambdaResult(
        invocations=usage.requests_per_month,
        cold_starts=usage.requests_per_month * cold_fraction,
        throttled=throttled,
        peak_concurrency=peak_conc,
        p99_ms=(usage.duration_p99_s + (cold_start_s if cold_fraction >= 0.01 else 0)) * 1000,
        notes=notes,
    )
