"""The content of an architecture decision record, independent of its format.

The Markdown record and the HTML report say the same things in the same order; this module
decides *what* they say (plain text, numbers with units), ``markdown.py`` and ``html.py`` only
how. The record follows Michael Nygard's ADR shape (title, status, context, decision,
consequences; https://cognitect.com/blog/2011/11/15/documenting-architecture-decisions), with
the sections a cost decision needs on top: options considered with their monthly cost, the
trace, the break-even volume, when to revisit, and the invoice lines with their sources.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePath

from ..decide.portfolio import line_key, own_cost, shared_keys, shared_lines
from .model import CostComponent, Option, Report, SharedCost, TraceStep, WorkloadReport

STATUS = "proposed"


def usd(value: Decimal | float | None, places: int = 2) -> str:
    if value is None:
        return "-"
    return f"${Decimal(str(value)):,.{places}f}"


def unit_price(value: Decimal) -> str:
    """Unit prices keep their significant digits ($0.0000166667); amounts are shown in cents."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"${text}"


def quantity(value: Decimal | float) -> str:
    v = float(value)
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    return f"{v:,.6g}" if abs(v) < 1e6 else f"{v:,.0f}"


def volume(value: float | None, unit: str) -> str:
    """3.6e9 -> '3.6B tokens/month'; numbers keep their unit."""
    if value is None:
        return "-"
    v = float(value)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= scale:
            return f"{v / scale:,.3g}{suffix} {unit}"
    return f"{v:,.4g} {unit}"


def where(platform: str | None, instance_type: str | None) -> str:
    if not platform:
        return "-"
    return f"{platform} ({instance_type})" if instance_type else platform


_LAYER = re.compile(r"^\[(?P<layer>[^\]]+)\]\s*")
_NUMBER = re.compile(r"^(?P<n>\d+)\.\s")


def ordered_trace(trace: list[TraceStep]) -> list[TraceStep]:
    """The trace in the playbook's question order, layer by layer.

    The engine asks the questions in the order the decision needs them (hard limits before
    traffic, traffic before ops capacity), so its trace reads 1, 7, 5, 6, 4; a reader follows the
    playbook's numbering. Within a layer (``[orchestration]``, ``[model]``, or none): numbered
    questions by number, then the checks without a number (hard limits, the cost ranking) in the
    order they ran. Steps without a layer (the break-even) come last.
    """

    def key(item: tuple[int, TraceStep]) -> tuple[int, int, int]:
        pos, step = item
        m = _LAYER.match(step.question)
        layer = layers.setdefault(m.group("layer"), len(layers)) if m else None
        rest = step.question[m.end() :] if m else step.question
        n = _NUMBER.match(rest)
        if layer is None:
            layer = 0 if n else 1_000  # a numbered step without a layer: a one-layer workload
        return (layer, 0 if n else 1, int(n.group("n")) if n else pos)

    layers: dict[str, int] = {}
    keys = [key(item) for item in enumerate(trace)]  # in trace order, so layers number as they appear
    return [step for _, step in sorted(zip(keys, trace, strict=True), key=lambda kv: kv[0])]


#: Short reasons for the limits that most often rule a platform out, for the one-line "blocked:"
#: summary (the full limit, its number and source stay in the trace and the decision record).
_SHORT_REASONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), short)
    for pattern, short in (
        (r"GPU support", "no GPU"),
        (r"Weights available", "weights not deployable"),
        (r"runs? your (orchestration )?code", "serves models only"),
        (r"runs model weights", "runs no models"),
        (r"^AWS Batch runs$", "queued jobs only"),
        (r"model catalog", "model not offered"),
        (r"Data stays in your VPC", "data leaves the VPC"),
        (r"Fine-tuning jobs", "fine-tuning not modelled"),
        (r"run training jobs", "no training jobs"),
        (r"returns results within 24 hours", "24 h turnaround"),
        (r"job start", "job start {value}"),
        (r"Serverless Inference GPUs", "no GPU"),
        (r"Custom Model Import serves", "custom weights only"),
        (r"Asynchronous Inference is for", "real-time suffices"),
        (r"token quotas", "over token quota"),
    )
)


def short_reason(o: Option) -> str:
    """A few words on why a hard limit rules ``o`` out, with the limit's number when it has one:
    "no GPU", "Maximum function timeout: 900 s"."""
    if o.blockers:
        b = o.blockers[0]
        limit, value = b.limit, b.value
    elif o.blocked_by:
        limit, _, value = o.blocked_by[0].partition(": ")
    else:
        return "blocked"
    if "API-only" in value:
        return "API-only model"
    value = re.sub(r"\s*\([^)]*\)", "", value).split(";")[0].strip()
    for pattern, short in _SHORT_REASONS:
        if pattern.search(limit):
            return short.format(value=value)
    name = re.sub(r"\s*(\[[^\]]*\]|\([^)]*\))", "", limit).split(":")[0].strip()
    return f"{name}: {value}" if value else name


def opened_keys(report: Report) -> frozenset[str]:
    """The keys of the lines the file pays once (``Report.shared_costs``, ``portfolio.line_key``)."""
    return shared_keys(report.shared_costs)


def joint_saving(alone: Option, joint: Option, opened: frozenset[str]) -> Decimal:
    """What the file saves with ``joint`` rather than ``alone`` for one workload, the rest of the
    joint placement kept: ``alone``'s own cost plus its shared lines the file does not pay already,
    less ``joint``'s own cost (its shared lines are paid by the file either way)."""
    unpaid = sum((c.monthly_usd for c in shared_lines(alone) if line_key(c) not in opened), Decimal(0))
    return sum(own_cost(alone), Decimal(0)) + unpaid - sum(own_cost(joint), Decimal(0))


def why_sentence(w: WorkloadReport, opened: frozenset[str] = frozenset()) -> str:
    """Why this platform, in one sentence: the cost margin over the next option, or the only option
    left, or the cheaper option the team should not run (and why), or what the file's joint
    placement saves (``opened``: the shared lines the file pays, ``opened_keys``); per layer when
    there are two."""
    layers = [(w.options, w.chosen)]
    if w.model_options:
        layers.append((w.model_options, w.chosen_model))
    r = w.recommendation
    parts = []
    for options, chosen in layers:
        # two layers: the orchestration's code, then the model it calls (even when nothing runs it)
        label = ("model: " if options is w.model_options else "code: ") if len(layers) > 1 else ""
        if chosen is None or chosen.monthly_cost_usd is None:
            parts.append(f"{label}nowhere, every platform breaks a hard limit")
            continue
        alone_id = r.standalone_model_platform if options is w.model_options else r.standalone_platform
        alone = next((o for o in options if o.platform == alone_id and o.monthly_cost_usd), None)
        if alone is not None:
            saving = joint_saving(alone, chosen, opened)
            parts.append(f"{label}joint placement, {usd(saving)}/month below {alone.platform} in this file")
            continue
        total = chosen.monthly_cost_usd.total
        others = sorted(
            (o for o in options if o.feasible and o is not chosen and o.monthly_cost_usd is not None),
            key=lambda o: o.monthly_cost_usd.total,  # type: ignore[union-attr]
        )
        cheaper = [o for o in others if o.monthly_cost_usd.total < total]  # type: ignore[union-attr]
        if not others:
            parts.append(f"{label}the only option no hard limit rules out")
        elif not cheaper:
            nxt = others[0]
            margin = nxt.monthly_cost_usd.total - total  # type: ignore[union-attr]
            parts.append(
                f"{label}cheapest with engineering, {usd(margin)}/month below "
                f"{where(nxt.platform, nxt.instance_type)}"
            )
        else:
            o = cheaper[0]
            margin = total - o.monthly_cost_usd.total  # type: ignore[union-attr]
            reason = next(
                (n[len("not recommended: ") :] for n in o.notes if n.startswith("not recommended")), ""
            )
            parts.append(
                f"{label}{o.platform} costs {usd(margin)}/month less but "
                + (f"is not recommended: {reason}" if reason else "is not recommended for this team")
            )
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def shared_label(s: SharedCost) -> str:
    """A shared cost's short name: its platform profile and what it is ("ecs-ec2:gpu fixed
    engineering", "EKS control plane")."""
    key = s.cost_components[0].price_key if s.cost_components else None
    if s.kind == "ops" and key and "/" in key:
        return f"{key.split('/', 1)[1]} fixed engineering"
    return s.name


def shared_notes(record: Record) -> list[str]:
    """The sentences under the shared-costs section: what they are, and what joint placement moved."""
    out = [
        "Counted once for the file, not per workload: each workload's own total leaves them out, the "
        "system total includes them (docs/engineering-cost.md)."
    ]
    if record.portfolio is not None:
        alone, joint, moved = record.portfolio
        out.append(
            f"Placed together the workloads cost {usd(joint)}/month against {usd(alone)} each placed as if "
            f"alone ({usd(alone - joint)} less): moved {', '.join(moved)}."
        )
    return out


@dataclass(frozen=True)
class OptionRow:
    layer: str
    platform: str
    runs_on: str
    infra: Decimal | None
    ops: Decimal | None
    total: Decimal | None
    status: str  # chosen | feasible | not recommended | blocked
    reason: str


@dataclass(frozen=True)
class Invoice:
    title: str
    lines: list[CostComponent]
    total: Decimal


@dataclass
class WorkloadRecord:
    name: str
    role: str
    decision: str
    model_layer: str | None
    pattern: str
    summary: str
    infra: Decimal | None
    ops: Decimal | None
    total: Decimal | None
    context: list[tuple[str, str]]
    options: list[OptionRow]
    trace: list[TraceStep]
    consequences: list[str]
    breakeven: list[str]
    revisit: list[str]
    assumptions: list[str]
    warnings: list[str]
    invoices: list[Invoice]
    extras: list[tuple[str, list[list[str]], list[str]]] = field(default_factory=list)


@dataclass
class Record:
    title: str
    status: str
    date: str
    catalog: list[tuple[str, str]]
    team: list[tuple[str, str]]
    workloads: list[WorkloadRecord]
    total: Decimal
    infra: Decimal
    ops: Decimal
    #: costs the file pays once (``Report.shared_costs``); ``infra`` and ``ops`` include them
    shared: list[SharedCost] = field(default_factory=list)
    #: (standalone total, joint total, workloads moved) when the joint placement moved any
    portfolio: tuple[Decimal, Decimal, list[str]] | None = None


def system_name(report: Report) -> str:
    if report.source_file and not report.source_file.startswith("<"):
        return PurePath(report.source_file).stem
    return "the AI system"


def _option_rows(options: list[Option], chosen: Option | None) -> list[OptionRow]:
    feasible = sorted(
        (o for o in options if o.feasible and o.monthly_cost_usd is not None),
        key=lambda o: o.monthly_cost_usd.total,  # type: ignore[union-attr]
    )
    rows = []
    for o in feasible:
        mc = o.monthly_cost_usd
        assert mc is not None
        not_rec = [n[len("not recommended: ") :] for n in o.notes if n.startswith("not recommended")]
        status = "chosen" if o is chosen else ("not recommended" if not_rec else "feasible")
        rows.append(
            OptionRow(
                o.layer,
                o.platform,
                o.instance_type or "",
                mc.infra,
                mc.ops,
                mc.total,
                status,
                "; ".join(not_rec),
            )
        )
    for o in options:
        if not o.feasible:
            rows.append(
                OptionRow(o.layer, o.platform, "", None, None, None, "blocked", "; ".join(o.blocked_by))
            )
    return rows


def _context(w: WorkloadReport) -> list[tuple[str, str]]:
    u = w.usage
    out = [
        ("role", w.role),
        ("volume", volume(u.requests_per_month, "requests/month")),
        (
            "request rate",
            f"{u.mean_requests_per_s:,.3g} requests/s mean, {u.peak_requests_per_s:,.3g} at peak",
        ),
    ]
    if u.tokens_per_month:
        out.append(("tokens", volume(u.tokens_per_month, "tokens/month")))
    out.append(("duration", f"{u.duration_s:,.4g} s per request"))
    out.append(("memory", f"{u.memory_gb:,.4g} GB"))
    return out


def _runner_up(rows: list[OptionRow], layer: str) -> OptionRow | None:
    return next((r for r in rows if r.layer == layer and r.status != "chosen" and r.total is not None), None)


def _consequences(w: WorkloadReport, rows: list[OptionRow]) -> list[str]:
    out = []
    for chosen in (w.chosen, w.chosen_model):
        if chosen is None or chosen.monthly_cost_usd is None:
            continue
        label = f"{chosen.layer} layer on {where(chosen.platform, chosen.instance_type)}"
        p = chosen.ops_profile
        if p is not None:
            out.append(
                f"{label}: the team takes on {p.setup_hours:,.0f} h of setup, {p.upkeep_hours_per_month:,.1f} h/month "
                f"of upkeep and {p.oncall_hours_per_month:,.1f} h/month of on-call ({p.why})."
            )
        lat = chosen.latency
        if lat is not None:
            parts = []
            if lat.cold_start_s:
                parts.append(f"cold start {lat.cold_start_s:,.3g} s")
            if lat.scale_out_s:
                parts.append(f"scale-out {lat.scale_out_s:,.3g} s")
            if lat.p99_ms:
                parts.append(f"p99 about {lat.p99_ms:,.0f} ms")
            if parts or lat.note:
                out.append(
                    f"{label}: latency: {', '.join(parts)}{'; ' if parts and lat.note else ''}{lat.note or ''}."
                )
        runner = _runner_up(rows, chosen.layer)
        if runner is not None and runner.total is not None:
            margin = runner.total - chosen.monthly_cost_usd.total
            pct = (
                f" ({margin / chosen.monthly_cost_usd.total * 100:,.0f}% of its total)"
                if chosen.monthly_cost_usd.total > 0
                else ""
            )
            next_option = f"{where(runner.platform, runner.runs_on or None)} at {usd(runner.total)}/month"
            if margin >= 0:
                out.append(f"{label}: {usd(margin)}/month{pct} cheaper than the next option, {next_option}.")
            else:  # moved by the file's joint placement: dearer alone, cheaper for the file
                out.append(
                    f"{label}: {usd(-margin)}/month dearer on its own than {next_option}; chosen for the "
                    "file's joint placement, which pays the costs it shares with other workloads once."
                )
        out += [f"{chosen.platform}: {s}" for s in chosen.soft_warnings]
    return out


def _breakeven(w: WorkloadReport) -> list[str]:
    be = w.breakeven
    if be is None:
        return []
    out = []
    if be.tokens_per_month:
        out.append(
            f"Self-hosting on {be.self_hosted_platform} costs no more than {be.managed_platform} from "
            f"{volume(be.tokens_per_month, 'tokens/month')}; today: {volume(be.current_tokens_per_month, 'tokens/month')}."
        )
    elif be.note:
        out.append(
            f"No break-even found: {be.note}; today: {volume(be.current_tokens_per_month, 'tokens/month')}."
        )
    if be.tokens_per_month and be.note:
        out.append(be.note[0].upper() + be.note[1:] + ".")
    if be.guideline:
        out.append(be.guideline[0].upper() + be.guideline[1:] + "; the decision follows the computed totals.")
    return out


def _revisit(w: WorkloadReport, rows: list[OptionRow], report: Report) -> list[str]:
    out = []
    be = w.breakeven
    if be is not None and be.tokens_per_month and be.current_tokens_per_month:
        ratio = be.tokens_per_month / be.current_tokens_per_month
        direction = "grows" if ratio > 1 else "falls"
        out.append(
            f"When monthly volume {direction} to {volume(be.tokens_per_month, 'tokens/month')} "
            f"({ratio:,.3g}x today): the break-even between {be.managed_platform} and {be.self_hosted_platform}."
        )
    g = w.growth
    for layer in g.layers if g else []:
        if g is not None and layer.revisit_by_month is not None:
            out.append(
                f"By month {layer.revisit_by_month} at {g.rate_per_month * 100:g}%/month growth "
                f"({layer.layer} layer): {layer.summary}."
            )
    for chosen in (w.chosen, w.chosen_model):
        if chosen is None or chosen.monthly_cost_usd is None:
            continue
        runner = _runner_up(rows, chosen.layer)
        if runner is not None and runner.total is not None and chosen.monthly_cost_usd.total > 0:
            margin = (runner.total - chosen.monthly_cost_usd.total) / chosen.monthly_cost_usd.total * 100
            out.append(
                f"If the {chosen.layer} layer's cost on {chosen.platform} rises by more than {margin:,.0f}%: "
                f"{runner.platform} would then cost less."
                if margin >= 0
                else f"If the other workloads on {chosen.platform} move off it: {runner.platform} costs less "
                f"for this {chosen.layer} layer on its own."
            )
    not_rec = [r for r in rows if r.status == "not recommended"]
    for r in not_rec:
        out.append(f"If this changes: {r.reason} ({r.platform} was excluded for it).")
    out.append(
        f"When prices change: the catalog's newest figure is from {report.catalog.as_of}, its oldest from "
        f"{report.catalog.oldest or report.catalog.as_of}."
    )
    return out


def _extras(w: WorkloadReport) -> list[tuple[str, list[list[str]], list[str]]]:
    """Tables for the optional analyses: (title, rows with a header row first, notes)."""
    out: list[tuple[str, list[list[str]], list[str]]] = []
    unc = w.uncertainty
    for layer in unc.layers if unc else []:
        assert unc is not None
        rows = [["option", "today $/mo", "P10 $/mo", "P50 $/mo", "P90 $/mo", "P(cheapest)"]]
        rows += [
            [
                o.key,
                usd(o.today_usd),
                usd(o.p10_usd),
                usd(o.p50_usd),
                usd(o.p90_usd),
                f"{o.p_cheapest * 100:.0f}%",
            ]
            for o in layer.options
        ]
        notes = [_sentence(layer.summary)]
        notes += [
            f"Sensitivity of {layer.sensitivity_for}: {s.input} from "
            f"{s.low:g} to {s.high:g} moves the total from {usd(s.total_at_low_usd)} to "
            f"{usd(s.total_at_high_usd)} ({usd(s.swing_usd)} swing)."
            for s in layer.sensitivity
        ]
        if unc.distribution:
            notes.append(f"{unc.draws:,} draws; inputs {unc.distribution}.")
        out.append((f"Cost spread, {layer.layer} layer (Monte Carlo)", rows, [n for n in notes if n]))
    g = w.growth
    for glayer in g.layers if g else []:
        assert g is not None
        n = max((len(go.monthly_total_usd) for go in glayer.options), default=0)
        shown = [m for m in (1, 6, 12, 18, 24) if m <= n]
        rows = [["option", *[f"month {m} $/mo" for m in shown]]]
        rows += [[go.key, *[usd(go.monthly_total_usd[m - 1]) for m in shown]] for go in glayer.options]
        notes = [_sentence(glayer.summary)]
        if g.method:
            notes.append(_sentence("Method: " + g.method))
        out.append((f"Growth projection, {glayer.layer} layer", rows, [x for x in notes if x]))
    return out


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


def workload_record(w: WorkloadReport, report: Report) -> WorkloadRecord:
    r = w.recommendation
    rows = _option_rows(w.options, w.chosen) + _option_rows(w.model_options, w.chosen_model)
    invoices = []
    for chosen in (w.chosen, w.chosen_model):
        if chosen is not None and chosen.monthly_cost_usd is not None:
            invoices.append(
                Invoice(
                    f"{chosen.layer} layer: {where(chosen.platform, chosen.instance_type)}",
                    chosen.cost_components,
                    chosen.monthly_cost_usd.total,
                )
            )
    mc = r.monthly_cost_usd
    return WorkloadRecord(
        name=w.name,
        role=w.role,
        decision=where(r.platform, r.instance_type),
        model_layer=where(r.model_platform, r.model_instance_type) if r.model_platform else None,
        pattern=r.pattern,
        summary=r.summary,
        infra=mc.infra if mc else None,
        ops=mc.ops if mc else None,
        total=mc.total if mc else None,
        context=_context(w),
        options=rows,
        trace=ordered_trace(w.trace),
        consequences=_consequences(w, rows),
        breakeven=_breakeven(w),
        revisit=_revisit(w, rows, report),
        assumptions=w.assumptions,
        warnings=w.warnings,
        invoices=invoices,
        extras=_extras(w),
    )


def build_record(report: Report, today: dt.date | None = None) -> Record:
    """The decision record of a report; ``today`` dates it (default: the current date)."""
    c = report.catalog
    catalog = [
        ("region", c.region),
        ("prices as of", f"{c.as_of} (oldest figure {c.oldest or c.as_of})"),
        ("month", f"{c.month_hours} hours"),
    ]
    if c.bedrock_prices:
        catalog.append(("Bedrock token prices", c.bedrock_prices))
    catalog += [("price override", o) for o in c.overrides]
    team: list[tuple[str, str]] = []
    if report.team is not None:
        team.append(("ops capacity", report.team.ops_capacity))
        team.append(("engineer rate", f"{usd(report.team.engineer_hourly_usd)}/hour"))
    records = [workload_record(w, report) for w in report.workloads]
    infra = sum((x.infra for x in records if x.infra is not None), Decimal(0))
    ops = sum((x.ops for x in records if x.ops is not None), Decimal(0))
    infra += sum((s.monthly_usd for s in report.shared_costs if s.kind == "infra"), Decimal(0))
    ops += sum((s.monthly_usd for s in report.shared_costs if s.kind == "ops"), Decimal(0))
    folio = report.portfolio
    return Record(
        title=f"Where the workloads of {system_name(report)} run on AWS",
        status=STATUS,
        date=(today or dt.date.today()).isoformat(),
        catalog=catalog,
        team=team,
        workloads=records,
        total=report.total_monthly_cost_usd,
        infra=infra,
        ops=ops,
        shared=list(report.shared_costs),
        portfolio=(folio.standalone_total_usd, folio.joint_total_usd, folio.moved)
        if folio is not None and folio.moved
        else None,
    )
