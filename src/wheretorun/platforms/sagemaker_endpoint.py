"""Amazon SageMaker AI real-time endpoints: managed GPU hosting of your own or open weights.

AWS runs the hosts; you pick the ml.* instance and own scaling and the model container
(https://aws.amazon.com/sagemaker/pricing/). Real-time invocations time out at 60 s. Models that
need no GPU are priced on SageMaker Serverless Inference (1-6 GB memory, per GB-second).
"""

from __future__ import annotations

from decimal import Decimal

from ..results import Blocker, LatencyProfile
from .base import Context, Priced, Traits, blocker, fact_blocker, gpu_need, line, proprietary_weights
from .selfhost import cheapest_fleet, fleet_extras, fleet_lines, fleet_notes, gpu_replicas, instances_count

ID = "sagemaker-endpoint"
TRAITS = Traits(
    hosts_weights=True,
    self_hosted=True,
    managed_model=False,
    gpu_capable=True,
    batch=False,
    containers=False,
    model_pattern="managed-endpoint-on-sagemaker",
)
SERVERLESS_MAX_GB = 6  # Serverless Inference memory sizes 1-6 GB


def limits(ctx: Context) -> list[Blocker]:
    out = []
    if not ctx.is_model_layer:
        return [
            fact_blocker(
                "SageMaker endpoints run your orchestration code",
                "no (they serve models)",
                "to run orchestration code",
            )
        ]
    if b := proprietary_weights(ctx):
        out.append(b)
    if ctx.workload.role == "fine-tuning":
        out.append(
            fact_blocker(
                "SageMaker endpoints run training jobs",
                "no (training jobs are a different service, not modelled)",
                "a fine-tuning job",
            )
        )
    if ctx.usage.duration_s > ctx.catalog.limit("sagemaker/realtime-timeout").value:
        out.append(blocker(ctx, "sagemaker/realtime-timeout", f"{ctx.usage.duration_s:,g} s per request"))
    return out


def price(ctx: Context) -> Priced:
    u = ctx.usage
    needs_gpu, _ = gpu_need(u, ctx.wf)
    if not needs_gpu:
        mem = max(1, min(SERVERLESS_MAX_GB, int(-(-u.memory_gb // 1))))
        if u.memory_gb > SERVERLESS_MAX_GB:
            needs_gpu = True
        else:
            gb_s = Decimal(str(u.requests_per_month)) * Decimal(str(u.duration_s)) * mem
            comp = line(
                f"Serverless inference ({mem} GB)",
                ctx.price("sagemaker/serverless-compute"),
                gb_s,
                scales_with=["volume"],
                driver="volume",
                purchase="on-demand",
                note=f"{u.requests_per_month:,.0f} requests x {u.duration_s:g} s x {mem} GB",
            )
            return Priced(
                components=[comp],
                instance_type=f"serverless {mem} GB",
                notes=["SageMaker Serverless Inference: scales to zero, cold starts on idle"],
                latency=LatencyProfile(cold_start_s=None, note="serverless endpoints cold-start after idle"),
            )
    replicas = gpu_replicas(ctx, "ml.")
    start = ctx.catalog.limit("ec2/gpu-node-start-s").value
    replica, fleet = cheapest_fleet(ctx, replicas, start, 1)
    return Priced(
        components=fleet_lines(ctx, replica, fleet),
        instance_type=replica.label,
        instances=instances_count(fleet),
        notes=fleet_notes(ctx, replica, fleet),
        uses_gpu=True,
        extras=fleet_extras(replica, fleet, start, 1, None),
        latency=LatencyProfile(
            scale_out_s=start,
            p50_ms=fleet.p50_ms or (replica.latency_s or u.duration_s) * 1000,
            p99_ms=fleet.p99_ms,
            note="new endpoint instances take minutes",
        ),
    )
