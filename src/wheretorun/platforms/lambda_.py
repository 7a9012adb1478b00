"""AWS Lambda: per-request compute for orchestration, glue and small CPU models.

Hard limits (catalog ``limits.yml``): 900 s timeout, 10,240 MB memory, no GPU, 10 GB container
image. Billing: requests plus GB-seconds, duration rounded up to 1 ms, memory in MB with
1,024 MB billed as 1 GB (https://aws.amazon.com/lambda/pricing/). The Serverless vs. Containers guide's "<= 3 GB, < 10 min"
comfort zone is a named preference, never a limit.
"""

from __future__ import annotations

import math
from decimal import Decimal

from ..report.model import Blocker, LatencyProfile
from ..units import MB_PER_GB, MILLION, SECONDS_PER_MONTH
from .base import Context, Priced, blocker, ceil_ms, fact_blocker, gpu_need, line, tiered_lines
from .capacity import lambda_fleet

ID = "lambda"
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
    if ctx.is_model_layer and u.model is not None and u.model.weights == "proprietary":
        out.append(
            fact_blocker(
                "Weights available to deploy", "proprietary models are API-only", f"{u.model.label} weights"
            )
        )
    return out


def price(ctx: Context) -> Priced:
    u = ctx.usage
    cat = ctx.catalog
    mb = memory_mb(ctx)
    ms = ceil_ms(u.duration_s)
    requests = Decimal(str(u.requests_per_month))
    gb_s = requests * Decimal(ms) / 1000 * Decimal(mb) / MB_PER_GB
    req_ref = ctx.price("lambda/requests")
    dur_ref = ctx.price("lambda/duration-x86")
    comps = [line("Requests", req_ref, requests / MILLION, scales_with=["volume"])]
    comps += tiered_lines(
        "Duration",
        "x86",
        dur_ref,
        gb_s,
        "GB-s",
        scales_with=["volume"],
        note=f"{u.requests_per_month:,.0f} requests x {ms:,} ms x {mb:,} MB / 1,024",
    )
    notes = []
    if ctx.prefs.free_tier:
        comps.append(
            line(
                "Free tier (requests)",
                req_ref,
                -min(requests, FREE_REQUESTS) / MILLION,
                note="1M requests/month always free (asked for with preferences.free_tier)",
            )
        )
        comps.append(
            line(
                "Free tier (duration)",
                dur_ref,
                -min(gb_s, FREE_GB_SECONDS),
                unit_price=dur_ref.tiers[0].price if dur_ref.tiers else None,
                note="400,000 GB-s/month always free",
            )
        )
    fleet = lambda_fleet(
        u,
        cold_start_s=cat.limit("lambda/cold-start-s").value,
        cold_fraction=cat.limit("lambda/cold-start-fraction").value,
        concurrency_limit=cat.limit("lambda/concurrency-default").value,
    )
    notes += fleet.notes
    target = u.workload.p99_latency_ms
    if target is not None and fleet.p99_ms is not None and fleet.p99_ms > target:
        provisioned = provisioned_variant(ctx, fleet, gb_s, mb, target)
        if provisioned is not None:
            comps = [c for c in comps if not c.name.startswith(("Duration", "Free tier (duration)"))]
            comps += provisioned[0]
            notes.append(provisioned[1])
            fleet = provisioned[2]
    soft = []
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
    extras = {
        "memory_mb": mb,
        "billed_ms": ms,
        "gb_seconds": float(gb_s),
        "cold_starts": fleet.cold_starts,
        "peak_concurrency": fleet.peak_concurrency,
        "throttled": fleet.throttled,
        "method": fleet.method,
    }
    return Priced(
        components=comps,
        notes=notes,
        soft_warnings=soft,
        extras=extras,
        latency=LatencyProfile(
            cold_start_s=cat.limit("lambda/cold-start-s").value,
            scale_out_s=0.0,
            p50_ms=u.duration_s * 1000,
            p99_ms=fleet.p99_ms,
            note=f"about {fleet.cold_starts:,.0f} cold starts a month ({fleet.method})",
        ),
    )


def provisioned_variant(ctx: Context, fleet, gb_s: Decimal, mb: int, target_ms: float):  # type: ignore[no-untyped-def]
    """Provisioned concurrency sized to the simulated peak, when cold starts break the p99 target.

    Priced as AWS bills it (https://aws.amazon.com/lambda/pricing/): the configured environments for
    every second of the month, plus the invocations' duration at the provisioned rate instead of the
    on-demand one. None when even that would not meet the target.
    """
    cat = ctx.catalog
    limit = cat.limit("lambda/concurrency-default").value
    environments = max(1, min(math.ceil(fleet.peak_concurrency - 1e-9), int(limit)))
    warm = lambda_fleet(
        ctx.usage,
        cold_start_s=cat.limit("lambda/cold-start-s").value,
        cold_fraction=cat.limit("lambda/cold-start-fraction").value,
        concurrency_limit=limit,
        provisioned_concurrency=environments,
    )
    if warm.p99_ms is None or warm.p99_ms > target_ms:
        return None
    configured = Decimal(environments) * Decimal(mb) / MB_PER_GB * SECONDS_PER_MONTH
    lines = [
        line(
            f"Provisioned concurrency (x86, {environments} environment{'s' if environments > 1 else ''})",
            ctx.price("lambda/provisioned-concurrency-x86"),
            configured,
            note=f"{environments} x {mb:,} MB / 1,024 x {SECONDS_PER_MONTH:,} s in a 730-hour month",
        ),
        line(
            "Duration (x86, provisioned)",
            ctx.price("lambda/provisioned-duration-x86"),
            gb_s,
            scales_with=["volume"],
        ),
    ]
    note = (
        f"cold starts put p99 at {fleet.p99_ms:,.0f} ms, above the {target_ms:,.0f} ms target: priced with "
        f"provisioned concurrency of {environments} environment{'s' if environments > 1 else ''} (the simulated "
        f"peak), p99 {warm.p99_ms:,.0f} ms"
    )
    return lines, note, warm


def ops_key(ctx: Context, priced: Priced) -> str:
    return "lambda"


def latency(ctx: Context, priced: Priced) -> LatencyProfile:
    return priced.latency or LatencyProfile()
