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
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from ..units import tokens_text
from .adr import opened_keys, ordered_trace, shared_label, short_reason, why_sentence
from .model import DETAILED_UP_TO, CostComponent, Option, Report, SharedCost, WorkloadReport


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
    give way, so a total is never shown as "$15,790,3..."; text columns fold a word too long for
    them (an instance type) instead of cutting it with an ellipsis."""
    for col in t.columns:
        if col.justify == "right":
            # as wide as its widest figure; a longer header wraps above it
            col.min_width = max((cell_len(str(c)) for c in col.cells), default=0)
            col.overflow = "fold"
        else:
            # never narrower than its longest word (an instance type): text wraps between words
            words = (w for c in col.cells for w in str(c).split())
            col.min_width = max(col.min_width or 0, max((cell_len(w) for w in words), default=0))
            if col.overflow == "ellipsis":
                col.overflow = "fold"
    return t


def printable(text: object) -> str:
    """Text from the workload file as the terminal should show it: control characters (an escape
    sequence in a workload name could recolour, retitle or clear the terminal) shown as ``\\x1b``."""
    return str(text).translate(_CONTROL)


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0))}
_TEXT = {**_CONTROL, 0x0A: "\\n", 0x09: " "}  # for one-line fields (names): no line breaks either


def one_line(text: object) -> str:
    return str(text).translate(_TEXT)


def _label(layer: str, two_layers: bool) -> str:
    return ("code" if layer == "orchestration" else "model") if two_layers else ""


#: Below this many terminal columns the options table keeps only the total (infra and engineering
#: are in --details' invoices) and the instance type joins the platform's cell.
NARROW = 78


def options_table(w: WorkloadReport, width: int = 80) -> Table:
    """One row per feasible option of each layer, cheapest first; the chosen one marked ``->``.

    Columns fit 80 terminal columns: figures are never cut (``keep_figures_whole``); an instance
    type is never split inside a word. Narrower, the infra and engineering columns give way.
    """
    r = w.recommendation
    narrow = width < NARROW
    t = Table(box=None, pad_edge=False, padding=(0, 1), header_style="dim")
    two = bool(w.model_options)
    t.add_column("option", no_wrap=not narrow)
    if not narrow:
        t.add_column("runs on", overflow="fold")
        t.add_column("infra/mo", justify="right")
        t.add_column("eng./mo", justify="right")
    t.add_column("total/mo", justify="right")
    for options, chosen in ((w.options, r.platform), (w.model_options, r.model_platform)):
        feasible = sorted((o for o in options if o.feasible), key=lambda o: o.monthly_cost_usd.total)  # type: ignore[union-attr]
        for i, o in enumerate(feasible):
            mc = o.monthly_cost_usd
            assert mc is not None
            layer = _label(o.layer, two) if i == 0 else ""
            mark = "->" if o.platform == chosen else "  "
            flag = " *" if _not_recommended(o) else ""
            # "0.25 vCPU / 2 GB task, arm64": the size says it is a task, and the architecture goes beside
            # the platform, where the column has room; either word would wrap onto a line of its own
            size, arm, _ = printable(o.instance_type or "").partition(", arm64")
            runs_on = size.removesuffix(" task")
            platform = f"{o.platform} (arm64)" if arm else o.platform
            name = f"{layer:<5} {mark} {platform}{flag}" if two else f"{mark} {platform}{flag}"
            if narrow:
                cells = [name + (f" ({runs_on})" if runs_on else ""), fmt_usd(mc.total)]
            else:
                cells = [name, runs_on, fmt_usd(mc.infra), fmt_usd(mc.ops), fmt_usd(mc.total)]
            t.add_row(*cells, style="bold green" if o.platform == chosen else None)
    return keep_figures_whole(t)


def _not_recommended(o: Option) -> list[str]:
    return [n[len("not recommended: ") :] for n in o.notes if n.startswith("not recommended")]


def blocked_lines(w: WorkloadReport) -> list[Text]:
    """Platforms a hard limit rules out, grouped by their short reason, one line per layer."""
    out = []
    two = bool(w.model_options)
    for options in (w.options, w.model_options):
        groups: dict[str, list[str]] = {}
        for o in options:
            if not o.feasible:
                groups.setdefault(short_reason(o), []).append(o.platform)
        if not groups:
            continue
        label = f"{_label(options[0].layer, two)} blocked" if two else "blocked"
        text = Text(f"{label}: ", style="bold red")
        text.append("; ".join(f"{', '.join(p)} ({why})" for why, p in groups.items()), style="dim")
        out.append(text)
    return out


def trace_text(w: WorkloadReport) -> Text:
    text = Text("Why, question by question\n", style="bold")
    for step in ordered_trace(w.trace):
        text.append(f"  {printable(step.question)} ", style="bold")
        text.append(f"-> {printable(step.answer)}\n", style="bold cyan")
        text.append(f"     {printable(step.because)}\n")
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
        row = [Text(printable(c.name)), qty, Text(fmt_usd(c.monthly_usd))]
        if wide:
            row.append(Text(f"{c.price_key or ''} ({c.as_of}){'' if c.verified else ' UNVERIFIED'}"))
        t.add_row(*row)
    total = sum((c.monthly_usd for c in components), Decimal(0))
    t.add_row(Text("Total"), Text(""), Text(fmt_usd(total)), *([Text("")] if wide else []), style="bold")
    # quantity x unit price wraps at its spaces, never inside a figure
    for col in t.columns:
        col.overflow = "fold"
    return t


def _indent(text: Text) -> Padding:
    """Two columns in, wrapped lines too (a hanging indent keeps a workload's lines under its rule)."""
    return Padding(text, (0, 0, 0, 2))


def same_columns(tables: list[Table], width: int) -> None:
    """Give every workload's options table the same column widths, so the figures line up down the
    page and one header row serves them all; within ``width`` (the indented block's), text columns
    (an instance type, a task size) wrap between words rather than push a figure off the edge."""
    ncols = len(tables[0].columns) if tables else 0
    widest = [
        max(
            max([cell_len(str(t.columns[i].header)), *(cell_len(str(c)) for c in t.columns[i].cells)])
            for t in tables
            if i < len(t.columns)
        )
        for i in range(ncols)
    ]
    over = sum(widest) + 2 * (ncols - 1) - width  # columns are two apart (padding 1 each side)
    for i in reversed(range(ncols)):  # the rightmost text column gives way first
        if over <= 0:
            break
        if tables[0].columns[i].justify == "right":
            continue
        floor = max((t.columns[i].min_width or 0) for t in tables if i < len(t.columns))  # longest word
        give = min(over, widest[i] - floor)
        widest[i] -= give
        over -= give
    for t in tables:
        for i, w in enumerate(widest[: len(t.columns)]):
            t.columns[i].min_width = w
            t.columns[i].width = w if t.columns[i].justify != "right" else None


def workload_block(
    w: WorkloadReport, table: Table, details: bool, width: int = 80, opened: frozenset[str] = frozenset()
) -> Group:
    """A workload: what runs where and its monthly total, why in one sentence, one line per feasible
    option, the blocked platforms grouped by reason, warnings. ``details`` adds every option's
    invoice, the full trace, the assumptions and the break-even note."""
    r = w.recommendation
    head = Text()
    head.append(one_line(w.name), style="bold")
    head.append(f" ({w.role}): ")
    head.append(_where(w), style="bold green")
    if r.monthly_cost_usd:
        head.append(f"  {fmt_usd(r.monthly_cost_usd.total)}/month", style="bold")
    wide = width >= 120
    # the head over a rule when it fits on one line; a long name wraps instead of being cut
    top = Rule(head, align="left", style="dim") if cell_len(head.plain) + 4 <= width else head
    parts: list = [top, _indent(Text("Why: " + printable(why_sentence(w, opened))))]
    parts.append(Padding(table, (0, 0, 0, 2)))
    parts += [_indent(t) for t in blocked_lines(w)]
    if any(_not_recommended(o) for o in [*w.options, *w.model_options]):
        parts.append(
            _indent(Text("* feasible, not recommended for this team (--details says why)", style="dim"))
        )
    be = w.breakeven
    if be and be.tokens_per_month and not details:
        parts.append(
            _indent(
                Text(
                    f"Break-even: self-hosting on {be.self_hosted_platform} wins from "
                    f"{tokens_text(be.tokens_per_month)} tokens/month; today {tokens_text(be.current_tokens_per_month or 0)}.",
                    style="cyan",
                )
            )
        )
    for label, analysis in (("Growth", w.growth), ("Uncertainty", w.uncertainty)):
        for layer in analysis.layers if analysis else []:
            parts.append(
                _indent(Text(f"{label} ({layer.layer}): {printable(layer.summary)}", style="magenta"))
            )
    for warning in w.warnings:
        parts.append(_indent(Text(f"warning: {printable(warning)}", style="yellow")))
    if details:
        for chosen, label in ((w.chosen, "Invoice"), (w.chosen_model, "Invoice (model layer)")):
            if chosen is not None:
                parts.append(invoice_table(f"{label}: {chosen.platform}", chosen.cost_components, wide))
        for o in [*w.options, *w.model_options]:
            if o.feasible and o not in (w.chosen, w.chosen_model):
                parts.append(invoice_table(f"Invoice: {o.platform} ({o.layer})", o.cost_components, wide))
        for o in [*w.options, *w.model_options]:
            for reason in _not_recommended(o):
                parts.append(Text(f"  * {o.platform}: {printable(reason)}", style="yellow"))
        parts.append(trace_text(w))
        if be and be.note:
            parts.append(Text(f"Break-even: {printable(be.note)}", style="cyan"))
        if w.assumptions:
            parts.append(Text("Assumptions: " + printable("; ".join(w.assumptions)), style="dim"))
    return Group(*parts)


def render_table(
    report: Report, *, details: bool = False, full: bool = False, width: int | None = None
) -> str:
    console = Console(record=True, width=width or 160, force_terminal=False, color_system=None, file=_Null())
    print_table(report, console, details=details, full=full)
    return console.export_text()


def print_table(report: Report, console: Console, *, details: bool = False, full: bool = False) -> None:
    c = report.catalog
    n = len(report.workloads)
    console.print(
        Text(
            f"{n:,} workload{'s' if n != 1 else ''} · {c.region} · prices {c.as_of} (oldest {c.oldest}) "
            f"· month = {c.month_hours} h"
        )
    )
    if details:
        console.print(Text(f"Bedrock token prices: {c.bedrock_prices}."))
    for note in c.overrides:
        console.print(Text(f"price override: {printable(note)}"))
    wide = console.width >= 120
    blocks = full or n <= DETAILED_UP_TO
    if blocks:
        tables = [options_table(w, console.width) for w in report.workloads]
        if console.width >= NARROW:
            same_columns(tables, console.width - 2)  # the block's two-column indent
        for i, (w, t) in enumerate(zip(report.workloads, tables, strict=True)):
            # one header over aligned columns; each block has its own under --details or when narrow
            t.show_header = i == 0 or details or console.width < NARROW
            console.print(workload_block(w, t, details, console.width, opened_keys(report)))
    shown = report.workloads
    title = "System total"
    if not blocks:  # an inventory: its costliest workloads, then every one of them by platform
        shown = [report.workloads[i] for i in report.costliest(DETAILED_UP_TO)]
        title = f"System total; the {len(shown)} costliest of {n:,} workloads"
    summary = Table(box=None, header_style="bold", title=None if blocks else title, title_justify="left")
    summary.add_column(title if blocks else "workload")
    summary.add_column("runs on")
    if wide:
        summary.add_column("pattern")
    split = console.width >= NARROW  # infra and engineering columns, when there is room for them
    if split:
        summary.add_column("infra/mo", justify="right")
        summary.add_column("eng./mo", justify="right")
    summary.add_column("total/mo", justify="right")
    for w in shown:
        r = w.recommendation
        mc = r.monthly_cost_usd
        summary.add_row(
            one_line(w.name),
            _where(w),
            *([r.pattern] if wide else []),
            *([fmt_usd(mc.infra if mc else None), fmt_usd(mc.ops if mc else None)] if split else []),
            fmt_usd(mc.total if mc else None),
        )
    if len(shown) < n:
        summary.caption = (
            f"{n - len(shown):,} cheaper workloads not listed: in the total and by platform below"
        )
        summary.caption_justify = "left"
    for label, where, costs in shared_rows(report, details or wide):
        infra = sum((c.monthly_usd for c in costs if c.kind == "infra"), Decimal(0))
        ops = sum((c.monthly_usd for c in costs if c.kind == "ops"), Decimal(0))
        summary.add_row(
            label,
            where,
            *([""] if wide else []),
            *([fmt_usd(infra), fmt_usd(ops)] if split else []),
            fmt_usd(infra + ops),
        )
    summary.add_row(
        "Total",
        "",
        *([""] if wide else []),
        *(["", ""] if split else []),
        fmt_usd(report.total_monthly_cost_usd),
        style="bold",
    )
    console.print(keep_figures_whole(summary))
    if not blocks:
        console.print(rollup_table(report.workloads))
        console.print(
            Text(
                f"{n:,} workloads: each one's options, invoice and reasons are in "
                "--format json, markdown or html (or --full to print every workload here). Each "
                "platform's fixed engineering is counted once (shared), each workload adds its marginal "
                "hours (docs/engineering-cost.md)."
            )
        )
    elif not details:
        console.print(
            Text(
                "--details: invoices and full trace · --format markdown|html: decision record",
                style="dim",
            )
        )


def shared_rows(report: Report, each: bool) -> list[tuple[str, str, list[SharedCost]]]:
    """The file's shared costs as rows of the system total: one per cost when ``each`` (--details,
    or a wide terminal), else one row for all of them, split into infra and engineering by its
    columns (the 80-column demo stays short); the markdown and HTML records list each one in their
    own section."""
    if each:
        return [("shared", shared_label(s), [s]) for s in report.shared_costs]
    n = len(report.shared_costs)
    return [("shared", f"{n} line{'s' if n != 1 else ''}, once per file", report.shared_costs)] if n else []


def _where(w: WorkloadReport) -> str:
    r = w.recommendation
    where = r.platform + (f" ({r.instance_type})" if r.instance_type else "")
    if r.model_platform:
        where += f" + {r.model_platform}" + (f" ({r.model_instance_type})" if r.model_instance_type else "")
    return printable(where)


def rollup_table(workloads: list[WorkloadReport]) -> Table:
    """Workloads and monthly cost per place they run (orchestration platform + model platform)."""
    groups: dict[str, list[WorkloadReport]] = {}
    for w in workloads:
        r = w.recommendation
        groups.setdefault(r.platform + (f" + {r.model_platform}" if r.model_platform else ""), []).append(w)
    t = Table(title="By platform", box=None, title_justify="left", header_style="bold")
    t.add_column("runs on")
    t.add_column("workloads", justify="right")
    t.add_column("infra/mo", justify="right")
    t.add_column("eng./mo", justify="right")
    t.add_column("total/mo", justify="right")
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


def print_breakeven(workloads: list[WorkloadReport], console: Console) -> None:
    """Cost against monthly token volume for Bedrock and the cheapest self-hosted option.

    "cheaper" agrees with the break-even stated below the table: a volume under the break-even at
    which self-hosting happens to win (its fleet is just full; one more request adds an instance)
    is marked ``self-hosted*`` and footnoted, so no row contradicts "from X upward".
    """
    for w in workloads:
        be = w.breakeven
        console.print(Text(one_line(w.name), style="bold"))
        if be is None:
            console.print(Text("  not a generative model workload: no token break-even"))
            continue
        curve = w.breakeven_curve
        windows = False
        if curve:
            places = list(dict.fromkeys(h.platform for h in curve[1::2]))
            one_place = len(places) == 1  # then said once, above the table, not on every row
            t = Table(
                box=box.SIMPLE_HEAD,
                title=f"self-hosted on {places[0]}" if one_place else None,
                title_justify="left",
            )
            t.add_column("tokens/month", justify="right")
            t.add_column("bedrock $/month", justify="right")
            t.add_column("self-hosted $/month", justify="right")
            if not one_place:
                t.add_column("self-hosted on", overflow="fold")
            t.add_column("cheaper", no_wrap=True)
            for managed, hosted in zip(curve[0::2], curve[1::2], strict=True):
                cheaper = "bedrock"
                if hosted.monthly_usd <= managed.monthly_usd:
                    for_good = (
                        be.tokens_per_month is not None and managed.tokens_per_month >= be.tokens_per_month
                    )
                    cheaper = "self-hosted" if for_good else "self-hosted*"
                    windows = windows or not for_good
                t.add_row(
                    tokens_text(managed.tokens_per_month),
                    f"${managed.monthly_usd:,.2f}",
                    f"${hosted.monthly_usd:,.2f}",
                    *([] if one_place else [hosted.platform]),
                    cheaper,
                )
            if windows:
                t.caption = (
                    "* cheaper at this volume only: a little more traffic adds a whole instance "
                    "and Bedrock is cheaper again"
                )
                t.caption_justify = "left"
            console.print(keep_figures_whole(t))
        now = be.current_tokens_per_month or 0
        console.print(Text(f"  today: {tokens_text(now)} tokens/month"))
        console.print(Text(f"  computed: {be.note or 'n/a'}", style="cyan"))
        console.print(Text(f"  {be.guideline}", style="dim"))
