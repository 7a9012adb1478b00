"""How close is the call? The break-even values of the inputs that decide each recommendation.

For each layer, the pick is compared with the runner-up (the cheapest other eligible option) on
two inputs (issue 15):

- the runner-up's marginal upkeep: its engineering lines are hours x rate x the team's factor,
  linear in the hours, so the value at which its total equals the pick's is solved exactly:
  u* = u - gap / (rate x factor);
- volume: both options are re-priced at volume x v by ``simulate.reprice`` (the model growth and
  Monte Carlo use: volume lines linear in v, fleets in whole replicas, i.e. piecewise linear with
  steps). The crossing nearest today's volume is bracketed on a log grid of ``GRID`` multiples
  (one vectorised evaluation) and the bracket narrowed ``ROUNDS`` times the same way, to a
  relative width of (1/``GRID``)^``ROUNDS`` of the grid step: no per-point loop, so a 10,000-workload
  file pays a few vectorised evaluations per workload. At a replica step the crossing is the step.

Only the pick and the runner-up are compared (another option could overtake both first; the
ranking in the trace gives every total at today's inputs).
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from ..results import Option, SharedCost, TraceStep, WorkloadReport
from ..simulate.reprice import OptionModel, model_option
from ..spec.models import WorkloadFile
from .portfolio import candidates, line_key, shared_keys, shared_lines

RANGE = (1e-3, 1e3)  # volume multiples searched, as for the token break-even
GRID = 64
ROUNDS = 4


def _upkeep(o: Option) -> tuple[float, float] | None:
    """(hours/month of marginal upkeep, $ per hour after the team factor) from ``o``'s invoice."""
    c = next(
        (c for c in o.cost_components if c.driver == "engineer_rate" and c.name == "Engineering upkeep"), None
    )
    if c is None or c.quantity <= 0 or o.ops_profile is None:
        return None
    factor = o.ops_profile.capacity_factor
    return float(c.quantity) / factor, float(c.unit_price_usd) * factor


def in_file(o: Option, opened: frozenset[str]) -> Decimal:
    """What ``o`` adds to the file's total: its invoice less the shared lines the file pays anyway."""
    assert o.monthly_cost_usd is not None
    paid = sum((c.monthly_usd for c in shared_lines(o) if line_key(c) in opened), Decimal(0))
    return o.monthly_cost_usd.total - paid


def upkeep_break_even(pick: Option, runner: Option, opened: frozenset[str] = frozenset()) -> float | None:
    """The runner-up's marginal upkeep (h/month) at which it adds as much to the file as ``pick``
    (``opened``: the shared lines the file pays anyway); None when no upkeep of zero or more does."""
    up = _upkeep(runner)
    if up is None or pick.monthly_cost_usd is None or runner.monthly_cost_usd is None:
        return None
    hours, per_hour = up
    gap = float(in_file(runner, opened) - in_file(pick, opened))
    value = hours - gap / per_hour
    return value if value >= 0 else None


def _crossing(diff, lo: float, hi: float) -> float | None:
    """The multiple nearest to 1 in [lo, hi] where ``diff`` (vectorised) changes sign, or None."""
    xs = np.geomspace(lo, hi, GRID)
    d = diff(xs)
    sign = np.sign(d)
    flips = np.nonzero(sign[:-1] * sign[1:] <= 0)[0]
    if not len(flips):
        return None
    a, b = xs[flips[0]], xs[flips[0] + 1]  # the flip nearest today's volume (xs starts at 1)
    for _ in range(ROUNDS):
        xs = np.linspace(a, b, GRID)
        d = diff(xs)
        sign = np.sign(d)
        k = np.nonzero(sign[:-1] * sign[1:] <= 0)[0]
        if not len(k):
            break
        a, b = xs[k[0]], xs[k[0] + 1]
    return float((a + b) / 2)


def volume_break_even(
    pick: OptionModel, runner: OptionModel, offset: float = 0.0
) -> tuple[float | None, float | None]:
    """(multiple below today, multiple above today) of volume at which ``runner`` costs no more
    than ``pick`` (None where it never does in ``RANGE``); ``offset`` is added to the runner's cost
    (less the shared lines the file pays anyway, more those it would pay for ``pick``)."""

    def diff(v: np.ndarray) -> np.ndarray:
        return runner.cost(v) + offset - pick.cost(v)

    return _crossing(diff, 1.0, RANGE[0]), _crossing(diff, 1.0, RANGE[1])


def close_call_steps(
    w: WorkloadReport, wf: WorkloadFile, opened: frozenset[str] = frozenset()
) -> list[TraceStep]:
    """One trace step per layer: how far the inputs must move for the runner-up to win, in what
    each adds to the file's total (``opened``: the price keys of the file's shared costs)."""
    out = []
    layers = [(w.options, w.chosen, "")]
    if w.model_options:
        layers = [(w.options, w.chosen, "[orchestration] "), (w.model_options, w.chosen_model, "[model] ")]
    rps = w.usage.mean_requests_per_s if w.usage else None
    for options, pick, prefix in layers:
        if pick is None or pick.monthly_cost_usd is None:
            continue
        others = [o for o in candidates(options) if o is not pick and o.platform != pick.platform]
        if not others:
            continue
        runner = min(others, key=lambda o: in_file(o, opened))
        parts = []
        u = upkeep_break_even(pick, runner, opened)
        today = _upkeep(runner)
        if u is not None and today is not None:
            parts.append(f"its marginal upkeep were under {u:,.3g} h/month (today {today[0]:,.3g})")
        pm, rm = model_option(pick, w, wf), model_option(runner, w, wf)
        if pm is not None and rm is not None:
            offset = float(
                (in_file(runner, opened) - runner.monthly_cost_usd.total)  # type: ignore[union-attr]
                - (in_file(pick, opened) - pick.monthly_cost_usd.total)
            )
            below, above = volume_break_even(pm, rm, offset)
            for v, word in ((above, "above"), (below, "below")):
                if v is not None:
                    rate = f" ({rps * v:,.3g} req/s)" if rps else ""
                    parts.append(f"volume were {word} {v:,.3g}x today's{rate}")
        gap = in_file(runner, opened) - in_file(pick, opened)
        out.append(
            TraceStep(
                question=f"{prefix}How close is the call?",
                answer=f"${gap:,.2f}/month ahead of {runner.platform}",
                because=(
                    f"{runner.platform} would win if " + ", or ".join(parts)
                    if parts
                    else f"no upkeep or volume in x{RANGE[0]:g}-x{RANGE[1]:g} makes {runner.platform} win"
                )
                + " (re-priced exactly; other inputs as today).",
            )
        )
    return out


def add_close_calls(reports: list[WorkloadReport], wf: WorkloadFile, shared: list[SharedCost]) -> None:
    """Each workload's close-call steps, put before its token break-even step (the trace's last,
    when there is one: ``engine.recommend_workload``)."""
    opened = shared_keys(shared)
    for r in reports:
        at = len(r.trace) - (1 if r.breakeven is not None and r.breakeven.note else 0)
        r.trace[at:at] = close_call_steps(r, wf, opened)
