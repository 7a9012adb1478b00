"""`wheretorun diff OLD NEW`: the monthly cost change between two workload files (or two results)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import MAX_PROBLEMS, InputError, Problem
from .app import app, guarded, out_console, over_budget, parse_budget

if TYPE_CHECKING:  # the report modules load when the command runs, not when the CLI starts
    from rich.console import Console

    from ..report.diff import Diff
    from ..report.model import Report

DIFF_FORMATS = ("table", "json", "markdown")
#: A result of the largest inventory a workload file may hold (20,000 workloads) is ~470 MB of JSON.
MAX_RESULT_BYTES = 1 << 30


def _is_result(path: Path) -> bool:
    """A JSON result of `recommend --format json` (not a workload file written as JSON)."""
    if path.suffix.lower() != ".json" or not path.is_file():
        return False  # a pipe or a device is read by the workload loader, which never blocks on one
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False  # the workload loader says what is wrong with the file
    return b'"total_monthly_cost_usd"' in head or (b'"catalog"' in head and b'"version"' in head)


def _report(path: Path, prices: Path | None, allow_files_from: list[Path]) -> Report:
    from ..report.model import Report

    if _is_result(path):
        from pydantic import ValidationError

        if (size := path.stat().st_size) > MAX_RESULT_BYTES:
            raise InputError(
                [
                    Problem(
                        str(path),
                        "",
                        f"result file is {size:,} bytes; the limit is {MAX_RESULT_BYTES:,} bytes",
                    )
                ]
            )
        try:
            return Report.model_validate_json(path.read_bytes())
        except ValidationError as e:
            problems = [
                Problem(
                    str(path),
                    ".".join(str(part) for part in err["loc"]),
                    f"{err['msg']} (not a result of `wheretorun recommend --format json` as written)",
                )
                for err in e.errors(include_url=False)[:MAX_PROBLEMS]
            ]
            raise InputError(problems) from None
    from ..decide import recommend
    from .recommend import _load

    wf, overrides = _load(path, False, None, prices, allow_files_from)
    return recommend(
        wf,
        file=str(path),
        base_dir=path.parent,
        allow_files_from=allow_files_from,
        prices=overrides,
        prices_file=str(prices or ""),
    )


def _table(d: Diff, console: Console) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from ..report.diff import headline, signed, usd
    from ..report.table import keep_figures_whole, one_line, printable

    console.print(Text(f"{d.old_label} -> {d.new_label}: {headline(d)}", style="bold"))
    t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    t.add_column("workload")
    t.add_column("runs on")
    wide = console.width >= 100
    if wide:
        t.add_column("infra", justify="right")
        t.add_column("eng.", justify="right")
    t.add_column("before/mo", justify="right")
    t.add_column("after/mo", justify="right")
    t.add_column("change", justify="right")
    for w in d.workloads:
        where = (
            f"{w.old.runs_on} -> {w.new.runs_on}"
            if w.old and w.new and w.old.runs_on != w.new.runs_on
            else (w.new or w.old).runs_on  # type: ignore[union-attr]
        )
        t.add_row(
            one_line(w.name) + ("" if w.status in ("changed", "moved", "unchanged") else f" ({w.status})"),
            printable(where),
            *([signed(w.change("infra")), signed(w.change("engineering"))] if wide else []),
            usd(w.old.total if w.old else None),
            usd(w.new.total if w.new else None),
            signed(w.change("total")),
            style="dim" if w.status == "unchanged" else None,
        )
    t.add_row(
        "Total",
        "",
        *([signed(d.part_change("infra")), signed(d.part_change("engineering"))] if wide else []),
        usd(d.old_total),
        usd(d.new_total),
        signed(d.change),
        style="bold",
    )
    console.print(keep_figures_whole(t))
    console.print(Text(d.catalog, style="dim"))


@app.command("diff")
def diff_cmd(
    old: Annotated[
        Path, typer.Argument(help="Before: a workload file, or a JSON result.", show_default=False)
    ],
    new: Annotated[
        Path, typer.Argument(help="After: a workload file, or a JSON result.", show_default=False)
    ],
    format: Annotated[
        str, typer.Option("--format", "-f", help=f"Output format: {' | '.join(DIFF_FORMATS)}.")
    ] = "table",
    fail_above: Annotated[
        str | None,
        typer.Option(
            "--fail-above",
            metavar="USD",
            help="Exit 3 when the monthly total rises by more than this many US dollars (a CI guardrail).",
        ),
    ] = None,
    prices: Annotated[
        Path | None, typer.Option("--prices", help="Your negotiated prices, for both workload files.")
    ] = None,
    allow_files_from: Annotated[
        list[Path] | None,
        typer.Option(
            "--allow-files-from", metavar="DIR", help="Also let workload files read files under this folder."
        ),
    ] = None,
) -> None:
    """The monthly cost change from OLD to NEW: per workload and in total, infrastructure and
    engineering, and where each workload moves. Markdown makes a pull-request comment.

    Examples:

    \b
      wheretorun diff system.yml system-v2.yml
      git show main:system.yml > /tmp/old.yml && wheretorun diff /tmp/old.yml system.yml --format markdown
      wheretorun diff before.json after.json --fail-above 500
    """

    def run() -> None:
        problems = []
        if format not in DIFF_FORMATS:
            problems.append(
                Problem("--format", "", f"unknown format '{format}'; allowed: {', '.join(DIFF_FORMATS)}")
            )
        try:
            budget = parse_budget(fail_above)
        except InputError as e:
            problems += e.problems
        reports = []
        for path in (old, new):
            try:
                reports.append(_report(path, prices, list(allow_files_from or [])))
            except InputError as e:
                problems += e.problems
        if problems:
            raise InputError(problems)
        from ..report.diff import diff_reports, render_markdown

        d = diff_reports(reports[0], reports[1], str(old), str(new))
        if format == "json":
            sys.stdout.write(json.dumps(d.to_json_dict(), indent=2) + "\n")
        elif format == "markdown":
            sys.stdout.write(render_markdown(d))
        else:
            _table(d, out_console(highlight=False))
        sys.stdout.flush()
        over_budget(d.change, budget, "the increase of", reports[1].unpriced())

    guarded(run)
