"""Amazon Bedrock Custom Model Import: your own (or any open) weights of a supported architecture,
served by Bedrock on demand, billed in Custom Model Units per minute over 5-minute windows while a
copy is active, scaling to zero when idle (cold start on the next call).

Cost formula (https://docs.aws.amazon.com/bedrock/latest/userguide/import-model-calculate-cost.html):
copies x CMUs per copy x price per CMU-minute x 5 per active 5-minute window; plus storage per CMU
per month. Prices: ``bedrock/custom-model-import/*`` in the catalog (UNVERIFIED, see services.yml).
"""

from __future__ import annotations

import math
from decimal import Decimal

from ..results import Blocker, CustomImportFacts, LatencyProfile
from ..units import HOURS_PER_MONTH
from .base import Context, Priced, Traits, blocker, fact_blocker, line
from .bedrock import PRICING, vpc_blocker

ID = "bedrock-custom-import"
TRAITS = Traits(
    vpc_endpoint="bedrock-runtime",
    hosts_weights=True,  # your weights, imported
    self_hosted=False,
    managed_model=True,  # served by Bedrock behind its API: no servers of yours
    gpu_capable=True,
    batch=False,
    containers=False,
    model_pattern="managed-inference-on-bedrock",
    role_patterns={"rag": "rag-with-bedrock"},
)
DOCS = "https://docs.aws.amazon.com/bedrock/latest/userguide/model-customization-import-model.html"
#: CMUs per model copy by size (Bedrock sets the count at import). 8B -> 2 and 70B -> 8 are quoted in
#: the sources read (services.yml note); the other bands are interpolated (UNVERIFIED).
CMU_BANDS = ((4.0, 1), (10.0, 2), (30.0, 4), (90.0, 8))
#: Requests one copy serves at once (UNVERIFIED estimate: a copy is a continuous-batching server).
CONCURRENT_PER_COPY = 8
WINDOW_MINUTES = 5


def cmus_per_copy(params_b: float) -> int | None:
    return next((cmu for top, cmu in CMU_BANDS if params_b <= top), None)


def limits(ctx: Context) -> list[Blocker]:
    if not ctx.is_model_layer:
        return [fact_blocker("Bedrock runs your code", "no (it serves models)", "to run orchestration code")]
    m = ctx.model
    w = ctx.workload
    out = []
    if m is None or m.weights == "proprietary" or m.arch is None:
        out.append(
            fact_blocker(
                "Custom Model Import serves",
                "open-weight architectures you upload (Llama, Mistral, Mixtral, Qwen, Flan)",
                f"{m.label if m else 'a model'}, which is not an open-weight model you can upload",
                DOCS,
            )
        )
        return out
    if m.kind != "generative":
        out.append(
            fact_blocker(
                "Custom Model Import serves",
                "text-generation models",
                f"{m.label}, {_a(m.kind)} {m.kind}",
                DOCS,
            )
        )
    if w.role == "fine-tuning":
        out.append(
            fact_blocker(
                "Custom Model Import trains", "no (it serves imported weights)", "a fine-tuning job", DOCS
            )
        )
    max_b = ctx.catalog.limit("bedrock-cmi/max-params-b").value
    if m.params_b and m.params_b > max_b:
        out.append(blocker(ctx, "bedrock-cmi/max-params-b", f"{m.params_b:g}B parameters"))
    if ctx.usage.missing_token_fields and not ctx.usage.duration_given:
        out.append(
            fact_blocker(
                "Unpriced: time per request",
                "CMU-minutes depend on how long copies are busy",
                f"{' and '.join(ctx.usage.missing_token_fields)} or duration_s (workloads[{ctx.usage.index}])",
                PRICING,
            )
        )
    if not ctx.catalog.has_price("bedrock/custom-model-import/cmu-minutes"):
        out.append(
            fact_blocker(
                "Custom Model Import in this region", "no price in the catalog", ctx.catalog.region, PRICING
            )
        )
    if b := vpc_blocker(ctx):
        out.append(b)
    return out


def _a(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def price(ctx: Context) -> Priced:
    u = ctx.usage
    m = ctx.model
    assert m is not None and m.params_b
    cmus = cmus_per_copy(m.params_b) or CMU_BANDS[-1][1]
    windows = HOURS_PER_MONTH * 60 // WINDOW_MINUTES  # 8,760 five-minute windows in 730 hours
    per_window = u.requests_per_month / windows
    # Poisson arrivals at the mean rate: a window bills when at least one request arrives in it
    # (clustered traffic bills fewer windows: this is the conservative case)
    active = windows * (1 - math.exp(-per_window))
    busy_s = u.requests_per_month * u.duration_s
    # a copy serves batch_per_replica requests at once when duration_s is the service time (no
    # tokens to size it), else a continuous-batching server's CONCURRENT_PER_COPY
    at_once = u.batch_per_replica if u.service_time_from_duration else CONCURRENT_PER_COPY
    copy_windows = max(active, busy_s / (WINDOW_MINUTES * 60 * at_once))
    cmu_minutes = Decimal(str(round(copy_windows, 6))) * WINDOW_MINUTES * cmus
    cold = active * math.exp(-per_window)
    comps = [
        line(
            f"Custom model units ({m.label}, {cmus} CMU per copy)",
            ctx.price("bedrock/custom-model-import/cmu-minutes"),
            cmu_minutes,
            scales_with=["volume"],
            driver="volume",  # CMU-minutes of active copies: the windows the calls land in, and their busy time
            purchase="on-demand",
            note=(
                f"{copy_windows:,.1f} copy-windows of {WINDOW_MINUTES} min x {cmus} CMU: {active:,.1f} of {windows:,} "
                f"windows see a request ({u.requests_per_month:,.0f} requests, Poisson at the mean rate); busy time "
                f"{busy_s / 3600:,.1f} h at {at_once} request(s) per copy at once"
            ),
        ),
        line(
            f"Custom model storage ({m.label})",
            ctx.price("bedrock/custom-model-import/storage"),
            Decimal(cmus),
            driver="fixed",  # per CMU per month, whatever the traffic
            purchase="on-demand",
            note=f"{cmus} CMU per copy (CMU count by size band, UNVERIFIED: Bedrock sets it at import)",
        ),
    ]
    start = ctx.catalog.limit("bedrock-cmi/cold-start-s").value
    return Priced(
        components=comps,
        instance_type=f"{cmus} CMU per copy",
        notes=[
            f"Custom Model Import: billed per 5-minute window while a copy is active; scales to zero when idle; "
            f"~{cold:,.0f} calls a month find no active copy and wait a cold start (~{start:g} s)"
        ],
        soft_warnings=[f"cold starts: ~{cold:,.0f} calls a month wait ~{start:g} s for a copy to load"]
        if cold >= 1
        else [],
        custom_import=CustomImportFacts(cmus_per_copy=cmus, active_windows=active, cold_starts=cold),
        latency=LatencyProfile(
            cold_start_s=start,
            scale_out_s=start,
            p50_ms=u.duration_s * 1000,
            note="scales to zero; cold start",
        ),
    )
