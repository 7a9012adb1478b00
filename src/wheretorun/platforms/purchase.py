"""How compute is bought: one purchase model for every platform (issue 13).

The workload file's ``prices.commitment`` (alias ``ec2_commitment``) asks for one purchase option;
each platform applies it where AWS offers it and says so on the line it discounted:

- **Compute Savings Plans** cover EC2 instances, Fargate and Lambda duration
  (https://aws.amazon.com/savingsplans/compute-pricing/); **SageMaker Savings Plans** cover SageMaker
  instances (https://aws.amazon.com/savingsplans/ml-pricing/). A 3-year plan is never priced above the
  1-year plan: a missing 3-year rate falls back to the 1-year rate (an upper bound), never to on-demand.
- **Spot** (EC2 Spot, Fargate Spot) only for work that may be interrupted
  (``Workload.may_be_interrupted``), with the work lost to interruptions re-run and priced
  (catalog ``spot/rerun-overhead``). Lambda and SageMaker endpoints have no Spot.

Every function returns the purchase option actually charged: the line's label and ``purchase``
field come from it, so a line never names an option whose price it did not use.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..catalog.models import InstanceSpec
from ..results import CostComponent, Option, Purchase, TraceStep
from ..spec.models import Commitment, WorkloadFile
from ..units import money
from .base import Context, amount, construct

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Rate:
    """The purchase option charged and the factor applied to the on-demand unit price."""

    purchase: Purchase  # what was charged: on-demand | spot | savings-plan-1yr | savings-plan-3yr
    factor: Decimal  # paid = on-demand x factor
    note: str | None = None

    @property
    def discounted(self) -> bool:
        return self.purchase != "on-demand"


ON_DEMAND = Rate("on-demand", Decimal(1))


def asked(ctx: Context) -> Commitment:
    """The purchase option the workload file asks for (``prices.commitment`` or its alias)."""
    return ctx.wf.prices.purchase if ctx.wf.prices else "on-demand"


def off(pct: float | Decimal) -> Decimal:
    """The factor that takes ``pct`` percent off."""
    return (HUNDRED - money(pct)) / HUNDRED


def _pct(pct: float | Decimal) -> str:
    return f"{money(pct).normalize():f}"


def _spot(ctx: Context, pct: float | Decimal | None, what: str) -> Rate:
    """Spot at ``pct`` off, plus the re-run overhead, when the work may be interrupted."""
    w = ctx.workload
    if not w.may_be_interrupted:
        why = (
            "interruptible: false"
            if w.interruptible is False
            else f"trigger {w.trigger}: a caller is waiting"
        )
        return Rate(
            "on-demand",
            Decimal(1),
            f"spot asked for, but this work may not be interrupted ({why}): priced on-demand",
        )
    if pct is None:
        return Rate("on-demand", Decimal(1), f"no Spot rate in the catalog for {what}: priced on-demand")
    overhead = ctx.price("spot/rerun-overhead").value
    factor = off(pct) * (HUNDRED + overhead) / HUNDRED
    return Rate(
        "spot",
        factor,
        f"spot: {_pct(pct)}% off on-demand, plus {overhead:g}% of the hours re-run after interruptions "
        f"(catalog spot/rerun-overhead) = x{factor.normalize():f}",
    )


def _plan(
    asked_for: Commitment, pct_1yr: float | Decimal | None, pct_3yr: float | Decimal | None, what: str
) -> Rate:
    """A Savings Plan rate; a missing 3-year rate falls back to the 1-year one (never on-demand)."""
    if asked_for == "savings-plan-3yr":
        if pct_3yr is not None:
            return Rate(asked_for, off(pct_3yr), f"savings-plan-3yr: {_pct(pct_3yr)}% off on-demand ({what})")
        if pct_1yr is not None:
            return Rate(
                asked_for,
                off(pct_1yr),
                f"savings-plan-3yr: no 3-year rate in the catalog for {what}; priced at the 1-year rate "
                f"({_pct(pct_1yr)}% off on-demand), an upper bound: a 3-year plan never costs more",
            )
    elif pct_1yr is not None:
        return Rate(asked_for, off(pct_1yr), f"savings-plan-1yr: {_pct(pct_1yr)}% off on-demand ({what})")
    return Rate("on-demand", Decimal(1), f"no {asked_for} rate in the catalog for {what}: priced on-demand")


def instance_rate(ctx: Context, inst: InstanceSpec) -> Rate:
    """An EC2 (Compute Savings Plan, Spot) or SageMaker (SageMaker Savings Plan, no Spot) instance-hour."""
    want = asked(ctx)
    if want == "on-demand":
        return ON_DEMAND
    if inst.type.startswith("ml."):
        if want == "spot":
            return Rate("on-demand", Decimal(1), "SageMaker endpoints have no Spot: priced on-demand")
        if inst.savings_plan_1yr_pct is None and inst.savings_plan_3yr_pct is None:
            return sagemaker_rate(ctx, inst.type)
        return _plan(
            want, inst.savings_plan_1yr_pct, inst.savings_plan_3yr_pct, f"SageMaker Savings Plan, {inst.type}"
        )
    if want == "spot":
        return _spot(ctx, inst.spot_discount_pct, inst.type)
    return _plan(want, inst.savings_plan_1yr_pct, inst.savings_plan_3yr_pct, inst.type)


def _catalog_pct(ctx: Context, key: str) -> Decimal | None:
    return ctx.price(key).value if key in ctx.catalog.prices else None


def fargate_rate(ctx: Context) -> Rate:
    """Fargate: Compute Savings Plans (catalog fargate/savings-plan-*) or Fargate Spot (fargate/spot-discount)."""
    want = asked(ctx)
    if want == "on-demand":
        return ON_DEMAND
    if want == "spot":
        return _spot(
            ctx, _catalog_pct(ctx, "fargate/spot-discount"), "Fargate (catalog fargate/spot-discount)"
        )
    return _plan(
        want,
        _catalog_pct(ctx, "fargate/savings-plan-1yr"),
        _catalog_pct(ctx, "fargate/savings-plan-3yr"),
        "Fargate Compute Savings Plan",
    )


def sagemaker_rate(ctx: Context, what: str = "Serverless Inference") -> Rate:
    """SageMaker Savings Plans (https://aws.amazon.com/savingsplans/ml-pricing/) cover ml.* instances and
    Serverless Inference; without a rate of the instance's own, the catalog's service-wide
    ``sagemaker/savings-plan-*`` (a conservative estimate, see its note). No Spot for endpoints."""
    return _plan_without_spot(
        ctx,
        "sagemaker",
        "SageMaker endpoints have",
        f"SageMaker Savings Plan, {what} (catalog sagemaker/savings-plan-1yr)",
    )


def lambda_rate(ctx: Context) -> Rate:
    """Lambda duration: Compute Savings Plans (catalog lambda/savings-plan-*); Lambda has no Spot."""
    return _plan_without_spot(ctx, "lambda", "Lambda has", "Lambda duration, Compute Savings Plan")


def _plan_without_spot(ctx: Context, service: str, has: str, what: str) -> Rate:
    """A service with Savings Plans (catalog ``<service>/savings-plan-1yr|3yr``) and no Spot."""
    want = asked(ctx)
    if want == "on-demand":
        return ON_DEMAND
    if want == "spot":
        return Rate("on-demand", Decimal(1), f"{has} no Spot: priced on-demand")
    return _plan(
        want,
        _catalog_pct(ctx, f"{service}/savings-plan-1yr"),
        _catalog_pct(ctx, f"{service}/savings-plan-3yr"),
        what,
    )


def memo_key(ctx: Context) -> tuple:
    """What of the workload changes a price (for ``Context.shared`` keys): whether Spot applies."""
    return ("spot-ok" if asked(ctx) == "spot" and ctx.workload.may_be_interrupted else "",)


def charged(rate: Rate, comps: list[CostComponent]) -> list[CostComponent]:
    """``comps`` (on-demand lines) at ``rate``: unit price x factor, the purchase option in the label
    and the reason in the note. Unchanged at on-demand (a note, if any, says why no discount applied)."""
    if not rate.discounted:
        if rate.note is None:
            return comps
        # the lines a commitment could not discount say why (the trace lists them)
        return [
            construct(CostComponent, **{**c.__dict__, "note": "; ".join(n for n in (rate.note, c.note) if n)})
            for c in comps
        ]
    out = []
    for c in comps:
        price = c.unit_price_usd * rate.factor
        name = f"{c.name[:-1]}, {rate.purchase})" if c.name.endswith(")") else f"{c.name} ({rate.purchase})"
        note = "; ".join(n for n in (rate.note, c.note) if n)
        out.append(
            construct(
                CostComponent,
                **{
                    **c.__dict__,
                    "name": name,
                    "purchase": rate.purchase,  # the typed field says what the label and the price say
                    "unit_price_usd": price,
                    "monthly_usd": amount(c.quantity * price),
                    "note": note,
                },
            )
        )
    return out


def discounted_note(rate: Rate, comps: list[CostComponent]) -> list[str]:
    """The option's note naming the lines the commitment discounted, or why it did not apply."""
    if rate.note is None:
        return []
    if not rate.discounted:
        return [rate.note]
    return [f"{rate.purchase} applied to: " + ", ".join(c.name for c in comps)]


#: The catalog's names of the two architectures (price keys ``lambda/duration-<arch>``,
#: ``fargate/vcpu-<arch>``) by the workload's ``arch`` value.
ARCHES = {"x86_64": "x86", "arm64": "arm64"}


def arches(ctx: Context) -> list[str]:
    """The architectures to price on a platform that offers both: the workload's ``arch``, or both
    for ``auto`` (the platform keeps the cheaper and says the code must then build for arm64)."""
    want = ctx.workload.arch
    return list(ARCHES.values()) if want == "auto" else [ARCHES[want]]


#: Price keys a commitment can discount (prefixes): compute-hours and duration, never requests, tokens,
#: load balancers or network (Savings Plans cover EC2, Fargate and Lambda compute, and SageMaker ML usage).
COVERED_KEYS = (
    "ec2/",
    "sagemaker/ml.",
    "sagemaker/serverless-compute",
    "fargate/vcpu-",
    "fargate/memory-",
    "lambda/duration-",
    "lambda/provisioned-",
)


def covered(c: CostComponent) -> bool:
    """Is ``c`` a line a commitment could discount (``COVERED_KEYS``)?"""
    return c.kind == "infra" and c.price_key is not None and c.price_key.startswith(COVERED_KEYS)


def why_not(c: CostComponent) -> str:
    """Why a covered line stayed on-demand: the rate's note the line carries (``charged``,
    ``selfhost.instance_hour``)."""
    for part in (c.note or "").split("; "):
        if "priced on-demand" in part:
            return part
    return "no rate applies"


def commitment_step(wf: WorkloadFile, chosen: list[Option], others: list[Option]) -> TraceStep | None:
    """The trace step of ``prices.commitment``: the lines it discounted on the chosen option(s), those
    it could not and why (no rate for the instance, Spot for work that may not be interrupted, ...),
    then the same in brief for the other priced options. None without a commitment."""
    asked_for = wf.prices.purchase if wf.prices else "on-demand"
    if asked_for == "on-demand":
        return None

    def parts(o: Option) -> tuple[list[CostComponent], list[CostComponent]]:
        lines = [c for c in o.cost_components if covered(c)]
        return [c for c in lines if c.purchase != "on-demand"], [
            c for c in lines if c.purchase == "on-demand"
        ]

    said = []
    discounted_n = 0
    for o in chosen:
        yes, no = parts(o)
        discounted_n += len(yes)
        text = f"{o.platform} (chosen): "
        text += (
            "discounted " + ", ".join(f"{c.name} at ${c.unit_price_usd.normalize():f}/{c.unit}" for c in yes)
            if yes
            else "nothing discounted"
        )
        if no:
            text += "; not discounted: " + ", ".join(f"{c.name} ({why_not(c)})" for c in no)
        said.append(text)
    brief = []
    for o in others:
        if o in chosen or not o.feasible:
            continue
        yes, no = parts(o)
        if yes:
            brief.append(f"{o.platform} {len(yes)} line(s) discounted")
        elif no:
            brief.append(f"{o.platform} none ({why_not(no[0])})")
    if brief:
        said.append("other options: " + "; ".join(brief))
    return construct(
        TraceStep,
        question=f"Which lines does the commitment ({asked_for}) discount?",
        answer=f"{discounted_n} line(s) of the chosen option(s)",
        because=". ".join(said)
        + ". Savings Plans cover compute (EC2, Fargate, Lambda duration; SageMaker instances and Serverless "
        "Inference), never requests, tokens, load balancers or network; Spot only work that may be interrupted",
    )
