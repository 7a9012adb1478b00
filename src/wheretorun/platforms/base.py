"""The shape every platform module shares, and the invoice helpers they all use.

A platform module (``platforms/<id>.py``) answers the same four questions, infracost-style:

- ``limits(ctx) -> list[Blocker]``: the hard limits this workload breaks, each with its number;
- ``price(ctx) -> Priced``: itemised cost components (names price keys, never holds a price);
- ``OPS_PROFILE`` / ``ops_key(ctx)``: which engineering profile of the catalog applies;
- ``latency(ctx, priced) -> LatencyProfile``: cold start and scale-out time.

``assess(module, ctx)`` turns those answers into one ``Option`` of the report.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from types import ModuleType
from typing import Any, TypeVar

from pydantic import BaseModel

from ..catalog.store import Catalog, PriceRef
from ..report.model import Blocker, CostComponent, LatencyProfile, MonthlyCost, OpsProfile, Option
from ..spec.models import WorkloadFile
from ..units import money
from .usage import Usage

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
_object_setattr = object.__setattr__


def construct(cls: type[M], **values: Any) -> M:
    """``cls.model_construct(**values)`` without its per-field bookkeeping, for values of *every*
    field (anything less falls back to ``model_construct``, which fills in defaults).

    The same object: ``__dict__`` in field order, every field set, no extra, no private state (the
    report models have none). For the hot path only: invoice lines, options and trace steps built
    here from validated parts, thousands of them for an inventory.
    """
    fields = cls.__pydantic_fields__
    if len(values) != len(fields):
        return cls.model_construct(**values)
    m = cls.__new__(cls)
    _object_setattr(m, "__dict__", {name: values[name] for name in fields})
    _object_setattr(m, "__pydantic_fields_set__", set(fields))
    _object_setattr(m, "__pydantic_extra__", None)
    _object_setattr(m, "__pydantic_private__", None)
    return m


@dataclass
class Context:
    """Everything a platform may look at for one workload layer.

    ``memo`` holds what depends only on the catalog and the workload file, never on the workload:
    price references, the priced instance candidates, one replica-hour's invoice lines. The engine
    gives every Context of one ``recommend`` call the same dict (one catalog, one file), so an
    inventory of thousands of workloads computes each once; it lives as long as that call. Keys
    name everything else the value depends on. Values are shared: never mutate them.
    """

    usage: Usage
    wf: WorkloadFile
    catalog: Catalog
    layer: str  # "orchestration" | "model"
    file: str = "<input>"
    memo: dict[tuple, Any] = field(default_factory=dict, repr=False)
    #: What several platforms of this one workload layer share (ECS and EKS run the same fleet); one
    #: Context serves all the platforms of a layer (``decide.engine.assess_all``). Shared: never mutate.
    local: dict[tuple, Any] = field(default_factory=dict, repr=False)

    def shared(self, key: tuple, compute: Callable[[], T]) -> T:
        """``compute()``, once per ``recommend`` call for ``key`` (see ``memo``)."""
        try:
            return self.memo[key]
        except KeyError:
            value = self.memo[key] = compute()
            return value

    def per_layer(self, key: tuple, compute: Callable[[], T]) -> T:
        """``compute()``, once for this workload layer (see ``local``)."""
        try:
            return self.local[key]
        except KeyError:
            value = self.local[key] = compute()
            return value

    def price(self, key: str) -> PriceRef:
        """``catalog.price(key)``, looked up once per ``recommend`` call."""
        return self.shared(("price", key), lambda: self.catalog.price(key))

    @property
    def workload(self):  # type: ignore[no-untyped-def]
        return self.usage.workload

    @property
    def prefs(self):  # type: ignore[no-untyped-def]
        return self.wf.preferences

    @property
    def model(self):  # type: ignore[no-untyped-def]
        return self.usage.model

    @property
    def is_model_layer(self) -> bool:
        return self.layer == "model"


@dataclass
class Priced:
    components: list[CostComponent]
    instance_type: str | None = None
    instances: float | None = None
    notes: list[str] = field(default_factory=list)
    soft_warnings: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    uses_gpu: bool = False
    latency: LatencyProfile | None = None


class Infeasible(Exception):
    """Raised by ``price`` when pricing discovers a hard limit (e.g. no instance holds the model)."""

    def __init__(self, blockers: list[Blocker], extras: dict[str, Any] | None = None):
        self.blockers = blockers
        #: what pricing found before the limit (e.g. the requests a quota would throttle), kept on
        #: the infeasible option so that the JSON reports the counts, not only the blocker's text
        self.extras = extras or {}
        super().__init__("; ".join(str(b) for b in blockers))


# ---- invoice lines ------------------------------------------------------------------------------
def line(
    name: str,
    ref: PriceRef,
    quantity: float | Decimal,
    *,
    scales_with: Iterable[str] = (),
    note: str | None = None,
    kind: str = "infra",
    unit_price: Decimal | None = None,
) -> CostComponent:
    """One invoice line: quantity (in the price's unit) x unit price."""
    q = money(quantity)
    price = ref.value if unit_price is None else unit_price
    notes = [n for n in (note, ref.override_note) if n]
    # built without re-validation: every field is computed here from validated inputs (hot path)
    return construct(
        CostComponent,
        name=name,
        unit=ref.unit,
        quantity=q,
        unit_price_usd=price,
        monthly_usd=amount(q * price),
        price_key=ref.key,
        source=ref.source,
        as_of=ref.as_of.isoformat(),
        verified=ref.verified,
        note="; ".join(notes) or None,
        kind=kind,
        scales_with=list(scales_with),
    )


#: Invoice amounts are kept to 1e-12 USD: far below a cent, and fixed-point so that lines add up
#: exactly within Decimal's 28 significant digits (a float-derived quantity times a 12-digit price
#: can exceed them, and sums of mixed magnitudes would then round differently).
AMOUNT_PLACES = Decimal("1e-12")


def amount(value: Decimal) -> Decimal:
    return value.quantize(AMOUNT_PLACES)


def _short(n: Decimal) -> str:
    """6000000000 -> '6B', 300 -> '300' (for tier names, as infracost writes them)."""
    v = float(n)
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if v >= div:
            return f"{v / div:g}{suffix}"
    return f"{v:g}"


def tiered_lines(
    name: str, variant: str, ref: PriceRef, quantity: float | Decimal, unit_abbrev: str, **kw: Any
) -> list[CostComponent]:
    """Split a monthly quantity across the price's usage tiers: one line per tier used.

    Names follow infracost: ``Duration (x86, first 6B GB-s)``, ``(next 9B GB-s)``, ``(over 15B GB-s)``.
    """
    q = money(quantity)
    if not ref.tiers or len(ref.tiers) == 1:
        return [line(f"{name} ({variant})", ref, q, **kw)]
    out = []
    lower = Decimal(0)
    for i, tier in enumerate(ref.tiers):
        if tier.up_to is None:
            used = q - lower
            label = f"over {_short(lower)} {unit_abbrev}"
        else:
            used = min(q, tier.up_to) - lower
            label = (
                f"first {_short(tier.up_to)} {unit_abbrev}"
                if i == 0
                else f"next {_short(tier.up_to - lower)} {unit_abbrev}"
            )
        if used > 0 or i == 0:
            out.append(
                line(f"{name} ({variant}, {label})", ref, max(used, Decimal(0)), unit_price=tier.price, **kw)
            )
        if tier.up_to is None or q <= tier.up_to:
            break
        lower = tier.up_to
    return out


# ---- shared judgements ----------------------------------------------------------------------
def gpu_need(usage: Usage, wf: WorkloadFile) -> tuple[bool, str]:
    """Does the model layer need an accelerator? Seed 1, question 2: generative models above 1B do."""
    w = usage.workload
    m = usage.model
    if w.gpu == "required":
        return True, "gpu: required in the workload file"
    if w.gpu == "none":
        return False, "gpu: none in the workload file"
    if m is None:
        return False, "no model is served in this layer"
    threshold = wf.preferences.gpu_params_threshold_b
    if m.weights == "proprietary":
        return (
            True,
            f"{m.label} is a proprietary model: it runs on its provider's accelerators, behind an API",
        )
    if m.params_b is None:
        return m.kind == "generative", f"{m.label}: size unknown; generative models are assumed to need a GPU"
    if m.kind == "generative":
        if m.params_b > threshold:
            return True, (
                f"{m.label} is a generative model of {m.params_b:g}B parameters, above the "
                f"{threshold:g}B threshold (preference gpu_params_threshold_b; seed 1: '>1B params needs GPU')"
            )
        return (
            False,
            f"{m.label} is a generative model of {m.params_b:g}B parameters, at or below {threshold:g}B",
        )
    if m.params_b < 0.5:
        return (
            False,
            f"{m.label} is {_article(m.kind)} {m.kind} of {m.params_b * 1000:g}M parameters (< 500M run fine on CPU, seed 1)",
        )
    return (
        True,
        f"{m.label} is {_article(m.kind)} {m.kind} of {m.params_b:g}B parameters (>= 500M: GPU for production latency)",
    )


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def blocker(ctx: Context, limit_key: str, needs: str, *, label: str | None = None) -> Blocker:
    """A Blocker citing a catalog limit."""
    lim = ctx.catalog.limit(limit_key)
    return construct(
        Blocker,
        limit=label or f"{lim.description[:1].upper()}{lim.description[1:]} [{limit_key}]",
        value=f"{lim.value:,g} {lim.unit}",
        workload_needs=needs,
        source=f"{lim.source}, checked {lim.as_of.isoformat()}",
    )


def fact_blocker(limit: str, value: str, needs: str, source: str | None = None) -> Blocker:
    """A Blocker for a structural fact (no GPU, does not host weights) rather than a numeric quota."""
    return construct(Blocker, limit=limit, value=value, workload_needs=needs, source=source)


_OPS_CACHE: dict[tuple, tuple[list[CostComponent], OpsProfile]] = {}

#: ``price_key`` prefix of the engineering lines paid once per file (``decide.portfolio``).
FIXED_ENGINEERING_KEY = "engineering-fixed/"


def ops_lines(ctx: Context, profile_key: str) -> tuple[list[CostComponent], OpsProfile]:
    """Engineering cost lines as if the workload were alone on the platform: the platform's fixed
    work (one line per fixed part, ``price_key`` ``engineering-fixed/<profile>``: counted once per
    file by ``decide.portfolio``) and this workload's marginal setup, upkeep and on-call; hours x
    the team's hourly rate x its capacity factor (docs/engineering-cost.md).

    The same for every workload of a team, so computed once per (profile, team, overrides): the
    returned lines are shared and must not be mutated.
    """
    override = ctx.wf.engineering.get(profile_key.split(":")[0])
    key = (
        id(ctx.catalog.engineering),
        profile_key,
        override.model_dump_json() if override else None,
        ctx.wf.team.ops_capacity,
        ctx.wf.team.engineer_hourly_usd,
        tuple(ctx.wf.team.runs_today),
        ctx.prefs.setup_amortisation_months,
    )
    cached = _OPS_CACHE.get(key)
    if cached is None:
        if len(_OPS_CACHE) > 1024:
            _OPS_CACHE.clear()
        cached = _OPS_CACHE[key] = _ops_lines(ctx, profile_key)
    return cached


def _hours(part: Any, over: Any) -> tuple[float, float, float]:
    """(setup, upkeep, on-call) hours of a catalog part, each replaced where ``over`` gives it."""
    values = []
    for k in ("setup_hours", "upkeep_hours_per_month", "oncall_hours_per_month"):
        v = getattr(over, k, None) if over is not None else None
        values.append(getattr(part, k) if v is None else v)
    return values[0], values[1], values[2]


def _ops_lines(ctx: Context, profile_key: str) -> tuple[list[CostComponent], OpsProfile]:
    cat = ctx.catalog
    platform_id = profile_key.split(":")[0]
    prof = cat.engineering_profile(profile_key)
    override = ctx.wf.engineering.get(platform_id)
    # the fixed parts an option on this profile opens: the base platform's, then a GPU variant's own
    parts = [cat.engineering_profile(platform_id), prof] if profile_key != platform_id else [prof]
    source = f"engineering profile '{profile_key}': {prof.source}"
    fixed: list[tuple[str, tuple[float, float, float], str]] = []  # (profile key, hours, what)
    if override is not None and override.flat and override.model_fields_set:
        # the flat form of earlier versions: hours for this workload as if alone, nothing shared;
        # what it leaves out is the catalog's one-workload figure (all fixed parts + marginal)
        alone = [
            sum(h)
            for h in zip(*(_hours(p.fixed, None) for p in parts), _hours(prof.marginal, None), strict=True)
        ]
        given = (override.setup_hours, override.upkeep_hours_per_month, override.oncall_hours_per_month)
        setup, upkeep, oncall = (a if v is None else v for a, v in zip(alone, given, strict=True))
        marginal = (setup, upkeep, oncall)
        source = f"your engineering.{platform_id} override, flat: charged to every workload as if alone (catalog default: {prof.source})"
    else:
        marginal = _hours(prof.marginal, override.marginal if override else None)
        for p in parts:
            if p.platform in ctx.wf.team.runs_today:
                continue  # sunk: the team already operates it (team.runs_today)
            over = override.fixed if override is not None and p.platform == platform_id else None
            fixed.append((p.platform, _hours(p.fixed, over), p.fixed.what))
        if override is not None and (override.fixed or override.marginal):
            source = f"your engineering.{platform_id} override (catalog default: {prof.source})"
    capacity = ctx.wf.team.ops_capacity
    factor = cat.engineering.capacity_factor[capacity]
    months = ctx.prefs.setup_amortisation_months
    rate = money(ctx.wf.team.engineer_hourly_usd)
    as_of = prof.as_of.isoformat()

    def ref(key: str, src: str) -> PriceRef:
        return PriceRef(
            key=key,
            description="Engineering time",
            unit="hours",
            value=rate,
            source=src,
            as_of=prof.as_of,
            verified=prof.verified,
        )

    team_note = f"x{factor:g} for ops_capacity '{capacity}'"
    lines = []
    for part_key, (setup, upkeep, oncall), what in fixed:
        lines.append(
            line(
                f"Platform fixed engineering: {part_key} (shared by the file's workloads on it)",
                ref(
                    FIXED_ENGINEERING_KEY + part_key,
                    f"engineering profile '{part_key}' (fixed part): {cat.engineering_profile(part_key).fixed.source}",
                ),
                (money(setup) / months + money(upkeep) + money(oncall)) * money(factor),
                kind="ops",
                scales_with=["engineer_rate"],
                note=f"{what}: {setup:g} h setup / {months} months + {upkeep:g} h/month upkeep + {oncall:g} h/month "
                f"on-call rota, {team_note}; paid once per file, not at all for a platform in team.runs_today",
            )
        )
    setup, upkeep, oncall = marginal
    mref = ref(f"engineering/{profile_key}", source)
    lines += [
        line(
            f"Engineering setup (amortised over {months} months)",
            mref,
            money(setup) * money(factor) / months,
            kind="ops",
            scales_with=["engineer_rate"],
            note=f"{setup:g} h one-off for this workload / {months} months, {team_note}; rate = team.engineer_hourly_usd",
        ),
        line(
            "Engineering upkeep",
            mref,
            money(upkeep) * money(factor),
            kind="ops",
            scales_with=["engineer_rate"],
            note=f"{upkeep:g} h/month for this workload, {team_note}",
        ),
        line(
            "On-call and incidents",
            mref,
            money(oncall) * money(factor),
            kind="ops",
            scales_with=["engineer_rate"],
            note=f"{oncall:g} h/month for this workload, {team_note}",
        ),
    ]
    for c in lines:
        c.as_of = as_of
    profile = OpsProfile(
        setup_hours=setup + sum(h[0] for _, h, _ in fixed),
        upkeep_hours_per_month=upkeep + sum(h[1] for _, h, _ in fixed),
        oncall_hours_per_month=oncall + sum(h[2] for _, h, _ in fixed),
        capacity_factor=factor,
        monthly_hours=float(sum(c.quantity for c in lines)),
        why=prof.why,
    )
    return lines, profile


def assess(module: ModuleType, ctx: Context) -> Option:
    """Ask a platform module its four questions and assemble the report's Option."""
    pid: str = module.ID
    blockers = module.limits(ctx)
    found: dict[str, Any] = {}
    if not blockers:
        try:
            priced: Priced = module.price(ctx)
        except Infeasible as e:
            blockers, found = e.blockers, e.extras
    if blockers:
        return construct(
            Option,
            platform=pid,
            feasible=False,
            instance_type=None,
            instances=None,
            monthly_cost_usd=None,
            cost_components=[],
            notes=[],
            ops_profile=None,
            latency=None,
            soft_warnings=[],
            extras=dict(found),
            blocked_by=[str(b) for b in blockers],
            blockers=blockers,
            layer=ctx.layer,
        )
    ops, profile = ops_lines(ctx, module.ops_key(ctx, priced))
    infra = sum((c.monthly_usd for c in priced.components), Decimal(0))
    ops_total = sum((c.monthly_usd for c in ops), Decimal(0))
    # constructed without re-validation: every field is built above from validated parts (hot path)
    return construct(
        Option,
        platform=pid,
        feasible=True,
        blocked_by=[],
        blockers=[],
        instance_type=priced.instance_type,
        instances=priced.instances,
        monthly_cost_usd=construct(MonthlyCost, infra=infra, ops=ops_total, total=infra + ops_total),
        cost_components=[*priced.components, *ops],
        notes=priced.notes,
        layer=ctx.layer,
        ops_profile=profile,
        latency=priced.latency or module.latency(ctx, priced),
        soft_warnings=priced.soft_warnings,
        extras={**priced.extras, "uses_gpu": priced.uses_gpu},
    )


def ceil_ms(seconds: float) -> int:
    """Lambda bills duration rounded up to the millisecond."""
    return max(1, math.ceil(round(seconds * 1000, 6)))
