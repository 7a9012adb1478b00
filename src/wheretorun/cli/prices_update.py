"""`wheretorun prices update`: refresh a catalog copy from AWS Price List offer files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .._perf import start_up_done
from ..catalog.scope import SUPPORTED_REGIONS, UPDATABLE_SERVICES, default_catalog_dir
from .app import guarded, out_console, prices_app


@prices_app.command("update")
def update(
    service: Annotated[
        list[str] | None,
        typer.Option("--service", "-s", help=f"One of {', '.join(UPDATABLE_SERVICES)} (repeat)."),
    ] = None,
    region: Annotated[
        list[str] | None, typer.Option("--region", "-r", help="Region(s) to refresh (repeat).")
    ] = None,
    from_dir: Annotated[
        Path | None,
        typer.Option(
            "--from-dir",
            help="Read offer files from here (<Offer>/<region>/index.json or <Offer>-<region>.json).",
        ),
    ] = None,
    catalog_dir: Annotated[
        Path,
        typer.Option("--catalog-dir", help="The catalog copy to rewrite (seeded from the embedded one)."),
    ] = default_catalog_dir(),
) -> None:
    """Refresh prices from the AWS Price List and rewrite a catalog copy atomically.

    The embedded catalog is never modified: the copy (seeded from it on first use) is used when
    WHERETORUN_CATALOG_DIR points at it. Offer files are found through each service's region index.
    Bedrock token prices come from genai-prices: pip install -U genai-prices.

    Example: wheretorun prices update --service ec2 --region us-east-1 --from-dir offers/
    """

    def run() -> None:
        from rich.table import Table

        from ..catalog.update import update_catalog

        start_up_done()

        changes = update_catalog(
            catalog_dir, service or list(UPDATABLE_SERVICES), region or list(SUPPORTED_REGIONS), from_dir
        )
        console = out_console()
        changed = [c for c in changes if c.changed]
        table = Table(title=f"Price changes written to {catalog_dir}")
        for col in ("key", "region", "old", "new", "change"):
            table.add_column(col)
        for c in changed:
            table.add_row(c.key, c.region, c.old, c.new, f"{c.pct:+.1f}%" if c.pct is not None else "")
        console.print(table if changed else f"no price changed in {catalog_dir}")
        confirmed = len(changes) - len(changed)
        if confirmed:
            console.print(f"{confirmed} figure(s) confirmed unchanged (their source and date recorded)")
        console.print(f"use it with: export WHERETORUN_CATALOG_DIR={catalog_dir}")

    guarded(run)
