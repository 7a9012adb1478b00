"""What a workload asks of any platform, derived once: volume, rates, tokens, duration, memory.

Every default applied here is recorded in ``Usage.assumptions`` so the trace can show it (SkyPilot's
lesson: a hidden default confuses users).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..catalog.models import ArchitectureCard, ProprietaryCard
from ..catalog.store import Catalog
from ..errors import InputError, Problem, did_you_mean
from ..sizing import Architecture, Footprint, architecture_from_card, estimate_architecture, footprint
from ..spec.files import FileAccess
from ..spec.models import MODEL_ROLES, Workload, WorkloadFile
from ..units import SECONDS_PER_MONTH

#: Peak-to-mean ratio assumed per traffic shape when the file gives none (documented in README).
DEFAULT_PEAK_TO_MEAN = {"steady": 1.5, "diurnal": 3.0, "spiky": 8.0, "batch": 1.0}
DEFAULT_CONTEXT_TOKENS = 8192
DEFAULT_ORCHESTRATION_MEMORY_GB = 0.5
DEFAULT_ORCHESTRATION_DURATION_S = 2.0
DEFAULT_TOKENS = {"input": 1000, "output": 250}
EMBEDDING_OUTPUT_TOKENS = 0


@dataclass(frozen=True)
class ModelInfo:
    """The workload's model resolved against the catalog."""

    id: str | None
    card: ArchitectureCard | ProprietaryCard | None
    weights: str  # open | proprietary
    params_b: float | None
    precision: str
    context_tokens: int
    custom: bool
    kind: str  # generative | embedding | reranker | classifier
    arch: Architecture | None
    footprint: Footprint | None  # one sequence at full context
    bedrock_model_id: str | None

    @property
    def label(self) -> str:
        if self.id:
            return self.id
        return f"{self.params_b:g}B-parameter model" if self.params_b else "model"


@dataclass
class Usage:
    index: int
    workload: Workload
    requests_per_month: float
    peak_to_mean: float
    duration_s: float
    duration_p99_s: float
    memory_gb: float
    input_tokens: int
    output_tokens: int
    model: ModelInfo | None
    files: FileAccess  # where the files the workload names may be read from
    assumptions: list[str] = field(default_factory=list)

    @property
    def mean_rps(self) -> float:
        return self.requests_per_month / SECONDS_PER_MONTH

    @property
    def peak_rps(self) -> float:
        return self.mean_rps * self.peak_to_mean

    @property
    def tokens_per_month(self) -> float:
        return self.requests_per_month * (self.input_tokens + self.output_tokens)

    @property
    def input_tokens_per_month(self) -> float:
        return self.requests_per_month * self.input_tokens

    @property
    def output_tokens_per_month(self) -> float:
        return self.requests_per_month * self.output_tokens

    @property
    def mean_concurrency(self) -> float:
        """Little's law: requests in flight on average = arrival rate x time in system."""
        return self.mean_rps * self.duration_s

    @property
    def peak_concurrency(self) -> float:
        return self.peak_rps * self.duration_s

    @property
    def path(self) -> str:
        return f"workloads[{self.index}]"


def resolve_model(w: Workload, index: int, catalog: Catalog, file: str) -> ModelInfo | None:
    m = w.model
    if m is None:
        return None
    card = None
    if m.id is None and m.params_b is None and m.bedrock_id is not None:
        # a Bedrock model known only by its Bedrock id: served by Bedrock, priced through genai-prices
        return ModelInfo(
            id=m.bedrock_id,
            card=None,
            weights=m.weights or "proprietary",
            params_b=None,
            precision=m.precision,
            context_tokens=m.context_tokens or DEFAULT_CONTEXT_TOKENS,
            custom=m.custom,
            kind={"embedding": "embedding", "reranking": "reranker", "classification": "classifier"}.get(
                w.role, "generative"
            ),
            arch=None,
            footprint=None,
            bedrock_model_id=m.bedrock_id,
        )
    if m.id is not None:
        card = catalog.find_model(m.id)
        if card is None and m.params_b is None:
            raise InputError(
                [
                    Problem(
                        file,
                        f"workloads[{index}].model.id",
                        f"unknown model id '{m.id}'{did_you_mean(m.id, catalog.model_ids())}; "
                        "give params_b to describe a model the catalog does not know "
                        "(`wheretorun prices show --service models` lists the ids)",
                    )
                ]
            )
    if isinstance(card, ProprietaryCard):
        if m.weights == "open":
            raise InputError(
                [
                    Problem(
                        file,
                        f"workloads[{index}].model.weights",
                        f"'{card.id}' is proprietary (API-only), not open",
                    )
                ]
            )
        return ModelInfo(
            id=card.id,
            card=card,
            weights="proprietary",
            params_b=m.params_b or card.params_b,
            precision=m.precision,
            context_tokens=m.context_tokens or DEFAULT_CONTEXT_TOKENS,
            custom=m.custom,
            kind=card.kind,
            arch=None,
            footprint=None,
            bedrock_model_id=card.bedrock_model_id,
        )
    if card is not None:
        arch = architecture_from_card(card)
        params = m.params_b or card.params_b
        kind = card.kind
        bedrock_id = card.bedrock_model_id
        max_ctx = card.max_context_tokens
    else:
        params = float(m.params_b or 0)
        arch = estimate_architecture(params)
        kind = {"embedding": "embedding", "reranking": "reranker", "classification": "classifier"}.get(  # type: ignore[assignment]  # one of ModelKind
            w.role, "generative"
        )
        bedrock_id = None
        max_ctx = None
    weights = m.weights or ("open" if card is not None else "open")
    if weights == "proprietary" and card is None:
        # a proprietary model described only by size: it can only be reached through its provider
        return ModelInfo(
            id=m.id,
            card=None,
            weights="proprietary",
            params_b=params,
            precision=m.precision,
            context_tokens=m.context_tokens or DEFAULT_CONTEXT_TOKENS,
            custom=m.custom,
            kind=kind,
            arch=None,
            footprint=None,
            bedrock_model_id=None,
        )
    default_ctx = DEFAULT_CONTEXT_TOKENS if kind == "generative" else min(512, max_ctx or 512)
    ctx = m.context_tokens or (min(default_ctx, max_ctx) if max_ctx else default_ctx)
    if max_ctx and m.context_tokens and m.context_tokens > max_ctx:
        raise InputError(
            [
                Problem(
                    file,
                    f"workloads[{index}].model.context_tokens",
                    f"{m.context_tokens:,} tokens is above {card.id if card else 'the model'}'s maximum of {max_ctx:,}",
                )
            ]
        )
    if arch is not None and m.params_b and card is not None:
        arch = Architecture(**{**arch.__dict__, "params_b": params})
    return ModelInfo(
        id=card.id if card else m.id,
        card=card,
        weights=weights,
        params_b=params,
        precision=m.precision,
        context_tokens=ctx,
        custom=m.custom,
        kind=kind,
        arch=arch,
        footprint=footprint(arch, m.precision, ctx, 1),
        bedrock_model_id=bedrock_id,
    )


def derive_usage(
    wf: WorkloadFile,
    index: int,
    catalog: Catalog,
    file: str,
    base_dir: FileAccess | Path | None,
    memo: dict[tuple, Any] | None = None,
) -> Usage:
    """The usage of workload ``index`` as written (its own layer).

    ``memo`` (``platforms.base.Context.memo``: one catalog and file) keeps each resolved model: an
    inventory names a few models thousands of times, and a ``ModelInfo`` depends only on the
    workload's model description and role (it is frozen, so sharing it is safe).
    """
    w = wf.workloads[index]
    if memo is None or w.model is None:
        model = resolve_model(w, index, catalog, file)
    else:
        key = ("model", w.role, *w.model.__dict__.items())
        model = memo.get(key)
        if model is None:
            model = memo[key] = resolve_model(w, index, catalog, file)
    return _derive(w, index, model, catalog, FileAccess.of(base_dir))


def model_layer_usage(usage: Usage, catalog: Catalog) -> Usage:
    """The usage an orchestration workload puts on the model it calls: same requests and tokens,
    the model's own memory and generation time (not the orchestration code's)."""
    w = usage.workload.model_copy(
        update={"role": "inference", "duration_s": None, "duration_p99_s": None, "memory_gb": None}
    )
    derived = _derive(w, usage.index, usage.model, catalog, usage.files)
    derived.assumptions = [
        f"model layer: {a}"
        for a in derived.assumptions
        if not a.startswith(("peak_to_mean", "input_tokens", "output_tokens", "requests_per_month"))
        # a model served behind an API has no memory of ours to size
        and not (a.startswith("memory_gb") and (usage.model is None or usage.model.footprint is None))
    ]
    return derived


def _derive(w: Workload, index: int, model: ModelInfo | None, catalog: Catalog, files: FileAccess) -> Usage:
    notes: list[str] = []
    if w.peak_to_mean is not None:
        ptm = w.peak_to_mean
    else:
        ptm = DEFAULT_PEAK_TO_MEAN[w.traffic]
        notes.append(
            f"peak_to_mean = {ptm:g} (default for '{w.traffic}' traffic; set peak_to_mean to change it)"
        )
    generative = model is not None and model.kind == "generative"
    if w.input_tokens is not None:
        tin = w.input_tokens
    elif model is not None:
        tin = DEFAULT_TOKENS["input"] if generative else 256
        notes.append(f"input_tokens = {tin:,} per request (default; set input_tokens)")
    else:
        tin = 0
    if w.output_tokens is not None:
        tout = w.output_tokens
    elif generative:
        tout = DEFAULT_TOKENS["output"]
        notes.append(f"output_tokens = {tout:,} per request (default; set output_tokens)")
    else:
        tout = 0
    if w.duration_s is not None:
        dur = w.duration_s
    elif w.role in MODEL_ROLES and generative:
        speed = catalog.limit("bedrock/output-tokens-per-s").value
        first = catalog.limit("bedrock/first-token-s").value
        dur = round(first + tout / speed, 3)
        notes.append(
            f"duration_s = {dur:g} s ({first:g} s to first token + {tout:,} output tokens at {speed:g} tokens/s; "
            "set duration_s)"
        )
    elif w.role in MODEL_ROLES:
        dur = 0.05
        notes.append("duration_s = 0.05 s per request (default for a small encoder model; set duration_s)")
    else:
        dur = DEFAULT_ORCHESTRATION_DURATION_S
        notes.append(f"duration_s = {dur:g} s (default for orchestration; set duration_s)")
    p99 = w.duration_p99_s if w.duration_p99_s is not None else dur
    if w.memory_gb is not None:
        mem = w.memory_gb
    elif model is not None and model.footprint is not None and w.role in MODEL_ROLES:
        mem = round(model.footprint.total_gb, 3)
        notes.append(
            f"memory_gb = {mem:g} GB derived from the model (weights {model.footprint.weights_gb:.2f} GB + KV cache "
            f"{model.footprint.kv_cache_gb:.2f} GB at {model.context_tokens:,} tokens + overhead "
            f"{model.footprint.overhead_gb:.2f} GB)"
        )
    else:
        mem = DEFAULT_ORCHESTRATION_MEMORY_GB
        notes.append(f"memory_gb = {mem:g} GB (default for code that calls a model; set memory_gb)")
    base_volume = w.monthly_requests
    if w.requests_per_second is not None:
        notes.append(
            f"requests_per_month = {base_volume:,.0f} ({w.requests_per_second:g}/s x {SECONDS_PER_MONTH:,} s in a 730-hour month)"
        )
    return Usage(
        index=index,
        workload=w,
        requests_per_month=base_volume,
        peak_to_mean=ptm,
        duration_s=dur,
        duration_p99_s=p99,
        memory_gb=mem,
        input_tokens=tin,
        output_tokens=tout,
        model=model,
        files=files,
        assumptions=notes,
    )
