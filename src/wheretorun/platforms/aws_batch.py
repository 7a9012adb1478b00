"""AWS Batch: jobs on EC2 (GPU or CPU) that start in minutes, run as long as needed, then stop.

AWS Batch has no charge of its own (https://aws.amazon.com/batch/pricing/): instance-hours for the
work only, no idle fleet. Jobs take minutes to start, so it serves queues and schedules, not
interactive requests.
"""

from __future__ import annotations

from decimal import Decimal

from ..results import Blocker, LatencyProfile
from ..units import MILLION
from .base import Context, Priced, Traits, blocker, fact_blocker, line, runs_as_jobs
from .ec2_fleet import ec2_limits, uses_gpu
from .selfhost import (
    cheapest_fleet,
    cpu_instance_replicas,
    fleet_extras,
    fleet_lines,
    fleet_notes,
    gpu_replicas,
    instances_count,
)

ID = "aws-batch"
TRAITS = Traits(
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
        return out + [
            fact_blocker(
                "AWS Batch runs",
                "queued compute jobs",
                "an orchestration flow (request/response or callbacks)",
                "https://docs.aws.amazon.com/batch/latest/userguide/what-is-batch.html",
            )
        ]
    jobs = runs_as_jobs(ctx)
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


def price(ctx: Context) -> Priced:
    cat = ctx.catalog
    gpu = uses_gpu(ctx)
    replicas = gpu_replicas(ctx, "") if gpu else cpu_instance_replicas(ctx)
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
        extras=fleet_extras(
            replica, fleet, start, 0, replica.instance.spot_discount_pct if replica.instance else None
        ),
        latency=LatencyProfile(
            cold_start_s=start, scale_out_s=start, note="job start (queue, launch, image pull)"
        ),
    )
