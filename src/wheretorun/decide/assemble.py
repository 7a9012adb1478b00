"""One workload's report: price every option, decide each layer, name the pattern, explain.

The assembly around the decision: the platforms assess every option (``assess_all``), each
option's unit cost is annotated, ``choose.decide`` applies the rules and picks, per layer
(orchestration code and the model it calls are placed separately), then the pattern
(``pattern.pattern_for``), the summary, the break-even (``breakeven``) and the optional analyses
(capacity week, growth, uncertainty) are added to the ``WorkloadReport``.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from ..catalog.store import Catalog
from ..invoice import construct
from ..platforms import PLATFORMS, Context, assess, traits
from ..platforms.capacity import profile_peak, traffic_for
from ..platforms.purchase import commitment_step
from ..platforms.usage import Usage, derive_usage, model_layer_usage
from ..results import (
    CapacityWeek,
    MonthlyCost,
    Option,
    Recommendation,
    TraceStep,
    UnitCost,
    UsageSummary,
    WorkloadReport,
)
from ..simulate.growth import project
from ..simulate.montecarlo import analyse
from ..spec.files import FileAccess
from ..spec.models import ORCHESTRATION_ROLES, WorkloadFile
from ..units import tokens_text
from . import portfolio as pf
from .breakeven import breakeven
from .catalog_merge import overrides_step
from .choose import NO_PLATFORM_FITS, decide
from .pattern import pattern_for
from .rules import Decision, Guideline


def assess_all(
    usage: Usage, wf: WorkloadFile, catalog: Catalog, layer: str, file: str, memo: dict | None = None
) -> list[Option]:
    """Every platform's Option; ``memo`` is shared by all workloads of one call (``Context.memo``)."""
    ctx = Context(
        usage=usage, wf=wf, catalog=catalog, layer=layer, file=file, memo={} if memo is None else memo
    )
    return [assess(module, ctx) for module in PLATFORMS.values()]


def decide_layer(
    usage: Usage,
    wf: WorkloadFile,
    catalog: Catalog,
    layer: str,
    file: str,
    memo: dict | None = None,
    trace_prefix: str = "",
    force: str | None = None,
) -> tuple[Decision, Option | None]:
    """One layer decided: every platform assessed, the rules applied, the pick (``choose.decide``).
    The decision is returned too: its trace, warnings and constraints go into the report."""
    d = Decision(
        usage=usage,
        wf=wf,
        layer=layer,
        options=assess_all(usage, wf, catalog, layer, file, memo),
        lambda_timeout_s=catalog.limit("lambda/timeout").value,
        lambda_memory_max_mb=catalog.limit("lambda/memory-max").value,
        guideline=Guideline.of(catalog),
        trace_prefix=trace_prefix,
    )
    annotate_unit_costs(d)
    return d, decide(d, force=force)


def annotate_unit_costs(d: Decision) -> None:
    """Cost per 1M tokens of every priced option serving a generative model (the TCO yardstick),
    and a warning where an option's estimated p99 misses the workload's latency target."""
    u = d.usage
    target = u.workload.p99_latency_ms
    tokens = u.tokens_per_month
    generative = d.layer == "model" and u.model is not None and u.model.kind == "generative" and tokens > 0
    for o in d.feasible:
        mc = o.monthly_cost_usd
        assert mc is not None
        if generative:
            per_m = Decimal(str(1e6 / tokens))
            o.usd_per_million_tokens = UnitCost(infra=float(mc.infra * per_m), total=float(mc.total * per_m))
            o.notes.append(
                f"${mc.infra * per_m:,.4f} per 1M tokens of infrastructure, ${mc.total * per_m:,.4f} with engineering "
                f"({tokens / 1e6:,.1f}M tokens/month)"
            )
        p99 = o.latency.p99_ms if o.latency else None
        if target is not None and p99 is not None and p99 > target:
            o.soft_warnings.append(
                f"estimated p99 {p99:,.0f} ms misses the {target:,.0f} ms target (p99_latency_ms)"
                + (f" ({o.latency.note})" if o.latency and o.latency.note else "")
            )


def recommend_workload(
    wf: WorkloadFile,
    index: int,
    catalog: Catalog,
    file: str,
    base_dir: FileAccess | Path | None,
    *,
    curve: bool = True,
    memo: dict | None = None,
    force: dict[str, str] | None = None,
    commitment_note: str = "",
) -> WorkloadReport:
    """One workload's report. ``memo``: what the platforms share across the workloads of one file and
    catalog (``platforms.base.Context.memo``); ``recommend`` passes one dict for the whole file.
    ``force``: the platforms the file's joint placement gives its layers (keys ``platform``, ``model``).
    ``commitment_note``: where the commitment in force comes from (``catalog_merge.with_commitment``)."""
    memo = {} if memo is None else memo
    force = force or {}
    usage = derive_usage(wf, index, catalog, file, base_dir, memo)
    w = usage.workload
    if w.traffic_profile is not None:
        # a bad profile is an input error even where no platform simulates it; a good one gives the
        # peak (peak rates, replica counts and notes use the measured busiest minute, not a default)
        profile_peak(usage, traffic_for(usage))
    warnings: list[str] = list(usage.warnings)
    trace: list[TraceStep] = []
    if catalog.overrides or catalog.discounts or commitment_note:
        trace.append(overrides_step(catalog, commitment_note))
    if wf.preferences.quota_increase:
        trace.append(
            TraceStep(
                question="Which AWS quotas does the team say are raised?",
                answer=", ".join(f"{k}: {v:,g}" for k, v in wf.preferences.quota_increase.items()),
                because="preferences.quota_increase: options over a default quota are priced at these instead "
                "of being rejected, each with a warning naming the quota to request",
            )
        )
    model_options: list[Option] = []
    model_pick: Option | None = None
    musage: Usage = usage
    assumptions = list(usage.assumptions)
    if w.role in ORCHESTRATION_ROLES:
        d, pick = decide_layer(
            usage, wf, catalog, "orchestration", file, memo, "[orchestration] ", force.get("platform")
        )
        trace += d.trace
        warnings += d.warnings
        options = d.options
        model_d: Decision | None = None
        if usage.model is not None:
            musage = model_layer_usage(usage, catalog)
            assumptions += musage.assumptions
            model_d, model_pick = decide_layer(
                musage, wf, catalog, "model", file, memo, "[model] ", force.get("model")
            )
            trace += model_d.trace
            model_options = model_d.options
            if model_pick is None:  # the orchestration runs; what it calls is what no platform serves
                warnings += [x for x in model_d.warnings if x != NO_PLATFORM_FITS]
                warnings.append(_unpriced_model(musage, model_options))
            else:
                warnings += model_d.warnings
        compliance = bool(model_d and model_d.compliance_forces_self_hosting)
    else:
        model_d = None
        d, pick = decide_layer(usage, wf, catalog, "model", file, memo, force=force.get("platform"))
        trace += d.trace
        warnings += d.warnings
        options = d.options
        compliance = d.compliance_forces_self_hosting
    for o in [pick, model_pick]:
        if o is not None:
            warnings += [f"{o.platform}: {s}" for s in o.soft_warnings]
            if missed := _median_past_target(w.p99_latency_ms, o):
                warnings.append(missed)
    if step := commitment_step(wf, [o for o in (pick, model_pick) if o], [*options, *model_options]):
        trace.append(step)
    total = _sum_costs([o for o in (pick, model_pick) if o is not None])
    pattern = pattern_for(usage, pick, model_pick, compliance, catalog.limit("lambda/timeout").value)
    summary = _summary(w.name, pick, model_pick, total, pattern)
    if model_options and model_pick is None:
        summary += " Its model calls are not priced: no platform can serve its model as described (warnings)."
    # built without re-validation from validated parts (hot path); the lists are copied, as
    # validation would copy them
    wr = construct(
        WorkloadReport,
        name=w.name,
        role=w.role,
        recommendation=construct(
            Recommendation,
            platform=pick.platform if pick else "none",
            pattern=pattern,
            summary=summary,
            instance_type=pick.instance_type if pick else None,
            model_platform=model_pick.platform if model_pick else None,
            model_instance_type=model_pick.instance_type if model_pick else None,
            monthly_cost_usd=total,
            standalone_platform=d.standalone.platform if d.standalone else None,
            standalone_model_platform=model_d.standalone.platform if model_d and model_d.standalone else None,
        ),
        options=list(options),
        model_options=list(model_options),
        trace=list(trace),
        warnings=list(warnings),
        assumptions=list(assumptions),
        breakeven=None,
        usage=_usage_summary(usage),
        model_layer_usage=_usage_summary(musage) if model_options else None,
        capacity_week=None,
        breakeven_curve=[],
        growth=None,
        uncertainty=None,
    )
    week = (
        _capacity_week(musage if model_options else usage, model_options or options, model_pick or pick, wf)
        if curve
        else None
    )
    wr.capacity_week = week
    layer_usage = musage if model_options else usage
    generative = layer_usage.model
    # no break-even in tokens when the file gives no token counts: it would rest on invented ones
    if generative is not None and generative.kind == "generative" and not layer_usage.missing_token_fields:
        be, points = breakeven(wr, wf, Guideline.of(catalog), curve)
        wr.breakeven = be
        wr.breakeven_curve = points
    be = wr.breakeven
    if be is not None and be.note:
        wr.trace.append(
            TraceStep(
                question="At what monthly token volume does self-hosting beat Bedrock?",
                answer=f"{tokens_text(be.tokens_per_month)} tokens/month"
                if be.tokens_per_month
                else "not within range",
                because=f"{be.note}. {be.guideline}.",
            )
        )
    # the optional analyses, per workload (so that an inventory's workers run them too)
    growth = wf.growth_per_month
    if growth is not None:
        wr.growth = project(wr, wf, growth)
    if wf.uncertainty is not None:
        wr.uncertainty = analyse(wr, wf)
    return wr


def _capacity_week(
    usage: Usage, options: list[Option], pick: Option | None, wf: WorkloadFile
) -> CapacityWeek | None:
    """Traffic against provisioned capacity over the busiest week: for the chosen fleet, or, when a
    serverless option won, for the cheapest fleet it was compared with (the idle capacity avoided)."""
    from ..simulate.week import capacity_week

    fleets = [
        o
        for o in options
        if o.feasible and o.fleet and o.fleet.per_replica_rps and not traits(o.platform).batch
    ]
    chosen: Option | None = pick
    if pick is None or pick not in fleets:
        chosen = min(fleets, key=lambda o: o.monthly_cost_usd.total, default=None)  # type: ignore[union-attr]
    return capacity_week(usage, chosen, wf.preferences.target_utilisation) if chosen is not None else None


def _usage_summary(usage: Usage) -> UsageSummary:
    return UsageSummary(
        requests_per_month=usage.requests_per_month,
        mean_requests_per_s=usage.mean_rps,
        peak_requests_per_s=usage.peak_rps,
        tokens_per_month=usage.tokens_per_month,
        duration_s=usage.duration_s,
        memory_gb=usage.memory_gb,
    )


def _sum_costs(options: list[Option]) -> MonthlyCost:
    """The workload's own cost: its picks' invoices without the lines the file shares
    (``decide.portfolio``: those are in the report's ``shared_costs``)."""
    own = [pf.own_cost(o) for o in options if o.monthly_cost_usd]
    infra = sum((i for i, _ in own), Decimal(0))
    ops = sum((o for _, o in own), Decimal(0))
    return construct(MonthlyCost, infra=infra, ops=ops, total=infra + ops)


def _summary(
    name: str, pick: Option | None, model_pick: Option | None, total: MonthlyCost, pattern: str
) -> str:
    if pick is None:
        return f"{name}: no AWS platform fits this workload as described; see the blocked options."
    text = f"Run {name} on {_where(pick)}"
    if model_pick is not None:
        text += f" and serve its model on {_where(model_pick)}"
    shared = len(pf.shared_lines(pick)) + (len(pf.shared_lines(model_pick)) if model_pick else 0)
    return (
        f"{text} ({pattern}): ${total.total:,.2f}/month = ${total.infra:,.2f} infrastructure + "
        f"${total.ops:,.2f} engineering"
        + (" of its own, plus its platforms' shared costs (counted once per file)." if shared else ".")
    )


def _median_past_target(target_ms: float | None, o: Option) -> str:
    """A chosen option whose typical request already takes longer than the p99 target: a p99 is at
    least the median, so the target cannot hold there. For options with no simulated p99 (a model
    behind an API: Bedrock, Custom Model Import); the others size or price against the target."""
    lat = o.latency
    if (
        target_ms is None
        or lat is None
        or lat.p99_ms is not None
        or not lat.p50_ms
        or lat.p50_ms <= target_ms
    ):
        return ""
    return (
        f"{o.platform}: p99_latency_ms {target_ms:,g} ms cannot hold: a typical request takes about "
        f"{lat.p50_ms:,.0f} ms there (the median; a p99 is at least that). Raise the target, shorten the "
        "requests (fewer output tokens, a smaller model), or compare the options the target rules out"
    )


def _unpriced_model(usage: Usage, options: list[Option]) -> str:
    """What the total leaves out when no platform can serve the model an orchestration calls; and,
    when a quota is what rules a platform out (Bedrock's tokens, Lambda's concurrency), that one:
    AWS raises a quota on request, and ``preferences.quota_increase`` then prices the option."""
    name = (usage.model.id if usage.model else None) or "its model"
    text = (
        f"the model calls are not in this workload's total: no platform can serve {name} as described "
        "(model_options say which limit blocks each)"
    )
    quota_bound = (
        o
        for o in options
        if o.throttling is not None
        or (o.token_quota is not None and o.token_quota.throttled_share is not None)
    )
    if (o := next(quota_bound, None)) is not None:
        text += f"; {o.platform} is ruled out by a quota, not by what it can do: {o.blocked_by[0]}"
    return text


def _where(o: Option | None) -> str:
    if o is None:
        return "nowhere (no platform fits)"
    return f"{o.platform} ({o.instance_type})" if o.instance_type else o.platform
