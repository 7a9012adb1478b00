"""`wheretorun recommend`, `schema` and `breakeven`: thin commands over the library."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer

from .._perf import start_up_done
from ..errors import InputError, Problem
from ..report import FORMATS
from .app import app, err_console, guarded, out_console, over_budget, parse_budget

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from ..spec.models import PriceOverrides, WorkloadFile

# The engine, the catalog and the spec are imported inside the commands that use them: every
# command (and `--help`) would otherwise pay their start-up (docs/architecture.md, Start-up).

PROGRESS_FROM = 50  # workloads; below this the answer is instant


def _load(
    file: Path, free_tier: bool, growth: str | None, prices: Path | None, allow_files_from: list[Path]
) -> tuple[WorkloadFile, PriceOverrides | None]:
    """The workload file and the prices file, every problem of both reported in one pass."""
    from ..catalog.overrides import load_price_overrides
    from ..catalog.vocabulary import vocabulary
    from ..spec import load_workloads
    from ..spec.files import FileAccess
    from ..spec.models import parse_growth

    known = vocabulary()
    start_up_done()  # the libraries are imported and the catalog read: the collector may resume
    problems = []
    wf = overrides = None
    try:
        wf = load_workloads(file, vocabulary=known, files=FileAccess.of(file.parent, allow_files_from))
    except InputError as e:
        problems += e.problems
    if prices is not None:
        try:
            overrides = load_price_overrides(prices, vocabulary=known)
        except InputError as e:
            problems += e.problems
    if growth is not None:
        try:
            parse_growth(growth)
        except ValueError as e:
            problems.append(Problem("--growth", "", str(e)))
    if problems:
        raise InputError(problems)
    assert wf is not None
    updates: dict = {}
    if free_tier:
        updates["preferences"] = wf.preferences.model_copy(update={"free_tier": True})
    if growth is not None:
        updates["growth"] = growth
    return (wf.model_copy(update=updates) if updates else wf), overrides


ALLOW_FILES_HELP = (
    "Also read files the workload file names (traffic_profile) from this folder; repeatable. "
    "By default only files inside the workload file's own folder are read."
)


@app.command("recommend")
def recommend_cmd(
    file: Annotated[Path, typer.Argument(help="Workload file (YAML or JSON).", show_default=False)],
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help=f"Output format: {' | '.join(FORMATS)}. Default: table on a terminal, json when piped.",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to this file instead of standard output.")
    ] = None,
    prices: Annotated[
        Path | None,
        typer.Option("--prices", help="Your negotiated prices (same shape as the file's `prices:` section)."),
    ] = None,
    details: Annotated[
        bool,
        typer.Option(
            "--details", help="Table: add every option's invoice and the full trace (implies --format table)."
        ),
    ] = False,
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="Table: a panel per workload even for a file of more than 20 (an inventory)."
        ),
    ] = False,
    free_tier: Annotated[
        bool, typer.Option("--free-tier", help="Apply AWS free tiers (off by default).")
    ] = False,
    growth: Annotated[
        str | None,
        typer.Option("--growth", help="Monthly growth of volume, e.g. '15%/month': 24-month projection."),
    ] = None,
    charts: Annotated[
        Path | None,
        typer.Option("--charts", help="Also write every chart as SVG and PNG into this directory."),
    ] = None,
    allow_files_from: Annotated[
        list[Path] | None, typer.Option("--allow-files-from", metavar="DIR", help=ALLOW_FILES_HELP)
    ] = None,
    fail_above: Annotated[
        str | None,
        typer.Option(
            "--fail-above",
            metavar="USD",
            help="Exit 3 (after writing the output) when the monthly total exceeds this many US dollars.",
        ),
    ] = None,
) -> None:
    """Recommend where each workload should run, with every option priced and the reasons.

    Examples:

    \b
      wheretorun recommend examples/ai-product.yml
      wheretorun recommend system.yml --format json > report.json
      wheretorun recommend system.yml --format markdown --out docs/adr/0007-ai-compute.md
      wheretorun recommend system.yml --format html --out report.html --charts charts/
      wheretorun recommend ci/system.yml --allow-files-from measurements/
    """

    def run() -> None:
        from ..decide import recommend as run_recommend
        from ..files import write_atomically
        from ..report import render

        table_flags = [flag for flag, on in (("--details", details), ("--full", full)) if on]
        # a table-only flag asks for the table: `--details > file.txt` writes the table, not JSON
        fmt = format or ("table" if table_flags or (sys.stdout.isatty() and out is None) else "json")
        if fmt not in FORMATS:
            raise InputError(
                [Problem("--format", "", f"unknown format '{fmt}'; allowed: {', '.join(FORMATS)}")]
            )
        budget = parse_budget(fail_above)
        if table_flags and fmt != "table":
            raise InputError(
                [
                    Problem(
                        table_flags[0],
                        "",
                        f"shapes the table only; --format {fmt} always holds every option, invoice and "
                        "reason: drop the flag, or use --format table",
                    )
                ]
            )
        wf, overrides = _load(file, free_tier, growth, prices, allow_files_from or [])
        show = len(wf.workloads) >= PROGRESS_FROM and sys.stderr.isatty()
        if show:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
        progress = (
            Progress(
                TextColumn("pricing workloads"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err_console(),
                transient=True,
                # no refresh thread: a process running only its main thread may fork workers for a
                # large inventory (decide.inventory); the bar is redrawn from on_progress instead
                auto_refresh=False,
            )
            if show
            else None
        )
        with progress or nullcontext():
            task = progress.add_task("recommend", total=len(wf.workloads)) if progress else None
            report = run_recommend(
                wf,
                file=str(file),
                base_dir=file.parent,
                allow_files_from=allow_files_from or (),
                prices=overrides,
                prices_file=str(prices or ""),
                breakeven_curve=fmt == "html" or charts is not None,  # the formats that draw charts
                on_progress=_redraw(progress, task) if progress else None,
            )
        if charts is not None:
            from ..report.charts import write_charts

            try:
                written = write_charts(report, charts)
            except OSError as e:  # a full disk, a read-only directory: the user's to fix
                where = e.filename or charts
                raise InputError(
                    [Problem("--charts", "", f"cannot write {where}: {e.strerror or e}")]
                ) from None
            err_console().print(f"wrote {len(written)} chart files to {charts}")
        if fmt == "table" and out is None:
            from ..report.table import print_table

            print_table(report, out_console(), details=details, full=full)
            over_budget(report.total_monthly_cost_usd, budget, "the total", report.unpriced())
            return
        write: Callable[[BinaryIO], object]
        if fmt == "json":
            write = report.write_json  # workload by workload: an inventory's JSON is never held whole
        else:
            text = render(report, fmt, **({"details": details, "full": full} if fmt == "table" else {}))
            data = text.encode("utf-8")

            def write_text(fh: BinaryIO) -> None:
                fh.write(data)

            write = write_text

        if out is not None:
            try:
                write_atomically(out, write)
            except OSError as e:  # a full disk, a read-only directory: the user's to fix
                raise InputError([Problem("--out", "", f"cannot write {out}: {e.strerror or e}")]) from e
            err_console().print(f"wrote {out} ({fmt})")
        else:
            sys.stdout.flush()
            write(sys.stdout.buffer)
            sys.stdout.buffer.flush()
        over_budget(report.total_monthly_cost_usd, budget, "the total", report.unpriced())

    guarded(run)


@app.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of the workload file (for editor completion and validation).

    Example: wheretorun schema > wheretorun.schema.json
    """
    from ..spec import json_schema

    guarded(lambda: sys.stdout.write(json.dumps(json_schema(), indent=2) + "\n"))


@app.command("breakeven")
def breakeven_cmd(
    file: Annotated[Path, typer.Argument(help="Workload file (YAML or JSON).", show_default=False)],
    workload: Annotated[
        str | None, typer.Option("--workload", "-w", help="Only this workload (by name).")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the curve and break-even as JSON.")] = False,
    prices: Annotated[Path | None, typer.Option("--prices", help="Your negotiated prices file.")] = None,
    allow_files_from: Annotated[
        list[Path] | None, typer.Option("--allow-files-from", metavar="DIR", help=ALLOW_FILES_HELP)
    ] = None,
) -> None:
    """Monthly cost against token volume: where self-hosting starts to beat Bedrock (engineering included).

    Example: wheretorun breakeven examples/self-hosted-70b.yml
    """

    def run() -> None:
        from ..decide import recommend as run_recommend

        wf, overrides = _load(file, False, None, prices, allow_files_from or [])
        names = [w.name for w in wf.workloads]
        if workload is not None and workload not in names:
            from ..errors import did_you_mean

            raise InputError(
                [
                    Problem(
                        str(file),
                        "workloads",
                        f"no workload named '{workload}'{did_you_mean(workload, names)}",
                    )
                ]
            )
        report = run_recommend(
            wf,
            file=str(file),
            base_dir=file.parent,
            allow_files_from=allow_files_from or (),
            prices=overrides,
            prices_file=str(prices or ""),
            breakeven_curve=True,
        )
        chosen = [w for w in report.workloads if workload in (None, w.name)]
        if json_out:
            payload = [
                {
                    "name": w.name,
                    "breakeven": w.breakeven.model_dump() if w.breakeven else None,
                    "curve": [p.model_dump() for p in w.breakeven_curve],
                }
                for w in chosen
            ]
            sys.stdout.write(json.dumps(payload, indent=2) + "\n")
            return
        from ..report.table import print_breakeven

        print_breakeven(chosen, out_console())

    guarded(run)


def _redraw(progress: Progress, task: TaskID | None) -> Callable[[int, int], None]:
    """An on_progress callback that redraws the bar at most ten times a second (and at the end)."""
    last = 0.0

    def on_progress(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= 0.1 or done >= total:
            last = now
            progress.update(task, completed=done, refresh=True)  # type: ignore[arg-type]

    return on_progress
