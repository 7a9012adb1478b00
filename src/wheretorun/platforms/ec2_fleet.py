"""Containers on EC2 instances you manage (ECS or EKS): GPU instances for models, CPU for the rest.

The instance is chosen by cost: every instance that holds the model (sizing) and meets the
latency target, sized into a fleet for the traffic, cheapest monthly total wins.
"""

from __future__ import annotations

from ..results import Blocker, CostComponent, LatencyProfile
from .base import Context, Priced, gpu_need, is_batch, proprietary_weights
from .selfhost import (
    cheapest_fleet,
    cpu_instance_replicas,
    fleet_facts,
    fleet_lines,
    fleet_notes,
    gpu_replicas,
    instances_count,
    load_balancer_lines,
)


def uses_gpu(ctx: Context) -> bool:
    return ctx.is_model_layer and gpu_need(ctx.usage, ctx.wf)[0]


def ec2_limits(ctx: Context) -> list[Blocker]:
    b = proprietary_weights(ctx, " (Bedrock or the provider's API serve it)")
    return [b] if b else []


def price_on_ec2(ctx: Context, platform_lines: list[CostComponent], min_replicas: int = 1) -> Priced:
    """The fleet, its invoice and notes on EC2, then ``platform_lines`` (EKS's control plane). ECS and
    EKS run the same instances for the same traffic, so the fleet is priced once per workload layer."""
    shared = ctx.per_layer(("ec2-fleet", min_replicas), lambda: _ec2_fleet(ctx, min_replicas))
    return Priced(
        components=[*shared.components, *platform_lines],
        instance_type=shared.instance_type,
        instances=shared.instances,
        notes=list(shared.notes),
        uses_gpu=shared.uses_gpu,
        fleet=shared.fleet,
        latency=shared.latency,
    )


def _ec2_fleet(ctx: Context, min_replicas: int) -> Priced:
    cat = ctx.catalog
    gpu = uses_gpu(ctx)
    replicas = gpu_replicas(ctx, "") if gpu else cpu_instance_replicas(ctx)
    start = cat.limit("ec2/gpu-node-start-s").value if gpu else cat.limit("fargate/task-start-s").value
    replica, fleet = cheapest_fleet(ctx, replicas, start, 0 if is_batch(ctx) else min_replicas)
    comps = fleet_lines(ctx, replica, fleet) + load_balancer_lines(ctx)
    notes = fleet_notes(ctx, replica, fleet)
    others = sorted(replicas, key=lambda r: r.hourly_usd)[:4]
    notes.append(
        "cheapest candidates (hourly): " + ", ".join(f"{r.label} ${r.hourly_usd:.4g}" for r in others)
    )
    if not gpu and replica.instance is not None and replica.instance.arch == "arm64":
        notes.append(
            "on Graviton (arm64), the cheapest candidate: the code and its container image must build "
            "for arm64 (arch: x86_64 to price x86 only)"
            if ctx.workload.arch == "auto"
            else "on Graviton (arm64): the code and its container image must build for arm64"
        )
    spot = replica.instance.spot_discount_pct if replica.instance else None
    return Priced(
        components=comps,
        instance_type=replica.label,
        instances=instances_count(fleet),
        notes=notes,
        uses_gpu=gpu,
        fleet=fleet_facts(replica, fleet, start, min_replicas, spot),
        latency=LatencyProfile(
            cold_start_s=None,
            scale_out_s=start,
            p50_ms=fleet.p50_ms or (replica.latency_s or ctx.usage.duration_s) * 1000,
            p99_ms=fleet.p99_ms or (replica.latency_s or ctx.usage.duration_p99_s) * 1000,
            note="new GPU nodes take 3-8 minutes (the playbook)" if gpu else "new instances take minutes",
        ),
    )
