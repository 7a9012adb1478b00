"""Cost of every feasible option month by month under volume growth, and when to revisit the choice.

Month 1 is today's volume; month n has today's volume x (1 + g)^(n - 1). Each option is re-priced
with ``reprice.OptionModel`` (volume-driven lines scale, self-hosted fleets step up in whole
replicas). The cheapest option can change as volume grows (per-request services grow linearly;
fleets in steps with a fixed floor); the projection reports the first month it changes, and a
"revisit by" month: one month before the recommended option stops being the cheapest, or before
another option comes within ``REVISIT_MARGIN`` of the cheapest, whichever is first.
"""

from __future__ import annotations

import numpy as np

from ..results import (
    CheapestChange,
    GrowthLayer,
    GrowthOption,
    GrowthProjection,
    QuotaCrossing,
    Report,
    WorkloadReport,
)
from ..spec.models import WorkloadFile
from .reprice import layers

MONTHS = 24
#: Revisit when the runner-up comes within 10% of the cheapest: price changes of that size are common.
REVISIT_MARGIN = 0.10


def project(wr: WorkloadReport, wf: WorkloadFile, rate: float, months: int = MONTHS) -> GrowthProjection:
    """The growth projection of one workload."""
    factors = (1.0 + rate) ** np.arange(months)
    out_layers = []
    for layer, rec, models in layers(wr, wf):
        costs = np.vstack([m.cost(v=factors) for m in models])  # options x months
        # an option over its quota in force is infeasible that month (throttled or dropped requests)
        over = np.vstack([m.over_quota(v=factors) for m in models])
        costs[over] = np.inf
        cheapest_idx = costs.argmin(axis=0)
        none = ~np.isfinite(costs).any(axis=0)  # every option over its quota: nothing is feasible
        cheapest_idx[none] = -1
        keys = [m.key for m in models]
        cheapest = [keys[i] if i >= 0 else "none" for i in cheapest_idx]
        changes = [
            CheapestChange(month=n + 1, from_=cheapest[n - 1], to=cheapest[n])
            for n in range(1, months)
            if cheapest[n] != cheapest[n - 1]
        ]
        overtaken = None
        if rec is not None:
            ri = keys.index(rec)
            behind = np.flatnonzero(cheapest_idx != ri)
            overtaken = int(behind[0]) + 1 if behind.size else None
        close = None
        if len(models) > 1:
            srt = np.sort(costs, axis=0)
            near = np.flatnonzero(srt[1] <= srt[0] * (1 + REVISIT_MARGIN))
            close = int(near[0]) + 1 if near.size else None
        triggers = [m for m in (overtaken, changes[0].month if changes else None, close) if m is not None]
        revisit = max(1, min(triggers) - 1) if triggers else None
        crossings = _quota_crossings(models, factors)
        if crossings:
            revisit = max(1, min([revisit or months, *(c.month - 1 for c in crossings)]))
        summary = _summary(rate, rec, cheapest, changes, overtaken, close, revisit, months)
        if crossings:
            summary += "; " + "; ".join(c.text for c in crossings)
        out_layers.append(
            GrowthLayer(
                layer=layer,
                recommended=rec,
                options=[
                    GrowthOption(
                        key=m.key,
                        platform=m.platform,
                        instance_type=m.instance_type,
                        monthly_total_usd=[round(float(x), 2) if np.isfinite(x) else None for x in costs[i]],
                    )
                    for i, m in enumerate(models)
                ],
                cheapest_by_month=cheapest,
                changes=changes,
                recommended_overtaken_month=overtaken,
                runner_up_within_10pct_month=close,
                revisit_by_month=revisit,
                quota_crossings=crossings,
                summary=summary,
            )
        )
    return GrowthProjection(
        rate_per_month=rate,
        months=months,
        volume_multiplier_by_month=[round(float(f), 6) for f in factors],
        method=(
            f"month n = today's volume x (1 + {rate:g})^(n-1); volume- and token-driven lines scale, "
            "self-hosted fleets step up in whole replicas from their simulated peak, fixed and engineering "
            "lines stay (730-hour months); an option whose busiest minute (or day) passes its quota in force is "
            "infeasible from that month (null total)"
        ),
        layers=out_layers,
    )


def _quota_crossings(models, factors: np.ndarray) -> list[QuotaCrossing]:
    """The month each option's traffic first needs more than its default quota, and the month it
    first exceeds the quota in force (then it is infeasible: ``monthly_total_usd`` is null)."""
    out = []
    for m in models:
        if m.quota is None:
            continue
        load = m.quota_load(v=factors)
        beyond_default = np.flatnonzero(load > m.default_headroom * (1 + 1e-9))
        beyond = np.flatnonzero(m.over_quota(v=factors))
        if beyond.size:
            month = int(beyond[0]) + 1
            out.append(
                QuotaCrossing(
                    option=m.key,
                    quota=m.quota,
                    month=month,
                    kind="over quota",
                    text=f"{m.key} is over its {m.quota} quota from month {month} (requests throttled or "
                    "dropped: infeasible from then unless the quota is raised; preferences.quota_increase)",
                )
            )
        elif beyond_default.size:
            month = int(beyond_default[0]) + 1
            out.append(
                QuotaCrossing(
                    option=m.key,
                    quota=m.quota,
                    month=month,
                    kind="needs increase",
                    text=f"{m.key} needs a quota increase ({m.quota}) from month {month}",
                )
            )
    return out


def _summary(
    rate: float,
    rec: str | None,
    cheapest: list[str],
    changes: list[CheapestChange],
    overtaken: int | None,
    close: int | None,
    revisit: int | None,
    months: int,
) -> str:
    g = f"{rate:.0%}/month"
    if not changes and overtaken is None:
        text = f"at {g}, {cheapest[0]} stays the cheapest for all {months} months"
    else:
        first = changes[0] if changes else None
        text = (
            f"at {g}, the cheapest option changes in month {first.month} ({first.from_} -> {first.to})"
            if first
            else ""
        )
        if overtaken is not None and rec is not None:
            text += (
                ("; " if text else f"at {g}, ")
                + f"the recommended {rec} is no longer the cheapest from month {overtaken} ({cheapest[overtaken - 1]})"
            )
    if close is not None and (not changes or close < changes[0].month):
        text += f"; another option comes within {REVISIT_MARGIN:.0%} of the cheapest in month {close}"
    text += (
        f"; revisit the decision by month {revisit}"
        if revisit
        else "; no revisit needed within the projection"
    )
    return text


def attach_growth(report: Report, wf: WorkloadFile, rate: float | None = None, months: int = MONTHS) -> None:
    """Fill ``growth`` of every workload (``rate`` defaults to the file's ``growth:``).

    Does nothing when neither gives a rate.
    """
    g = wf.growth_per_month if rate is None else rate
    if g is None:
        return
    for wr in report.workloads:
        wr.growth = project(wr, wf, g, months)
