"""Invoice lines, built one way for every platform and importer: quantity x unit price, with the
catalog key, source and date of the price, what the line follows (``driver``) and how it is bought
(``purchase``). Tiers go through one helper (``tiered_lines``), named as infracost names them.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from ._perf import construct
from .catalog.store import PriceRef
from .results import CostComponent, Driver, Purchase
from .units import money


def line(
    name: str,
    ref: PriceRef,
    quantity: float | Decimal,
    *,
    driver: Driver,
    purchase: Purchase,
    scales_with: Iterable[str] = (),
    note: str | None = None,
    kind: str = "infra",
    unit_price: Decimal | None = None,
    shared_key: str | None = None,
) -> CostComponent:
    """One invoice line: quantity (in the price's unit) x unit price.

    ``driver`` (what the quantity follows) and ``purchase`` (how it is bought: what was charged,
    never what was asked for) are required: every line says them, and nothing reads its name.
    """
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
        driver=driver,
        purchase=purchase,
        shared_key=shared_key,
    )


#: Invoice amounts are kept to 1e-12 USD: far below a cent, and fixed-point so that lines add up
#: exactly within Decimal's 28 significant digits (a float-derived quantity times a 12-digit price
#: can exceed them, and sums of mixed magnitudes would then round differently).
AMOUNT_PLACES = Decimal("1e-12")


def amount(value: Decimal) -> Decimal:
    return value.quantize(AMOUNT_PLACES)


def _short(n: Decimal) -> str:
    """6000000000 -> '6B', 7500000000 -> '7.5B', 300 -> '300' (for tier names, as infracost writes
    them); a bound that is no round figure in thousands is written out: 10240 -> '10,240' (10 TB of
    data transfer in GB), not '10.24K'."""
    v = float(n)
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if v >= div:
            if round(v / div, 1) == v / div:
                return f"{v / div:g}{suffix}"
            break
    return f"{v:,.0f}" if v == int(v) else f"{v:,g}"


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
