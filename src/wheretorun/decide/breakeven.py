"""The break-even: the monthly token volume at which self-hosting costs what Bedrock costs.

Read from a workload's report (its options' invoices, re-priced over a grid of volumes by
``simulate.reprice``), after the pick: it explains the answer, it never changes it.
"""

from __future__ import annotations

from .._perf import memo
from ..platforms import traits
from ..results import BreakEven, BreakEvenPoint, WorkloadReport
from ..spec.models import WorkloadFile
from ..units import tokens_text
from .rules import Guideline

BREAKEVEN_RANGE = (1e-3, 1e3)  # multiples of today's volume searched for the crossover
BREAKEVEN_GRID = 2000  # log-spaced volumes: 0.5 % steps


@memo(maxsize=1)  # one grid for the process: it depends on the two constants above only
def _breakeven_grid():
    """Multiples of today's volume searched for the crossover: the same grid for every workload."""
    import numpy as np

    grid = np.geomspace(*BREAKEVEN_RANGE, BREAKEVEN_GRID)
    grid.setflags(write=False)
    return grid


def breakeven(
    wr: WorkloadReport, wf: WorkloadFile, guideline: Guideline, curve: bool
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
    quoted = guideline.summary()
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
            guideline=quoted,
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
            guideline=quoted,
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
        guideline=quoted,
        note=f"{note}; {method}",
    ), points
