"""What a workload asks of any platform, derived once: volume, rates, tokens, duration, memory.

Every default applied here is recorded in ``Usage.assumptions`` so the trace can show it (SkyPilot's
lesson: a hidden default confuses users).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
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
_UNPRICED = (
    ": per-token options (Bedrock) stay unpriced without it; self-hosted sizing uses it, unless "
    "duration_s is given, which then is a replica's service time"
)
LAMBDA_TIMEOUT_S = 900  # catalog lambda/timeout; a flow longer than this cannot be one call
EMBEDDING_OUTPUT_TOKENS = 0
#: Code that waits on tools, models or people keeps a vCPU busy for 1/25 of its wall time (an async
#: handler holds ~25 requests per vCPU): the default ``active_compute_s`` of interactive code roles.
IO_BOUND_ACTIVE_SHARE = 1 / 25
#: Orchestration longer than Lambda's 900 s cannot be one function call: it waits for a callback
#: (``.waitForTaskToken``), a Wait state or a person. Its own compute is a few short steps: 2 s a run
#: (the orchestration default duration) unless active_compute_s says otherwise.
WAITING_FLOW_ACTIVE_S = 2.0
#: A stated duration_s disagreeing with the sized latency by more than this factor is warned about.
DURATION_DISAGREEMENT = 2.0


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
    max_context_tokens: int | None = None
    #: A catalog model that stands in on Bedrock for a model described only by its size (an
    #: assumption shown to the user; give model.bedrock_id to choose another).
    bedrock_stand_in: str | None = None

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
    #: Seconds of CPU work within duration_s (the rest waits); ``active_given``: stated in the file.
    active_compute_s: float = 0.0
    active_given: bool = False
    #: Requests one replica serves at once when throughput comes from duration_s (batch_per_replica).
    batch_per_replica: int = 1
    duration_given: bool = False
    #: Token fields the file leaves out although the model is billed per token (never invented for
    #: a per-token price: those options are left unpriced, naming the field).
    missing_token_fields: tuple[str, ...] = ()
    #: Why the request does not fit the model's context window, when it does not.
    context_problem: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def service_time_from_duration(self) -> bool:
        """Rule 'time on a replica': a replica's throughput cannot come from tokens (a model that
        generates none, or no token counts given), so the stated duration_s is its service time."""
        m = self.model
        if m is None or not self.duration_given:
            return False
        return m.kind != "generative" or bool(self.missing_token_fields)

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
            max_context_tokens=card.max_context_tokens,
        )
    if card is not None:
        if (
            m.params_b
            and max(m.params_b, card.params_b) / min(m.params_b, card.params_b) > STAND_IN_SIZE_FACTOR
        ):
            # the id prices Bedrock and names the architecture, params_b sizes the servers: two models
            raise InputError(
                [
                    Problem(
                        file,
                        f"workloads[{index}].model.params_b",
                        f"{m.params_b:g}B contradicts {card.id} ({card.params_b:g}B parameters); give the id alone, "
                        f"or params_b alone to describe another model (within x{STAND_IN_SIZE_FACTOR:g} of the "
                        "catalog's size it adjusts the id's model)",
                    )
                ]
            )
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
    stand_in = None
    if card is None and weights == "open" and not m.custom and kind == "generative" and params:
        stand_in_card = bedrock_stand_in(catalog, params)
        if stand_in_card is not None:
            stand_in, bedrock_id = stand_in_card.id, stand_in_card.bedrock_model_id
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
        bedrock_model_id=m.bedrock_id or bedrock_id,
        max_context_tokens=max_ctx,
        bedrock_stand_in=None if m.bedrock_id else stand_in,
    )


#: A size-only open model stands in for a Bedrock-served open model within this factor of its size.
STAND_IN_SIZE_FACTOR = 1.5


def bedrock_stand_in(catalog: Catalog, params_b: float) -> ArchitectureCard | None:
    """The catalog's Bedrock-served open generative model nearest in size (by ratio of parameter
    counts) to a model known only by ``params_b``, if one is within ``STAND_IN_SIZE_FACTOR``: Bedrock
    serves open 8B- and 70B-class models, so an open 8B model is priced as Llama 3.1 8B on Bedrock
    (a visible assumption; model.bedrock_id overrides it)."""
    best: tuple[float, ArchitectureCard] | None = None
    for card in catalog.open_models.values():
        if not card.bedrock_model_id or card.kind != "generative" or card.active_params_b:
            continue
        ratio = max(card.params_b, params_b) / min(card.params_b, params_b)
        if ratio <= STAND_IN_SIZE_FACTOR and (best is None or ratio < best[0]):
            best = (ratio, card)
    return best[1] if best else None


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
    usage = _derive(w, index, model, catalog, FileAccess.of(base_dir))
    usage.assumptions += _team_defaults(wf, catalog)
    return usage


def _team_defaults(wf: WorkloadFile, catalog: Catalog) -> list[str]:
    """The team section's defaults, when the file leaves them out: they weigh and price every
    engineering line, so a reader sees them beside the workload's other assumptions."""
    given = wf.team.model_fields_set
    notes = []
    if "ops_capacity" not in given:
        capacity = wf.team.ops_capacity
        notes.append(
            f"team.ops_capacity = {capacity} (default: no one on the team operates servers or GPU clusters "
            f"on call): engineering hours x{catalog.engineering.capacity_factor[capacity]:g} "
            "(set team.ops_capacity: none | limited | platform)"
        )
    if "engineer_hourly_usd" not in given:
        notes.append(
            f"team.engineer_hourly_usd = {wf.team.engineer_hourly_usd:g} USD per engineering hour, fully "
            "loaded (default; set team.engineer_hourly_usd)"
        )
    return notes


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
        notes.append(f"input_tokens = {tin:,} per request (default; set input_tokens){_UNPRICED}")
    else:
        tin = 0
    if w.output_tokens is not None:
        tout = w.output_tokens
    elif generative:
        tout = DEFAULT_TOKENS["output"]
        notes.append(f"output_tokens = {tout:,} per request (default; set output_tokens){_UNPRICED}")
    else:
        tout = 0
    warnings: list[str] = []
    missing: tuple[str, ...] = ()
    if model is not None and model.kind != "classifier":
        missing = tuple(
            name
            for name, given in (
                ("input_tokens", w.input_tokens is not None),
                ("output_tokens", w.output_tokens is not None or not generative),
            )
            if not given
        )
    context_problem = None
    if model is not None:
        model, context_problem = _fit_context(model, tin, tout, notes)
    model_call_s = None
    if (
        w.role in MODEL_ROLES
        and generative
        and w.gpu == "none"
        and model is not None
        and model.footprint is not None
    ):
        model_call_s = cpu_generation_s(model, tin, tout, catalog, notes)
    elif generative:
        speed = catalog.limit("bedrock/output-tokens-per-s").value
        first = catalog.limit("bedrock/first-token-s").value
        model_call_s = round(first + tout / speed, 3)
        model_call_why = f"{first:g} s to first token + {tout:,} output tokens at {speed:g} tokens/s"
    if w.duration_s is not None:
        dur = w.duration_s
        if w.role not in MODEL_ROLES and model_call_s is not None and dur < model_call_s:
            warnings.append(
                f"duration_s {dur:g} s is shorter than one call to {model.label} ({model_call_s:g} s): "  # type: ignore[union-attr]
                "the caller waits for the model, so its duration is at least the model's latency"
            )
    elif w.role in MODEL_ROLES and generative:
        dur = model_call_s  # type: ignore[assignment]
        if w.gpu != "none" or model is None or model.footprint is None:
            notes.append(f"duration_s = {dur:g} s ({model_call_why}; set duration_s)")
    elif w.role in MODEL_ROLES:
        dur = 0.05
        notes.append("duration_s = 0.05 s per request (default for a small encoder model; set duration_s)")
    elif model_call_s is not None and model_call_s > DEFAULT_ORCHESTRATION_DURATION_S:
        dur = model_call_s
        notes.append(
            f"duration_s = {dur:g} s: the code waits for each call to {model.label} ({model_call_why}), "  # type: ignore[union-attr]
            f"longer than the {DEFAULT_ORCHESTRATION_DURATION_S:g} s orchestration default; set duration_s"
        )
    else:
        dur = DEFAULT_ORCHESTRATION_DURATION_S
        notes.append(f"duration_s = {dur:g} s (default for orchestration; set duration_s)")
    p99 = w.duration_p99_s if w.duration_p99_s is not None else dur
    active = _active_compute(w, dur, notes)
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
    if model is not None and model.bedrock_stand_in and w.role in MODEL_ROLES:
        notes.append(
            f"Bedrock stand-in: {model.label} (open weights, size only) is priced on Bedrock as "
            f"{model.bedrock_stand_in} ({model.bedrock_model_id}), the Bedrock-served open model nearest in size; "
            "set model.bedrock_id to choose another, or model.id to name the model"
        )
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
        active_compute_s=active,
        active_given=w.active_compute_s is not None,
        batch_per_replica=w.batch_per_replica or 1,
        duration_given=w.duration_s is not None,
        missing_token_fields=missing,
        context_problem=context_problem,
        warnings=warnings,
    )


def _fit_context(model: ModelInfo, tin: int, tout: int, notes: list[str]) -> tuple[ModelInfo, str | None]:
    """Rule 'context': a request's input + output tokens must fit the model's context window; the
    KV cache is sized on the larger of context_tokens and the request's tokens."""
    need = tin + tout
    if model.kind != "generative":
        # an encoder request may hold several sequences (a query and its passages, a batch of
        # texts), each scored on its own: each must fit, not the request's total
        if model.max_context_tokens and need > model.max_context_tokens:
            notes.append(
                f"context: {need:,} input tokens per request are more than {model.label}'s {model.max_context_tokens:,}-token "
                "window: read as several sequences per request (a query and its passages), each within the window"
            )
        return model, None
    if model.max_context_tokens and need > model.max_context_tokens:
        return model, (
            f"{tin:,} input + {tout:,} output = {need:,} tokens per request, above {model.label}'s context "
            f"window of {model.max_context_tokens:,} tokens (model card)"
        )
    if model.footprint is not None and model.arch is not None and need > model.context_tokens:
        notes.append(
            f"context: the KV cache is sized for {need:,} tokens (input + output per request), above "
            f"context_tokens {model.context_tokens:,}"
        )
        model = replace(model, context_tokens=need, footprint=footprint(model.arch, model.precision, need, 1))
    return model, None


def cpu_generation_s(model: ModelInfo, tin: int, tout: int, catalog: Catalog, notes: list[str]) -> float:
    """Rule 'consistency': a generative model on CPU reads all its weights from memory for every
    output token, so it decodes at (memory bandwidth / weight bytes) tokens/s, and its prompt costs
    2 x params FLOPs a token at the CPU's matrix speed (catalog ``cpu/*`` estimates, docs/sizing.md)."""
    assert model.footprint is not None and model.params_b
    bw = catalog.limit("cpu/memory-bandwidth-gb-s").value
    flops = catalog.limit("cpu/prefill-tflops").value
    tps = bw / model.footprint.weights_gb
    prefill = 2 * model.params_b * 1e9 * tin / (flops * 1e12)
    dur = round(prefill + tout / tps, 3)
    notes.append(
        f"duration_s = {dur:g} s on CPU (gpu: none): prompt {tin:,} tokens x 2 x {model.params_b:g}B FLOPs at "
        f"{flops:g} TFLOPS = {prefill:.3g} s + {tout:,} output tokens at {tps:.3g} tokens/s "
        f"({bw:g} GB/s memory bandwidth / {model.footprint.weights_gb:.2f} GB of weights); set duration_s"
    )
    return dur


def _active_compute(w: Workload, dur: float, notes: list[str]) -> float:
    """Rule 'waiting is not computing': the seconds of CPU a request or run uses within duration_s.

    Stated (active_compute_s) or a default per role, shown as an assumption: a model server and a
    scheduled or batch job compute all along; interactive code that calls models and tools waits
    most of the time (1/25 of a vCPU per request in flight); an orchestration longer than Lambda's
    900 s is a wait for a callback, with a few seconds of steps.
    """
    if w.active_compute_s is not None:
        return w.active_compute_s
    if w.role in MODEL_ROLES:
        return dur
    if w.trigger == "schedule" or w.traffic == "batch":
        notes.append(
            f"active_compute_s = {dur:g} s: a scheduled or batch job computes for all of its duration "
            "(set active_compute_s if it mostly waits)"
        )
        return dur
    if dur > LAMBDA_TIMEOUT_S:
        active = min(dur, WAITING_FLOW_ACTIVE_S)
        notes.append(
            f"active_compute_s = {active:g} s: a {dur:,g} s flow is longer than a Lambda call can wait "
            "(900 s), so it waits for a callback or a person; its own steps compute a few seconds "
            "(set active_compute_s)"
        )
        return active
    active = dur * IO_BOUND_ACTIVE_SHARE
    notes.append(
        f"active_compute_s = {active:g} s of {dur:g} s: code that calls models and tools mostly waits "
        f"(1/{round(1 / IO_BOUND_ACTIVE_SHARE)} of a vCPU per request in flight; set active_compute_s)"
    )
    return active
