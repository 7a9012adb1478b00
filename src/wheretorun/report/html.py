"""``recommend --format html``: the decision record with its charts in one self-contained file.

No script, stylesheet, font or image is loaded from anywhere: the CSS is inline, the charts are
inline SVG rendered offline by vl-convert (``charts.py``). The file opens from a laptop's disk, a
phone, or a printer with no network. The same body is served by the web page (``render_fragment``),
so the page and the downloaded report cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from html import escape

from .adr import Record, WorkloadRecord, build_record, quantity, shared_label, shared_notes, unit_price, usd
from .charts import Chart, ChartError, charts_for, to_svg
from .model import Report

REPORT_CSS = """
.wtr { --ink:#1a202c; --muted:#4a5568; --line:#e2e8f0; --accent:#2b6cb0; --ok:#276749; --bad:#9b2c2c;
  color:var(--ink); font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif; }
.wtr h1 { font-size:1.6rem; line-height:1.25; margin:.2em 0 .4em; }
.wtr h2 { font-size:1.3rem; margin:1.6em 0 .5em; border-bottom:2px solid var(--line); padding-bottom:.2em; }
.wtr h3 { font-size:1.15rem; margin:1.4em 0 .4em; }
.wtr h4 { font-size:1rem; margin:1.2em 0 .3em; color:var(--muted); }
.wtr .meta { color:var(--muted); margin:0; padding:0; list-style:none; }
.wtr .scroll { overflow-x:auto; -webkit-overflow-scrolling:touch; max-width:100%; }
.wtr table { border-collapse:collapse; margin:.4em 0 1em; font-size:.9rem; }
.wtr th, .wtr td { border-bottom:1px solid var(--line); padding:.3em .6em; text-align:left; vertical-align:top; }
.wtr th { background:#f7fafc; }
.wtr td.num, .wtr th.num { text-align:right; font-variant-numeric:tabular-nums; }
.wtr td.num { white-space:nowrap; }
.wtr tr.chosen td { background:#f0fff4; font-weight:600; }
.wtr tr.blocked td { color:var(--muted); }
.wtr tr.total td { font-weight:700; border-top:2px solid var(--ink); }
.wtr td { overflow-wrap:break-word; }
.wtr .src { font-size:.8rem; color:var(--muted); overflow-wrap:anywhere; }
.wtr .decision { font-size:1.05rem; background:#ebf8ff; border-left:4px solid var(--accent); padding:.6em .9em; }
.wtr .warning { color:var(--bad); }
.wtr ul.trace { padding-left:1.2em; } .wtr ul.trace li { margin:.35em 0; }
.wtr ul.trace .q { font-weight:600; }
.wtr ul.trace .a { color:var(--ok); font-weight:600; }
.wtr ul.trace .b { display:block; color:var(--muted); font-size:.92rem; }
.wtr figure.chart { margin:.8em 0; }
.wtr figure.chart svg { max-width:100%; height:auto; display:block; }
.wtr figure.chart figcaption { font-size:.85rem; color:var(--muted); }
.wtr .missing { border:1px dashed var(--line); color:var(--muted); padding:.5em .8em; font-size:.9rem; }
@media (max-width: 640px) { .wtr { font-size:15px; } .wtr th, .wtr td { padding:.25em .4em; } }
@media print {
  .wtr { font-size:11pt; } .wtr .scroll { overflow:visible; }
  .wtr section.workload { break-before:page; } .wtr figure.chart, .wtr table { break-inside:avoid; }
  .wtr a { color:inherit; text-decoration:none; }
}
"""

PAGE_CSS = "body { margin:0 auto; max-width:72rem; padding:1rem 1.2rem 3rem; background:#fff; }"


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _table(head: list[str], rows: list[list[str]], num: set[int], classes: list[str] | None = None) -> str:
    """``rows`` hold already-escaped HTML cells."""
    ths = "".join(f"<th{' class=num' if i in num else ''}>{_e(h)}</th>" for i, h in enumerate(head))
    body = []
    for j, r in enumerate(rows):
        cls = f' class="{classes[j]}"' if classes and classes[j] else ""
        tds = "".join(f"<td{' class=num' if i in num else ''}>{c}</td>" for i, c in enumerate(r))
        body.append(f"<tr{cls}>{tds}</tr>")
    return f'<div class="scroll"><table><thead><tr>{ths}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def _ul(items: list[str], cls: str = "") -> str:
    if not items:
        return ""
    c = f' class="{cls}"' if cls else ""
    return f"<ul{c}>" + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>"


def _figure(chart: Chart) -> str:
    head = f"<figcaption>{_e(chart.title)}</figcaption>"
    if chart.spec is None:
        return (
            f'<figure class="chart" data-chart="{_e(chart.key)}"><div class="missing">'
            f"{_e(chart.title)}: {_e(chart.reason)}.</div></figure>"
        )
    try:
        svg = to_svg(chart.spec)
    except ChartError as e:  # one chart lost, not the report (issue 10)
        return (
            f'<figure class="chart" data-chart="{_e(chart.key)}"><div class="missing">'
            f"{_e(chart.title)}: could not be drawn: {_e(e)}.</div></figure>"
        )
    return f'<figure class="chart" data-chart="{_e(chart.key)}">{_accessible(svg, chart)}{head}</figure>'


def _accessible(svg: str, chart: Chart) -> str:
    """A chart a screen reader can name: ``role="img"``, an ``aria-label`` and a ``<title>`` (the
    chart's title and workload), as WAI-ARIA's graphics role asks of an inline SVG
    (https://www.w3.org/TR/graphics-aria-1.0/#img)."""
    label = _e(f"{chart.title}, {chart.workload}")
    end = svg.index(">", svg.index("<svg")) + 1
    return f'{svg[: end - 1]} role="img" aria-label="{label}"><title>{label}</title>{svg[end:]}'


def _workload(n: int, w: WorkloadRecord, charts: list[Chart]) -> str:
    out = [f'<section class="workload" id="workload-{n}"><h3>{n}. {_e(w.name)}</h3>']
    out.append(f'<p class="decision"><strong>Decision:</strong> {_e(w.summary)}</p>')
    out.append("<p><strong>Context:</strong> " + _e("; ".join(f"{k}: {v}" for k, v in w.context)) + ".</p>")
    if charts:
        out.append("<h4>Charts</h4>" + "".join(_figure(c) for c in charts))
    rows, classes = [], []
    for o in w.options:
        status = o.status + (f": {o.reason}" if o.reason else "")
        rows.append(
            [_e(o.layer), _e(o.platform), _e(o.runs_on), usd(o.infra), usd(o.ops), usd(o.total), _e(status)]
        )
        classes.append(o.status.replace(" ", "-"))
    out.append("<h4>Options considered</h4>")
    out.append(
        _table(
            [
                "layer",
                "platform",
                "runs on",
                "infra $/month",
                "engineering $/month",
                "total $/month",
                "status",
            ],
            rows,
            {3, 4, 5},
            classes,
        )
    )
    # a list without its own numbers: each question carries the playbook's number ("7. Does ...")
    out.append('<h4>Why: question by question</h4><ul class="trace">')
    for t in w.trace:
        out.append(
            f'<li><span class="q">{_e(t.question)}</span> <span class="a">{_e(t.answer)}</span>'
            f'<span class="b">{_e(t.because)}</span></li>'
        )
    out.append("</ul>")
    if w.consequences:
        out.append("<h4>Consequences</h4>" + _ul(w.consequences))
    if w.breakeven:
        out.append("<h4>Break-even volume</h4>" + _ul(w.breakeven))
    for title, rows_, notes in w.extras:
        head, *body = rows_
        out.append(
            f"<h4>{_e(title)}</h4>"
            + _table(head, [[_e(c) for c in r] for r in body], set(range(1, len(head))))
            + _ul(notes)
        )
    out.append("<h4>When to revisit</h4>" + _ul(w.revisit))
    if w.assumptions or w.warnings:
        out.append("<h4>Assumptions and warnings</h4>")
        out.append(_ul([f"Assumption: {a}" for a in w.assumptions]))
        out.append(_ul([f"Warning: {x}" for x in w.warnings], "warning"))
    for inv in w.invoices:
        rows = []
        for c in inv.lines:
            src = f"{c.price_key or ''} {c.source or ''} ({c.as_of or 'no date'})".strip()
            if not c.verified:
                src += " UNVERIFIED"
            name = c.name + (f" ({c.note})" if c.note else "")
            rows.append(
                [
                    _e(name),
                    _e(f"{quantity(c.quantity)} x {c.unit}"),
                    _e(unit_price(c.unit_price_usd)),
                    usd(c.monthly_usd),
                    f'<span class="src">{_e(src)}</span>',
                ]
            )
        rows.append(["Total", "", "", usd(inv.total), ""])
        out.append(f"<h4>Cost lines: {_e(inv.title)}</h4>")
        out.append(
            _table(
                ["line", "quantity", "unit price", "$/month", "source (checked)"],
                rows,
                {1, 2, 3},
                [""] * (len(rows) - 1) + ["total"],
            )
        )
    out.append("</section>")
    return "".join(out)


def render_record_fragment(record: Record, charts: list[Chart]) -> str:
    out = ['<div class="wtr">', f"<h1>{_e(record.title)}</h1>"]
    out.append(
        '<ul class="meta">'
        f"<li>Status: {_e(record.status)}</li><li>Date: {_e(record.date)}</li>"
        + "".join(f"<li>{_e(k)}: {_e(v)}</li>" for k, v in record.catalog)
        + "</ul>"
    )
    out.append("<h2>Context</h2>")
    team = "; ".join(f"{k}: {v}" for k, v in record.team) or "not described"
    out.append(f"<p>Team: {_e(team)}. Engineering time is priced at the team's hourly rate.</p>")
    keys = list(dict.fromkeys(k for w in record.workloads for k, _ in w.context))
    out.append(
        _table(
            ["workload", *keys],
            [[_e(w.name), *[_e(dict(w.context).get(k, "-")) for k in keys]] for w in record.workloads],
            set(),
        )
    )
    out.append("<h2>Decision</h2>")
    rows = [
        [
            _e(w.name),
            _e(w.decision),
            _e(w.model_layer or "-"),
            _e(w.pattern),
            usd(w.infra),
            usd(w.ops),
            usd(w.total),
        ]
        for w in record.workloads
    ]
    if record.shared:
        infra = sum((s.monthly_usd for s in record.shared if s.kind == "infra"), Decimal(0))
        ops = sum((s.monthly_usd for s in record.shared if s.kind == "ops"), Decimal(0))
        rows.append(["Shared costs (once per file)", "", "", "", usd(infra), usd(ops), usd(infra + ops)])
    rows.append(["System", "", "", "", usd(record.infra), usd(record.ops), usd(record.total)])
    out.append(
        _table(
            [
                "workload",
                "runs on",
                "model layer",
                "pattern",
                "infra $/month",
                "engineering $/month",
                "total $/month",
            ],
            rows,
            {4, 5, 6},
            [""] * (len(rows) - 1) + ["total"],
        )
    )
    if record.shared:
        out.append("<h2>Shared costs</h2>")
        out.append(
            _table(
                ["cost", "platform", "kind", "$/month", "how"],
                [
                    [
                        _e(shared_label(s)),
                        _e(s.platform),
                        _e(s.kind),
                        usd(s.monthly_usd),
                        _e("; ".join(c.note or c.name for c in s.cost_components)),
                    ]
                    for s in record.shared
                ],
                {3},
            )
        )
        out.append(_ul(shared_notes(record)))
    out.append("<h2>Per workload</h2>")
    by_workload: dict[int, list[Chart]] = {}
    for c in charts:
        by_workload.setdefault(c.index, []).append(c)
    for n, w in enumerate(record.workloads, 1):
        out.append(_workload(n, w, by_workload.get(n - 1, [])))
    out.append("</div>")
    return "".join(out)


def render_fragment(report: Report, *, today: dt.date | None = None, charts: bool = True) -> str:
    """The report's body (a ``<div class="wtr">``) for embedding, e.g. in the web page;
    ``charts=False`` leaves the charts out (they take seconds to render, the rest milliseconds)."""
    return render_record_fragment(build_record(report, today), charts_for(report) if charts else [])


def render_html(report: Report, *, today: dt.date | None = None) -> str:
    """One self-contained HTML document: the decision record with inline CSS and inline SVG charts."""
    record = build_record(report, today)
    body = render_record_fragment(record, charts_for(report))
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="wheretorun">'
        f"<title>{_e(record.title)}</title>"
        f"<style>{PAGE_CSS}{REPORT_CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )


__all__ = ["REPORT_CSS", "render_fragment", "render_html"]
