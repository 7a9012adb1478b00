"""The catalog one workload file is priced from: the region's catalog with the user's prices merged.

Two sources of user prices, the workload file's ``prices:`` and the ``--prices`` file, meet here
with a stated precedence (``--prices`` wins, docs/catalog.md); ``overrides_step`` is the trace step
that shows which prices are the user's and which source won.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from ..catalog.store import Catalog, load_catalog
from ..results import TraceStep
from ..spec.models import PriceOverrides, WorkloadFile


def catalog_for(
    wf: WorkloadFile, file: str, extra: PriceOverrides | None = None, extra_file: str = ""
) -> Catalog:
    """The catalog in the file's region with the file's and the --prices file's prices merged.

    Precedence (docs/catalog.md): for the same price key, or the same service's discount, the
    ``--prices`` file beats the workload file's ``prices:`` (the person running the command
    decides). The winner comes first (``Catalog._adjust`` applies the first match); the loser stays
    listed, its note saying it was not applied and why, so the trace and the report show both.
    """
    catalog = load_catalog().in_region(wf.region, file=file)
    for overrides, src, prefix in ((wf.prices, file, "prices"), (extra, extra_file or "<prices>", "prices")):
        if overrides is not None and (overrides.overrides or overrides.discount_pct):
            merged = catalog.with_overrides(overrides.overrides, overrides.discount_pct, src, prefix)
            beaten = tuple(
                (
                    key,
                    value,
                    f"{note}; not applied: {src} gives this key and --prices beats the workload file",
                )
                if key in overrides.overrides
                else (key, value, note)
                for key, value, note in catalog.overrides
            )
            catalog = replace(
                merged,
                overrides=merged.overrides + beaten,
                discounts=merged.discounts + catalog.discounts,
            )
    return catalog


def with_commitment(
    wf: WorkloadFile, extra: PriceOverrides | None, extra_file: str = ""
) -> tuple[WorkloadFile, str]:
    """The workload file with the ``--prices`` file's commitment in force, when it gives one: the
    same precedence as a price key (the person running the command decides). Returns the file and
    what the trace says of it ("" when ``--prices`` gives no commitment)."""
    if extra is None or not (extra.commitment or extra.ec2_commitment):
        return wf, ""
    theirs = extra.purchase
    note = f"commitment {theirs} from {extra_file or '--prices'}"
    if wf.prices is not None and (wf.prices.commitment or wf.prices.ec2_commitment):
        mine = wf.prices.purchase
        note += (
            f" (the workload file's {mine}: not applied, --prices beats the workload file)"
            if mine != theirs
            else " (the workload file says the same)"
        )
    prices = (wf.prices or PriceOverrides()).model_copy(update={"commitment": theirs, "ec2_commitment": None})
    return wf.model_copy(update={"prices": prices}), note


def overrides_step(catalog: Catalog, commitment_note: str = "") -> TraceStep:
    """Which prices are the user's, and for a key or service given twice which source won (the
    first listed: ``catalog_for`` puts ``--prices`` first) and which was overridden."""
    keys = {key for key, _, _ in catalog.overrides}
    services: dict[str, Decimal] = {}
    discounts = []
    for service, pct in catalog.discounts:
        if service in services:
            discounts.append(
                f"{pct}% off every {service} price (workload file): not applied, --prices gives "
                f"{services[service]}% and beats the workload file"
            )
        else:
            services[service] = pct
            discounts.append(f"{pct}% off every {service} price")
    return TraceStep(
        question="Which prices are yours rather than the catalog's?",
        answer=f"{len(keys)} override(s), {len(services)} discount(s)"
        + (f", {commitment_note.split(' (')[0]}" if commitment_note else ""),
        because="; ".join(
            [f"{key}: ${value} ({note})" for key, value, note in catalog.overrides]
            + discounts
            + ([commitment_note] if commitment_note else [])
        ),
    )
