"""The catalog as rows: what ``prices show`` prints and ``GET /v1/catalog`` returns.

One function per listing so the CLI and the web API show the same figures with the same
provenance (key, unit, exact price text, source, as-of date, age, verified flag).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from .models import ArchitectureCard, PriceEntry, ProprietaryCard, Tier
from .store import STALE_AFTER_DAYS, Catalog

#: The pseudo-service that lists the model cards instead of prices.
MODELS = "models"


def money_text(value: Decimal) -> str:
    """Exact decimal text, no exponent, no rounding (0.0000166667 stays 0.0000166667)."""
    text = format(value, "f")
    if "." in text:
        whole, frac = text.split(".")
        frac = frac.rstrip("0").ljust(2, "0")
        text = f"{whole}.{frac}"
    return text


def tier_rows(tiers: tuple[Tier, ...]) -> list[dict[str, str | None]]:
    return [
        {"up_to": money_text(t.up_to) if t.up_to is not None else None, "price": money_text(t.price)}
        for t in tiers
    ]


def price_row(catalog: Catalog, e: PriceEntry, day: dt.date) -> dict[str, Any]:
    """One price entry in the catalog's region, overrides applied, with its age on ``day``."""
    row: dict[str, Any] = {
        "key": e.key,
        "service": e.key.split("/")[0],
        "description": e.description,
        "unit": e.unit,
        "price": None,
        "tiers": [],
        "source": e.source,
        "as_of": e.as_of.isoformat(),
        "age_days": (day - e.as_of).days,
        "verified": e.verified_in(catalog.region),
        "note": e.note,
        "override": None,
        "unavailable": catalog.unavailable_reason(e.key),
    }
    if catalog.has_price(e.key):
        ref = catalog.price(e.key)
        row["price"] = money_text(ref.value)
        row["tiers"] = tier_rows(ref.tiers) if len(ref.tiers) > 1 else []
        row["override"] = ref.override_note
    return row


def model_rows(catalog: Catalog) -> list[dict[str, Any]]:
    """Every model card with its Bedrock mapping and token prices (from genai-prices)."""
    from ..catalog.bedrock import bedrock_prices

    rows = []
    cards: list[ArchitectureCard | ProprietaryCard] = [
        *catalog.open_models.values(),
        *catalog.proprietary_models.values(),
    ]
    for card in cards:
        bp = bedrock_prices(card.bedrock_model_id, catalog) if card.bedrock_model_id else None
        rows.append(
            {
                "id": card.id,
                "weights": card.weights,
                "kind": card.kind,
                "params_b": card.params_b,
                "aliases": list(card.aliases),
                "bedrock_model_id": card.bedrock_model_id,
                "bedrock_input_per_1m_tokens": money_text(bp.input.value) if bp else None,
                "bedrock_output_per_1m_tokens": money_text(bp.output.value) if bp else None,
                "bedrock_price_source": bp.input.source if bp else None,
                "source": card.source,
                "as_of": card.as_of.isoformat(),
                "verified": card.verified,
            }
        )
    return rows


def today() -> dt.date:
    """The date ages are measured against (a function so tests can fix it)."""
    return dt.date.today()


def services(catalog: Catalog) -> list[str]:
    """What ``--service`` / ``?service=`` may name: the catalog's services and ``models``."""
    return [*catalog.services(), MODELS]


def price_document(catalog: Catalog, region: str, service: str | None, day: dt.date) -> dict[str, Any]:
    """The document of ``prices show --json`` and ``GET /v1/catalog``: the model cards for
    ``service == "models"``, else the prices (of one service, or all) with their ages on ``day``."""
    if service == MODELS:
        return {"region": region, "models": model_rows(catalog)}
    rows = [
        price_row(catalog, e, day)
        for k, e in sorted(catalog.prices.items())
        if service is None or k.split("/")[0] == service
    ]
    return {
        "region": region,
        "today": day.isoformat(),
        "catalog_as_of": catalog.as_of.isoformat(),
        "stale_after_days": STALE_AFTER_DAYS,
        "stale_count": sum(1 for r in rows if r["age_days"] > STALE_AFTER_DAYS),
        "overrides": catalog.applied_overrides(),
        "prices": rows,
    }
