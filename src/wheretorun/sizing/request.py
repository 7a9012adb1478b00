"""A size request as the CLI and the web API take it: checks every flag, resolves the model.

One place for the checks so ``wheretorun size`` and ``POST /v1/size`` refuse the same inputs with
the same messages (problems name the CLI flags; the web API maps them to its body fields).
"""

from __future__ import annotations

from ..catalog.store import load_catalog
from ..errors import InputError, Problem, did_you_mean
from . import PRECISIONS, architecture_from_card, estimate_architecture
from .efficiency import ENGINES
from .placement import NEURON, tensor_parallel_degrees
from .sizer import SizeResult, max_devices, size_model

DEFAULT_CONTEXT = 8192
MAX_TOKENS = 10_000_000
MAX_BATCH = 100_000
MAX_PARAMS_B = 100_000
MAX_RATE = 1_000_000
MAX_TARGET_MS = 86_400_000


def check_positive(problems: list[Problem], flag: str, value: float | None, limit: float) -> None:
    if value is not None and not (0 < value <= limit):
        problems.append(Problem(flag, "", f"must be a positive number up to {limit:,g} (got {value:g})"))


def resolve_size_request(
    model,
    params_b,
    precision,
    gpu,
    gpus,
    context,
    batch,
    input_tokens,
    output_tokens,
    *,
    engine: str = "vllm",
    rate: float | None = None,
    max_ttft_ms: float | None = None,
    max_tpot_ms: float | None = None,
) -> SizeResult:
    """``batch`` is the concurrency (requests in flight; ``--concurrency``, alias ``--batch``)."""
    catalog = load_catalog()
    problems: list[Problem] = []
    if engine not in ENGINES:
        problems.append(
            Problem(
                "--engine",
                "",
                f"unknown engine '{engine}'{did_you_mean(engine, ENGINES)}; allowed: {', '.join(ENGINES)}",
            )
        )
    if engine == "neuron" and gpu is not None and gpu not in NEURON:
        problems.append(Problem("--engine", "", f"neuron serves Inferentia2 and Trainium only, not {gpu}"))
    check_positive(problems, "--rate", rate, MAX_RATE)
    check_positive(problems, "--max-ttft-ms", max_ttft_ms, MAX_TARGET_MS)
    check_positive(problems, "--max-tpot-ms", max_tpot_ms, MAX_TARGET_MS)
    if (rate is not None or max_ttft_ms is not None or max_tpot_ms is not None) and output_tokens is None:
        problems.append(
            Problem(
                "--output-tokens",
                "",
                "--rate, --max-ttft-ms and --max-tpot-ms need the request's length: give --output-tokens "
                "(and --input-tokens)",
            )
        )
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
    check_positive(problems, "--params-b", params_b, MAX_PARAMS_B)
    for flag, value, limit in (
        ("--gpus", gpus, 64),
        ("--context", context, MAX_TOKENS),
        ("--concurrency/--batch", batch, MAX_BATCH),
        ("--input-tokens", input_tokens, MAX_TOKENS),
        ("--output-tokens", output_tokens, MAX_TOKENS),
    ):
        check_positive(problems, flag, value, limit)
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
        assumptions.append("concurrency 1 (default; set --concurrency)")
    if output_tokens is not None:
        assumptions.append(
            f"engine {engine} (set --engine); closed loop at concurrency {batch}"
            + (f" and Poisson arrivals at {rate:g}/s" if rate is not None else "")
            + ": serving model and its error per source in docs/sizing.md"
        )
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
        engine=engine,
        rate=rate,
        max_ttft_s=max_ttft_ms / 1000 if max_ttft_ms is not None else None,
        max_tpot_s=max_tpot_ms / 1000 if max_tpot_ms is not None else None,
    )
