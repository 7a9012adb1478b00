"""`wheretorun import KIND PATH... --out FILE`: real usage -> workload file, then what it costs everywhere."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from .._perf import start_up_done
from ..errors import InputError, Problem
from .app import app, guarded, out_console


@app.command("import")
def import_cmd(
    kind: Annotated[
        str, typer.Argument(help="bedrock-logs | lambda-logs | cloudwatch | cur", show_default=False)
    ],
    paths: Annotated[
        list[str] | None, typer.Argument(help="Files, folders or globs (gzip or not).", show_default=False)
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="The workload file to write (YAML).")] = Path(
        "workloads.yml"
    ),
    compare: Annotated[
        bool, typer.Option("--compare/--no-compare", help="Also price the imported usage on every platform.")
    ] = True,
    live: Annotated[
        bool,
        typer.Option("--live", help="cloudwatch: read the metrics from AWS (boto3, read-only credentials)."),
    ] = False,
    cost_explorer: Annotated[
        bool,
        typer.Option("--cost-explorer", help="cur: read daily spend from Cost Explorer instead of files."),
    ] = False,
    namespace: Annotated[
        str, typer.Option("--namespace", help="--live: AWS/Bedrock or AWS/Lambda.")
    ] = "AWS/Bedrock",
    days: Annotated[
        int, typer.Option("--days", min=1, max=455, help="--live/--cost-explorer: days back.")
    ] = 30,
    region: Annotated[str, typer.Option("--region", help="--live: the region to read.")] = "us-east-1",
    print_sql: Annotated[
        str | None,
        typer.Option(
            "--print-sql",
            help="athena: print the SQL wheretorun runs, with Athena's tables, and exit (no PATH needed).",
        ),
    ] = None,
    location: Annotated[
        str, typer.Option("--location", help="--print-sql: the S3 prefix of the logs for Athena's table.")
    ] = "s3://BUCKET/PREFIX/",
) -> None:
    """Turn real usage into a workload file, and say what it would cost on each alternative.

    Examples:

    \b
      wheretorun import bedrock-logs AWSLogs/123456789012/BedrockModelInvocationLogs/ --out system.yml
      wheretorun import lambda-logs 'exports/*.log.gz' --out functions.yml
      wheretorun import cur data-exports/*.parquet --out from-cur.yml
      wheretorun import cloudwatch --live --namespace AWS/Bedrock --days 30 --out bedrock.yml
    """

    def run() -> None:
        from ..importers import KINDS, athena, import_usage

        start_up_done()

        if print_sql is not None:
            if print_sql != "athena":
                raise InputError([Problem("--print-sql", "", f"'{print_sql}': allowed: athena")])
            if kind not in KINDS:
                import_usage(kind, [], out)  # raises: unknown kind, with the allowed ones
            if kind not in athena.TABLES:
                raise InputError(
                    [
                        Problem(
                            "KIND",
                            "",
                            f"{kind} has no Athena SQL (CloudWatch metrics are already aggregated); "
                            f"allowed: {', '.join(athena.TABLES)}",
                        )
                    ]
                )
            typer.echo(athena.script(kind, location), nl=False)
            return
        if kind not in KINDS:
            import_usage(kind, [], out)  # raises: unknown kind, with the allowed ones

        from rich.console import Console
        from rich.text import Text

        console = Console(stderr=True)
        sources = list(paths or [])
        if live or cost_explorer:
            from ..importers import live as live_sources

            fetched = out.parent / f"{out.stem}.{'cloudwatch' if live else 'cost-explorer'}.csv"
            with console.status("reading AWS (read-only)"):
                if live and kind == "cloudwatch":
                    sources = [str(live_sources.cloudwatch_export(namespace, days, region, fetched))]
                elif cost_explorer and kind == "cur":
                    sources = [str(live_sources.cost_explorer_export(days, fetched))]
                else:
                    raise InputError(
                        [
                            Problem(
                                "--live/--cost-explorer",
                                "",
                                "--live goes with cloudwatch, --cost-explorer with cur",
                            )
                        ]
                    )
            console.print(Text(f"wrote the data read from AWS to {fetched}"))
        tty = sys.stderr.isatty()
        console.print(
            Text(f"scanning {kind} input with DuckDB" + (" (progress below for long scans)" if tty else ""))
        )
        result = import_usage(kind, sources, out, progress=tty)
        console.print(Text(f"wrote {result.out} from {result.files} file(s)"))
        for line in result.summary:
            console.print(Text(line))
        if compare:
            from ..decide import recommend
            from ..report.table import print_table
            from ..spec import load_workloads

            report = recommend(load_workloads(result.out), file=str(result.out), base_dir=result.out.parent)
            print_table(report, out_console())

    guarded(run)
