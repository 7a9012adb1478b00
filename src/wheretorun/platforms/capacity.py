"""How much capacity a workload keeps over a month: the hook between platforms and traffic over time.

Platforms ask three questions:

- ``replica_fleet``: how many replica-hours does a fleet of servers burn to serve this traffic
  (Fargate tasks, ECS/EKS instances, SageMaker endpoints), how busy are they, and how long do
  requests wait while it scales?
- ``lambda_fleet``: how does a per-request service behave (cold starts, throttles, concurrency)?
- ``bedrock_quota``: how often would the traffic exceed Bedrock's per-account on-demand quotas?

Each answer comes from a minute-by-minute simulation (``wheretorun.simulate``) over the workload's
traffic: its ``traffic_profile`` when it has one, else the preset of its ``traffic`` shape with its
``peak_to_mean``, over a 730-hour month. The same monthly volume therefore costs more on a fleet
when it arrives in spikes. The closed-form versions (``*_closed_form``) stay for comparison and
tests. docs/simulation.md describes the models and their sources.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from .._perf import memo
from ..fleetsim import behaviour
from ..fleetsim.fleet import FleetSim, constant_fleet, fleet_for_p99, fleet_schedule, run_queue
from ..fleetsim.lambda_ import simulate_lambda
from ..fleetsim.quota import simulate_quota
from ..fleetsim.traffic import Traffic, from_profile, horizon_minutes, load_profile, preset
from ..spec.files import resolve_named_file
from ..units import HOURS_PER_MONTH
from .usage import Usage

SIMULATED = "simulated, 1-minute, {hours:,.0f} h"


@dataclass
class FleetResult:
    """A fleet's month (figures per 730-hour month; totals over a longer horizon are divided by its months)."""

    replica_hours: float
    peak_replicas: int
    min_replicas: int
    mean_replicas: float
    utilisation: float  # served work / provisioned capacity, 0..1
    idle_replica_hours: float
    queued_requests: float = 0.0  # requests that waited past the minute they arrived in
    throttled_requests: float = 0.0
    p50_ms: float | None = None
    p99_ms: float | None = None
    method: str = "closed form (peak replicas always on)"
    notes: list[str] = field(default_factory=list)
    requests: float = 0.0
    served_requests: float = 0.0
    backlog_requests: float = 0.0  # still queued when the horizon ends
    mean_wait_s: float = 0.0  # over the queued requests
    cold_waits: float = 0.0  # requests that found a fleet scaled to zero and waited for a node
    spot_interruptions: float = 0.0
    warm_floor: int = 0  # replicas kept warm beyond autoscaling to meet p99_latency_ms
    autoscaled_p99_ms: float | None = None  # p99 with autoscaling alone (before any warm floor)
    traffic: str = ""
    #: jobs billed for their work-hours, no standing replicas (``replica_fleet(batch=True)``)
    batch: bool = False


@dataclass
class LambdaResult:
    invocations: float
    cold_starts: float
    throttled: float
    peak_concurrency: float
    p99_ms: float | None
    method: str = "closed form"
    notes: list[str] = field(default_factory=list)
    billed_invocations: float | None = None  # served (throttled requests are not billed)
    queued: float = 0.0
    cold_share: float = 0.0
    mean_concurrency: float = 0.0
    provisioned_concurrency: int = 0
    p50_ms: float | None = None
    traffic: str = ""
    dropped: float = 0.0  # asynchronous events older than the maximum event age (never run, not billed)
    peak_environments: float = 0.0
    failed_share: float = 0.0  # (throttled + dropped) / invocations
    max_wait_s: float = 0.0
    worst_minute_cold_share: float = 0.0


@dataclass
class QuotaResult:
    """Bedrock on-demand quota risk over a month: minutes over quota and requests that would be throttled."""

    minutes_over: float
    share_of_minutes_over: float
    throttled_requests: float
    peak_requests_per_min: float
    peak_tokens_per_min: float
    rpm_quota: float | None
    tpm_quota: float
    method: str
    notes: list[str] = field(default_factory=list)
    tpd_quota: float | None = None
    days_over: float = 0.0
    peak_tokens_per_day: float = 0.0
    requests: float = 0.0
    throttled_share: float = 0.0


# ---- traffic per workload, cached -----------------------------------------------------------------
def profile_path(usage: Usage) -> Path | None:
    """The real path of the workload's ``traffic_profile``, checked against ``usage.files``
    (``spec.files``: inside the workload file's folder or an allowed one, a regular file)."""
    prof = usage.workload.traffic_profile
    if prof is None:
        return None
    return resolve_named_file(usage.files, prof, file=prof, field_path=f"{usage.path}.traffic_profile")


@memo(maxsize=16)
def _profile(path: str, mtime_ns: int, size: int, field_path: str, label: str):
    return load_profile(Path(path), field_path=field_path, label=label)


@memo(maxsize=64)
def _traffic(kind: str, peak_to_mean: float, volume: float, minutes: int, prof: tuple | None) -> Traffic:
    if prof is None:
        tr = preset(kind, volume * minutes / (HOURS_PER_MONTH * 60), peak_to_mean, minutes=minutes)
    else:
        path, mtime, size, field_path, label = prof
        values, step = _profile(path, mtime, size, field_path, label)
        tr = from_profile(values, step, volume, minutes=max(minutes, values.size * step), label=label)
    tr.per_minute.setflags(write=False)  # shared by every caller through the cache
    return tr


def traffic_key(usage: Usage, hours: float = HOURS_PER_MONTH) -> tuple:
    """What the workload's traffic series depends on (the cache key of ``traffic_for``)."""
    minutes = horizon_minutes(hours)
    w = usage.workload
    path = profile_path(usage)
    prof = None
    if path is not None:
        try:
            st = path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = (0, 0)
        prof = (str(path), *stamp, f"{usage.path}.traffic_profile", w.traffic_profile or str(path))
    return (w.traffic, float(usage.peak_to_mean), float(usage.requests_per_month), minutes, prof)


def traffic_for(usage: Usage, hours: float = HOURS_PER_MONTH) -> Traffic:
    """The workload's requests per minute over ``hours`` (cached per workload shape and volume).

    Raises InputError naming ``workloads[i].traffic_profile`` (and the CSV line) for a bad profile.
    """
    return _traffic(*traffic_key(usage, hours))


def profile_peak(usage: Usage, tr: Traffic) -> None:
    """Set ``usage.peak_to_mean`` from a measured profile's busiest minute (the profile is the shape,
    so its peak replaces the preset's default or the file's peak_to_mean), and say so in the assumptions."""
    mean = tr.total / tr.minutes if tr.minutes else 0.0
    if mean <= 0:
        return
    ptm = tr.peak / mean
    usage.assumptions = [a for a in usage.assumptions if not a.startswith("peak_to_mean")]
    usage.assumptions.append(
        f"peak_to_mean = {ptm:,.4g} from {usage.workload.traffic_profile}'s busiest minute "
        f"({tr.peak:,.0f} requests, {tr.peak / 60:,.4g}/s, at the declared volume)"
    )
    usage.peak_to_mean = ptm


# ---- fleets ---------------------------------------------------------------------------------------
def replica_fleet(
    usage: Usage,
    per_replica_rps: float,
    scale_out_s: float,
    min_replicas: int,
    target_utilisation: float,
    *,
    batch: bool = False,
    max_replicas: int | None = None,
    spot_interruptions_per_month: float = 0.0,
    service_s: float | None = None,
    hours: float = HOURS_PER_MONTH,
    service_p99_s: float | None = None,
) -> FleetResult:
    """Replica-hours of servers that each sustain ``per_replica_rps``, simulated over the traffic.

    ``service_s`` / ``service_p99_s``: one request's mean / p99 time on a replica as sized (a GPU
    server's latency at its rate); the workload's ``duration_s`` / ``duration_p99_s`` when None (p99:
    at least ``service_s``). p50 and p99 both come from the queue fed with them.

    The fleet autoscales (target tracking at ``target_utilisation``, new replicas serving
    ``scale_out_s`` after launch, never below ``min_replicas``). When the workload sets
    ``p99_latency_ms`` and autoscaling alone misses it (requests queue while replicas start), the
    smallest number of replicas kept warm all month that meets it is found (bisection) and
    priced: that is what spiky traffic really costs on a slow-starting fleet.

    Batch work (``batch=True``) queues: instance-hours are work / throughput whatever the shape
    (closed form).

    The result is shared through a cache (every fleet of the same traffic and parameters, ECS and
    EKS, workloads of the same volume): read it, never mutate it.
    """
    if per_replica_rps <= 0:
        raise ValueError("per_replica_rps must be positive")
    if batch:
        return replica_fleet_closed_form(
            usage, per_replica_rps, scale_out_s, min_replicas, target_utilisation, batch=True
        )
    key = traffic_key(usage, hours)
    target_ms = usage.workload.p99_latency_ms
    budget = None
    if target_ms is None and usage.workload.trigger == "api":
        budget = behaviour.value("alb/idle-timeout-s")
    return _replica_fleet(
        key,
        float(per_replica_rps),
        float(scale_out_s),
        max(0, int(min_replicas)),
        float(target_utilisation),
        float(usage.duration_s if service_s is None else service_s),
        float(
            usage.duration_p99_s
            if service_s is None
            else service_p99_s
            if service_p99_s is not None
            else max(service_s, usage.duration_p99_s)
        ),
        None if target_ms is None else float(target_ms),
        budget,
        max_replicas,
        float(spot_interruptions_per_month),
    )


@memo(maxsize=4096)
def _replica_fleet(
    key: tuple,
    per_replica_rps: float,
    scale_out_s: float,
    floor: int,
    target_utilisation: float,
    service: float,
    p99_service: float,
    target_ms: float | None,
    budget_s: float | None,
    max_replicas: int | None,
    spot: float,
) -> FleetResult:
    tr = _traffic(*key)
    method = SIMULATED.format(hours=tr.hours)
    peak_need = math.ceil(tr.peak / (per_replica_rps * 60 * target_utilisation) - 1e-9)
    if floor >= 1 and peak_need <= floor and not spot:
        sim = constant_fleet(
            tr.total, tr.minutes, floor, per_replica_rps, service_s=service, service_p99_s=p99_service
        )
        return _fleet_result(
            sim, tr, method + f" (the minimum of {floor} covers the busiest minute)", 0, None
        )
    sched = fleet_schedule(
        tr,
        per_replica_rps,
        scale_out_s,
        floor,
        target_utilisation,
        max_replicas=max_replicas,
        spot_interruptions_per_month=spot,
    )
    limit_s = target_ms / 1000 if target_ms is not None else budget_s
    if limit_s is None:
        return _fleet_result(
            run_queue(tr, sched, service_s=service, service_p99_s=p99_service, min_replicas=floor),
            tr,
            method,
            0,
            None,
        )
    top = max(peak_need, floor, 1)
    if max_replicas is not None:
        top = min(top, max_replicas)
    warm, sim, auto = fleet_for_p99(
        tr, sched, limit_s, service_s=service, service_p99_s=p99_service, min_replicas=floor, max_floor=top
    )
    if warm == 0:
        return _fleet_result(sim, tr, method, 0, None)
    res = _fleet_result(sim, tr, method, warm, auto.p99_s * 1000)
    what = (
        f"the {target_ms:,.0f} ms p99 target"
        if target_ms is not None
        else f"the load balancer's {budget_s:,.0f} s idle timeout (no p99_latency_ms given; API requests that wait longer fail)"
    )
    if sim.p99_s > limit_s:
        res.notes.append(
            f"even {warm} replica(s) warm all month give p99 {sim.p99_s * 1000:,.0f} ms, above {what}"
        )
    else:
        res.notes.append(
            f"autoscaling alone gives p99 {auto.p99_s * 1000:,.0f} ms (replicas take {scale_out_s:,.0f} s to serve); "
            f"{warm} replica(s) kept warm all month meet {what}: {res.replica_hours - auto.replica_hours / tr.months:,.0f} "
            "more replica-hours a month than autoscaling alone"
        )
    return res


def _fleet_result(
    sim: FleetSim, tr: Traffic, method: str, warm_floor: int, auto_p99_ms: float | None
) -> FleetResult:
    m = tr.months
    notes = list(tr.notes) + list(sim.notes)
    if sim.queued > 0.5:
        notes.append(
            f"{sim.queued / m:,.0f} requests a month wait for capacity while the fleet scales "
            f"(mean wait {sim.mean_wait_s:,.0f} s)"
        )
    if sim.cold_waits > 0.5:
        notes.append(
            f"{sim.cold_waits / m:,.0f} requests a month find the fleet scaled to zero and wait for a node"
        )
    if sim.spot_interruptions:
        notes.append(f"{sim.spot_interruptions / m:,.1f} Spot interruptions a month simulated")
    return FleetResult(
        replica_hours=sim.replica_hours / m,
        peak_replicas=sim.peak_replicas,
        min_replicas=sim.min_replicas,
        mean_replicas=sim.mean_replicas,
        utilisation=sim.utilisation,
        idle_replica_hours=sim.idle_replica_hours / m,
        queued_requests=sim.queued / m,
        throttled_requests=sim.throttled / m,
        p50_ms=sim.p50_s * 1000,
        p99_ms=sim.p99_s * 1000,
        method=method + (f", {warm_floor} kept warm" if warm_floor else ""),
        notes=notes,
        requests=sim.requests / m,
        served_requests=sim.served / m,
        backlog_requests=sim.backlog_end / m,
        mean_wait_s=sim.mean_wait_s,
        cold_waits=sim.cold_waits / m,
        spot_interruptions=sim.spot_interruptions / m,
        warm_floor=warm_floor,
        autoscaled_p99_ms=auto_p99_ms,
        traffic=tr.source,
    )


def lambda_fleet(
    usage: Usage,
    cold_start_s: float,
    cold_fraction: float,
    concurrency_limit: float,
    *,
    provisioned_concurrency: int = 0,
    max_event_age_s: float | None = None,
    hours: float = HOURS_PER_MONTH,
) -> LambdaResult:
    """Cold starts, throttles and concurrency of a Lambda function, simulated over the traffic.

    ``cold_fraction`` (AWS: "under 1% of invocations") is the closed form's figure; the simulation
    counts cold starts from idle gaps and scale-ups instead and says how the two compare.
    API-triggered (synchronous) requests over the concurrency quota are throttled; event and queue
    triggers are asynchronous and wait, up to ``max_event_age_s``, then are dropped.
    """
    tr = traffic_for(usage, hours)
    sim = simulate_lambda(
        tr,
        usage.duration_s,
        duration_p99_s=usage.duration_p99_s,
        cold_start_s=cold_start_s,
        concurrency_limit=concurrency_limit,
        provisioned_concurrency=provisioned_concurrency,
        synchronous=usage.workload.trigger == "api",
        max_event_age_s=max_event_age_s,
    )
    m = tr.months
    notes = list(tr.notes) + list(sim.notes)
    notes.append(
        f"{sim.cold_starts / m:,.0f} cold starts a month ({sim.cold_share:.2%} of invocations; AWS reports "
        f"under {cold_fraction:.0%} for typical production traffic), from idle gaps and scale-ups"
    )
    return LambdaResult(
        invocations=sim.invocations / m,
        cold_starts=sim.cold_starts / m,
        throttled=sim.throttled / m,
        peak_concurrency=sim.peak_concurrency,
        p99_ms=sim.p99_s * 1000,
        method=SIMULATED.format(hours=tr.hours),
        notes=notes,
        billed_invocations=sim.served / m,
        queued=sim.queued / m,
        cold_share=sim.cold_share,
        mean_concurrency=sim.mean_concurrency,
        provisioned_concurrency=sim.provisioned_concurrency,
        p50_ms=sim.p50_s * 1000,
        traffic=tr.source,
        dropped=sim.dropped / m,
        peak_environments=sim.peak_environments,
        failed_share=sim.failed_share,
        max_wait_s=sim.max_wait_s,
        worst_minute_cold_share=sim.worst_minute_cold_share,
    )


def bedrock_quota(
    usage: Usage,
    *,
    rpm_quota: float | None = None,
    tpm_quota: float | None = None,
    tpd_quota: float | None = None,
    hours: float = HOURS_PER_MONTH,
) -> QuotaResult:
    """Minutes and days over Bedrock's on-demand token quotas, and the requests they throttle."""
    tr = traffic_for(usage, hours)
    sim = simulate_quota(
        tr,
        usage.input_tokens + usage.output_tokens,
        rpm_quota=rpm_quota,
        tpm_quota=tpm_quota,
        tpd_quota=tpd_quota,
    )
    m = tr.months
    return QuotaResult(
        minutes_over=sim.minutes_over / m,
        share_of_minutes_over=sim.share_of_minutes_over,
        throttled_requests=sim.throttled / m,
        peak_requests_per_min=sim.peak_requests_per_min,
        peak_tokens_per_min=sim.peak_tokens_per_min,
        rpm_quota=sim.rpm_quota,
        tpm_quota=sim.tpm_quota,
        method=SIMULATED.format(hours=tr.hours),
        notes=list(tr.notes) + sim.notes,
        tpd_quota=sim.tpd_quota,
        days_over=sim.days_over / m,
        peak_tokens_per_day=sim.peak_tokens_per_day,
        requests=sim.requests / m,
        throttled_share=sim.throttled_share,
    )


# ---- closed forms (kept for comparison and tests) -------------------------------------------------
def replica_fleet_closed_form(
    usage: Usage,
    per_replica_rps: float,
    scale_out_s: float,
    min_replicas: int,
    target_utilisation: float,
    *,
    batch: bool = False,
) -> FleetResult:
    """Closed form: provision for the peak at the target utilisation, all month (a fleet that
    cannot scale faster than ``scale_out_s`` keeps peak capacity warm). Batch work runs at full
    utilisation for exactly as long as it needs."""
    if per_replica_rps <= 0:
        raise ValueError("per_replica_rps must be positive")
    work_hours = usage.requests_per_month / per_replica_rps / 3600  # replica-hours of pure work
    if batch:
        hours = max(work_hours, 0.0)
        return FleetResult(
            replica_hours=hours,
            peak_replicas=max(1, math.ceil(hours / HOURS_PER_MONTH)),
            min_replicas=0,
            mean_replicas=hours / HOURS_PER_MONTH,
            utilisation=1.0 if hours else 0.0,
            idle_replica_hours=0.0,
            method="closed form (batch: instance-hours = work / throughput; jobs queue, the shape does not matter)",
            requests=usage.requests_per_month,
            served_requests=usage.requests_per_month,
            batch=True,
        )
    peak = max(min_replicas, math.ceil(usage.peak_rps / (per_replica_rps * target_utilisation) - 1e-9), 1)
    hours = peak * HOURS_PER_MONTH
    util = min(1.0, work_hours / hours) if hours else 0.0
    return FleetResult(
        replica_hours=hours,
        peak_replicas=peak,
        min_replicas=max(min_replicas, 1),
        mean_replicas=float(peak),
        utilisation=util,
        idle_replica_hours=max(0.0, hours - work_hours),
        requests=usage.requests_per_month,
        served_requests=usage.requests_per_month,
    )


def lambda_fleet_closed_form(
    usage: Usage, cold_start_s: float, cold_fraction: float, concurrency_limit: float
) -> LambdaResult:
    peak_conc = usage.peak_concurrency
    notes = []
    if peak_conc > concurrency_limit:
        notes.append(
            f"peak concurrency {peak_conc:,.0f} exceeds the default quota of {concurrency_limit:,.0f}: ask AWS to raise it"
        )
    return LambdaResult(
        invocations=usage.requests_per_month,
        cold_starts=usage.requests_per_month * cold_fraction,
        throttled=0.0,
        peak_concurrency=peak_conc,
        p99_ms=(usage.duration_p99_s + (cold_start_s if cold_fraction >= 0.01 else 0)) * 1000,
        notes=notes,
        billed_invocations=usage.requests_per_month,
        cold_share=cold_fraction,
    )
