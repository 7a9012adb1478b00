"""Amazon SageMaker AI real-time endpoints: managed hosting of your own or open weights on ml.*
instances, GPU or CPU.

AWS runs the hosts; you pick the ml.* instance and own scaling and the model container
(https://aws.amazon.com/sagemaker/pricing/). Real-time invocations time out at 60 s. A model that
needs no GPU (an encoder, a small reranker, or ``gpu: none``) is hosted on CPU instances (ml.m*/ml.c*);
Serverless and Asynchronous Inference are their own options (``sagemaker_serverless``,
``sagemaker_async``).
"""

from __future__ import annotations

from ..results import Blocker, LatencyProfile
from .base import Context, Infeasible, Priced, Traits, blocker, fact_blocker, gpu_need, proprietary_weights
from .selfhost import (
    cheapest_fleet,
    cpu_instance_replicas,
    duration_disagreement,
    fleet_facts,
    fleet_lines,
    fleet_notes,
    gpu_replicas,
    instances_count,
)

ID = "sagemaker-endpoint"
TRAITS = Traits(
    vpc_endpoint="sagemaker.runtime",
    hosts_weights=True,
    self_hosted=True,
    managed_model=False,
    gpu_capable=True,
    batch=False,
    containers=False,
    model_pattern="managed-endpoint-on-sagemaker",
    managed_instances=True,
)


def hosting_limits(ctx: Context, what: str) -> list[Blocker]:
    """Limits every SageMaker hosting option shares: it serves models whose weights you have."""
    if not ctx.is_model_layer:
        return [
            fact_blocker(
                f"SageMaker {what} run your orchestration code",
                "no (they serve models)",
                "to run orchestration code",
            )
        ]
    out = []
    if b := proprietary_weights(ctx):
        out.append(b)
    if ctx.workload.role == "fine-tuning":
        out.append(
            fact_blocker(
                f"SageMaker {what} run training jobs",
                "no (training jobs are a different service, not modelled)",
                "a fine-tuning job",
            )
        )
    return out


def limits(ctx: Context) -> list[Blocker]:
    out = hosting_limits(ctx, "endpoints")
    if ctx.is_model_layer and ctx.usage.duration_s > ctx.catalog.limit("sagemaker/realtime-timeout").value:
        out.append(
            blocker(
                ctx,
                "sagemaker/realtime-timeout",
                f"{ctx.usage.duration_s:,g} s per request (Asynchronous Inference, sagemaker-async, takes up to 1 hour)",
            )
        )
    return out


def instance_replicas(ctx: Context, *, batch: bool | None = None) -> tuple[list, bool]:
    """The ml.* replicas to try and whether they are GPU instances: CPU instances for a model that
    needs no GPU (GPU instances when no CPU instance holds it), GPU instances otherwise; ``batch``
    as ``selfhost.cheapest_fleet``."""
    needs_gpu, _ = gpu_need(ctx.usage, ctx.wf)
    if not needs_gpu:
        try:
            return cpu_instance_replicas(ctx, "ml.", batch=batch), False
        except Infeasible:
            if ctx.workload.gpu == "none":
                raise
    return gpu_replicas(ctx, "ml.", batch=batch), True


def price(ctx: Context) -> Priced:
    u = ctx.usage
    # a real-time endpoint is billed per instance-hour while in service, from one instance up:
    # scheduled or batch work does not stop the meter between runs (that is Batch Transform or
    # Asynchronous Inference, which scales to zero: sagemaker-async)
    replicas, gpu = instance_replicas(ctx, batch=False)
    start = ctx.catalog.limit("ec2/gpu-node-start-s").value
    replica, fleet = cheapest_fleet(ctx, replicas, start, 1, batch=False)
    return Priced(
        components=fleet_lines(ctx, replica, fleet),
        instance_type=replica.label,
        instances=instances_count(fleet),
        notes=fleet_notes(ctx, replica, fleet),
        soft_warnings=duration_disagreement(ctx, replica),
        uses_gpu=gpu,
        fleet=fleet_facts(replica, fleet, start, 1, None),
        latency=LatencyProfile(
            scale_out_s=start,
            p50_ms=fleet.p50_ms or (replica.latency_s or u.duration_s) * 1000,
            p99_ms=fleet.p99_ms,
            note="new endpoint instances take minutes",
        ),
    )
