"""Amazon Bedrock on-demand: managed inference billed per token, no servers, no idle cost.

Bedrock serves the models it offers (proprietary frontier models and the open families it hosts);
your own fine-tuned weights only through Custom Model Import. Token prices come from genai-prices
(``catalog/bedrock.py``), never from a hand-copied table.
"""

from __future__ import annotations

from decimal import Decimal

from ..catalog.bedrock import BedrockPrices, bedrock_prices
from ..fleetsim import behaviour
from ..results import BedrockFacts, Blocker, LatencyProfile, QuotaHeadroom, TokenQuotaCheck
from ..units import MILLION
from .base import Context, Infeasible, Priced, Traits, fact_blocker, line
from .capacity import bedrock_quota

ID = "bedrock"
TRAITS = Traits(
    vpc_endpoint="bedrock-runtime",
    hosts_weights=False,
    self_hosted=False,
    managed_model=True,
    gpu_capable=True,
    batch=False,
    containers=False,
    model_pattern="managed-inference-on-bedrock",
    role_patterns={"rag": "rag-with-bedrock"},
)
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
    if b := vpc_blocker(ctx):
        out.append(b)
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
            driver="volume",
            purchase="on-demand",
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
                driver="volume",
                purchase="on-demand",
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
    soft, quota_notes, token_quota, headroom = quota_check(ctx, bp)
    notes += quota_notes
    first = ctx.catalog.limit("bedrock/first-token-s").value
    return Priced(
        components=token_lines(ctx, bp, "on-demand"),
        notes=notes,
        soft_warnings=soft,
        bedrock=BedrockFacts(bedrock_model_id=bp.model_id, tokens_per_month=u.tokens_per_month),
        token_quota=token_quota,
        quota=headroom,
        latency=LatencyProfile(
            cold_start_s=0.0,
            scale_out_s=0.0,
            p50_ms=u.duration_s * 1000,
            note=f"model already loaded; ~{first:g} s to first token",
        ),
    )


def model_quotas(ctx: Context, model_id: str) -> tuple[float, float, str]:
    """(tokens per minute, tokens per day, where they come from) of one model's default on-demand
    quotas: the catalog's per-model entry (``bedrock_quotas.yml``), else the simulator's assumption."""
    cat = ctx.catalog
    try:
        tpm_entry = cat.limit(f"bedrock/tokens-per-minute/{model_id}")
    except KeyError:
        tpm = behaviour.value("bedrock/tokens-per-minute")
        where = (
            f"no per-model quota for {model_id} in the catalog: {tpm:,.0f} tokens/min assumed "
            "(fleetsim/data/behaviour.yml; check Service Quotas)"
        )
    else:
        tpm = tpm_entry.value
        where = (
            f"{tpm_entry.description} [{tpm_entry.key}], {tpm_entry.source}, checked {tpm_entry.as_of.isoformat()}"
            + ("" if tpm_entry.verified else " (UNVERIFIED)")
        )
    if cat.region != "us-east-1":
        where += f"; the catalog's figure is us-east-1's, {cat.region} may differ"
    return tpm, tpm * cat.limit("bedrock/tokens-per-day-per-tpm").value, where


def quota_check(
    ctx: Context, bp: BedrockPrices
) -> tuple[list[str], list[str], TokenQuotaCheck, QuotaHeadroom | None]:
    """(warnings, notes, the check, the headroom growth re-checks) of the model's on-demand token
    quotas over the simulated traffic.

    Requests over a quota are throttled (ThrottlingException), not served and not billed: the option
    is infeasible (raises Infeasible) unless ``preferences.quota_increase`` grants enough
    (``bedrock-tokens-per-minute``, ``bedrock-tokens-per-day``); with a grant it is feasible with a
    warning naming the quota to request. Provisioned Throughput is the other way past the quota; it
    is named, not priced.
    """
    u = ctx.usage
    # the catalog's model id (genai-prices ids may carry a routing prefix such as "regional.")
    model_id = ctx.model.bedrock_model_id if ctx.model and ctx.model.bedrock_model_id else bp.model_id
    tpm_default, tpd_default, where = model_quotas(ctx, model_id)
    granted = ctx.prefs.quota_increase
    tpm = max(tpm_default, granted.get("bedrock-tokens-per-minute", 0.0))
    tpd_base = max(tpd_default, tpm * ctx.catalog.limit("bedrock/tokens-per-day-per-tpm").value)
    tpd = max(tpd_base, granted.get("bedrock-tokens-per-day", 0.0))
    quota = bedrock_quota(u, tpm_quota=tpm, tpd_quota=tpd)
    label = ctx.model.label if ctx.model else bp.name
    check = TokenQuotaCheck(
        quota_tokens_per_minute=tpm,
        quota_tokens_per_day=tpd,
        peak_tokens_per_minute=quota.peak_tokens_per_min,
        peak_tokens_per_day=quota.peak_tokens_per_day,
        throttled_requests=quota.throttled_requests,
    )
    headroom = None
    if quota.peak_tokens_per_min > 0:
        # growth and Monte Carlo re-check the quotas: tokens scale with volume x tokens per request
        headroom = QuotaHeadroom(
            quota_name="bedrock-tokens-per-minute",
            quota_headroom=min(tpm / quota.peak_tokens_per_min, tpd / max(quota.peak_tokens_per_day, 1e-9)),
            quota_default_headroom=min(
                tpm_default / quota.peak_tokens_per_min, tpd_default / max(quota.peak_tokens_per_day, 1e-9)
            ),
            quota_counts_tokens=True,
        )
    if quota.throttled_requests >= 0.5:
        raised = [k for k in ("bedrock-tokens-per-minute", "bedrock-tokens-per-day") if k in granted]
        check = check.model_copy(
            update={"requests": quota.requests, "throttled_share": quota.throttled_share}
        )
        raise Infeasible(
            [
                fact_blocker(
                    f"On-demand token quotas for {label} ({model_id})",
                    f"{tpm:,.0f} tokens/min, {tpd:,.0f} tokens/day"
                    + (f" (with your preferences.quota_increase: {', '.join(raised)})" if raised else ""),
                    f"peak {quota.peak_tokens_per_min:,.0f} tokens/min and {quota.peak_tokens_per_day:,.0f} tokens/day: "
                    f"{quota.minutes_over:,.0f} minutes a month ({quota.share_of_minutes_over:.1%}) over, "
                    f"{quota.throttled_requests:,.0f} requests a month ({quota.throttled_share:.2%}) throttled "
                    "(ThrottlingException, not served, not billed). Ask AWS for a quota increase and set "
                    f"preferences.quota_increase.bedrock-tokens-per-minute (at least {quota.peak_tokens_per_min:,.0f}), "
                    "use cross-Region inference, or buy Provisioned Throughput (not priced here)",
                    f"{where}; https://docs.aws.amazon.com/bedrock/latest/userguide/quotas-runtime.html",
                )
            ],
            token_quota=check,
            quota=headroom,
        )
    soft: list[str] = []
    notes: list[str] = []
    if quota.peak_tokens_per_min > tpm_default or quota.peak_tokens_per_day > tpd_default:
        soft.append(
            f"peak {quota.peak_tokens_per_min:,.0f} tokens/min and {quota.peak_tokens_per_day:,.0f} tokens/day exceed "
            f"{label}'s default on-demand quotas ({tpm_default:,.0f} tokens/min, {tpd_default:,.0f} tokens/day): "
            "feasible only with the quota increase in preferences.quota_increase; request 'On-demand InvokeModel "
            f"tokens per minute for {label}' of at least {quota.peak_tokens_per_min:,.0f} in Service Quotas before launch"
        )
    else:
        notes.append(
            f"peak {quota.peak_tokens_per_min:,.0f} tokens/min and {quota.peak_tokens_per_day:,.0f} tokens/day stay within "
            f"the on-demand quotas ({tpm:,.0f} tokens/min, {tpd:,.0f} tokens/day: {where})"
        )
    return soft, notes, check, headroom


def vpc_blocker(ctx: Context) -> Blocker | None:
    """Every Bedrock option's requests leave the VPC unless PrivateLink may carry them."""
    w = ctx.workload
    if not (w.data_must_stay_in_vpc and not w.privatelink_ok):
        return None
    return fact_blocker(
        "Data stays in your VPC",
        "no: requests go to the Bedrock endpoint",
        "data_must_stay_in_vpc without PrivateLink (privatelink_ok: false)",
    )
