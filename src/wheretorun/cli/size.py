"""`wheretorun size`: memory and throughput of a model on accelerators (a thin shell over sizing)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from .._perf import start_up_done
from ..units import PRECISIONS

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from ..sizing.sizer import AcceleratorOption, SizeResult
from .app import app, guarded, out_console


def _fmt(x: float | None, spec: str = ",.0f") -> str:
    return "-" if x is None else format(x, spec)


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
    tables = _tables(result, console.width)
    for table in tables:
        console.print(table)
    if any(SATURATED in cell for t in tables for col in t.columns for cell in map(str, col.cells)):
        console.print(f"{SATURATED} = saturated: requests arrive faster than one replica serves them")
    reasons: dict[str, list[str]] = {}
    for o in result.options:
        for why in o.unvalidated:
            reasons.setdefault(why, []).append(o.accelerator)
    for why, where in reasons.items():
        console.print(f"[yellow]unvalidated: {why} ({', '.join(where)})[/yellow]")
    for note in result.assumptions:
        console.print(f"[dim]assumed: {note}[/dim]")
    console.print(
        "[dim]serving model: calibrated roofline + queueing; error per published source in docs/sizing.md[/dim]"
    )


#: Below this many columns the accelerator and its count share a cell ("4x L4"), usable memory is
#: left out and "fits" is shown only when some accelerator does not fit: every figure and instance
#: type stays whole at 80 columns (issue 16) instead of being cut to "p4de..." or "$27....".
WIDE_COLUMNS = 100


def _tables(result: SizeResult, width: int) -> list[Table]:
    """The accelerators table, as wide as the terminal allows without cutting a figure: one table
    when wide; on a narrow terminal the hardware and the serving figures in two tables."""
    from rich import box
    from rich.table import Table

    from ..report.table import keep_figures_whole

    narrow = width < WIDE_COLUMNS
    show_fits = not narrow or not all(o.fits for o in result.options)
    loaded = any(o.serving for o in result.options)
    rated = any(o.at_rate for o in result.options)
    targets = any(o.max_concurrency is not None for o in result.options)
    hardware = [("Accelerator", "left")] if narrow else [("Accel", "left"), ("GPUs", "right")]
    hardware += [("Fits", "left")] if show_fits else []
    hardware += [("Need GB", "right")] + ([] if narrow else [("Have GB", "right")])
    hardware += [("Instance", "left"), ("$/h", "right")]
    if loaded:
        figures = [("out tok/s", "right"), ("TTFT s", "right"), ("TPOT ms", "right"), ("latency s", "right")]
    else:
        figures = [("tok/s", "right"), ("tok/s/seq", "right"), ("TTFT s", "right")]
    if rated:
        figures += [("p99 s", "right"), ("TTFT p99", "right")]
    if targets:
        figures += [("max conc.", "right"), ("max req/s", "right")]

    def new(columns: list[tuple[str, str]]) -> Table:
        table = Table(
            show_lines=False, box=box.SIMPLE_HEAD if narrow else box.HEAVY_HEAD, pad_edge=not narrow
        )
        for col, just in columns:
            table.add_column(col, justify=just)  # type: ignore[arg-type]
        return table

    # narrow: the hardware, then the serving figures at most five to a table
    split = narrow and len(hardware) + len(figures) > 8
    groups = [figures[i : i + 5] for i in range(0, len(figures), 5)] if split else []
    tables = (
        [new(hardware)] + [new([("Accelerator", "left"), *g]) for g in groups]
        if split
        else [new(hardware + figures)]
    )
    for o in result.options:
        count = _fmt(o.gpus_needed, "d") if o.gpus_needed else "none"
        name = f"{count}x {o.accelerator}"
        head = [name] if narrow else [o.accelerator, count]
        head += ["yes" if o.fits else "no"] if show_fits else []
        head += [f"{o.footprint.total_gb:,.1f}"] + ([] if narrow else [f"{o.usable_gb:,.1f}"])
        head += [o.instance_type or "-", _hourly(o.instance_hourly_usd)]
        cells = _figures(o, loaded, rated, targets)
        if split:
            tables[0].add_row(*head)
            for table, start in zip(tables[1:], range(0, len(cells), 5), strict=True):
                table.add_row(name, *cells[start : start + 5])
        else:
            tables[0].add_row(*head, *cells)
    return [keep_figures_whole(t) for t in tables]


#: What a figure shows when arrivals outrun the replica (the queue grows without bound); short, so
#: the serving table fits 80 columns, and explained under the table.
SATURATED = "sat."


def _hourly(usd: object) -> str:
    """An hourly price to at most four decimals (as the price pages show it); the exact catalog
    figure is in ``size --json``."""
    if usd is None:
        return "-"
    return "$" + format(float(str(usd)), ",.4f").rstrip("0").rstrip(".")


def _figures(o: AcceleratorOption, loaded: bool, rated: bool, targets: bool) -> list[str]:
    """The serving figures shown for one accelerator option."""
    row: list[str] = []
    pt = o.at_rate or o.serving
    if loaded:
        row += [
            _fmt(pt.output_tokens_per_s if pt else None),
            _fmt(pt.ttft_s if pt else None, ",.3f"),
            _fmt(pt.tpot_s * 1000 if pt else None, ",.1f"),
            _fmt(pt.request_latency_s if pt else None, ",.2f"),
        ]
    else:
        row += [
            _fmt(o.decode_tokens_per_s),
            _fmt(o.per_sequence_tokens_per_s, ",.1f"),
            _fmt(o.time_to_first_token_s, ",.3f"),
        ]
    if rated:
        r = o.at_rate
        row += [_fmt(r.latency_p99_s if r else None, ",.2f"), _fmt(r.ttft_p99_s if r else None, ",.3f")]
    if targets:
        row += [_fmt(o.max_concurrency, ",d"), _fmt(o.max_requests_per_s, ",.2f")]
    return [SATURATED if x == "inf" else x for x in row]


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
    batch: Annotated[
        int | None,
        typer.Option("--concurrency", "--batch", help="Requests in flight (default 1); --batch is an alias."),
    ] = None,
    input_tokens: Annotated[
        int | None, typer.Option("--input-tokens", help="Prompt tokens per request.")
    ] = None,
    output_tokens: Annotated[
        int | None, typer.Option("--output-tokens", help="Output tokens per request.")
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", help="Serving engine: vllm, trt-llm, tgi, sglang or neuron.")
    ] = "vllm",
    rate: Annotated[
        float | None, typer.Option("--rate", help="Arrivals per second (Poisson): p50/p99 latency and TTFT.")
    ] = None,
    max_ttft_ms: Annotated[
        float | None, typer.Option("--max-ttft-ms", help="Target time to first token (p99 at a rate).")
    ] = None,
    max_tpot_ms: Annotated[
        float | None, typer.Option("--max-tpot-ms", help="Target time per output token (mean).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Memory (weights + KV cache + overhead) and throughput of a model on accelerators.

    Example: wheretorun size --model llama-3.1-8b --gpu A10G --concurrency 8 --input-tokens 550 --output-tokens 150
    """

    def run() -> None:
        from ..sizing.request import resolve_size_request

        start_up_done()

        result = resolve_size_request(
            model,
            params_b,
            precision,
            gpu,
            gpus,
            context,
            batch,
            input_tokens,
            output_tokens,
            engine=engine,
            rate=rate,
            max_ttft_ms=max_ttft_ms,
            max_tpot_ms=max_tpot_ms,
        )
        if as_json:
            typer.echo(json.dumps(result.to_json_dict(), indent=2))
        else:
            _render(result, out_console(highlight=False, markup=True))

    guarded(run)
