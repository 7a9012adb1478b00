"""Re-price a report's options under other inputs, vectorised: the core of growth and Monte Carlo.

An option's monthly cost is split by what drives it, read from each line's typed fields
(``CostComponent.driver``, ``purchase``, ``scales_with``), never from its name:

- lines proportional to ``volume`` scale with the volume multiplier v; lines proportional to
  ``volume`` and ``tokens`` with v x t (t = tokens-per-request multiplier);
- ``engineer_rate`` lines (engineering time) scale with rate / the file's rate;
- a self-hosted fleet's ``time`` lines (its replica-hours; ``Option.fleet`` has
  ``per_replica_rps`` and ``hourly_usd``) step up in whole replicas: its peak need is peak
  requests/s x m / (per-replica requests/s x target utilisation), m = v (x t for a GPU model
  server) / throughput multiplier, and its replica-hours scale with max(min_replicas, ceil(need))
  relative to today's; bought on Spot (``purchase``), its hourly price scales with
  (1 - discount) / (1 - today's discount);
- a batch fleet's ``time`` lines (their hours follow ``volume``) also follow m;
- everything else is fixed (load balancer hours, a cluster's control plane, ...).

At today's inputs every option re-prices to its report total exactly (the multipliers are 1).
Money here is float64 (a projection, not an invoice); figures are rounded to cents when shown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..results import Option, WorkloadReport
from ..spec.models import WorkloadFile


@dataclass
class OptionModel:
    key: str
    platform: str
    instance_type: str | None
    layer: str
    base_total: float
    fixed: float
    volume: float  # x v
    volume_tokens: float  # x v t
    ops_rate: float  # x rate / base rate
    batch_fleet: float  # x m (volume-scaled fleet lines)
    fleet: float  # replica-hours x hourly today (always-on/autoscaled fleets)
    peak_need: float  # replicas needed at peak today, before rounding up (at target utilisation)
    min_replicas: int
    uses_gpu: bool
    spot_pct: float | None  # today's Spot discount when the option is priced on Spot
    base_rate: float
    #: A quota the option runs into as volume grows (Lambda concurrency, a Bedrock model's tokens):
    #: its name, and the volume multipliers at which the traffic's busiest minute (or day) reaches the
    #: quota in force (the default raised by preferences.quota_increase) and the default quota.
    quota: str | None = None
    headroom: float = math.inf
    default_headroom: float = math.inf
    quota_tokens: bool = False  # the quota counts tokens: its load is volume x tokens per request

    def quota_load(self, v: np.ndarray | float = 1.0, t: np.ndarray | float = 1.0) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        return v * np.asarray(t, dtype=np.float64) if self.quota_tokens else v

    def over_quota(self, v: np.ndarray | float = 1.0, t: np.ndarray | float = 1.0) -> np.ndarray:
        """True where the load exceeds the quota in force: requests would be throttled or dropped, so
        the option is infeasible there (the simulator's rule, scaled: peak x load > quota)."""
        return self.quota_load(v, t) > self.headroom * (1 + 1e-9)

    def cost(
        self,
        v: np.ndarray | float = 1.0,
        t: np.ndarray | float = 1.0,
        theta: np.ndarray | float = 1.0,
        spot_pct: np.ndarray | float | None = None,
        rate: np.ndarray | float | None = None,
    ) -> np.ndarray:
        """Monthly total (USD) at volume x v, tokens x t, throughput x theta, Spot discount, engineer rate."""
        v = np.asarray(v, dtype=np.float64)
        t = np.asarray(t, dtype=np.float64)
        theta = np.asarray(theta, dtype=np.float64)
        load = v * (t if self.uses_gpu else 1.0) / theta
        total = self.fixed + self.volume * v + self.volume_tokens * v * t + self.batch_fleet * load
        if rate is not None and self.base_rate > 0:
            total = total + self.ops_rate * (np.asarray(rate, dtype=np.float64) / self.base_rate)
        else:
            total = total + self.ops_rate
        if self.fleet:
            total = total + self.fleet * self.fleet_factor(load) * self.spot_factor(spot_pct)
        shape = np.broadcast(v, t, theta).shape
        if isinstance(total, np.ndarray) and total.shape == shape:
            return total  # already a new float64 array of the inputs' shape: no copy needed
        return np.broadcast_to(total, shape).astype(np.float64)

    def fleet_factor(self, load: np.ndarray) -> np.ndarray:
        """Replica-hours relative to today's when the load is x ``load`` (whole replicas)."""
        today = max(self.min_replicas, math.ceil(self.peak_need - 1e-9), 1)
        need = np.maximum(np.ceil(self.peak_need * load - 1e-9), max(self.min_replicas, 1))
        return need / today

    def spot_factor(self, spot_pct: np.ndarray | float | None) -> np.ndarray | float:
        if spot_pct is None or self.spot_pct is None or self.spot_pct >= 100:
            return 1.0
        return (100.0 - np.asarray(spot_pct, dtype=np.float64)) / (100.0 - self.spot_pct)


def option_key(o: Option) -> str:
    return f"{o.platform} ({o.instance_type})" if o.instance_type else o.platform


def model_option(o: Option, wr: WorkloadReport, wf: WorkloadFile) -> OptionModel | None:
    """The re-pricing model of one feasible option (None for an infeasible or unpriced one)."""
    if not o.feasible or o.monthly_cost_usd is None:
        return None
    fixed = volume = volume_tokens = ops_rate = batch_fleet = fleet = 0.0
    ex = o.fleet
    self_hosted = ex is not None
    spot = any(c.purchase == "spot" for c in o.cost_components)
    for c in o.cost_components:
        m = float(c.monthly_usd)
        sw = set(c.scales_with)
        if c.driver == "engineer_rate":
            ops_rate += m
        elif c.driver == "time" and self_hosted:
            # the fleet's replica-hours: a batch fleet's follow the work, the others the peak need
            if "volume" in sw:
                batch_fleet += m
            else:
                fleet += m
        elif "volume" in sw and "tokens" in sw:
            volume_tokens += m
        elif "volume" in sw:
            volume += m
        else:
            fixed += m
    peak_need = 0.0
    min_replicas = ex.min_replicas if ex else 0
    if fleet and ex is not None:
        rps = ex.per_replica_rps
        peak_rps = wr.usage.peak_requests_per_s
        if rps > 0:
            peak_need = peak_rps / (rps * wf.preferences.target_utilisation)
        if peak_need <= 0:
            peak_need = float(ex.peak_replicas)
    return OptionModel(
        key=option_key(o),
        platform=o.platform,
        instance_type=o.instance_type,
        layer=o.layer,
        base_total=float(o.monthly_cost_usd.total),
        fixed=fixed,
        volume=volume,
        volume_tokens=volume_tokens,
        ops_rate=ops_rate,
        batch_fleet=batch_fleet,
        fleet=fleet,
        peak_need=peak_need,
        min_replicas=min_replicas,
        uses_gpu=bool(o.uses_gpu),
        spot_pct=ex.spot_discount_pct if spot and ex is not None else None,
        base_rate=float(wf.team.engineer_hourly_usd),
        quota=o.quota.quota_name if o.quota else None,
        headroom=o.quota.quota_headroom if o.quota else math.inf,
        default_headroom=o.quota.quota_default_headroom if o.quota else math.inf,
        quota_tokens=bool(o.quota and o.quota.quota_counts_tokens),
    )


def layers(wr: WorkloadReport, wf: WorkloadFile) -> list[tuple[str, str | None, list[OptionModel]]]:
    """[(layer, recommended option key, option models)] for the workload's layers with a priced option."""
    out = []
    groups: list[tuple[list[Option], str | None, str | None]] = [
        (wr.options, wr.recommendation.platform, wr.recommendation.instance_type)
    ]
    if wr.model_options:
        groups.append(
            (wr.model_options, wr.recommendation.model_platform, wr.recommendation.model_instance_type)
        )
    for opts, pid, itype in groups:
        models = [m for m in (model_option(o, wr, wf) for o in opts) if m is not None]
        if not models:
            continue
        rec = next((m.key for m in models if m.platform == pid and m.instance_type == itype), None)
        if rec is None:
            rec = next((m.key for m in models if m.platform == pid), None)
        out.append((models[0].layer, rec, models))
    return out
