"""From a workload file to a Report: price every option, apply the rules, choose, explain.

Optimizer-style (SkyPilot's sky/optimizer.py): every platform is assessed (hard limits first,
then an itemised price), the rules add the playbook's questions and preferences, and the
cheapest eligible total (infrastructure + engineering) wins. Infeasible options stay in the
report with the limit that ruled them out.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from functools import cache
from pathlib import Path

from ..catalog.bedrock import snapshot_label
from ..catalog.store import Catalog, load_catalog
from ..errors import InputError
from ..invoice import construct
from ..platforms import PLATFORMS, Context, assess, traits
from ..platforms.capacity import profile_peak, traffic_for
from ..platforms.usage import Usage, derive_usage, model_layer_usage
from ..results import (
    BreakEven,
    BreakEvenPoint,
    CapacityWeek,
    CatalogInfo,
    MonthlyCost,
    Option,
    Recommendation,
    Report,
    TraceStep,
    UnitCost,
    UsageSummary,
    WorkloadReport,
)
from ..simulate.growth import project
from ..simulate.montecarlo import analyse
from ..spec.files import FileAccess
from ..spec.models import ORCHESTRATION_ROLES, PriceOverrides, WorkloadFile
from ..units import tokens_text
from .inventory import PARALLEL_MIN_WORKLOADS, answer_all
from .rules import GUIDELINE_HIGH, GUIDELINE_LOW, GUIDELINE_MID, RULES, Decision

#: Ties in cost go to the platform listed first.
PLATFORM_RANK = {pid: i for i, pid in enumerate(PLATFORMS)}
BREAKEVEN_RANGE = (1e-3, 1e3)  # multiples of today's volume searched for the crossover
BREAKEVEN_GRID = 2000  # log-spaced volumes: 0.5 % steps


def catalog_for(
    wf: WorkloadFile, file: str, extra: PriceOverrides | None = None, extra_file: str = ""
) -> Catalog:
    """The catalog in the file's region with the file's and the --prices file's prices merged.

    Precedence (docs/catalog.md): for the same price key, or the same service's discount, the
    ``--prices`` file beats the workload file's ``prices:`` (the person running the command
    decides). The winner comes first (``Catalog._adjust`` applies the first match); the loser stays
    listed, its note saying it was not applied and why, so the trace and the report show both.
    """
    catalog = load_catalog().in_region(wf.region, file=file)
    for overrides, src, prefix in ((wf.prices, file, "prices"), (extra, extra_file or "<prices>", "prices")):
        if overrides is not None and (overrides.overrides or overrides.discount_pct):
            merged = catalog.with_overrides(overrides.overrides, overrides.discount_pct, src, prefix)
            beaten = tuple(
                (
                    key,
                    value,
                    f"{note}; not applied: {src} gives this key and --prices beats the workload file",
                )
                if key in overrides.overrides
                else (key, value, note)
                for key, value, note in catalog.overrides
            )
            catalog = replace(
                merged,
                overrides=merged.overrides + beaten,
                discounts=merged.discounts + catalog.discounts,
            )
    return catalog


def _overrides_step(catalog: Catalog) -> TraceStep:
    """Which prices are the user's, and for a key or service given twice which source won (the
    first listed: ``catalog_for`` puts ``--prices`` first) and which was overridden."""
    keys = {key for key, _, _ in catalog.overrides}
    services: dict[str, Decimal] = {}
    discounts = []
    for service, pct in catalog.discounts:
        if service in services:
            discounts.append(
                f"{pct}% off every {service} price (workload file): not applied, --prices gives "
                f"{services[service]}% and beats the workload file"
            )
        else:
            services[service] = pct
            discounts.append(f"{pct}% off every {service} price")
    return TraceStep(
        question="Which prices are yours rather than the catalog's?",
        answer=f"{len(keys)} override(s), {len(services)} discount(s)",
        because="; ".join(
            [f"{key}: ${value} ({note})" for key, value, note in catalog.overrides] + discounts
        ),
    )


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
) -> tuple[Decision, Option | None]:
    d = Decision(
        usage=usage,
        wf=wf,
        layer=layer,
        options=assess_all(usage, wf, catalog, layer, file, memo),
        lambda_timeout_s=catalog.limit("lambda/timeout").value,
        trace_prefix=trace_prefix,
    )
    annotate_unit_costs(d)
    for rule in RULES:
        rule(d)
    return d, choose(d)


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


def choose(d: Decision) -> Option | None:
    """Cheapest eligible total; preferences exclude only while something else is feasible."""
    ranked = sorted(d.feasible, key=lambda o: (o.monthly_cost_usd.total, PLATFORM_RANK[o.platform]))  # type: ignore[union-attr]
    for o in ranked:
        if o.platform in d.not_preferred:
            o.notes.append(f"not recommended: {d.not_preferred[o.platform]}")
    eligible = [o for o in ranked if o.platform not in d.not_preferred]
    if not ranked:
        d.ask(
            "Which feasible option costs least in total?",
            "none is feasible",
            "every platform breaks a hard limit (see above): change the workload (a smaller or open model, "
            "a queue for long work, a lower precision) and ask again.",
        )
        d.warnings.append("no platform can run this workload as described")
        return None
    if not eligible:
        pick = ranked[0]
        d.warnings.append(
            f"only platforms the team is not ready for are feasible: {pick.platform} is recommended anyway, "
            f"with {pick.ops_profile.monthly_hours if pick.ops_profile else 0:,.0f} engineering hours a month"
        )
    else:
        pick = eligible[0]
    lines = []
    for o in ranked[:5]:
        mc = o.monthly_cost_usd
        assert mc is not None
        flag = " (not preferred)" if o.platform in d.not_preferred else ""
        what = f" {o.instance_type}" if o.instance_type else ""
        lines.append(
            f"{o.platform}{what} ${mc.total:,.2f} (${mc.infra:,.2f} infra + ${mc.ops:,.2f} engineering){flag}"
        )
    runner = next((o for o in ranked if o is not pick), None)
    gap = ""
    if runner is not None and pick.monthly_cost_usd and runner.monthly_cost_usd:
        diff = runner.monthly_cost_usd.total - pick.monthly_cost_usd.total
        gap = f"; {pick.platform} is ${diff:,.2f}/month {'cheaper than' if diff >= 0 else 'dearer than'} {runner.platform}"
    d.ask(
        "Which feasible option costs least in total (infrastructure + engineering)?",
        pick.platform,
        "ranked: " + "; ".join(lines) + gap + ".",
    )
    return pick


def pattern_for(
    usage: Usage,
    layer_pick: Option | None,
    model_pick: Option | None,
    compliance: bool,
    lambda_timeout_s: float,
) -> str:
    """The pattern of the answer, read from the picked platforms' declared traits (``Traits``);
    ``lambda_timeout_s`` (catalog ``lambda/timeout``) tells a long tail from the rest."""
    w = usage.workload
    p = traits(layer_pick.platform) if layer_pick else None
    long_tail = usage.duration_p99_s > lambda_timeout_s >= usage.duration_s
    if w.role in ORCHESTRATION_ROLES:
        if long_tail and p is not None:
            return "hybrid-queue"
        if p is not None and p.workflow:
            return p.orchestration_pattern
        m = traits(model_pick.platform) if model_pick else None
        if m is not None and m.managed_model:
            return "agent-with-bedrock"
        if m is not None and m.self_hosted:
            return "agent-with-self-hosted-model"
        if w.trigger in ("event", "queue", "schedule"):
            return "event-driven-glue"
        return p.orchestration_pattern if p is not None else "orchestration-on-containers"
    if p is None or layer_pick is None:
        return "none"
    if compliance and p.self_hosted:
        return "in-vpc-self-hosted"
    if w.role == "fine-tuning":
        return "gpu-training-job"
    if long_tail and p.containers:
        return "hybrid-queue"
    if p.gpu_pattern is not None and layer_pick.uses_gpu:
        return p.gpu_pattern
    return p.role_patterns.get(w.role, p.model_pattern)


def _where(o: Option | None) -> str:
    if o is None:
        return "nowhere (no platform fits)"
    return f"{o.platform} ({o.instance_type})" if o.instance_type else o.platform


@cache
def _breakeven_grid():
    """Multiples of today's volume searched for the crossover: the same grid for every workload."""
    import numpy as np

    grid = np.geomspace(*BREAKEVEN_RANGE, BREAKEVEN_GRID)
    grid.setflags(write=False)
    return grid


def breakeven(
    wr: WorkloadReport, wf: WorkloadFile, curve: bool
) -> tuple[BreakEven | None, list[BreakEvenPoint]]:
    """Monthly token volume where the cheapest self-hosted option's total equals Bedrock's.

    Today's invoices are re-priced over a log grid of volumes (``simulate.reprice``: token lines
    scale with volume, fleets step up in whole replicas of today's instance type, engineering is
    fixed), so the search costs microseconds instead of re-running every platform.
    """
    import numpy as np

    from ..simulate.reprice import model_option

    options = wr.model_options or wr.options
    layer_usage = wr.model_layer_usage or wr.usage
    tokens_now = layer_usage.tokens_per_month
    guideline = (
        f"the playbook's guideline: < {GUIDELINE_LOW / 1e6:,.0f}M tokens/month Bedrock wins, {GUIDELINE_LOW / 1e6:,.0f}M-"
        f"{GUIDELINE_HIGH / 1e9:,.0f}B do the math, > {GUIDELINE_HIGH / 1e9:,.0f}B self-hosting starts to pay "
        f"(and 'up to {GUIDELINE_MID / 1e6:,.0f}M tokens/month Bedrock wins with ops included')"
    )
    managed = next(
        (
            o
            for o in options
            if o.feasible and traits(o.platform).managed_model and not traits(o.platform).batch
        ),
        None,
    )
    hosted = [o for o in options if o.feasible and traits(o.platform).self_hosted]
    if managed is None or not hosted or tokens_now <= 0:
        return BreakEven(
            tokens_per_month=None,
            guideline=guideline,
            current_tokens_per_month=tokens_now,
            note="needs both Bedrock and a self-hosted option to be feasible",
        ), []
    proxy = wr.model_copy(update={"usage": layer_usage})
    m_managed = model_option(managed, proxy, wf)
    m_hosted = [m for m in (model_option(o, proxy, wf) for o in hosted) if m is not None]
    lo, hi = BREAKEVEN_RANGE
    v = _breakeven_grid()
    bedrock_cost = m_managed.cost(v)  # type: ignore[union-attr]
    hosted_costs = np.vstack([m.cost(v) for m in m_hosted])
    best = hosted_costs.argmin(axis=0)
    hosted_cost = hosted_costs.min(axis=0)
    wins = np.nonzero(hosted_cost <= bedrock_cost)[0]
    points: list[BreakEvenPoint] = []
    if curve:
        for i in range(0, BREAKEVEN_GRID, BREAKEVEN_GRID // 40):
            tokens = tokens_now * float(v[i])
            points.append(
                BreakEvenPoint(
                    tokens_per_month=tokens, platform=managed.platform, monthly_usd=float(bedrock_cost[i])
                )
            )
            points.append(
                BreakEvenPoint(
                    tokens_per_month=tokens, platform=m_hosted[best[i]].key, monthly_usd=float(hosted_cost[i])
                )
            )
    method = "re-priced from today's invoices (fleets step up in whole instances of today's type)"
    # "from X" must hold for every volume above X: a fleet that steps up by one instance can make
    # self-hosting dearer again just past a volume where it first won, so the break-even is the
    # first volume after the last one at which Bedrock is still cheaper
    losses = np.nonzero(hosted_cost > bedrock_cost)[0]
    if wins.size == 0 or (losses.size and int(losses[-1]) == BREAKEVEN_GRID - 1):
        return BreakEven(
            tokens_per_month=None,
            self_hosted_platform=hosted[0].platform,
            managed_platform=managed.platform,
            current_tokens_per_month=tokens_now,
            guideline=guideline,
            note=f"self-hosting stays dearer than Bedrock up to {hi:,.0f}x today's volume; {method}",
        ), points
    i = int(losses[-1]) + 1 if losses.size else 0
    at = m_hosted[best[i]]
    tokens = tokens_now * float(v[i])
    if i == 0:
        note = f"self-hosting on {at.key} is cheaper than Bedrock even at {lo:g}x today's volume"
    else:
        rel = "above" if tokens_now >= tokens else "below"
        note = (
            f"self-hosting on {at.key} costs no more than Bedrock from {tokens_text(tokens)} tokens/month "
            f"upward ({float(v[i]):,.3g}x today's {tokens_text(tokens_now)}; today is {rel} the break-even), "
            "engineering included"
        )
    return BreakEven(
        tokens_per_month=tokens,
        self_hosted_platform=at.platform,
        managed_platform=managed.platform,
        current_tokens_per_month=tokens_now,
        guideline=guideline,
        note=f"{note}; {method}",
    ), points


def recommend_workload(
    wf: WorkloadFile,
    index: int,
    catalog: Catalog,
    file: str,
    base_dir: FileAccess | Path | None,
    *,
    curve: bool = True,
    memo: dict | None = None,
) -> WorkloadReport:
    """One workload's report. ``memo``: what the platforms share across the workloads of one file and
    catalog (``platforms.base.Context.memo``); ``recommend`` passes one dict for the whole file."""
    memo = {} if memo is None else memo
    usage = derive_usage(wf, index, catalog, file, base_dir, memo)
    w = usage.workload
    if w.traffic_profile is not None:
        # a bad profile is an input error even where no platform simulates it; a good one gives the
        # peak (peak rates, replica counts and notes use the measured busiest minute, not a default)
        profile_peak(usage, traffic_for(usage))
    warnings: list[str] = list(usage.warnings)
    trace: list[TraceStep] = []
    if catalog.overrides or catalog.discounts:
        trace.append(_overrides_step(catalog))
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
        d, pick = decide_layer(usage, wf, catalog, "orchestration", file, memo, "[orchestration] ")
        trace += d.trace
        warnings += d.warnings
        options = d.options
        model_d: Decision | None = None
        if usage.model is not None:
            musage = model_layer_usage(usage, catalog)
            assumptions += musage.assumptions
            model_d, model_pick = decide_layer(musage, wf, catalog, "model", file, memo, "[model] ")
            trace += model_d.trace
            warnings += model_d.warnings
            model_options = model_d.options
        compliance = bool(model_d and model_d.compliance_forces_self_hosting)
    else:
        d, pick = decide_layer(usage, wf, catalog, "model", file, memo)
        trace += d.trace
        warnings += d.warnings
        options = d.options
        compliance = d.compliance_forces_self_hosting
    for o in [pick, model_pick]:
        if o is not None:
            warnings += [f"{o.platform}: {s}" for s in o.soft_warnings]
    total = _sum_costs([o for o in (pick, model_pick) if o is not None])
    pattern = pattern_for(usage, pick, model_pick, compliance, catalog.limit("lambda/timeout").value)
    summary = _summary(w.name, pick, model_pick, total, pattern)
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
        be, points = breakeven(wr, wf, curve)
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
    infra = sum((o.monthly_cost_usd.infra for o in options if o.monthly_cost_usd), Decimal(0))
    ops = sum((o.monthly_cost_usd.ops for o in options if o.monthly_cost_usd), Decimal(0))
    return construct(MonthlyCost, infra=infra, ops=ops, total=infra + ops)


def _summary(
    name: str, pick: Option | None, model_pick: Option | None, total: MonthlyCost, pattern: str
) -> str:
    if pick is None:
        return f"{name}: no AWS platform fits this workload as described; see the blocked options."
    text = f"Run {name} on {_where(pick)}"
    if model_pick is not None:
        text += f" and serve its model on {_where(model_pick)}"
    return (
        f"{text} ({pattern}): ${total.total:,.2f}/month = ${total.infra:,.2f} infrastructure + "
        f"${total.ops:,.2f} engineering."
    )


@contextmanager
def _collector_paused(keep_results: bool) -> Iterator[None]:
    """Python's cyclic garbage collector off while an inventory is answered, back as it was after.

    Each workload allocates a few hundred objects and keeps most of them (its report), so the
    collector would walk the growing heap of earlier reports again and again: a quarter of the time
    of 10,000 workloads, for almost nothing to collect (the reports hold no reference cycles;
    reference counting frees everything else at once). Answers do not depend on it.

    ``keep_results`` (an inventory): the objects now alive are frozen (``gc.freeze``) before the
    collector resumes. Otherwise its first pass would walk every report built meanwhile (0.8 s at
    10,000 workloads) and each full pass after it, while the report is rendered, again (1.5 s).
    Frozen objects are still freed by reference counting when the report is dropped; what freezing
    gives up is collecting reference cycles that are garbage at that moment: a ``recommend`` call
    leaves none (tests/decide/test_inventory.py counts them) beyond the few classes built once when
    libraries are first imported.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if keep_results:
            gc.freeze()
        if was_enabled:
            gc.enable()


def recommend(
    wf: WorkloadFile,
    *,
    file: str = "<input>",
    base_dir: Path | str | None = None,
    allow_files_from: Iterable[Path | str] = (),
    prices: PriceOverrides | None = None,
    prices_file: str = "",
    breakeven_curve: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Recommend a platform for every workload of a validated workload file.

    ``breakeven_curve``: also compute the chart data of each workload (``WorkloadReport.breakeven_curve``,
    the cost of Bedrock and of self-hosting across token volumes, and ``.capacity_week``,
    traffic against provisioned capacity over the busiest week). Only what draws charts asks for
    it (HTML, ``--charts``, ``breakeven``): for an inventory it is most of the report's bytes and a
    third of its time.

    ``base_dir``: the workload file's folder; files the workload names (``traffic_profile``) are
    read only from inside it or from a folder of ``allow_files_from`` (``spec.files``). Without
    it (a document from the API) no file is read.
    """
    catalog = catalog_for(wf, file, prices, prices_file)
    base = FileAccess.of(base_dir, allow_files_from)
    memo: dict = {}  # one catalog, one file: shared by every workload (platforms.base.Context.memo)

    def answer(i: int) -> WorkloadReport:
        return recommend_workload(wf, i, catalog, file, base, curve=breakeven_curve, memo=memo)

    n = len(wf.workloads)
    with _collector_paused(keep_results=n >= PARALLEL_MIN_WORKLOADS):
        reports, problems = answer_all(n, answer, on_progress)
    if problems:
        raise InputError(problems)
    total = sum(
        (r.recommendation.monthly_cost_usd.total for r in reports if r.recommendation.monthly_cost_usd),
        Decimal(0),
    )
    report = Report(
        catalog=CatalogInfo(
            as_of=catalog.as_of.isoformat(),
            region=catalog.region,
            oldest=catalog.oldest.isoformat(),
            bedrock_prices=snapshot_label(),
            overrides=[note for _, _, note in catalog.overrides]
            + [f"{p}% off {s}" for s, p in catalog.discounts],
        ),
        workloads=reports,
        total_monthly_cost_usd=total,
        team=wf.team,
        source_file=file,
    )
    return report
