"""AWS Lambda: per-request compute for orchestration, glue and small CPU models.

Hard limits (catalog ``limits.yml``): 900 s timeout, 10,240 MB memory, no GPU, 10 GB container
image. Billing: requests plus GB-seconds, duration rounded up to 1 ms, memory in MB with
1,024 MB billed as 1 GB (https://aws.amazon.com/lambda/pricing/). The Serverless vs. Containers guide's "<= 3 GB, < 10 min"
comfort zone is a named preference, never a limit.
"""

from __future__ import annotations

import math
from decimal import Decimal

from ..results import Blocker, CostComponent, LambdaFacts, LambdaThrottling, LatencyProfile, QuotaHeadroom
from ..units import MB_PER_GB, MILLION, SECONDS_PER_MONTH
from .base import (
    Context,
    Infeasible,
    Priced,
    Traits,
    blocker,
    ceil_ms,
    fact_blocker,
    gpu_need,
    line,
    proprietary_weights,
    tiered_lines,
)
from .capacity import LambdaResult, lambda_fleet
from .purchase import arches, charged, discounted_note, lambda_rate
from .selfhost import api_gateway_lines, load_balancer_lines

ID = "lambda"
TRAITS = Traits(
    vpc="when-required",
    hosts_weights=True,
    self_hosted=False,
    managed_model=False,
    gpu_capable=False,
    batch=False,
    containers=False,
    model_pattern="cpu-model-on-lambda",
    orchestration_pattern="serverless-orchestration",
)
FREE_REQUESTS = Decimal(1_000_000)
FREE_GB_SECONDS = Decimal(400_000)  # AWS Lambda free tier (always free), off unless asked for


def memory_mb(ctx: Context) -> int:
    """Configured memory: the workload's GB at 1,024 MB per GB (Lambda's billing unit), at least 128 MB."""
    floor = int(ctx.catalog.limit("lambda/memory-min").value)
    return max(floor, math.ceil(round(ctx.usage.memory_gb * MB_PER_GB, 6)))


def limits(ctx: Context) -> list[Blocker]:
    u = ctx.usage
    out: list[Blocker] = []
    needs_gpu, why = gpu_need(u, ctx.wf)
    if ctx.is_model_layer and needs_gpu:
        out.append(
            fact_blocker(
                "Lambda GPU support",
                "none (CPU only)",
                f"a GPU ({why})",
                "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html",
            )
        )
    timeout = ctx.catalog.limit("lambda/timeout").value
    if u.duration_s > timeout:
        out.append(blocker(ctx, "lambda/timeout", f"{u.duration_s:,g} s per request (duration_s)"))
    elif u.duration_p99_s > timeout:
        out.append(
            blocker(
                ctx,
                "lambda/timeout",
                f"{u.duration_p99_s:,g} s at p99 (duration_p99_s): the tail would be killed",
            )
        )
    mem_max = ctx.catalog.limit("lambda/memory-max").value
    if memory_mb(ctx) > mem_max:
        out.append(
            blocker(ctx, "lambda/memory-max", f"{memory_mb(ctx):,} MB ({u.memory_gb:g} GB at 1,024 MB/GB)")
        )
    if ctx.is_model_layer and u.model is not None and u.model.footprint is not None:
        image = ctx.catalog.limit("lambda/image-size-max").value
        if u.model.footprint.weights_gb > image:
            out.append(
                blocker(
                    ctx,
                    "lambda/image-size-max",
                    f"{u.model.footprint.weights_gb:.2f} GB of weights in the image",
                )
            )
    if b := proprietary_weights(ctx):
        out.append(b)
    return out


def cold_start(ctx: Context) -> tuple[float, str]:
    """(seconds, how) a new execution environment adds to its first request (catalog cold_starts.yml).

    Code: the runtime's hello-world start plus the package's size x the per-MB growth measured for zip
    packages. A model served on Lambda: a container image whose weights are all read at start.
    """
    cat = ctx.catalog
    u = ctx.usage
    if ctx.is_model_layer and u.model is not None and u.model.footprint is not None:
        gb = u.model.footprint.weights_gb
        base = cat.limit("lambda/cold-start/container-image").value
        per_gb = cat.limit("lambda/cold-start/weights-s-per-gb").value
        seconds = base + gb * per_gb
        how = (
            f"container image: {base:g} s + {gb:,.2f} GB of weights x {per_gb:g} s/GB = {seconds:,.2f} s "
            "[lambda/cold-start/container-image, lambda/cold-start/weights-s-per-gb]"
        )
        init = cat.limit("lambda/init-timeout").value
        if seconds > init:
            how += (
                f"; above the {init:g} s INIT limit, so initialisation is retried inside the first invocation"
            )
        return seconds, how
    runtime = u.workload.runtime or "python"
    base = cat.limit(f"lambda/cold-start/{runtime}").value
    per_mb = cat.limit("lambda/cold-start/per-package-mb").value
    given = u.workload.package_mb
    mb = given if given is not None else cat.limit("lambda/cold-start/package-mb-default").value
    seconds = base + mb * per_mb
    how = (
        f"{runtime}{'' if u.workload.runtime else ' (default runtime)'}: {base:g} s + {mb:,g} MB package"
        f"{'' if given is not None else ' (default; set package_mb)'} x {per_mb * 1000:g} ms/MB = {seconds:,.2f} s "
        f"[lambda/cold-start/{runtime}, lambda/cold-start/per-package-mb]"
    )
    return seconds, how


def concurrency_quota(ctx: Context) -> tuple[float, float]:
    """(default quota, quota in force): the catalog's default unless preferences.quota_increase raises it."""
    default = ctx.catalog.limit("lambda/concurrency-default").value
    return default, max(default, ctx.prefs.quota_increase.get("lambda-concurrency", 0.0))


def cheapest_duration(
    ctx: Context, name: str, label_prefix: str, gb_s: Decimal, note: str
) -> tuple[str, list[CostComponent]]:
    """Lambda duration of ``gb_s`` on each architecture the workload allows (``purchase.arches``),
    the cheaper kept: (its architecture, its on-demand lines through the tiers). Under ``arch: auto``
    that is arm64, ~20 % below x86 on every tier. Lambda's own duration and Step Functions' Lambda
    steps are priced by it."""
    by_arch = {
        arch: tiered_lines(
            name,
            f"{label_prefix}{arch}",
            ctx.price(f"lambda/duration-{arch}"),
            gb_s,
            "GB-s",
            scales_with=["volume"],
            driver="volume",
            purchase="on-demand",
            note=note,
        )
        for arch in arches(ctx)
    }
    cheaper = min(by_arch, key=lambda arch: sum(c.monthly_usd for c in by_arch[arch]))
    return cheaper, by_arch[cheaper]


def price(ctx: Context) -> Priced:
    u = ctx.usage
    cat = ctx.catalog
    mb = memory_mb(ctx)
    ms = ceil_ms(u.duration_s)
    cold_s, cold_how = cold_start(ctx)
    default_quota, quota = concurrency_quota(ctx)
    fleet = lambda_fleet(
        u,
        cold_start_s=cold_s,
        cold_fraction=cat.limit("lambda/cold-start-fraction").value,
        concurrency_limit=quota,
        max_event_age_s=ctx.prefs.lambda_max_event_age_s,
    )
    if fleet.throttled + fleet.dropped >= 0.5:
        raise Infeasible(
            [quota_blocker(ctx, fleet, default_quota, quota)],
            throttling=LambdaThrottling(
                invocations=fleet.invocations,
                throttled=fleet.throttled,
                dropped=fleet.dropped,
                billed_invocations=fleet.billed_invocations,
                failed_share=fleet.failed_share,
                peak_concurrency=fleet.peak_concurrency,
                concurrency_quota=quota,
            ),
        )
    # every request that arrived runs (none throttled or dropped): all are billed
    requests = Decimal(str(u.requests_per_month))
    gb_s = requests * Decimal(ms) / 1000 * Decimal(mb) / MB_PER_GB
    req_ref = ctx.price("lambda/requests")
    requests_line = line(
        "Requests", req_ref, requests / MILLION, scales_with=["volume"], driver="volume", purchase="on-demand"
    )

    arch, on_demand = cheapest_duration(
        ctx, "Duration", "", gb_s, f"{u.requests_per_month:,.0f} requests x {ms:,} ms x {mb:,} MB / 1,024"
    )
    dur_ref = ctx.price(f"lambda/duration-{arch}")
    # Compute Savings Plans cover duration (and provisioned concurrency), not requests
    rate = lambda_rate(ctx)
    duration = charged(rate, on_demand)
    discounted = duration
    notes = [f"cold start {cold_how}"]
    if arch == "arm64":
        notes.append(
            "on arm64 (Graviton), the cheaper architecture: the function and its dependencies must build "
            "for arm64 (arch: x86_64 to price x86 only)"
            if ctx.workload.arch == "auto"
            else "on arm64 (Graviton): the function and its dependencies must build for arm64"
        )
    # the free tier is a capped monthly allowance: fixed (it stops following volume at its cap)
    free_requests: list[CostComponent] = []
    free_duration: list[CostComponent] = []
    if ctx.prefs.free_tier:
        free_requests.append(
            line(
                "Free tier (requests)",
                req_ref,
                -min(requests, FREE_REQUESTS) / MILLION,
                driver="fixed",
                purchase="free-tier",
                note="1M requests/month always free (asked for with preferences.free_tier)",
            )
        )
        free_duration.append(
            line(
                "Free tier (duration)",
                dur_ref,
                -min(gb_s, FREE_GB_SECONDS),
                unit_price=dur_ref.tiers[0].price if dur_ref.tiers else None,
                driver="fixed",
                purchase="free-tier",
                note="400,000 GB-s/month always free",
            )
        )
    door = front_door_lines(ctx)
    comps = [requests_line, *duration, *free_requests, *free_duration, *door]
    notes += fleet.notes
    target = u.workload.p99_latency_ms
    if target is not None and fleet.p99_ms is not None and fleet.p99_ms > target:
        provisioned = provisioned_variant(ctx, fleet, gb_s, mb, target, cold_s, quota, arch)
        if provisioned[0]:
            # provisioned duration replaces on-demand duration (and its free allowance, which
            # does not apply to provisioned concurrency)
            discounted = charged(rate, provisioned[0])
            comps = [requests_line, *free_requests, *discounted, *door]
            fleet = provisioned[2]
        notes.append(provisioned[1])
    notes += discounted_note(rate, discounted)
    soft = []
    if fleet.peak_concurrency > default_quota:
        soft.append(
            f"peak concurrency {fleet.peak_concurrency:,.0f} is above the default {default_quota:,.0f} concurrent "
            f"executions: feasible only with the quota increase in preferences.quota_increase.lambda-concurrency "
            f"({quota:,.0f}); request 'Concurrent executions' of at least {math.ceil(fleet.peak_concurrency):,} in "
            "Service Quotas (AWS Lambda) before launch"
        )
    if fleet.queued >= 0.5:
        soft.append(
            f"{fleet.queued:,.0f} events a month wait behind the {quota:,.0f} concurrent executions quota, up to "
            f"{fleet.max_wait_s:,.0f} s (none past the {ctx.prefs.lambda_max_event_age_s:,.0f} s maximum event age); "
            f"a quota of {math.ceil(fleet.peak_concurrency):,} would serve them as they arrive"
        )
    if u.memory_gb > ctx.prefs.lambda_comfort_memory_gb:
        soft.append(
            f"{u.memory_gb:g} GB is above the {ctx.prefs.lambda_comfort_memory_gb:g} GB comfort zone "
            "(preference lambda_comfort_memory_gb, the Serverless vs. Containers guide); allowed up to 10,240 MB"
        )
    if u.duration_s >= ctx.prefs.lambda_comfort_duration_s:
        soft.append(
            f"{u.duration_s:g} s is at or above the {ctx.prefs.lambda_comfort_duration_s:g} s comfort zone "
            "(preference lambda_comfort_duration_s, the Serverless vs. Containers guide); the hard limit is 900 s"
        )
    facts = LambdaFacts(
        memory_mb=mb,
        arch=arch,
        billed_ms=ms,
        gb_seconds=float(gb_s),
        cold_starts=fleet.cold_starts,
        cold_start_s=cold_s,
        peak_concurrency=fleet.peak_concurrency,
        concurrency_quota=quota,
        throttled=fleet.throttled,
        dropped=fleet.dropped,
        provisioned_concurrency=fleet.provisioned_concurrency,
        method=fleet.method,
    )
    headroom = None
    if fleet.peak_concurrency > 0:
        # growth and Monte Carlo re-check the quota: throttling starts when the busiest minute's
        # concurrency (proportional to volume) passes it
        headroom = QuotaHeadroom(
            quota_name="lambda-concurrency",
            quota_headroom=quota / fleet.peak_concurrency,
            quota_default_headroom=default_quota / fleet.peak_concurrency,
        )
    return Priced(
        components=comps,
        notes=notes,
        soft_warnings=soft,
        function=facts,
        quota=headroom,
        latency=LatencyProfile(
            cold_start_s=cold_s,
            scale_out_s=0.0,
            p50_ms=fleet.p50_ms,
            p99_ms=fleet.p99_ms,
            note=f"about {fleet.cold_starts:,.0f} cold starts a month ({fleet.cold_share:.2%} of invocations; "
            f"{fleet.method}); p50 {'includes' if fleet.cold_share > 0.5 else 'excludes'} the {cold_s:,.2f} s cold "
            f"start, p99 {'includes' if fleet.cold_share >= 0.01 else 'excludes'} it",
        ),
    )


def quota_blocker(ctx: Context, fleet: LambdaResult, default_quota: float, quota: float) -> Blocker:
    """The concurrency quota as a blocker: what would be throttled or dropped, and how to get past it."""
    u = ctx.usage
    share = fleet.failed_share
    if fleet.throttled:
        lost = (
            f"{fleet.throttled:,.0f} of {fleet.invocations:,.0f} requests a month ({share:.2%}) throttled "
            "(HTTP 429: counted, not billed)"
        )
    else:
        lost = (
            f"{fleet.dropped:,.0f} of {fleet.invocations:,.0f} events a month ({share:.2%}) dropped after the "
            f"{ctx.prefs.lambda_max_event_age_s:,.0f} s maximum event age (or sent to a failure destination; "
            "never run, not billed)"
        )
    p99 = (
        "the p99 request is a failure"
        if share >= 0.01
        else f"p99 {fleet.p99_ms:,.0f} ms counts only the requests that ran"
    )
    granted = "lambda-concurrency" in ctx.prefs.quota_increase
    needs = (
        f"peak concurrency {fleet.peak_concurrency:,.0f} ({u.duration_s:g} s x the busiest minute's requests / 60): "
        f"{lost}; {p99}. "
        + (
            f"Even the {quota:,.0f} of preferences.quota_increase.lambda-concurrency is short: "
            if granted
            else ""
        )
        + f"ask AWS for at least {math.ceil(fleet.peak_concurrency):,} concurrent executions and set "
        "preferences.quota_increase.lambda-concurrency to the granted quota"
    )
    b = blocker(ctx, "lambda/concurrency-default", needs)
    if granted:
        b.value = f"{quota:,.0f} concurrent executions (your quota increase; default {default_quota:,.0f})"
    return b


def provisioned_variant(
    ctx: Context,
    fleet: LambdaResult,
    gb_s: Decimal,
    mb: int,
    target_ms: float,
    cold_s: float,
    quota: float,
    arch: str = "x86",
):
    """Provisioned concurrency sized by search against the simulator, when cold starts break the p99 target.

    The target is met when the month's p99 is within it and no single minute starts 1% or more of its
    requests cold (a month's p99 can hide bursts in which one request in a hundred waits for a cold
    start; a p99 alarm on 1-minute CloudWatch periods would fire). Both fall as provisioned
    environments rise (no cold start below the count), so the fewest that meet it are found by
    bisection between 0 and the busiest minute's environments (with those no minute starts cold: if
    p99 still misses, no count can meet it). Priced as AWS bills it
    (https://aws.amazon.com/lambda/pricing/): the configured environments for every second of the
    month, plus the invocations' duration at the provisioned rate. Returns (lines, note, result);
    lines are empty when the target cannot be met.
    """
    cat = ctx.catalog

    def run(n: int) -> LambdaResult:
        return lambda_fleet(
            ctx.usage,
            cold_start_s=cold_s,
            cold_fraction=cat.limit("lambda/cold-start-fraction").value,
            concurrency_limit=quota,
            provisioned_concurrency=n,
            max_event_age_s=ctx.prefs.lambda_max_event_age_s,
        )

    slow_cold = (ctx.usage.duration_p99_s + cold_s) * 1000 > target_ms

    def meets(sim: LambdaResult) -> bool:
        if sim.p99_ms is None or sim.p99_ms > target_ms:
            return False
        return not slow_cold or sim.worst_minute_cold_share < 0.01

    top = max(1, min(math.ceil(fleet.peak_environments - 1e-9), int(quota)))
    best = run(top)
    if not meets(best):
        return (
            [],
            f"cold starts put p99 at {fleet.p99_ms:,.0f} ms, above the {target_ms:,.0f} ms target, and even "
            f"{top:,} provisioned environments (the busiest minute's need: no cold start at all) give p99 "
            f"{best.p99_ms:,.0f} ms: the target is unreachable on Lambda",
            fleet,
        )
    lo, hi = 0, top
    while hi - lo > 1:
        mid = (lo + hi) // 2
        sim = run(mid)
        if meets(sim):
            hi, best = mid, sim
        else:
            lo = mid
    environments = hi
    per_environment = Decimal(mb) / MB_PER_GB * SECONDS_PER_MONTH  # GB-s a month
    pc_ref = ctx.price(f"lambda/provisioned-concurrency-{arch}")
    configured = Decimal(environments) * per_environment
    plural = "s" if environments > 1 else ""
    lines = [
        line(
            f"Provisioned concurrency ({arch}, {environments} environment{plural})",
            pc_ref,
            configured,
            driver="time",  # configured environments, every second of the month
            purchase="on-demand",
            note=f"{environments} x {mb:,} MB / 1,024 x {SECONDS_PER_MONTH:,} s in a 730-hour month",
        ),
        line(
            f"Duration ({arch}, provisioned)",
            ctx.price(f"lambda/provisioned-duration-{arch}"),
            gb_s,
            scales_with=["volume"],
            driver="volume",
            purchase="on-demand",
        ),
    ]
    note = (
        f"cold starts put p99 at {fleet.p99_ms:,.0f} ms, above the {target_ms:,.0f} ms target: priced with "
        f"provisioned concurrency of {environments} environment{plural}, the fewest that meet it (bisection over "
        f"the simulation up to the busiest minute's {top:,}): {best.cold_starts:,.0f} cold starts a month "
        f"({best.cold_share:.2%}; at most {best.worst_minute_cold_share:.2%} of any minute), p99 {best.p99_ms:,.0f} ms"
    )
    if environments < top:
        note += (
            f"; {top:,} environments (the busiest minute's need) would remove cold starts entirely for "
            f"${top * per_environment * pc_ref.value * lambda_rate(ctx).factor:,.2f} a month"
        )
    return lines, note, best


def front_door_lines(ctx: Context) -> list[CostComponent]:
    """What API requests reach the function through (``front_door``): auto is an API Gateway HTTP
    API; a function URL is free (https://aws.amazon.com/lambda/pricing/: no charge beyond the
    invocation); an ALB is priced as for containers. Only for API-triggered work."""
    w = ctx.workload
    if w.trigger != "api":
        return []
    door = "api-gateway-http" if w.front_door == "auto" else w.front_door
    if door.startswith("api-gateway"):
        return api_gateway_lines(ctx, door)
    if door == "alb":
        return load_balancer_lines(ctx)
    return []
