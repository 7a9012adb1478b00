"""AWS Batch: jobs on EC2 (GPU or CPU) that start in minutes, run as long as needed, then stop.

AWS Batch has no charge of its own (https://aws.amazon.com/batch/pricing/): instance-hours for the
work only, no idle fleet. Jobs take minutes to start, so it serves queues and schedules, not
interactive requests.
"""

from __future__ import annotations

from decimal import Decimal

from ..results import Blocker, LatencyProfile
from ..units import MILLION
from .base import Context, Priced, Traits, blocker, fact_blocker, is_batch, line
from .ec2_fleet import ec2_limits, uses_gpu
from .fargate import task_candidates
from .selfhost import (
    cheapest_fleet,
    cpu_instance_replicas,
    fleet_facts,
    fleet_lines,
    fleet_notes,
    gpu_replicas,
    instances_count,
    shortlist,
)

ID = "aws-batch"
TRAITS = Traits(
    vpc="yours",
    hosts_weights=True,
    self_hosted=False,
    managed_model=False,
    gpu_capable=True,
    batch=True,
    containers=True,
    model_pattern="async-batch",
    gpu_ops_profile=True,
)
SQS_REQUESTS_PER_MESSAGE = 3  # send, receive, delete


#: Jobs shorter than this belong on a queue worker, not a job scheduler that takes minutes to start one.
MIN_JOB_S = 60


def limits(ctx: Context) -> list[Blocker]:
    out = ec2_limits(ctx)
    w = ctx.workload
    if not ctx.is_model_layer:
        if code_jobs(ctx):
            return out
        return out + [
            fact_blocker(
                "AWS Batch runs",
                "queued or scheduled compute jobs",
                f"an orchestration flow answering '{w.trigger}' requests as they come (request/response or "
                "callbacks; trigger: schedule or queue, or traffic: batch, make it jobs)",
                "https://docs.aws.amazon.com/batch/latest/userguide/what-is-batch.html",
            )
        ]
    jobs = is_batch(ctx)
    if (
        not jobs
        and w.trigger == "api"
        and ctx.usage.duration_p99_s <= ctx.catalog.limit("lambda/timeout").value
    ):
        out.append(
            blocker(
                ctx,
                "batch/job-start-s",
                "answers to API requests (trigger: api) that finish within 15 minutes: serve them, "
                "or queue only the long tail",
            )
        )
    elif not jobs and ctx.usage.duration_s < MIN_JOB_S:
        out.append(
            blocker(
                ctx,
                "batch/job-start-s",
                f"{ctx.usage.duration_s:g} s requests arriving as '{w.traffic}' "
                f"'{w.trigger}' traffic (jobs of under {MIN_JOB_S} s belong on a queue worker)",
            )
        )
    elif (
        w.p99_latency_ms is not None
        and w.p99_latency_ms < (ctx.catalog.limit("batch/job-start-s").value + ctx.usage.duration_s) * 1000
    ):
        out.append(
            blocker(
                ctx,
                "batch/job-start-s",
                f"a p99 latency of {w.p99_latency_ms:,g} ms (p99_latency_ms), below job start + duration",
            )
        )
    return out


def code_jobs(ctx: Context) -> bool:
    """Code (not a model) that runs as jobs: scheduled, queued or batch work that computes rather
    than waits (a flow longer than 900 s that waits on callbacks belongs on Step Functions)."""
    w = ctx.workload
    u = ctx.usage
    jobs = w.trigger in ("schedule", "queue") or w.traffic == "batch"
    return jobs and u.active_compute_s >= u.duration_s / 2


def price(ctx: Context) -> Priced:
    cat = ctx.catalog
    gpu = uses_gpu(ctx)
    if gpu:
        replicas = gpu_replicas(ctx, "")
    elif ctx.is_model_layer:
        replicas = cpu_instance_replicas(ctx)
    else:
        # code jobs: a Fargate compute environment (per-task vCPU and GB) or an EC2 one
        replicas = [*task_candidates(ctx), *cpu_instance_replicas(ctx)]
        replicas = [
            r
            for r, _ in shortlist(
                ctx, [(r, float(r.hourly_usd)) for r in replicas], lambda c: (c[1], c[0].per_replica_rps)
            )
        ]
    start = cat.limit("batch/job-start-s").value
    replica, fleet = cheapest_fleet(ctx, replicas, start, 0, batch=True)
    comps = fleet_lines(ctx, replica, fleet)
    for c in comps:
        c.scales_with = ["volume"]
    w = ctx.workload
    if w.trigger in ("queue", "api", "event"):
        msgs = Decimal(str(ctx.usage.requests_per_month)) * SQS_REQUESTS_PER_MESSAGE
        comps.append(
            line(
                "Queue requests (SQS standard)",
                ctx.price("sqs/standard-requests"),
                msgs / MILLION,
                scales_with=["volume"],
                driver="volume",
                purchase="on-demand",
                note=f"{SQS_REQUESTS_PER_MESSAGE} requests per job: send, receive, delete",
            )
        )
    notes = fleet_notes(ctx, replica, fleet)
    if replica.instance is None:
        notes.insert(0, f"Fargate compute environment: each job runs in a {replica.label}")
    soft = []
    if w.trigger == "api":
        soft.append("jobs start in minutes: only for an asynchronous API that returns a job id")
    return Priced(
        components=comps,
        instance_type=replica.label,
        instances=instances_count(fleet),
        notes=notes,
        soft_warnings=soft,
        uses_gpu=gpu,
        fleet=fleet_facts(
            replica, fleet, start, 0, replica.instance.spot_discount_pct if replica.instance else None
        ),
        latency=LatencyProfile(
            cold_start_s=start, scale_out_s=start, note="job start (queue, launch, image pull)"
        ),
    )
