"""The organisation's view: costs shared by a file's workloads counted once, and the joint placement.

Some lines of an option's invoice are not the workload's own: the platform's fixed engineering
(``engineering-fixed/<profile>``: pipeline, cluster, dashboards, on-call rota) and the EKS control
plane (``eks/control-plane``: one cluster serves every workload of the file). Each workload is
first placed as if alone (``engine.choose``: those lines included); the file then pays each shared
line once, for every platform at least one workload uses (docs/engineering-cost.md).

Joint placement chooses every workload's platform to minimise the file's total: the workloads' own
costs plus the shared lines of the platforms opened. This is an uncapacitated facility-location
problem with few facilities (one per shared line: at most a dozen), so it is solved exactly by
enumerating the sets of shared lines paid ("opened"): given a set, each workload independently takes
its cheapest option whose shared lines are all in the set. The sets are walked depth first, each
step adding one line and taking the element-wise minimum with the options it allows, so a set costs
one pass over the (deduplicated) workloads: 2^12 passes over 10,000 workloads is well under a second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from ..invoice import construct
from ..platforms.base import FIXED_ENGINEERING_KEY
from ..results import CostComponent, Option, Portfolio, SharedCost, WorkloadReport

#: ``engine.choose`` marks options the rules exclude with a note starting with this.
NOT_RECOMMENDED = "not recommended: "
#: Lines besides fixed engineering that one cluster or account shares: price_key -> platform.
#: (The VPC's NAT gateways and interface endpoints carry their own ``shared_key``: ``line_key``.)
SHARED_INFRA_KEYS = {"eks/control-plane": "eks-ec2"}


def line_key(c: CostComponent) -> str | None:
    """What a line is shared as, once per file, or None for the workload's own lines: the line's
    ``shared_key`` (the VPC's NAT gateways and interface endpoints: ``platforms.network``), else the
    price key of a platform's fixed engineering or of a cluster (``SHARED_INFRA_KEYS``)."""
    if c.shared_key is not None:
        return c.shared_key
    key = c.price_key
    if key is not None and (key.startswith(FIXED_ENGINEERING_KEY) or key in SHARED_INFRA_KEYS):
        return key
    return None


def shared_lines(o: Option) -> list[CostComponent]:
    """The lines of an option's invoice paid once per file rather than by the workload."""
    return [c for c in o.cost_components if line_key(c) is not None]


def shared_keys(costs: list[SharedCost]) -> frozenset[str]:
    """The keys (``line_key``) of the lines a file pays once."""
    return frozenset(k for s in costs for c in s.cost_components if (k := line_key(c)) is not None)


def own_cost(o: Option) -> tuple[Decimal, Decimal]:
    """(infra, ops) of an option without its shared lines: what the workload itself adds."""
    assert o.monthly_cost_usd is not None
    infra, ops = o.monthly_cost_usd.infra, o.monthly_cost_usd.ops
    for c in shared_lines(o):
        if c.kind == "ops":
            ops -= c.monthly_usd
        else:
            infra -= c.monthly_usd
    return infra, ops


def shared_platform(key: str, users: dict[str, list[str]]) -> str:
    """The platform a shared line is listed under: its own for fixed engineering and clusters; for
    the VPC's lines, the first platform (registry order) of the workloads that use them."""
    if key.startswith(FIXED_ENGINEERING_KEY):
        return key[len(FIXED_ENGINEERING_KEY) :].split(":")[0]
    if key in SHARED_INFRA_KEYS:
        return SHARED_INFRA_KEYS[key]
    return users[key][0]


def candidates(options: list[Option]) -> list[Option]:
    """The options a workload may be placed on: feasible and not excluded by the rules (or, when the
    rules exclude every feasible one, all feasible ones: ``engine.choose`` does the same)."""
    feasible = [o for o in options if o.feasible and o.monthly_cost_usd is not None]
    eligible = [o for o in feasible if not any(n.startswith(NOT_RECOMMENDED) for n in o.notes)]
    return eligible or feasible


@dataclass
class Slot:
    """One placement decision: a workload's platform, or its model layer's."""

    workload: int
    layer: str  # "platform" | "model"
    options: list[Option]
    standalone: str | None  # the platform placed as if alone
    keys: list[frozenset[str]] = field(default_factory=list)  # per option, its shared lines


def slots_of(reports: list[WorkloadReport]) -> list[Slot]:
    out = []
    for i, wr in enumerate(reports):
        rec = wr.recommendation
        for layer, options, pick in (
            ("platform", wr.options, rec.platform),
            ("model", wr.model_options, rec.model_platform),
        ):
            cands = candidates(options)
            if pick is None or pick == "none" or not cands:
                continue
            s = Slot(i, layer, cands, pick)
            s.keys = [
                frozenset(k for c in o.cost_components if (k := line_key(c)) is not None) for o in cands
            ]
            out.append(s)
    return out


def fixed_costs(slots: list[Slot]) -> dict[str, CostComponent]:
    """Each shared line once, by ``line_key`` (the same for every workload of one file: team, rates
    and prices are per file; a VPC's NAT gateways are the first workload's, for its zone count)."""
    lines: dict[str, CostComponent] = {}
    for s in slots:
        for o in s.options:
            for c in o.cost_components:
                if (key := line_key(c)) is not None:
                    lines.setdefault(key, c)
    return lines


@dataclass
class Placement:
    picks: list[str]  # per slot, the platform
    opened: frozenset[str]
    total: Decimal


def file_total(slots: list[Slot], picks: list[str], fixed: dict[str, CostComponent]) -> Placement:
    """The file's total for one platform per slot: own costs + each opened shared line once."""
    total = Decimal(0)
    opened: set[str] = set()
    for s, p in zip(slots, picks, strict=True):
        k = next(j for j, o in enumerate(s.options) if o.platform == p)
        total += sum(own_cost(s.options[k]), Decimal(0))
        opened |= s.keys[k]
    total += sum((fixed[key].monthly_usd for key in opened), Decimal(0))
    return Placement(list(picks), frozenset(opened), total)


def joint(slots: list[Slot], fixed: dict[str, CostComponent], rank: dict[str, int]) -> Placement:
    """The placement of least file total (exact: every set of shared lines is tried).

    Ties keep a slot's standalone platform, then the platform listed first (``rank``)."""
    if not slots:
        return Placement([], frozenset(), Decimal(0))
    keys = sorted(fixed)
    bit = {k: 1 << j for j, k in enumerate(keys)}
    # groups: distinct sets of shared lines an option needs (as bit masks)
    group_masks = sorted({sum(bit[k] for k in ks) for s in slots for ks in s.keys})
    gi = {m: j for j, m in enumerate(group_masks)}
    cost = np.full((len(slots), len(group_masks)), np.inf)
    for r, s in enumerate(slots):
        for o, ks in zip(s.options, s.keys, strict=True):
            g = gi[sum(bit[k] for k in ks)]
            cost[r, g] = min(cost[r, g], float(sum(own_cost(o), Decimal(0))))
    rows, weight = np.unique(cost, axis=0, return_counts=True)
    fixed_f = [float(fixed[k].monthly_usd) for k in keys]
    start_groups = [g for g, gm in enumerate(group_masks) if gm == 0]
    m0 = rows[:, start_groups].min(axis=1) if start_groups else np.full(len(rows), np.inf)
    # depth first over the sets of shared lines (an explicit stack: no self-referencing closure,
    # whose reference cycle would outlive the call; tests/decide/test_inventory.py counts them),
    # branch and bound: a set's total, and every larger set's, is at least its fixed lines plus each
    # slot at its cheapest option over all groups (``floor``), so a set whose bound is no better
    # than the best found is skipped with everything above it. The bound never skips a set that
    # would replace the best (that needs total < best, and total >= bound >= best), so the optimum is
    # the full enumeration's, in far fewer steps (2^17 sets with NAT gateways and endpoints beside a
    # dozen platforms' fixed engineering: 2.6 s for a four-workload file before). The best starts as
    # the placement as if alone, which the file can always have: among placements of equal total the
    # standalone one is kept, so a workload moves only for a file total strictly lower.
    floor = float(weight @ rows.min(axis=1))
    alone = file_total(slots, [s.standalone for s in slots], fixed)  # type: ignore[misc]
    best = (float(alone.total), sum(bit[k] for k in alone.opened))
    stack = [(0, 0, m0, 0.0)]
    while stack:
        mask, start, m, fixed_sum = stack.pop()
        if fixed_sum + floor >= best[0]:
            continue
        total = fixed_sum + float(weight @ m) if np.isfinite(m).all() else np.inf
        if total < best[0] - 1e-9 * max(1.0, abs(total)):
            best = (total, mask)
        for j in range(start, len(keys)):
            if fixed_sum + fixed_f[j] + floor >= best[0]:
                continue
            new_mask = mask | (1 << j)
            newly = [g for g, gm in enumerate(group_masks) if gm & (1 << j) and gm & ~new_mask == 0]
            m2 = np.minimum(m, rows[:, newly].min(axis=1)) if newly else m
            stack.append((new_mask, j + 1, m2, fixed_sum + fixed_f[j]))
    mask = best[1]
    picks = []
    for s in slots:
        allowed = [
            (
                float(sum(own_cost(o), Decimal(0))),
                o.platform != s.standalone,
                rank.get(o.platform, 99),
                o.platform,
            )
            for o, ks in zip(s.options, s.keys, strict=True)
            if sum(bit[k] for k in ks) & ~mask == 0
        ]
        low = min(a[0] for a in allowed)
        near = [a for a in allowed if a[0] <= low + 1e-9 * max(1.0, abs(low))]
        picks.append(min(near, key=lambda a: a[1:])[3])
    return file_total(slots, picks, fixed)


def moved_because(alone: Option, joint: Option) -> str:
    """Why the joint placement differs: the shared lines the file pays once (``decide.portfolio``)."""
    a_own = sum(own_cost(alone), Decimal(0))
    j_own = sum(own_cost(joint), Decimal(0))
    paid = ", ".join(f"{c.name} ${c.monthly_usd:,.2f}" for c in shared_lines(joint)) or "none"
    a_shared = sum((c.monthly_usd for c in shared_lines(alone)), Decimal(0))
    head = (
        f"alone it would run on {alone.platform} (${alone.monthly_cost_usd.total:,.2f}/month, "  # type: ignore[union-attr]
        f"${a_shared:,.2f} of it {alone.platform}'s shared lines); in this file {joint.platform}'s shared lines "
        f"({paid}) are paid once for the workloads on it, "
    )
    if j_own <= a_own:
        why = (
            f"and {joint.platform} costs this workload less of its own (${j_own:,.2f} vs ${a_own:,.2f}/month)"
        )
    else:
        why = (
            f"so {joint.platform} adds ${j_own:,.2f}/month against ${a_own:,.2f} on {alone.platform} plus "
            f"{alone.platform}'s shared lines, which no other workload of the joint placement needs"
        )
    return head + why + "; the joint placement minimises the file's total (see portfolio)"


def place_jointly(
    reports: list[WorkloadReport],
    answer_forced: Callable[[int, dict[str, str]], WorkloadReport],
    rank: dict[str, int],
) -> tuple[list[WorkloadReport], list[SharedCost], Portfolio]:
    """The file's workloads placed together (``decide.portfolio.joint``): workloads that move are
    answered again with their joint platform (so pattern, summary and analyses follow it), and the
    shared lines of the platforms in use are counted once."""
    slots = slots_of(reports)
    fixed = fixed_costs(slots)
    alone = file_total(slots, [s.standalone for s in slots], fixed)  # type: ignore[misc]
    best = joint(slots, fixed, rank)
    force: dict[int, dict[str, str]] = {}
    for s, p in zip(slots, best.picks, strict=True):
        if p != s.standalone:
            force.setdefault(s.workload, {})[s.layer] = p
    reports = list(reports)
    for i, f in force.items():
        reports[i] = answer_forced(i, f)
    users: dict[str, list[str]] = {}  # shared key -> the platforms placed on that use it, in rank order
    for s, p in sorted(zip(slots, best.picks, strict=True), key=lambda sp: rank.get(sp[1], 99)):
        for key in s.keys[next(j for j, o in enumerate(s.options) if o.platform == p)]:
            users.setdefault(key, []).append(p)
    shared = [
        construct(
            SharedCost,
            name=fixed[key].name,
            platform=shared_platform(key, users),
            kind=fixed[key].kind,
            monthly_usd=fixed[key].monthly_usd,
            cost_components=[fixed[key]],
        )
        for key in sorted(best.opened, key=lambda k: (rank.get(shared_platform(k, users), 99), k))
    ]
    folio = construct(
        Portfolio,
        standalone_total_usd=alone.total,
        joint_total_usd=best.total,
        moved=[reports[i].name for i in sorted(force)],
    )
    return reports, shared, folio
