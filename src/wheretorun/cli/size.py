"""`wheretorun size`: memory and throughput of a model on accelerators (a thin shell over sizing)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..units import PRECISIONS

if TYPE_CHECKING:
    from ..sizing.sizer import AcceleratorOption, SizeResult
from .app import app, guarded


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
    table = Table(show_lines=False)
    loaded = any(o.serving for o in result.options)
    rated = any(o.at_rate for o in result.options)
    targets = any(o.max_concurrency is not None for o in result.options)
    columns = [("Accel", "left"), ("GPUs", "right"), ("Fits", "left"), ("Need GB", "right"),
               ("Have GB", "right"), ("Instance", "left"), ("$/h", "right")]  # fmt: skip
    if loaded:
        columns += [("out tok/s", "right"), ("TTFT s", "right"), ("TPOT ms", "right"), ("latency s", "right")]
    else:
        columns += [("tok/s", "right"), ("tok/s/seq", "right"), ("TTFT s", "right")]
    if rated:
        columns += [("p99 s", "right"), ("TTFT p99", "right")]
    if targets:
        columns += [("max conc.", "right"), ("max req/s", "right")]
    for col, just in columns:
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for o in result.options:
        table.add_row(*_row(o, loaded, rated, targets))
    console.print(table)
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


def _row(o: AcceleratorOption, loaded: bool, rated: bool, targets: bool) -> list[str]:
    row = [
        o.accelerator,
        _fmt(o.gpus_needed, "d") if o.gpus_needed else "none",
        "yes" if o.fits else "no",
        f"{o.footprint.total_gb:,.1f}",
        f"{o.usable_gb:,.1f}",
        o.instance_type or "-",
        f"${o.instance_hourly_usd}" if o.instance_hourly_usd is not None else "-",
    ]
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
    return ["saturated" if x == "inf" else x for x in row]


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
            _render(result, Console(highlight=False))

    guarded(run)
