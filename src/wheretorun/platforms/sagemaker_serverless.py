"""Amazon SageMaker Serverless Inference: CPU-only endpoints of 1-6 GB memory that scale to zero,
billed per GB-second of processing (https://aws.amazon.com/sagemaker/pricing/; limits:
https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html). Cold starts after idle.
"""

from __future__ import annotations

import math
from decimal import Decimal

from ..results import Blocker, LatencyProfile
from .base import Context, Priced, Traits, blocker, fact_blocker, gpu_need, line
from .purchase import charged, discounted_note, sagemaker_rate
from .sagemaker_endpoint import hosting_limits

ID = "sagemaker-serverless"
TRAITS = Traits(
    vpc_endpoint="sagemaker.runtime",
    hosts_weights=True,
    self_hosted=True,  # your model container on SageMaker, as on a real-time endpoint
    managed_model=False,
    gpu_capable=False,  # CPU only
    batch=False,
    containers=False,
    model_pattern="managed-endpoint-on-sagemaker",
    managed_instances=True,
)


def limits(ctx: Context) -> list[Blocker]:
    out = hosting_limits(ctx, "Serverless endpoints")
    if not ctx.is_model_layer:
        return out
    u = ctx.usage
    needs_gpu, why = gpu_need(u, ctx.wf)
    if needs_gpu:
        out.append(
            fact_blocker(
                "SageMaker Serverless Inference GPUs",
                "none (CPU only)",
                f"a GPU ({why})",
                "https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html",
            )
        )
    if u.memory_gb > ctx.catalog.limit("sagemaker/serverless-memory-max").value:
        out.append(blocker(ctx, "sagemaker/serverless-memory-max", f"{u.memory_gb:,g} GB"))
    if u.duration_s > ctx.catalog.limit("sagemaker/serverless-timeout").value:
        out.append(blocker(ctx, "sagemaker/serverless-timeout", f"{u.duration_s:,g} s per request"))
    return out


def price(ctx: Context) -> Priced:
    u = ctx.usage
    mem = max(1, math.ceil(u.memory_gb))  # memory sizes of 1-6 GB in 1-GB steps
    gb_s = Decimal(str(u.requests_per_month)) * Decimal(str(u.duration_s)) * mem
    comp = line(
        f"Serverless inference ({mem} GB)",
        ctx.price("sagemaker/serverless-compute"),
        gb_s,
        scales_with=["volume"],
        driver="volume",  # GB-seconds of processing: requests x duration x memory
        purchase="on-demand",
        note=f"{u.requests_per_month:,.0f} requests x {u.duration_s:g} s x {mem} GB",
    )
    # SageMaker Savings Plans cover Serverless Inference too (https://aws.amazon.com/savingsplans/ml-pricing/)
    rate = sagemaker_rate(ctx)
    comps = charged(rate, [comp])
    return Priced(
        components=comps,
        instance_type=f"serverless {mem} GB",
        notes=[
            "SageMaker Serverless Inference: scales to zero, cold starts on idle",
            *discounted_note(rate, comps),
        ],
        latency=LatencyProfile(
            cold_start_s=None, p50_ms=u.duration_s * 1000, note="serverless endpoints cold-start after idle"
        ),
    )
