"""`wheretorun import KIND PATH... --out FILE`: real usage -> workload file, then what it costs everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from .app import app, guarded


@app.command("import")
def import_cmd(
    kind: Annotated[
        str, typer.Argument(help="bedrock-logs | lambda-logs | cloudwatch | cur", show_default=False)
    ],
    paths: Annotated[
        list[str], typer.Argument(help="Files, folders or globs (gzip or not).", show_default=False)
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The workload file to write (YAML).")] = Path(
        "workloads.yml"
    ),
    compare: Annotated[
        bool, typer.Option("--compare/--no-compare", help="Also price the imported usage on every platform.")
    ] = True,
) -> None:
    """Turn real usage into a workload file, and say what it would cost on each alternative.

    Examples:

      wheretorun import bedrock-logs AWSLogs/123456789012/BedrockModelInvocationLogs/ --out system.yml

      wheretorun import lambda-logs 'exports/*.log.gz' --out functions.yml

      wheretorun import cur data-exports/*.parquet --out from-cur.yml
    """

    def run() -> None:
        from ..importers import import_usage

        console = Console(stderr=True)
        with console.status(f"scanning {kind} input with DuckDB"):
            result = import_usage(kind, paths, out)
        console.print(Text(f"wrote {result.out} from {result.files} file(s)"))
        for line in result.summary:
            console.print(Text(line))
        if compare:
            from ..decide import recommend
            from ..report.table import print_table
            from ..spec import load_workloads

            report = recommend(load_workloads(result.out), file=str(result.out), base_dir=result.out.parent)
            print_table(report, Console())

    guarded(run)
