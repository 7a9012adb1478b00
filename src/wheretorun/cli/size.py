"""`wheretorun size`: memory and throughput of a model on accelerators (a thin shell over sizing)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..report.table import keep_figures_whole
from ..sizing import PRECISIONS
from ..sizing.request import resolve_size_request
from ..sizing.sizer import AcceleratorOption, SizeResult
from .app import app, guarded


def _fmt(x: float | None, spec: str = ",.0f") -> str:
    return "-" if x is None else format(x, spec)


def _hourly(usd: object) -> str:
    """An hourly price as a reader compares them: cents from $10 up, four significant digits below."""
    if usd is None:
        return "-"
    v = float(usd)  # type: ignore[arg-type]
    return f"${v:,.2f}" if v >= 10 else f"${v:.4g}"


def _render(result: SizeResult, console: Console) -> None:
    b = result.best
    a = result.arch
    console.print(
        f"[bold]{result.model}[/bold] {result.precision}: {a.params_b:g}B params"
        f"{f' ({a.active_params_b:g}B active)' if a.is_moe else ''}, {a.layers} layers, {a.kv_heads} KV heads x {a.head_dim}"
        f"{' [estimated]' if a.estimated else ''}"
    )
    console.print(
        f"context {result.context_tokens:,} tokens, batch {result.batch}"
        + (
            f", {result.input_tokens or 0:,} in / {result.output_tokens or 0:,} out tokens"
            if result.avg_sequence_tokens
            else ""
        )
    )
    console.print(
        f"memory: weights {b.footprint.weights_gb:,.2f} GB + KV cache {b.footprint.kv_cache_gb:,.2f} GB "
        f"({b.footprint.kv_bytes_per_token:,.0f} B/token x {b.footprint.kv_tokens:,} tokens) + overhead "
        f"{b.footprint.overhead_gb:,.2f} GB = {b.footprint.total_gb:,.2f} GB (decimal GB)"
    )
    # no vertical rules, one space between columns, figures never cut (keep_figures_whole); below
    # 100 columns the accelerator and its count share a cell ("4x L4") and the fit is said once
    # under the table when every row fits, so the table reads whole at 80 columns
    narrow = console.width < 100
    all_fit = all(o.fits for o in result.options)
    columns = [
        ("Accel", "left"),
        ("GPUs", "right"),
        ("Fits", "left"),
        ("Need GB", "right"),
        ("Have GB", "right"),
        ("Instance", "left"),
        ("$/h", "right"),
        ("tok/s", "right"),
        ("tok/s/seq", "right"),
        ("TTFT s", "right"),
        ("req/s", "right"),
    ]
    drop = {"GPUs", *(["Fits"] if all_fit else [])} if narrow else set()
    table = Table(box=None, padding=(0, 1, 0, 0), pad_edge=False, header_style="bold")
    for col, just in columns:
        if col not in drop:
            table.add_column("GPUs" if narrow and col == "Accel" else col, justify=just)  # type: ignore[arg-type]
    for o in result.options:
        row = dict(zip((c for c, _ in columns), _row(o), strict=True))
        if narrow:
            row["Accel"] = f"{row['GPUs']}x {row['Accel']}" if o.gpus_needed else row["Accel"]
        table.add_row(*(v for c, v in row.items() if c not in drop))
    console.print(keep_figures_whole(table))
    if drop and all_fit:
        console.print("[dim]every option fits its accelerators' memory[/dim]")
    for note in result.assumptions:
        console.print(f"[dim]assumed: {note}[/dim]")
    console.print(
        "[dim]throughput: calibrated roofline, median error on published benchmarks in docs/sizing.md[/dim]"
    )


def _row(o: AcceleratorOption) -> list[str]:
    return [
        o.accelerator,
        _fmt(o.gpus_needed, "d") if o.gpus_needed else "none",
        "yes" if o.fits else "no",
        f"{o.footprint.total_gb:,.1f}",
        f"{o.usable_gb:,.1f}",
        o.instance_type or "-",
        _hourly(o.instance_hourly_usd),
        _fmt(o.decode_tokens_per_s),
        _fmt(o.per_sequence_tokens_per_s, ",.1f"),
        _fmt(o.time_to_first_token_s, ",.3f"),
        _fmt(o.requests_per_second, ",.2f"),
    ]


@app.command("size")
def size_cmd(
    model: Annotated[str | None, typer.Option("--model", help="Catalog model id, e.g. llama-3.1-8b.")] = None,
    params_b: Annotated[
        float | None, typer.Option("--params-b", help="Billions of parameters (architecture estimated).")
    ] = None,
    precision: Annotated[str, typer.Option("--precision", help=f"One of {', '.join(PRECISIONS)}.")] = "bf16",
    gpu: Annotated[
        str | None, typer.Option("--gpu", help="Accelerator, e.g. A10G, L4, H100, Inferentia2.")
    ] = None,
    gpus: Annotated[
        int | None, typer.Option("--gpus", help="How many (tensor parallel); default: fewest that fit.")
    ] = None,
    context: Annotated[int | None, typer.Option("--context", help="Context tokens per sequence.")] = None,
    batch: Annotated[int | None, typer.Option("--batch", help="Concurrent sequences (default 1).")] = None,
    input_tokens: Annotated[
        int | None, typer.Option("--input-tokens", help="Prompt tokens per request.")
    ] = None,
    output_tokens: Annotated[
        int | None, typer.Option("--output-tokens", help="Output tokens per request.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Memory (weights + KV cache + overhead) and throughput of a model on accelerators.

    Example: wheretorun size --model llama-3.1-8b --precision bf16 --gpu A10G --batch 8
    """

    def run() -> None:
        result = resolve_size_request(
            model, params_b, precision, gpu, gpus, context, batch, input_tokens, output_tokens
        )
        if as_json:
            typer.echo(json.dumps(result.to_json_dict(), indent=2))
        else:
            _render(result, Console(highlight=False))

    guarded(run)
