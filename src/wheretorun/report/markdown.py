"""``recommend --format markdown``: an architecture decision record, ready to commit next to the code.

A pure function of the Report (and of the date that heads the record). The content is decided in
``adr.py``; this module only lays it out as GitHub-flavoured Markdown.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from .adr import Record, WorkloadRecord, build_record, quantity, shared_label, shared_notes, unit_price, usd
from .charts import CHARTS, NOT_COMPUTED
from .model import Report

_TAG = re.compile(r"<(?=[A-Za-z/!?])")


def no_raw_html(text: str) -> str:
    """Markdown renderers pass raw HTML through (GitHub renders ``<img>``, ``<details>``, links);
    a workload name is data, never markup. A ``<`` that could open a tag or a comment becomes
    ``&lt;`` (shown as ``<``); "< 100M tokens" stays as it is."""
    return _TAG.sub("&lt;", text)


def cell(text: object) -> str:
    """Table-safe text: pipes escaped, line breaks flattened."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip()


def table(rows: list[list[str]], align: list[str] | None = None) -> list[str]:
    head, *body = rows
    align = align or ["l"] * len(head)
    rule = ["---:" if a == "r" else "---" for a in align]
    return [
        "| " + " | ".join(cell(c) for c in head) + " |",
        "| " + " | ".join(rule) + " |",
        *("| " + " | ".join(cell(c) for c in r) + " |" for r in body),
    ]


def _workload(n: int, w: WorkloadRecord) -> list[str]:
    out = [f"### {n}. {w.name}", ""]
    out += [f"**Decision:** {w.summary}", ""]
    out += ["**Context:** " + "; ".join(f"{k}: {v}" for k, v in w.context) + ".", ""]
    out += ["#### Options considered", ""]
    rows = [
        ["layer", "platform", "runs on", "infra $/month", "engineering $/month", "total $/month", "status"]
    ]
    for o in w.options:
        status = o.status + (f": {o.reason}" if o.reason else "")
        rows.append(
            [
                o.layer,
                f"**{o.platform}**" if o.status == "chosen" else o.platform,
                o.runs_on,
                usd(o.infra),
                usd(o.ops),
                usd(o.total),
                status,
            ]
        )
    out += table(rows, ["l", "l", "l", "r", "r", "r", "l"]) + [""]
    out += ["#### Why: question by question", ""]
    # bullets, not a numbered list: each question carries the playbook's number ("7. Does ...")
    out += [f"- **{t.question}** {t.answer}. *Because:* {t.because}" for t in w.trace]
    out.append("")
    if w.consequences:
        out += ["#### Consequences", "", *(f"- {c}" for c in w.consequences), ""]
    if w.breakeven:
        out += ["#### Break-even volume", "", *(f"- {b}" for b in w.breakeven), ""]
    for title, rows_, notes in w.extras:
        out += [f"#### {title}", "", *table(rows_, ["l"] + ["r"] * (len(rows_[0]) - 1)), ""]
        out += [*(f"- {n}" for n in notes), ""]
    out += ["#### When to revisit", "", *(f"- {r}" for r in w.revisit), ""]
    if w.assumptions or w.warnings:
        out += ["#### Assumptions and warnings", ""]
        out += [f"- Assumption: {a}" for a in w.assumptions]
        out += [f"- **Warning:** {x}" for x in w.warnings]
        out.append("")
    for inv in w.invoices:
        out += [f"#### Cost lines: {inv.title}", ""]
        rows = [["line", "quantity", "unit price", "$/month", "source (checked)"]]
        for c in inv.lines:
            src = f"{c.price_key or ''} {c.source or ''} ({c.as_of or 'no date'})".strip()
            if not c.verified:
                src += " UNVERIFIED"
            name = c.name + (f" ({c.note})" if c.note else "")
            rows.append(
                [
                    name,
                    f"{quantity(c.quantity)} x {c.unit}",
                    unit_price(c.unit_price_usd),
                    usd(c.monthly_usd),
                    src,
                ]
            )
        rows.append(["**Total**", "", "", f"**{usd(inv.total)}**", ""])
        out += table(rows, ["l", "r", "r", "r", "l"]) + [""]
    return out


def render_record(record: Record, charts_note: bool = True) -> str:
    out = [f"# {record.title}", ""]
    out += [f"- Status: {record.status}", f"- Date: {record.date}"]
    out += [f"- Catalog: {', '.join(f'{k} {v}' for k, v in record.catalog)}", ""]
    out += ["## Context", ""]
    team = "; ".join(f"{k}: {v}" for k, v in record.team) or "not described"
    out += [f"Team: {team}. Engineering time is priced at the team's hourly rate.", ""]
    if record.workloads:
        keys = list(dict.fromkeys(k for w in record.workloads for k, _ in w.context))
        rows = [["workload", *keys]]
        for w in record.workloads:
            ctx = dict(w.context)
            rows.append([w.name, *[ctx.get(k, "-") for k in keys]])
        out += table(rows) + [""]
    out += ["## Decision", ""]
    rows = [
        [
            "workload",
            "runs on",
            "model layer",
            "pattern",
            "infra $/month",
            "engineering $/month",
            "total $/month",
        ]
    ]
    for w in record.workloads:
        rows.append(
            [w.name, w.decision, w.model_layer or "-", w.pattern, usd(w.infra), usd(w.ops), usd(w.total)]
        )
    if record.shared:
        infra = sum((s.monthly_usd for s in record.shared if s.kind == "infra"), Decimal(0))
        ops = sum((s.monthly_usd for s in record.shared if s.kind == "ops"), Decimal(0))
        rows.append(["Shared costs (once per file)", "", "", "", usd(infra), usd(ops), usd(infra + ops)])
    rows.append(["**System**", "", "", "", usd(record.infra), usd(record.ops), f"**{usd(record.total)}**"])
    out += table(rows, ["l", "l", "l", "l", "r", "r", "r"]) + [""]
    if record.shared:
        out += ["## Shared costs", ""]
        rows = [["cost", "platform", "kind", "$/month", "how"]]
        rows += [
            [
                shared_label(s),
                s.platform,
                s.kind,
                usd(s.monthly_usd),
                "; ".join(c.note or c.name for c in s.cost_components),
            ]
            for s in record.shared
        ]
        out += table(rows, ["l", "l", "l", "r", "l"]) + [""]
        out += [*(f"- {n}" for n in shared_notes(record)), ""]
    out += ["## Per workload", ""]
    for n, w in enumerate(record.workloads, 1):
        out += _workload(n, w)
    if charts_note:
        out += [
            "## Charts",
            "",
            "Rendered by `recommend --format html` (inline) and `--charts DIR` (SVG and PNG): "
            + ", ".join(title.lower() for _, title, _ in CHARTS)
            + f". Charts whose data a run did not compute are marked '{NOT_COMPUTED}'.",
            "",
        ]
    return no_raw_html("\n".join(out).rstrip() + "\n")


def render_markdown(report: Report, *, today: dt.date | None = None) -> str:
    """The decision record of ``report`` as Markdown; ``today`` dates it (default: the current date)."""
    return render_record(build_record(report, today))
