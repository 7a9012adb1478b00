"""AWS Step Functions: long or multi-step flows with callbacks, calling Lambda for each step.

Standard workflows run up to a year and bill per state transition; Express workflows run up to
5 minutes and bill per request plus duration (https://aws.amazon.com/step-functions/pricing/).
The steps' own compute runs on Lambda and is billed as Lambda. Waiting is not computing: a Standard
workflow that waits for a callback (``.waitForTaskToken``), a Wait state or a person bills the
transitions only, so its Lambda steps bill ``active_compute_s`` (stated, or the default for a flow
longer than Lambda's 900 s: a few seconds of steps; ``usage._active_compute``). A flow within 900 s
with no active_compute_s is billed as if its Lambda steps ran all along (they wait synchronously on
what they call: an upper bound).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Literal

from ..results import Blocker, LatencyProfile
from ..units import MB_PER_GB, MILLION
from .base import Context, Priced, Traits, blocker, fact_blocker, line, tiered_lines
from .lambda_ import cheapest_duration, memory_mb
from .purchase import charged, discounted_note, lambda_rate

ID = "step-functions"
TRAITS = Traits(
    hosts_weights=True,
    self_hosted=False,
    managed_model=False,
    gpu_capable=False,
    batch=False,
    containers=False,
    model_pattern="long-flow-on-step-functions",
    orchestration_pattern="long-flow-on-step-functions",
    workflow=True,
)
TRANSITIONS_PER_EXECUTION = 6  # start, ~4 task/choice states, end: a typical agent loop
EXPRESS_MEMORY_MB = 64  # Express bills memory in 64-MB chunks; a workflow's own state is small


def limits(ctx: Context) -> list[Blocker]:
    out = []
    if ctx.is_model_layer:
        out.append(
            fact_blocker(
                "Step Functions runs model weights",
                "no (it orchestrates calls)",
                f"to serve {ctx.model.label if ctx.model else 'a model'}",
            )
        )
    std_max = ctx.catalog.limit("stepfunctions/standard-duration-max").value
    if ctx.usage.duration_p99_s > std_max:
        out.append(blocker(ctx, "stepfunctions/standard-duration-max", f"{ctx.usage.duration_p99_s:,g} s"))
    u = ctx.usage
    timeout = ctx.catalog.limit("lambda/timeout").value
    if u.active_compute_s > timeout:
        # each Lambda step stops at 900 s; work that computes longer in one piece is a job
        out.append(
            blocker(
                ctx,
                "lambda/timeout",
                f"{u.active_compute_s:,g} s of computation per execution (active_compute_s"
                f"{'' if u.active_given else ', default for scheduled or batch work'}) in one piece: each "
                "step runs on Lambda; split it into resumable steps, or run it as a job (AWS Batch, Fargate)",
                label="Longest Lambda step (Step Functions task) [lambda/timeout]",
            )
        )
    mem_max = ctx.catalog.limit("lambda/memory-max").value
    if memory_mb(ctx) > mem_max:
        out.append(blocker(ctx, "lambda/memory-max", f"{memory_mb(ctx):,} MB per step (steps run on Lambda)"))
    return out


def _express(ctx: Context) -> bool:
    return ctx.usage.duration_p99_s <= ctx.catalog.limit("stepfunctions/express-duration-max").value


def price(ctx: Context) -> Priced:
    u = ctx.usage
    cat = ctx.catalog
    executions = Decimal(str(u.requests_per_month))
    timeout = cat.limit("lambda/timeout").value
    # each step is a Lambda invocation of at most 15 minutes
    waits = u.active_given or u.duration_s > timeout
    active = u.active_compute_s if waits else u.duration_s
    steps = max(1, math.ceil(active / timeout))
    comps = []
    notes = [f"assumes {TRANSITIONS_PER_EXECUTION} state transitions per execution"]
    if waits and active < u.duration_s:
        notes.append(
            f"{u.duration_s - active:,g} s of each {u.duration_s:,g} s execution is a wait (callback with "
            ".waitForTaskToken, Wait state or a person): a Standard workflow bills its transitions, not the wait; "
            f"Lambda bills the {active:,g} s of active steps"
        )
    elif not u.active_given:
        notes.append(
            f"assumes all {u.duration_s:g} s of duration is active Lambda compute: an upper bound, since waiting on "
            "callbacks is not billed (set active_compute_s)"
        )
    variant: Literal["Standard", "Express"]
    if _express(ctx):
        variant = "Express"
        comps.append(
            line(
                "Workflow requests (Express)",
                ctx.price("stepfunctions/express-requests"),
                executions / MILLION,
                scales_with=["volume"],
                driver="volume",
                purchase="on-demand",
            )
        )
        billed_s = Decimal(math.ceil(u.duration_s * 10)) / 10  # 100 ms rounding
        gb_s = executions * billed_s * Decimal(EXPRESS_MEMORY_MB) / MB_PER_GB
        comps += tiered_lines(
            "Workflow duration",
            "Express, 64 MB",
            ctx.price("stepfunctions/express-duration"),
            gb_s,
            "GB-s",
            scales_with=["volume"],
            driver="volume",
            purchase="on-demand",
        )
    else:
        variant = "Standard"
        transitions = executions * TRANSITIONS_PER_EXECUTION
        comps.append(
            line(
                "State transitions (Standard)",
                ctx.price("stepfunctions/standard-transitions"),
                transitions / 1000,
                scales_with=["volume"],
                driver="volume",
                purchase="on-demand",
                note=f"{TRANSITIONS_PER_EXECUTION} transitions x {u.requests_per_month:,.0f} executions",
            )
        )
    mb = memory_mb(ctx)
    invocations = executions * steps
    gb_s = executions * Decimal(str(round(active, 3))) * Decimal(mb) / MB_PER_GB
    comps.append(
        line(
            "Step invocations (Lambda requests)",
            ctx.price("lambda/requests"),
            invocations / MILLION,
            scales_with=["volume"],
            driver="volume",
            purchase="on-demand",
            note=f"{steps} Lambda step(s) per execution",
        )
    )
    # the steps are Lambda functions: Compute Savings Plans cover their duration as any Lambda's, and
    # they run on the architecture the workload allows, the cheaper under arch: auto (as Lambda's own)
    rate = lambda_rate(ctx)
    cheaper, on_demand = cheapest_duration(
        ctx, "Step compute", "Lambda ", gb_s, f"{active:,g} s active x {mb:,} MB per execution"
    )
    step_compute = charged(rate, on_demand)
    if cheaper == "arm64":
        notes.append(
            "its Lambda steps on arm64 (Graviton), the cheaper architecture: they must build for arm64 "
            "(arch: x86_64 to price x86 only)"
        )
    comps += step_compute
    return Priced(
        components=comps,
        notes=[*notes, *discounted_note(rate, step_compute)],
        workflow_type=variant,
        latency=LatencyProfile(
            cold_start_s=cat.limit("lambda/cold-start-s").value,
            scale_out_s=0.0,
            p50_ms=u.duration_s * 1000,
            p99_ms=u.duration_p99_s * 1000,
            note=f"{variant} workflow; steps start like Lambda functions",
        ),
    )
