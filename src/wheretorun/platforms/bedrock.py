"""Amazon Bedrock on-demand: managed inference billed per token, no servers, no idle cost.

Bedrock serves the models it offers (proprietary frontier models and the open families it hosts);
your own fine-tuned weights only through Custom Model Import. Token prices come from genai-prices
(``catalog/bedrock.py``), never from a hand-copied table.
"""

from __future__ import annotations

from decimal import Decimal

from ..catalog.bedrock import BedrockPrices, bedrock_prices
from ..report.model import Blocker, LatencyProfile
from ..units import MILLION
from .base import Context, Infeasible, Priced, fact_blocker, line
from .capacity import bedrock_quota

ID = "bedrock"
PRICING = "https://aws.amazon.com/bedrock/pricing/"


def common_limits(ctx: Context) -> list[Blocker]:
    """Limits Bedrock on-demand and batch share."""
    w = ctx.workload
    m = ctx.model
    if not ctx.is_model_layer:
        return [fact_blocker("Bedrock runs your code", "no (it serves models)", "to run orchestration code")]
    out = []
    if w.role == "fine-tuning":
        out.append(
            fact_blocker(
                "Fine-tuning jobs priced by wheretorun on Bedrock",
                "not modelled (Bedrock model "
                "customization bills per token trained plus Provisioned Throughput to serve)",
                "a fine-tuning job",
                PRICING,
            )
        )
    if m is None:
        out.append(fact_blocker("A model for Bedrock to serve", "none given", "model.id"))
    elif m.custom:
        out.append(
            fact_blocker(
                "Bedrock on-demand models",
                "Bedrock's own catalog only",
                f"your custom weights ({m.label}); only Custom Model Import serves them",
                PRICING,
            )
        )
    elif not m.bedrock_model_id:
        out.append(
            fact_blocker(
                "Bedrock model catalog",
                "the models Bedrock offers",
                f"{m.label}, which Bedrock does not offer on demand (catalog: models.yml)",
                PRICING,
            )
        )
    elif shared_prices(ctx, m.bedrock_model_id) is None:
        out.append(
            fact_blocker(
                "Bedrock price list (genai-prices)",
                "no price for this model",
                f"{m.bedrock_model_id}",
                PRICING,
            )
        )
    if m is not None and ctx.usage.missing_token_fields:
        out.append(unpriced_without_tokens(ctx, "Bedrock bills per token"))
    if w.data_must_stay_in_vpc and not w.privatelink_ok:
        out.append(
            fact_blocker(
                "Data stays in your VPC",
                "no: requests go to the Bedrock endpoint",
                "data_must_stay_in_vpc without PrivateLink (privatelink_ok: false)",
            )
        )
    return out


def limits(ctx: Context) -> list[Blocker]:
    return common_limits(ctx)


def unpriced_without_tokens(ctx: Context, why: str) -> Blocker:
    """Rule 'never invent token counts to price a per-token service': the option stays unpriced and
    says which workload field would price it."""
    fields = " and ".join(ctx.usage.missing_token_fields)
    return fact_blocker(
        "Unpriced: token counts per request",
        f"{why}; the workload gives no {fields}",
        f"{fields} (workloads[{ctx.usage.index}]) to be priced",
        PRICING,
    )


def shared_prices(ctx: Context, bedrock_model_id: str) -> BedrockPrices | None:
    """``bedrock_prices`` once per ``recommend`` call and model (``Context.memo``)."""
    return ctx.shared(
        ("bedrock-prices", bedrock_model_id), lambda: bedrock_prices(bedrock_model_id, ctx.catalog)
    )


def prices_for(ctx: Context) -> BedrockPrices:
    m = ctx.model
    assert m is not None and m.bedrock_model_id
    bp = shared_prices(ctx, m.bedrock_model_id)
    if bp is None:
        raise Infeasible([fact_blocker("Bedrock price list", "no price", m.bedrock_model_id)])
    return bp


def token_lines(
    ctx: Context, bp: BedrockPrices, variant: str, factor: Decimal = Decimal(1), note: str | None = None
):
    u = ctx.usage
    tin = Decimal(str(u.input_tokens_per_month)) / MILLION
    tout = Decimal(str(u.output_tokens_per_month)) / MILLION
    label = ctx.model.id if ctx.model and ctx.model.id else bp.name
    out = [
        line(
            f"Input tokens ({variant}, {label})",
            bp.input,
            tin,
            unit_price=bp.input.value * factor,
            scales_with=["volume", "tokens"],
            note=note,
        )
    ]
    if u.output_tokens:
        out.append(
            line(
                f"Output tokens ({variant}, {label})",
                bp.output,
                tout,
                unit_price=bp.output.value * factor,
                scales_with=["volume", "tokens"],
                note=note,
            )
        )
    return out


def price(ctx: Context) -> Priced:
    bp = prices_for(ctx)
    u = ctx.usage
    notes = [f"Bedrock model {bp.model_id} ({bp.name}) for {ctx.model.label if ctx.model else 'the model'}"]
    if ctx.model is not None and ctx.model.bedrock_stand_in:
        notes.append(
            f"assumption: {ctx.model.bedrock_stand_in} stands in for {ctx.model.label} (open weights, nearest "
            "Bedrock-served size); set model.bedrock_id or model.id to change it"
        )
    if ctx.workload.data_must_stay_in_vpc:
        notes.append(
            "reached through a VPC interface endpoint (PrivateLink); its hourly and per-GB charges are not priced here"
        )
    soft = []
    quota = bedrock_quota(u)
    if quota.minutes_over > 0:
        soft.append(
            f"at peak {quota.peak_requests_per_min:,.0f} requests/min and {quota.peak_tokens_per_min:,.0f} tokens/min, "
            f"{quota.minutes_over:,.0f} minutes a month ({quota.share_of_minutes_over:.1%}) exceed the default on-demand "
            f"quotas ({quota.rpm_quota:,.0f} requests/min, {quota.tpm_quota:,.0f} tokens/min; defaults vary by model "
            f"and account): ask for a quota increase or use cross-region inference ({quota.method})"
        )
    else:
        notes.append(
            f"peak {quota.peak_requests_per_min:,.0f} requests/min and {quota.peak_tokens_per_min:,.0f} tokens/min stay "
            f"within the default quotas ({quota.rpm_quota:,.0f} requests/min, {quota.tpm_quota:,.0f} tokens/min)"
        )
    first = ctx.catalog.limit("bedrock/first-token-s").value
    return Priced(
        components=token_lines(ctx, bp, "on-demand"),
        notes=notes,
        soft_warnings=soft,
        extras={"bedrock_model_id": bp.model_id, "tokens_per_month": u.tokens_per_month},
        latency=LatencyProfile(
            cold_start_s=0.0,
            scale_out_s=0.0,
            p50_ms=u.duration_s * 1000,
            note=f"model already loaded; ~{first:g} s to first token",
        ),
    )


def ops_key(ctx: Context, priced: Priced) -> str:
    return "bedrock"


def latency(ctx: Context, priced: Priced) -> LatencyProfile:
    return priced.latency or LatencyProfile()
