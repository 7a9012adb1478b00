"""What the imported usage costs today, as invoice lines (Decimal, unit price x quantity, source, date).

Bedrock tokens are priced with genai-prices (``catalog.bedrock.bedrock_prices``), Lambda requests
and GB-seconds with the catalog (tiers through ``platforms.base.tiered_lines``, the helper every
platform uses). These are the amounts *in the observed window*, before any scaling to a month: they
should match the bill for the same period (list prices, free tier not applied).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..catalog.bedrock import bedrock_prices
from ..catalog.store import Catalog
from ..invoice import line, tiered_lines
from ..results import CostComponent

#: Usage already observed, at list prices: it follows the volume, bought on demand.
_LIST: dict[str, Any] = {"driver": "volume", "purchase": "on-demand"}


def _text(c: CostComponent) -> str:
    return (
        f"    {c.name}: {c.quantity.normalize():,f} {c.unit} x ${c.unit_price_usd} = ${c.monthly_usd:,.4f} "
        f"[{c.price_key}; {c.source}, checked {c.as_of}]"
    )


def _total(name: str, lines: list[CostComponent], what: str) -> list[str]:
    total = sum((c.monthly_usd for c in lines), Decimal(0))
    return [f"  {name}: ${total:,.4f} for {what} at list prices:"] + [_text(c) for c in lines]


def bedrock_now(name: str, bedrock_id: str, tin: float, tout: float, catalog: Catalog) -> list[str]:
    """Token cost of the usage on Bedrock on-demand, or a line saying genai-prices has no price."""
    bp = bedrock_prices(bedrock_id, catalog)
    if bp is None:
        return [
            f"  {name}: genai-prices has no Bedrock on-demand price for {bedrock_id}; "
            "its token cost is not shown (pip install -U genai-prices, or give the price in a prices file)"
        ]
    lines = [
        line(f"Input tokens ({bp.name})", bp.input, Decimal(int(tin)) / 1_000_000, **_LIST),
        line(f"Output tokens ({bp.name})", bp.output, Decimal(int(tout)) / 1_000_000, **_LIST),
    ]
    return _total(name, lines, "the observed window on Bedrock on-demand")


def lambda_now(name: str, requests: float, gb_seconds: float, catalog: Catalog) -> list[str]:
    """Request and duration cost of the usage on Lambda (x86, list prices, no free tier)."""
    lines = [
        line("Requests", catalog.price("lambda/requests"), Decimal(str(requests)) / 1_000_000, **_LIST),
        *tiered_lines(
            "Duration", "x86", catalog.price("lambda/duration-x86"), Decimal(str(gb_seconds)), "GB-s", **_LIST
        ),
    ]
    return _total(name, lines, "the observed window on Lambda (x86; tiers apply per account)")
