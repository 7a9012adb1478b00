"""Monte Carlo of the monthly cost under uncertain inputs: who is cheapest how often, P10/P50/P90,
and which input moves the total most.

Inputs (``uncertainty:`` in the workload file, each a range [low, high]): ``volume`` and
``tokens_per_request`` and ``throughput`` as multipliers, ``spot_discount_pct`` in percent,
``engineer_hourly_usd`` in USD/hour. Each is drawn from a **triangular** distribution on
[low, high] whose mode is today's value (1 for a multiplier, the file's rate, the option's Spot
discount) when it lies inside the range, else the midpoint: a range around a point estimate, more
likely near it. Inputs are independent. One draw re-prices every option at once
(``reprice.OptionModel.cost`` on arrays), so 10,000 draws cost a few array operations per option.

Sensitivity (per layer, for the recommended option): the one-at-a-time swing — the total at the
input's high end minus at its low end, all others at today's values — ranked by size, with the
Spearman rank correlation between the input and the total over the draws beside it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .._perf import memo
from ..results import (
    Report,
    Sensitivity,
    UncertainInput,
    UncertainOption,
    Uncertainty,
    UncertaintyLayer,
    WorkloadReport,
)
from ..spec.models import WorkloadFile
from .reprice import OptionModel, layers

INPUTS = ("volume", "tokens_per_request", "spot_discount_pct", "engineer_hourly_usd", "throughput")
DRAWS = 10_000


def _ranges(wf: WorkloadFile, spot_today: float | None) -> dict[str, tuple[float, float, float]]:
    """{input: (low, mode, high)} for the inputs the file gives a range for."""
    u = wf.uncertainty
    if u is None:
        return {}
    today = {
        "volume": 1.0,
        "tokens_per_request": 1.0,
        "throughput": 1.0,
        "engineer_hourly_usd": float(wf.team.engineer_hourly_usd),
        "spot_discount_pct": spot_today,
    }
    out = {}
    for name in INPUTS:
        rng = getattr(u, name)
        if rng is None:
            continue
        lo, hi = float(rng[0]), float(rng[1])
        t = today[name]
        mode = t if t is not None and lo <= t <= hi else (lo + hi) / 2
        out[name] = (lo, mode, hi)
    return out


def draw(ranges: dict[str, tuple[float, float, float]], n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    out = {}
    for name in INPUTS:  # fixed order: the same seed gives the same draws
        if name not in ranges:
            continue
        lo, mode, hi = ranges[name]
        out[name] = np.full(n, lo) if hi <= lo else rng.triangular(lo, mode, hi, n)
    return out


def _cost(m: OptionModel, x: Mapping[str, np.ndarray | float], n: int | None = None) -> np.ndarray:
    c = m.cost(
        v=x.get("volume", 1.0),
        t=x.get("tokens_per_request", 1.0),
        theta=x.get("throughput", 1.0),
        spot_pct=x.get("spot_discount_pct"),
        rate=x.get("engineer_hourly_usd"),
    )
    return np.broadcast_to(c, (n,)) if n is not None and c.ndim == 0 else c


def _over(m: OptionModel, x: Mapping[str, np.ndarray | float], n: int) -> np.ndarray:
    """Draws in which the option's traffic passes its quota in force (volume, and tokens for a token quota)."""
    if m.quota is None:
        return np.zeros(n, dtype=bool)
    return np.broadcast_to(m.over_quota(v=x.get("volume", 1.0), t=x.get("tokens_per_request", 1.0)), (n,))


def _rank(a: np.ndarray) -> np.ndarray:
    r = np.empty(a.size)
    r[np.argsort(a, kind="stable")] = np.arange(a.size)
    return r


def _ranks(a: np.ndarray) -> np.ndarray | None:
    """Ranks for a rank correlation, or None for a constant array (no correlation to speak of)."""
    return None if np.ptp(a) == 0 else _rank(a)


@memo(maxsize=64)
def _draws(
    ranges: tuple[tuple[str, tuple[float, float, float]], ...], n: int, seed: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray | None]]:
    """(draws, their ranks) for these ranges: the same for every workload of a file (one seed), so
    drawn and ranked once (sorting 10,000 draws was most of a workload's Monte Carlo). Read-only."""
    x = draw(dict(ranges), n, seed)
    ranks = {name: _ranks(values) for name, values in x.items()}
    for arr in [*x.values(), *ranks.values()]:
        if arr is not None:
            arr.setflags(write=False)
    return x, ranks


def _spearman(x_ranks: np.ndarray | None, y_ranks: np.ndarray | None) -> float:
    if x_ranks is None or y_ranks is None:
        return 0.0
    return float(np.corrcoef(x_ranks, y_ranks)[0, 1])


def analyse(wr: WorkloadReport, wf: WorkloadFile, draws: int = DRAWS, seed: int = 0) -> Uncertainty | None:
    """The Monte Carlo of one workload (None when the file gives no ranges)."""
    if draws < 1:
        raise ValueError("draws must be at least 1")
    out_layers = []
    used: dict[str, tuple[float, float, float]] = {}
    for layer, rec, models in layers(wr, wf):
        spot_today = next((m.spot_pct for m in models if m.spot_pct is not None), None)
        ranges = _ranges(wf, spot_today)
        if not ranges:
            continue
        used.update(ranges)
        x, x_ranks = _draws(tuple(ranges.items()), draws, seed)
        costs = np.vstack([_cost(m, x, draws) for m in models])
        # a draw that puts an option over its quota in force makes it infeasible in that draw
        over = np.vstack([_over(m, x, draws) for m in models])
        winner = np.where(over, np.inf, costs).argmin(axis=0)
        p_over = over.mean(axis=1)
        p = np.bincount(winner, minlength=len(models)) / draws
        q = np.percentile(costs, [10, 50, 90], axis=1)
        options = [
            UncertainOption(
                key=m.key,
                platform=m.platform,
                instance_type=m.instance_type,
                today_usd=round(m.base_total, 2),
                p_cheapest=round(float(p[i]), 4),
                p10_usd=round(float(q[0, i]), 2),
                p50_usd=round(float(q[1, i]), 2),
                p90_usd=round(float(q[2, i]), 2),
                p_over_quota=round(float(p_over[i]), 4),
            )
            for i, m in enumerate(models)
        ]
        target = next((m for m in models if m.key == rec), min(models, key=lambda m: m.base_total))
        ti = models.index(target)
        target_ranks = _ranks(costs[ti])
        sens = []
        for name, (lo, _mode, hi) in ranges.items():
            low = float(_cost(target, {name: lo}))
            high = float(_cost(target, {name: hi}))
            sens.append(
                Sensitivity(
                    input=name,
                    low=lo,
                    high=hi,
                    total_at_low_usd=round(low, 2),
                    total_at_high_usd=round(high, 2),
                    swing_usd=round(abs(high - low), 2),
                    rank_correlation=round(_spearman(x_ranks[name], target_ranks), 3),
                )
            )
        sens.sort(key=lambda s: -s.swing_usd)
        best = max(options, key=lambda o: o.p_cheapest)
        out_layers.append(
            UncertaintyLayer(
                layer=layer,
                recommended=rec,
                options=options,
                sensitivity_for=target.key,
                sensitivity=sens,
                summary=(
                    f"{best.key} is the cheapest in {best.p_cheapest:.0%} of {draws:,} draws; "
                    f"{target.key} costs ${options[ti].p10_usd:,.0f} to ${options[ti].p90_usd:,.0f} a month "
                    f"(P10-P90)"
                    + (f"; {sens[0].input} moves it most (${sens[0].swing_usd:,.0f} swing)" if sens else "")
                    + (
                        f"; {target.key} is over its {target.quota} quota in {p_over[ti]:.0%} of draws "
                        "(infeasible there)"
                        if p_over[ti] > 0
                        else ""
                    )
                ),
            )
        )
    if not out_layers:
        return None
    return Uncertainty(
        draws=draws,
        seed=seed,
        distribution="triangular on [low, high], mode at today's value when inside the range, else the midpoint; "
        "inputs independent",
        inputs={k: UncertainInput(low=v[0], mode=v[1], high=v[2]) for k, v in used.items()},
        layers=out_layers,
    )


def attach_uncertainty(report: Report, wf: WorkloadFile, draws: int = DRAWS, seed: int = 0) -> None:
    """Fill ``uncertainty`` of every workload when the file gives ``uncertainty:`` ranges."""
    if wf.uncertainty is None:
        return
    for wr in report.workloads:
        wr.uncertainty = analyse(wr, wf, draws, seed)
