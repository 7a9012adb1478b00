"""Amazon SageMaker Asynchronous Inference: requests queue at the endpoint and run for up to one hour
each (payloads up to 1 GB), on ml.* instances that can scale to zero between bursts
(https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference.html). Billed as the same instance-
hours as a real-time endpoint (https://aws.amazon.com/sagemaker/pricing/), but only while instances
run: the home of long model requests that real-time endpoints (60 s) refuse.
"""

from __future__ import annotations

from ..results import Blocker, LatencyProfile
from .base import Context, Priced, Traits, blocker
from .sagemaker_endpoint import hosting_limits, instance_replicas
from .selfhost import cheapest_fleet, fleet_facts, fleet_lines, fleet_notes, instances_count

ID = "sagemaker-async"
TRAITS = Traits(
    vpc_endpoint="sagemaker.runtime",
    hosts_weights=True,
    self_hosted=True,
    managed_model=False,
    gpu_capable=True,
    batch=False,  # a queued endpoint answering requests, not a batch-jobs service
    containers=False,
    model_pattern="managed-endpoint-on-sagemaker",
    managed_instances=True,
)


def limits(ctx: Context) -> list[Blocker]:
    out = hosting_limits(ctx, "asynchronous endpoints")
    u = ctx.usage
    if ctx.is_model_layer and u.duration_p99_s > ctx.catalog.limit("sagemaker/async-timeout").value:
        out.append(blocker(ctx, "sagemaker/async-timeout", f"{u.duration_p99_s:,g} s per request (p99)"))
    realtime = ctx.catalog.limit("sagemaker/realtime-timeout").value
    if ctx.is_model_layer and ctx.workload.trigger == "api" and u.duration_p99_s <= realtime:
        out.append(
            blocker(
                ctx,
                "sagemaker/realtime-timeout",
                "answers to API requests (trigger: api) within the real-time timeout: a real-time endpoint "
                "(sagemaker-endpoint) serves them; asynchronous inference is for long or queued requests",
                label="Asynchronous Inference is for requests past the real-time endpoint timeout [sagemaker/realtime-timeout]",
            )
        )
    elif ctx.is_model_layer and ctx.workload.trigger == "api" and ctx.workload.p99_latency_ms is not None:
        start = ctx.catalog.limit("sagemaker/async-scale-from-zero-s").value
        if ctx.workload.p99_latency_ms < (start + u.duration_s) * 1000:
            out.append(
                blocker(
                    ctx,
                    "sagemaker/async-scale-from-zero-s",
                    f"a p99 latency of {ctx.workload.p99_latency_ms:,g} ms (p99_latency_ms), below a start from zero + duration",
                )
            )
    return out


def price(ctx: Context) -> Priced:
    u = ctx.usage
    replicas, gpu = instance_replicas(ctx)
    start = ctx.catalog.limit("sagemaker/async-scale-from-zero-s").value
    # scales to zero: no instance floor; the fleet follows the queue
    replica, fleet = cheapest_fleet(ctx, replicas, start, 0)
    notes = fleet_notes(ctx, replica, fleet)
    notes.append(
        "Asynchronous Inference: requests wait in the endpoint's queue; instances scale to zero when it is empty "
        f"(a start from zero takes ~{start:g} s)"
    )
    soft = []
    if ctx.workload.trigger == "api":
        soft.append(
            "asynchronous: the caller gets a result location and is notified (SNS) when the result is ready"
        )
    return Priced(
        components=fleet_lines(ctx, replica, fleet),
        instance_type=replica.label,
        instances=instances_count(fleet),
        notes=notes,
        soft_warnings=soft,
        uses_gpu=gpu,
        fleet=fleet_facts(replica, fleet, start, 0, None),
        latency=LatencyProfile(
            cold_start_s=start,
            scale_out_s=start,
            p50_ms=(replica.latency_s or u.duration_s) * 1000,
            p99_ms=fleet.p99_ms,
            note="queued; scales from zero in minutes",
        ),
    )
