"""``wheretorun diff OLD NEW``: what a change to a workload file does to the monthly bill.

A pure function of two Reports (a workload file is recommended first; a JSON result of
``recommend --format json`` is read as it is). Workloads are matched by name. For each: the
monthly total before and after, split into infrastructure and engineering, and where it runs
before and after; then the system total. Infracost's ``diff`` and pull-request comment are the
model (https://www.infracost.io/docs/features/cli_commands/#diff): the reviewer sees the change
in dollars a month before reading any YAML.

Money stays Decimal (pydantic reads a JSON result's 0.1 as Decimal('0.1'), the number it printed).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .model import Report, WorkloadReport

ZERO = Decimal(0)


@dataclass(frozen=True)
class Cost:
    runs_on: str
    infra: Decimal
    engineering: Decimal

    @property
    def total(self) -> Decimal:
        return self.infra + self.engineering

    def as_dict(self) -> dict[str, Any]:
        return {
            "runs_on": self.runs_on,
            "infra_usd": float(self.infra),
            "engineering_usd": float(self.engineering),
            "total_usd": float(self.total),
        }


@dataclass(frozen=True)
class WorkloadChange:
    name: str
    old: Cost | None  # None: the workload is new
    new: Cost | None  # None: the workload was removed

    @property
    def status(self) -> str:
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        if self.old == self.new:
            return "unchanged"
        return "moved" if self.old.runs_on != self.new.runs_on else "changed"

    def change(self, part: str) -> Decimal:
        before = getattr(self.old, part) if self.old else ZERO
        after = getattr(self.new, part) if self.new else ZERO
        return after - before


@dataclass(frozen=True)
class Diff:
    old_label: str
    new_label: str
    workloads: list[WorkloadChange]
    old_total: Decimal
    new_total: Decimal
    old_shared: Decimal  # costs counted once per file (the total beyond the workloads' own)
    new_shared: Decimal
    catalog: str

    @property
    def change(self) -> Decimal:
        return self.new_total - self.old_total

    def part_change(self, part: str) -> Decimal:
        return sum((w.change(part) for w in self.workloads), ZERO)

    @property
    def percent(self) -> Decimal | None:
        return None if self.old_total == 0 else self.change / self.old_total * 100

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "old": {"source": self.old_label, "total_monthly_cost_usd": float(self.old_total)},
            "new": {"source": self.new_label, "total_monthly_cost_usd": float(self.new_total)},
            "change": {
                "total_usd": float(self.change),
                "infra_usd": float(self.part_change("infra")),
                "engineering_usd": float(self.part_change("engineering")),
                "shared_usd": float(self.new_shared - self.old_shared),
                "percent": None if self.percent is None else float(self.percent),
            },
            "workloads": [
                {
                    "name": w.name,
                    "status": w.status,
                    "old": w.old.as_dict() if w.old else None,
                    "new": w.new.as_dict() if w.new else None,
                    "change": {
                        "total_usd": float(w.change("total")),
                        "infra_usd": float(w.change("infra")),
                        "engineering_usd": float(w.change("engineering")),
                    },
                }
                for w in self.workloads
            ],
            "catalog": self.catalog,
        }


def _cost(w: WorkloadReport) -> Cost:
    r = w.recommendation
    where = r.platform + (f" ({r.instance_type})" if r.instance_type else "")
    if r.model_platform:
        where += f" + {r.model_platform}" + (f" ({r.model_instance_type})" if r.model_instance_type else "")
    mc = r.monthly_cost_usd
    return Cost(where, mc.infra if mc else ZERO, mc.ops if mc else ZERO)


def diff_reports(old: Report, new: Report, old_label: str = "old", new_label: str = "new") -> Diff:
    """Workloads matched by name, in the new file's order, then those the new file removed."""
    before = {w.name: _cost(w) for w in old.workloads}
    after = {w.name: _cost(w) for w in new.workloads}
    names = [w.name for w in new.workloads] + [n for n in before if n not in after]
    changes = [WorkloadChange(n, before.get(n), after.get(n)) for n in dict.fromkeys(names)]
    old_total, new_total = old.total_monthly_cost_usd, new.total_monthly_cost_usd
    c_old, c_new = old.catalog, new.catalog
    catalog = f"prices as of {c_new.as_of}, {c_new.region}, a month is {c_new.month_hours} hours"
    if (c_old.as_of, c_old.region) != (c_new.as_of, c_new.region):
        catalog += f" (old: prices as of {c_old.as_of}, {c_old.region})"
    return Diff(
        old_label,
        new_label,
        changes,
        old_total,
        new_total,
        old_total - sum((c.total for c in before.values()), ZERO),
        new_total - sum((c.total for c in after.values()), ZERO),
        catalog,
    )


def signed(value: Decimal) -> str:
    """+$1,234.56 / -$12.00 / $0.00: a change always says its direction."""
    cents = value.quantize(Decimal("0.01"))
    if cents == 0:
        return "$0.00"
    return f"{'+' if cents > 0 else '-'}${abs(cents):,.2f}"


def usd(value: Decimal | None) -> str:
    return "-" if value is None else f"${value:,.2f}"


def headline(d: Diff) -> str:
    """One sentence: the change a month, from what to what, split into infrastructure and engineering."""
    pct = "" if d.percent is None else f", {d.percent:+.1f}%"
    text = (
        f"{signed(d.change)}/month (from {usd(d.old_total)} to {usd(d.new_total)}{pct}): "
        f"infrastructure {signed(d.part_change('infra'))}, engineering {signed(d.part_change('engineering'))}"
    )
    shared = d.new_shared - d.old_shared
    if shared.quantize(Decimal("0.01")) != 0:
        text += f", shared costs {signed(shared)}"
    return text + "."


def render_markdown(d: Diff) -> str:
    """A pull-request comment: the headline, then a table of the workloads that changed."""
    from .markdown import no_raw_html, table

    out = ["### wheretorun: monthly cost change", "", f"**{headline(d)}**", ""]
    changed = [w for w in d.workloads if w.status != "unchanged"]
    if changed:
        rows = [["workload", "runs on", "infra", "engineering", "before", "after", "change"]]
        for w in changed:
            rows.append(
                [
                    w.name + ("" if w.status in ("changed", "moved") else f" ({w.status})"),
                    _where(w),
                    signed(w.change("infra")),
                    signed(w.change("engineering")),
                    usd(w.old.total if w.old else None),
                    usd(w.new.total if w.new else None),
                    f"**{signed(w.change('total'))}**",
                ]
            )
        rows.append(
            [
                "**Total**",
                "",
                signed(d.part_change("infra")),
                signed(d.part_change("engineering")),
                usd(d.old_total),
                usd(d.new_total),
                f"**{signed(d.change)}**",
            ]
        )
        out += table(rows, ["l", "l", "r", "r", "r", "r", "r"]) + [""]
    else:
        out += ["No workload's placement or cost changed.", ""]
    unchanged = len(d.workloads) - len(changed)
    if unchanged and changed:
        out += [f"{unchanged} workload{'s' if unchanged != 1 else ''} unchanged.", ""]
    out += [f"*{d.old_label} -> {d.new_label}; {d.catalog}; generated by `wheretorun diff`.*"]
    return no_raw_html("\n".join(out) + "\n")


def _where(w: WorkloadChange) -> str:
    if w.old and w.new and w.old.runs_on != w.new.runs_on:
        return f"{w.old.runs_on} -> {w.new.runs_on}"
    return (w.new or w.old).runs_on  # type: ignore[union-attr]


__all__ = ["Diff", "WorkloadChange", "diff_reports", "headline", "render_markdown", "signed"]
