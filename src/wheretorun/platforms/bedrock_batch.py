"""Amazon Bedrock batch inference: JSONL in S3, results within 24 hours, at half the on-demand
token price (``bedrock/batch-discount`` in the catalog; https://aws.amazon.com/bedrock/pricing/)."""

from __future__ import annotations

from decimal import Decimal

from ..results import BedrockFacts, Blocker, LatencyProfile
from .base import Context, Priced, Traits, blocker, is_batch
from .bedrock import common_limits, prices_for, token_lines

ID = "bedrock-batch"
TRAITS = Traits(
    hosts_weights=False,
    self_hosted=False,
    managed_model=True,
    gpu_capable=True,
    batch=True,
    containers=False,
    model_pattern="async-batch",
)


def limits(ctx: Context) -> list[Blocker]:
    out = common_limits(ctx)
    w = ctx.workload
    jobs = is_batch(ctx)
    if ctx.is_model_layer and not jobs:
        out.append(
            blocker(
                ctx,
                "bedrock-batch/turnaround-s",
                f"answers to '{w.trigger}' requests as they arrive ('{w.traffic}' traffic; batch inference suits "
                "traffic: batch or trigger: schedule)",
            )
        )
    return out


def price(ctx: Context) -> Priced:
    bp = prices_for(ctx)
    disc = ctx.price("bedrock/batch-discount")
    factor = (Decimal(100) - disc.value) / Decimal(100)
    note = f"{disc.value:g}% batch discount ({disc.source}, checked {disc.as_of.isoformat()})"
    return Priced(
        components=token_lines(ctx, bp, "batch", factor, note),
        notes=[f"Bedrock model {bp.model_id}; batch support varies by model: check it is offered for batch"],
        bedrock=BedrockFacts(bedrock_model_id=bp.model_id),
        latency=LatencyProfile(note="results within 24 hours"),
    )
