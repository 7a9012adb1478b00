"""`wheretorun size`: memory and throughput of a model on accelerators (a thin shell over sizing)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..catalog.store import load_catalog
from ..errors import InputError, Problem, did_you_mean
from ..sizing import PRECISIONS, architecture_from_card, estimate_architecture
from ..sizing.placement import tensor_parallel_degrees
from ..sizing.sizer import AcceleratorOption, SizeResult, max_devices, size_model
from .app import app, guarded

DEFAULT_CONTEXT = 8192
MAX_TOKENS = 10_000_000
MAX_BATCH = 100_000
MAX_PARAMS_B = 100_000


def _positive(problems: list[Problem], flag: str, value: float | None, limit: float) -> None:
    if value is not None and not (0 < value <= limit):
        problems.append(Problem(flag, "", f"must be a positive number up to {limit:,g} (got {value:g})"))


def _resolve(
    model, params_b, precision, gpu, gpus, context, batch, input_tokens, output_tokens
) -> SizeResult:  # type: ignore[no-untyped-def]
    catalog = load_catalog()
    problems: list[Problem] = []
    if (model is None) == (params_b is None):
        which = "both were given" if model is not None else "neither was given"
        problems.append(
            Problem("--model/--params-b", "", f"give exactly one of --model ID or --params-b N ({which})")
        )
    if precision not in PRECISIONS:
        problems.append(
            Problem("--precision", "", f"unknown precision '{precision}'; allowed: {', '.join(PRECISIONS)}")
        )
    if gpu is not None and gpu not in catalog.accelerators:
        problems.append(
            Problem(
                "--gpu",
                "",
                f"unknown accelerator '{gpu}'{did_you_mean(gpu, catalog.accelerators)}; "
                f"allowed: {', '.join(catalog.accelerators)}",
            )
        )
    if gpus is not None and gpu is None:
        problems.append(Problem("--gpus", "", "needs --gpu NAME (which accelerator to count)"))
    _positive(problems, "--params-b", params_b, MAX_PARAMS_B)
    for flag, value, limit in (
        ("--gpus", gpus, 64),
        ("--context", context, MAX_TOKENS),
        ("--batch", batch, MAX_BATCH),
        ("--input-tokens", input_tokens, MAX_TOKENS),
        ("--output-tokens", output_tokens, MAX_TOKENS),
    ):
        _positive(problems, flag, value, limit)
    arch = None
    name = ""
    assumptions: list[str] = []
    if model is not None and not problems:
        card = catalog.find_model(model)
        if card is None:
            problems.append(
                Problem(
                    "--model",
                    "",
                    f"unknown model '{model}'{did_you_mean(model.lower(), catalog.model_ids())}",
                )
            )
        elif not hasattr(card, "layers"):
            problems.append(
                Problem(
                    "--model",
                    "",
                    f"'{card.id}' is proprietary (API-only): no weights to size; use --params-b",
                )
            )
        else:
            arch = architecture_from_card(card)  # type: ignore[arg-type]
            name = card.id
    elif params_b is not None and not problems:
        arch = estimate_architecture(params_b)
        name = f"{params_b:g}B (estimated architecture)"
        assumptions.append(
            f"architecture estimated from {params_b:g}B parameters: {arch.layers} layers, 8 KV heads"
        )
    if arch is not None:
        max_ctx = arch.max_context_tokens
        if context is None:
            context = min(DEFAULT_CONTEXT, max_ctx or DEFAULT_CONTEXT)
            assumptions.append(f"context {context:,} tokens (default; set --context)")
        elif max_ctx and context > max_ctx:
            problems.append(
                Problem("--context", "", f"{context:,} exceeds {name}'s maximum of {max_ctx:,} tokens")
            )
        if gpu is not None and gpus is not None and gpu in catalog.accelerators:
            allowed = tensor_parallel_degrees(arch, gpu, max_devices(catalog, gpu))
            if gpus not in allowed:
                problems.append(
                    Problem(
                        "--gpus",
                        "",
                        f"{name} cannot be split over {gpus} x {gpu} (tensor parallel must divide its heads and "
                        f"fit one server); allowed: {', '.join(map(str, allowed))}",
                    )
                )
    if problems:
        raise InputError(problems)
    assert arch is not None and context is not None
    if gpu == "T4" and precision == "bf16":
        assumptions.append("T4 has no BF16: served as FP16 (same memory, same speed)")
    if batch is None:
        batch = 1
        assumptions.append("batch 1 (default; set --batch)")
    if input_tokens is None and output_tokens is None:
        assumptions.append(
            "every sequence at full context (give --input-tokens/--output-tokens for paged KV sizing)"
        )
    assumptions.append(f"engines use {90}% of accelerator memory; overhead = 1 GB per device + 5% of weights")
    return size_model(
        catalog,
        name,
        arch,
        precision,
        context_tokens=context,
        batch=batch,
        accelerator=gpu,
        gpus=gpus,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        assumptions=assumptions,
    )


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
    for col, just in (
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
    ):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for o in result.options:
        table.add_row(*_row(o))
    console.print(table)
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
        f"${o.instance_hourly_usd}" if o.instance_hourly_usd is not None else "-",
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
        result = _resolve(model, params_b, precision, gpu, gpus, context, batch, input_tokens, output_tokens)
        if as_json:
            typer.echo(json.dumps(result.to_json_dict(), indent=2))
        else:
            _render(result, Console(highlight=False))

    guarded(run)
