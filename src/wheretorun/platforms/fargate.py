"""AWS Fargate: serverless containers, CPU only, for RAG workers, embeddings and always-on services.

Hard limits: no GPU, 16 vCPU / 120 GB per task, and only the valid CPU/memory combinations of
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html. Billed per
vCPU-hour and GB-hour while tasks run (https://aws.amazon.com/fargate/pricing/).
"""

from __future__ import annotations

from ..results import Blocker, LatencyProfile
from ..units import money
from .base import (
    Context,
    Infeasible,
    Priced,
    Traits,
    blocker,
    fact_blocker,
    gpu_need,
    is_batch,
    line,
    proprietary_weights,
)
from .purchase import arches, charged, discounted_note, fargate_rate, memo_key
from .selfhost import (
    Replica,
    cheapest_fleet,
    cpu_replica_rate,
    fleet_facts,
    fleet_lines,
    fleet_notes,
    instances_count,
    load_balancer_lines,
    shortlist,
)

ID = "fargate"
TRAITS = Traits(
    vpc="yours",
    hosts_weights=True,
    self_hosted=False,
    managed_model=False,
    gpu_capable=False,
    batch=False,
    containers=True,
    model_pattern="cpu-inference-on-fargate",
    role_patterns={"rag": "rag-on-fargate", "embedding": "rag-on-fargate", "reranking": "rag-on-fargate"},
)
SOURCE = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html"
#: (vCPU, min GB, max GB, step GB) for Linux tasks
TASK_SIZES = (
    (0.25, 0.5, 2, None),
    (0.5, 1, 4, 1),
    (1, 2, 8, 1),
    (2, 4, 16, 1),
    (4, 8, 30, 1),
    (8, 16, 60, 4),
    (16, 32, 120, 8),
)
MODEL_TASK_MIN_VCPU = 4  # the playbook's pattern 2: "Fargate with 4-8 vCPU and embedding models on CPU"


def valid_memories(vcpu: float, lo: float, hi: float, step: float | None) -> list[float]:
    if step is None:
        return [0.5, 1, 2]
    out, m = [], lo
    while m <= hi + 1e-9:
        out.append(m)
        m += step
    return out


def task_size(min_vcpu: float, min_gb: float) -> tuple[float, float] | None:
    """The smallest valid task with at least ``min_vcpu`` and ``min_gb``."""
    for vcpu, lo, hi, step in TASK_SIZES:
        if vcpu < min_vcpu:
            continue
        for mem in valid_memories(vcpu, lo, hi, step):
            if mem >= min_gb:
                return vcpu, mem
    return None


def task_replica(ctx: Context, vcpu: float, mem: float, arch: str = "x86") -> Replica:
    """One task of ``vcpu`` / ``mem`` GB on ``arch`` at the file's purchase option
    (``purchase.fargate_rate``): the same for every workload of one layer kind, request duration,
    active compute, memory and purchase, so shared through ``task_candidates`` (``Context.memo``).
    Graviton tasks are assumed to serve the same rate."""
    rps, why = cpu_replica_rate(ctx, vcpu, mem)
    hourly = charged(
        fargate_rate(ctx),
        [
            line(
                f"Compute ({vcpu:g} vCPU task, {arch})",
                ctx.price(f"fargate/vcpu-{arch}"),
                money(vcpu),
                driver="time",
                purchase="on-demand",
            ),
            line(
                f"Memory ({mem:g} GB task, {arch})",
                ctx.price(f"fargate/memory-{arch}"),
                money(mem),
                driver="time",
                purchase="on-demand",
            ),
        ],
    )
    label = f"{vcpu:g} vCPU / {mem:g} GB task" + (", arm64" if arch == "arm64" else "")
    return Replica(label, hourly, rps, note=why, vcpu=vcpu, memory_gb=mem)


def task_candidates(ctx: Context) -> list[Replica]:
    """The task sizes to try, the cheapest few first (``selfhost.shortlist``).

    A model on CPU gets the smallest task of at least 4 vCPU holding its memory + 25 % (seed 1,
    pattern 2). Code may run in any valid task that holds one request's memory, from 0.25 vCPU /
    0.5 GB upward: small tasks pack few requests but waste less of a partly used task.
    """
    u = ctx.usage
    if ctx.is_model_layer:
        need_gb = u.memory_gb * 1.25
        size = task_size(MODEL_TASK_MIN_VCPU, need_gb)
        if size is None:
            raise Infeasible(
                [blocker(ctx, "fargate/memory-max", f"{need_gb:,.1f} GB (model memory + 25% headroom)")]
            )
        sizes = [size]
    else:
        sizes = [
            (vcpu, mem)
            for vcpu, lo, hi, step in TASK_SIZES
            for mem in valid_memories(vcpu, lo, hi, step)
            if mem >= u.memory_gb
        ]
        if not sizes:
            raise Infeasible([blocker(ctx, "fargate/memory-max", f"{u.memory_gb:,g} GB per request")])
    archs = arches(ctx)
    key = (
        "fargate-tasks",
        ctx.is_model_layer,
        u.duration_s,
        u.active_compute_s,
        u.memory_gb,
        *archs,
        *memo_key(ctx),
    )
    candidates = ctx.shared(
        key,
        lambda: [
            (r, float(r.hourly_usd))
            for r in (task_replica(ctx, vcpu, mem, arch) for vcpu, mem in sizes for arch in archs)
            if r.per_replica_rps > 0
        ],
    )
    return [r for r, _ in shortlist(ctx, candidates, lambda c: (c[1], c[0].per_replica_rps))]


def limits(ctx: Context) -> list[Blocker]:
    out = []
    needs_gpu, why = gpu_need(ctx.usage, ctx.wf)
    if ctx.is_model_layer and needs_gpu:
        out.append(
            fact_blocker(
                "Fargate GPU support",
                "none (no GPU instances)",
                f"a GPU ({why})",
                "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/AWS_Fargate.html",
            )
        )
    if ctx.usage.memory_gb > ctx.catalog.limit("fargate/memory-max").value:
        out.append(blocker(ctx, "fargate/memory-max", f"{ctx.usage.memory_gb:,g} GB"))
    if b := proprietary_weights(ctx):
        out.append(b)
    return out


def price(ctx: Context) -> Priced:
    u = ctx.usage
    cat = ctx.catalog
    start = cat.limit("fargate/task-start-s").value
    replica, fleet = cheapest_fleet(ctx, task_candidates(ctx), start, 1)
    comps = fleet_lines(ctx, replica, fleet) + load_balancer_lines(ctx)
    notes = fleet_notes(ctx, replica, fleet) + discounted_note(fargate_rate(ctx), replica.hourly)
    if replica.label.endswith("arm64"):
        notes.append(
            "on Graviton (arm64), the cheaper of the two architectures: the code and its container image "
            "must build for arm64 (arch: x86_64 to price x86 only)"
            if ctx.workload.arch == "auto"
            else "on Graviton (arm64): the code and its container image must build for arm64"
        )
    if fargate_rate(ctx).purchase == "spot":
        notes.append("Fargate Spot runs on ECS only (not on Fargate for EKS)")
    if not is_batch(ctx):
        notes.append(
            "scale-to-zero is not modelled for an always-on service: at least one task runs all month"
        )
    return Priced(
        components=comps,
        instance_type=replica.label,
        instances=instances_count(fleet),
        notes=notes,
        fleet=fleet_facts(replica, fleet, start, 1, float(ctx.price("fargate/spot-discount").value)),
        latency=LatencyProfile(
            cold_start_s=None,
            scale_out_s=start,
            p50_ms=fleet.p50_ms or u.duration_s * 1000,
            p99_ms=fleet.p99_ms or u.duration_p99_s * 1000,
            note="containers stay warm; new tasks take 30 s - 2 min to start (the playbook)",
        ),
    )
