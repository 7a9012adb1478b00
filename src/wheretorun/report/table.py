"""Terminal rendering (Rich): a pure function of the Report.

Per workload: the recommendation, every option with its monthly infrastructure and engineering
cost (or the limit that blocks it), the chosen option's invoice lines with unit price x quantity
and source date, the trace, assumptions and warnings. Then the system total.

An inventory (more than ``DETAILED_UP_TO`` workloads) gets its costliest workloads, the system total
and a roll-up by platform instead of a panel per workload (ten thousand panels are a million lines
nobody reads, and take Rich minutes to lay out); ``full=True`` prints every panel anyway.
"""

from __future__ import annotations

import io
from decimal import Decimal

from rich import box
from rich.cells import cell_len
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .model import DETAILED_UP_TO, CostComponent, Option, Report, WorkloadReport


def fmt_usd(value: Decimal | None, places: int = 2) -> str:
    if value is None:
        return "-"
    return f"${value:,.{places}f}"


def fmt_unit_price(value: Decimal) -> str:
    """Unit prices keep their significant digits ($0.0000166667), amounts are cents."""
    text = f"{value:f}".rstrip("0").rstrip(".") if "." in f"{value:f}" else f"{value:f}"
    return f"${text}"


def fmt_qty(value: Decimal) -> str:
    v = float(value)
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    return f"{v:,.6g}" if abs(v) < 1e6 else f"{v:,.0f}"


def keep_figures_whole(t: Table) -> Table:
    """Right-aligned (figure) columns never wrap or truncate: on a narrow terminal the text columns
    give way, so a total is never shown as "$15,790,3..."."""
    for col in t.columns:
        if col.justify == "right":
            col.no_wrap = True
            col.min_width = max((cell_len(str(c)) for c in col.cells), default=0)
    return t


def options_table(title: str, options: list[Option], chosen: str | None) -> Table:
    t = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", expand=False)
    t.add_column("platform", no_wrap=True)
    t.add_column("runs on")
    t.add_column("infra $/mo", justify="right")
    t.add_column("engineering $/mo", justify="right")
    t.add_column("total $/mo", justify="right")
    feasible = sorted((o for o in options if o.feasible), key=lambda o: o.monthly_cost_usd.total)  # type: ignore[union-attr]
    for o in feasible:
        mc = o.monthly_cost_usd
        assert mc is not None
        mark = "-> " if o.platform == chosen else "   "
        style = "bold green" if o.platform == chosen else None
        flag = " *" if any(n.startswith("not recommended") for n in o.notes) else ""
        t.add_row(
            mark + o.platform + flag,
            o.instance_type or "",
            fmt_usd(mc.infra),
            fmt_usd(mc.ops),
            fmt_usd(mc.total),
            style=style,
        )
    return keep_figures_whole(t)


def ruled_out(options: list[Option]) -> Text:
    """Infeasible options and not-preferred ones, one line each, with the limit and its number."""
    text = Text()
    for o in options:
        if not o.feasible:
            text.append(f"  x {o.platform}: ", style="bold red")
            text.append("; ".join(o.blocked_by) + "\n", style="dim")
        else:
            for n in o.notes:
                if n.startswith("not recommended"):
                    text.append(f"  * {o.platform}: ", style="bold yellow")
                    text.append(n + "\n", style="dim")
    return text


def invoice_table(title: str, components: list[CostComponent], wide: bool) -> Table:
    t = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    t.add_column("line", ratio=3)
    t.add_column("quantity x unit price", justify="right", ratio=3)
    t.add_column("$/month", justify="right", no_wrap=True)
    if wide:
        t.add_column("price key (checked)", ratio=2)
    for c in components:
        qty = Text(f"{fmt_qty(c.quantity)} {c.unit} x {fmt_unit_price(c.unit_price_usd)}")
        row = [Text(c.name), qty, Text(fmt_usd(c.monthly_usd))]
        if wide:
            row.append(Text(f"{c.price_key or ''} ({c.as_of}){'' if c.verified else ' UNVERIFIED'}"))
        t.add_row(*row)
    total = sum((c.monthly_usd for c in components), Decimal(0))
    t.add_row(Text("Total"), Text(""), Text(fmt_usd(total)), *([Text("")] if wide else []), style="bold")
    return t


def trace_text(w: WorkloadReport) -> Text:
    text = Text("Why, question by question\n", style="bold")
    for step in w.trace:
        text.append(f"  {step.question} ", style="bold")
        text.append(f"-> {step.answer}\n", style="bold cyan")
        text.append(f"     {step.because}\n")
    return text


def workload_panel(w: WorkloadReport, details: bool, wide: bool = True) -> Panel:
    r = w.recommendation
    head = Text()
    head.append(f"{r.platform}", style="bold green")
    if r.instance_type:
        head.append(f" ({r.instance_type})")
    if r.model_platform:
        head.append(" + model on ")
        head.append(r.model_platform, style="bold green")
        if r.model_instance_type:
            head.append(f" ({r.model_instance_type})")
    head.append(f"   pattern: {r.pattern}")
    if r.monthly_cost_usd:
        head.append(f"   {fmt_usd(r.monthly_cost_usd.total)}/month", style="bold")
    parts: list = [head, Text(r.summary)]
    layer_title = "Orchestration options" if w.model_options else "Options"
    parts.append(options_table(layer_title, w.options, r.platform))
    parts.append(ruled_out(w.options))
    if w.model_options:
        parts.append(options_table("Model options", w.model_options, r.model_platform))
        parts.append(ruled_out(w.model_options))
    for chosen, label in ((w.chosen, "Invoice"), (w.chosen_model, "Invoice (model layer)")):
        if chosen is not None:
            parts.append(invoice_table(f"{label}: {chosen.platform}", chosen.cost_components, wide))
    if details:
        for o in [*w.options, *w.model_options]:
            if o.feasible and o not in (w.chosen, w.chosen_model):
                parts.append(invoice_table(f"Invoice: {o.platform} ({o.layer})", o.cost_components, wide))
    parts.append(trace_text(w))
    if w.breakeven and w.breakeven.tokens_per_month:
        parts.append(Text(f"Break-even: {w.breakeven.note}", style="cyan"))
    for key, label in (("growth", "Growth"), ("uncertainty", "Uncertainty")):
        for layer in (w.extras.get(key) or {}).get("layers", []):
            parts.append(Text(f"{label} ({layer['layer']}): {layer['summary']}", style="magenta"))
    if w.assumptions:
        parts.append(Text("Assumptions: " + "; ".join(w.assumptions), style="dim"))
    for warning in w.warnings:
        parts.append(Text(f"warning: {warning}", style="yellow"))
    return Panel(
        Group(*parts),
        title=Text(f"{w.name} ({w.role})", style="bold"),
        title_align="left",
        box=box.HORIZONTALS,
    )


def render_table(
    report: Report, *, details: bool = False, full: bool = False, width: int | None = None
) -> str:
    console = Console(record=True, width=width or 160, force_terminal=False, color_system=None, file=_Null())
    print_table(report, console, details=details, full=full)
    return console.export_text()


def print_table(report: Report, console: Console, *, details: bool = False, full: bool = False) -> None:
    c = report.catalog
    console.print(
        Text(
            f"wheretorun: {len(report.workloads)} workload(s), region {c.region}, catalog as of {c.as_of} "
            f"(oldest figure {c.oldest}); Bedrock prices: {c.bedrock_prices}; a month is {c.month_hours} hours."
        )
    )
    for note in c.overrides:
        console.print(Text(f"price override: {note}"))
    wide = console.width >= 120
    panels = full or len(report.workloads) <= DETAILED_UP_TO
    if panels:
        for w in report.workloads:
            console.print(workload_panel(w, details, wide))
    shown = report.workloads
    title = "System total"
    if not panels:  # an inventory: its costliest workloads, then every one of them by platform
        shown = [report.workloads[i] for i in report.costliest(DETAILED_UP_TO)]
        title = f"System total; the {len(shown)} costliest of {len(report.workloads):,} workloads"
    summary = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    summary.add_column("workload")
    summary.add_column("runs on")
    summary.add_column("pattern")
    summary.add_column("infra $/mo", justify="right")
    summary.add_column("engineering $/mo", justify="right")
    summary.add_column("total $/mo", justify="right")
    for w in shown:
        r = w.recommendation
        mc = r.monthly_cost_usd
        summary.add_row(
            w.name,
            _where(w),
            r.pattern,
            fmt_usd(mc.infra if mc else None),
            fmt_usd(mc.ops if mc else None),
            fmt_usd(mc.total if mc else None),
        )
    if len(shown) < len(report.workloads):
        summary.caption = f"{len(report.workloads) - len(shown):,} cheaper workloads not listed: in the total and by platform below"
        summary.caption_justify = "left"
    summary.add_row("Total", "", "", "", "", fmt_usd(report.total_monthly_cost_usd), style="bold")
    console.print(keep_figures_whole(summary))
    if not panels:
        console.print(rollup_table(report.workloads))
        console.print(
            Text(
                f"{len(report.workloads):,} workloads: each one's options, invoice and reasons are in "
                "--format json, markdown or html (or --full to print every panel here). Engineering is "
                "counted per workload, each as if alone; for many workloads on one platform give the "
                "marginal hours in engineering: (docs/engineering-cost.md)."
            )
        )


def _where(w: WorkloadReport) -> str:
    r = w.recommendation
    return r.platform + (f" + {r.model_platform}" if r.model_platform else "")


def rollup_table(workloads: list[WorkloadReport]) -> Table:
    """Workloads and monthly cost per place they run (orchestration platform + model platform)."""
    groups: dict[str, list[WorkloadReport]] = {}
    for w in workloads:
        groups.setdefault(_where(w), []).append(w)
    t = Table(title="By platform", box=box.SIMPLE_HEAD, title_justify="left")
    t.add_column("runs on")
    t.add_column("workloads", justify="right")
    t.add_column("infra $/mo", justify="right")
    t.add_column("engineering $/mo", justify="right")
    t.add_column("total $/mo", justify="right")
    rows = []
    for where, ws in groups.items():
        costs = [w.recommendation.monthly_cost_usd for w in ws if w.recommendation.monthly_cost_usd]
        infra = sum((c.infra for c in costs), Decimal(0))
        ops = sum((c.ops for c in costs), Decimal(0))
        rows.append((infra + ops, where, len(ws), infra, ops))
    for total, where, count, infra, ops in sorted(rows, key=lambda r: (-r[0], r[1])):
        t.add_row(where, f"{count:,}", fmt_usd(infra), fmt_usd(ops), fmt_usd(total))
    return keep_figures_whole(t)


class _Null(io.StringIO):
    """A sink: the console records what it prints, nothing else needs it."""

    def write(self, _: str) -> int:
        return 0


def fmt_tokens(n: float) -> str:
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if n >= div:
            return f"{n / div:,.3g}{suffix}"
    return f"{n:,.0f}"


def print_breakeven(workloads: list[WorkloadReport], console: Console) -> None:
    """Cost against monthly token volume for Bedrock and the cheapest self-hosted option."""
    for w in workloads:
        be = w.breakeven
        console.print(Text(f"{w.name}", style="bold"))
        if be is None:
            console.print(Text("  not a generative model workload: no token break-even"))
            continue
        curve = w.extras.get("breakeven_curve", [])
        if curve:
            t = Table(box=box.SIMPLE_HEAD)
            t.add_column("tokens/month", justify="right")
            t.add_column("bedrock $/month", justify="right")
            t.add_column("self-hosted $/month", justify="right")
            t.add_column("self-hosted on")
            t.add_column("cheaper")
            for managed, hosted in zip(curve[0::2], curve[1::2], strict=True):
                cheaper = "self-hosted" if hosted["monthly_usd"] <= managed["monthly_usd"] else "bedrock"
                t.add_row(
                    fmt_tokens(managed["tokens_per_month"]),
                    f"${managed['monthly_usd']:,.2f}",
                    f"${hosted['monthly_usd']:,.2f}",
                    hosted["platform"],
                    cheaper,
                )
            console.print(t)
        now = be.current_tokens_per_month or 0
        console.print(Text(f"  today: {fmt_tokens(now)} tokens/month"))
        console.print(Text(f"  computed: {be.note or 'n/a'}", style="cyan"))
        console.print(Text(f"  {be.guideline}", style="dim"))
