"""``wheretorun prices show``: the catalog in use, each figure with its unit, source, date and age.

A FinOps reader checks a number by finding its key here: the unit price, the URL it was read from,
the day it was checked and whether it is confirmed (UNVERIFIED figures are flagged). Figures older
than ``STALE_AFTER_DAYS`` (120) trigger a warning with their count. ``--prices FILE`` shows the
catalog with your negotiated prices applied, exactly as ``recommend --prices FILE`` would use it.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ..catalog.scope import STALE_AFTER_DAYS, SUPPORTED_REGIONS
from ..errors import InputError, Problem, did_you_mean
from .app import err_console, guarded, out_console, prices_app

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from ..catalog.store import Catalog


def today() -> dt.date:
    """The date ages are measured against (``catalog.listing.today``; here so tests can fix it)."""
    from ..catalog.listing import today

    return today()


@prices_app.command("show")
def show(
    service: str | None = typer.Option(
        None, "--service", "-s", help="Only this service (lambda, fargate, ec2, sagemaker, ...), or 'models'."
    ),
    region: str = typer.Option("us-east-1", "--region", "-r", help=f"One of {', '.join(SUPPORTED_REGIONS)}."),
    json_out: bool = typer.Option(
        False, "--json", help="Machine-readable output (prices as exact decimal strings)."
    ),
    prices_file: Path | None = typer.Option(
        None, "--prices", help="Your prices file (overrides, discount_pct): show the catalog with it applied."
    ),
) -> None:
    """Print the price catalog in use: key, unit price, source, date checked, age, verified flag.

    Examples:

    \b
      wheretorun prices show --service lambda
      wheretorun prices show --service models            # Bedrock token prices (genai-prices)
      wheretorun prices show --region eu-west-1 --json > catalog.json
      wheretorun prices show --prices negotiated.yml     # the catalog with your prices applied
    """
    guarded(lambda: _show(service, region, json_out, prices_file))


def _show(service: str | None, region: str, json_out: bool, prices_file: Path | None) -> None:
    from ..catalog.listing import MODELS, price_document, services
    from ..catalog.overrides import apply_overrides, load_price_overrides
    from ..catalog.store import load_catalog

    if region not in SUPPORTED_REGIONS:
        raise InputError(
            [
                Problem(
                    "--region",
                    "",
                    f"region '{region}' is not in the catalog{did_you_mean(region, SUPPORTED_REGIONS)}; "
                    f"allowed: {', '.join(SUPPORTED_REGIONS)}",
                )
            ]
        )
    catalog = load_catalog(region)
    if prices_file is not None:
        catalog = apply_overrides(catalog, load_price_overrides(prices_file), file=str(prices_file))
    known = services(catalog)
    if service is not None and service not in known:
        raise InputError(
            [
                Problem(
                    "--service",
                    "",
                    f"unknown service '{service}'{did_you_mean(service, known)}; known: {', '.join(known)}",
                )
            ]
        )
    day = today()
    out = out_console(highlight=False, soft_wrap=json_out)
    doc = price_document(catalog, region, service, day)
    if json_out:
        out.print_json(json.dumps(doc))
    if service == MODELS:
        if not json_out:
            out.print(_model_table(doc["models"], region, out.width))
        return
    rows = doc["prices"]
    stale = [r for r in rows if r["age_days"] > STALE_AFTER_DAYS]
    if not json_out:
        if out.width >= WIDE_TABLE:
            out.print(_price_table(rows, region, catalog, day))
        else:
            _print_price_list(out, rows, region, catalog, day)
        for line in catalog.applied_overrides():
            out.print(f"override: {line}", markup=False)
        unverified = sum(1 for r in rows if not r["verified"])
        if unverified:
            out.print(
                f"{unverified} figure(s) marked UNVERIFIED: see docs/catalog.md for why and how to confirm them."
            )
    if stale:
        oldest = min(r["as_of"] for r in stale)
        err_console().print(
            f"warning: {len(stale)} figure(s) are older than {STALE_AFTER_DAYS} days (oldest checked {oldest}); "
            "refresh with `wheretorun prices update`, or give your own with --prices FILE",
            markup=False,
        )


#: Below this terminal width the eight-column table is unreadable: one block per price instead.
WIDE_TABLE = 140


def _print_price_list(
    out: Console, rows: list[dict[str, Any]], region: str, catalog: Catalog, day: dt.date
) -> None:
    from rich.text import Text

    out.print(
        Text(
            f"Price catalog, {region} (newest figure {catalog.as_of.isoformat()}, ages as of {day.isoformat()})",
            style="bold",
        )
    )
    for r in rows:
        if r["price"] is None:
            price = f"not available: {r['unavailable']}"
        elif r["tiers"]:
            price = _tier_text(r["tiers"], r["unit"])
        else:
            price = f"{_shown(r['price'], r['unit'])} per {r['unit']}"
        if r["override"]:
            price += f" ({r['override']})"
        stale = " STALE" if r["age_days"] > STALE_AFTER_DAYS else ""
        flag = "" if r["verified"] else "  UNVERIFIED"
        out.print(Text(f"{r['key']}  {r['description']}", style="bold"))
        out.print(Text(f"  {price}"))
        out.print(
            Text(f"  checked {r['as_of']} ({r['age_days']} days{stale}){flag}; {r['source']}", style="dim")
        )


def _shown(price: str, unit: str) -> str:
    return f"{price}%" if unit == "percent" else f"${price}"


def _tier_text(tiers: list[dict[str, str | None]], unit: str) -> str:
    parts = []
    for t in tiers:
        bound = f"up to {Decimal(t['up_to']):,} {unit}" if t["up_to"] is not None else "beyond"
        parts.append(f"{_shown(str(t['price']), unit)} {bound}")
    return "; ".join(parts)


def _price_table(rows: list[dict[str, Any]], region: str, catalog: Catalog, day: dt.date) -> Table:
    from rich.table import Table

    table = Table(
        title=f"Price catalog, {region} (newest figure {catalog.as_of.isoformat()}, ages as of {day.isoformat()})",
        show_lines=False,
    )
    for name, kw in (
        ("key", {"no_wrap": True}),
        ("description", {}),
        ("unit", {}),
        ("price (USD)", {"overflow": "fold"}),
        ("source", {"overflow": "fold", "ratio": 3}),
        ("as of", {"no_wrap": True}),
        ("age (d)", {"justify": "right"}),
        ("verified", {}),
    ):
        table.add_column(name, **kw)
    for r in rows:
        if r["price"] is None:
            price = f"not available: {r['unavailable']}"
        elif r["tiers"]:
            price = _tier_text(r["tiers"], r["unit"])
        else:
            price = _shown(r["price"], r["unit"])
        if r["override"]:
            price += f" ({r['override']})"
        age = str(r["age_days"]) + (" STALE" if r["age_days"] > STALE_AFTER_DAYS else "")
        table.add_row(
            r["key"],
            r["description"],
            r["unit"],
            price,
            r["source"],
            r["as_of"],
            age,
            "yes" if r["verified"] else "UNVERIFIED",
        )
    return table


def _model_table(rows: list[dict[str, Any]], region: str, width: int = 200) -> Table:
    """Below 120 columns the aliases and Bedrock model ids give way (they are in --json), so the
    ids, sizes and token prices read whole at 80 columns."""
    from ..report.table import keep_figures_whole

    wide = width >= 120
    dates = sorted({r["as_of"] for r in rows})
    one_date = not wide and len(dates) == 1  # then said once in the title, not on every row
    from rich import box
    from rich.table import Table

    table = Table(
        title=f"Models in the catalog ({region}{f', as of {dates[0]}' if one_date else ''}); "
        "Bedrock token prices from genai-prices",
        title_justify="left",
        box=None if not wide else box.HEAVY_HEAD,
        header_style="bold",
        caption=None if wide else "aliases and Bedrock model ids: a terminal of 120 columns, or --json",
        caption_justify="left",
    )
    names = ("id", "weights", "params (B)", "aliases", "Bedrock model", "in $/1M", "out $/1M", "as of")
    shown = (
        names
        if wide
        else ("id", "weights", "params (B)", "in $/1M", "out $/1M", "as of")[: 5 if one_date else 6]
    )
    for name in shown:
        table.add_column(
            name,
            overflow="fold",
            justify="right" if name in ("params (B)", "in $/1M", "out $/1M") else "left",
        )
    for r in rows:
        cells = {
            "id": r["id"],
            "weights": r["weights"],
            "params (B)": "" if r["params_b"] is None else f"{r['params_b']:g}",
            "aliases": ", ".join(r["aliases"]),
            "Bedrock model": r["bedrock_model_id"] or "not on Bedrock on-demand",
            "in $/1M": r["bedrock_input_per_1m_tokens"] or "-",
            "out $/1M": r["bedrock_output_per_1m_tokens"] or "-",
            "as of": r["as_of"],
        }
        table.add_row(*(cells[n] for n in shown))
    return keep_figures_whole(table)
