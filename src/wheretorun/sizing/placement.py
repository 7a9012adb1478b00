"""Which instances hold a model, with what tensor-parallel degree, and how fast they serve it.

Placement rule (docs/sizing.md): a model replica spans ``tp`` accelerators of one instance, with
``tp`` in {1, 2, 4, 8, 16} (Neuron parts also the instance's full count, e.g. 6 or 12 Inferentia2
chips) up to the instance's count; on GPUs ``tp`` must divide the attention heads and divide or be a
multiple of the KV heads (vLLM and TensorRT-LLM shard heads; with more ranks than KV heads they
replicate them). The instance runs ``count // tp`` replicas side by side (data parallel), and we pick
the ``tp`` that gives the instance the most output tokens/s (LambdaLabs' vLLM benchmark: "data
parallelism outperforms tensor parallelism when the model fits"); ``objective="latency"`` picks the
fastest single sequence instead. A replica fits when weights + overhead + one sequence at full
context fit in 90 % of its accelerators' memory; the batch is what paged KV cache then holds for
sequences of ``avg_sequence_tokens``, capped at ``batch_cap``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from ..catalog.models import AcceleratorSpec, InstanceSpec
from ..catalog.store import Catalog
from .memory import Architecture, Footprint, footprint
from .throughput import Throughput, decode_throughput, interconnect_for, serving_cycle_s

#: Serving engines batch many sequences; we plan for at most this many per replica unless the KV
#: cache holds fewer (vLLM's default ``max_num_seqs`` is 256; 32 keeps latency near the roofline knee).
DEFAULT_BATCH = 32
#: Engines pre-allocate ~90 % of accelerator memory (vLLM ``gpu_memory_utilization`` 0.9, TensorRT-LLM
#: ``kv_cache_free_gpu_mem_fraction`` 0.90: NVIDIA/TensorRT-LLM perf-overview.md @00f3768).
USABLE_MEMORY_FRACTION = 0.90
NEURON = ("Inferentia2", "Trainium")
TP_POWERS = (1, 2, 4, 8, 16, 32, 64)
Objective = Literal["throughput", "latency"]


@dataclass(frozen=True)
class InstanceFit:
    """How one instance serves the model. ``batch`` and ``throughput`` cover the whole instance
    (all replicas); ``footprint`` is one replica at batch 1 and full context."""

    instance: InstanceSpec
    tensor_parallel: int
    footprint: Footprint
    batch: int  # concurrent sequences the instance holds (all replicas)
    throughput: Throughput
    replicas: int = 1
    batch_per_replica: int = 0
    arch: Architecture | None = None
    precision: str = "bf16"
    accelerator: AcceleratorSpec | None = None
    interconnect: str | None = None

    @property
    def fits(self) -> bool:
        return self.batch >= 1


def tensor_parallel_degrees(arch: Architecture, accelerator: str, max_devices: int) -> list[int]:
    """Valid tensor-parallel degrees up to ``max_devices`` (see the module docstring)."""
    if accelerator in NEURON:
        return sorted({t for t in TP_POWERS if t <= max_devices} | {max_devices})
    heads = arch.attention_heads or arch.kv_heads * 4
    return [
        t
        for t in TP_POWERS
        if t <= max_devices and heads % t == 0 and (arch.kv_heads % t == 0 or t % arch.kv_heads == 0)
    ]


def max_batch(
    arch: Architecture,
    precision: str,
    usable_gb: float,
    context_tokens: int,
    cap: int,
    avg_sequence_tokens: int | None = None,
    devices: int = 1,
) -> int:
    """Sequences the KV cache holds: 0 unless one sequence at full context fits, else at least 1."""
    one = footprint(arch, precision, context_tokens, 1, devices=devices)
    if one.total_gb > usable_gb:
        return 0
    free_gb = usable_gb - one.weights_gb - one.overhead_gb
    avg = context_tokens if avg_sequence_tokens is None else min(avg_sequence_tokens, context_tokens)
    per_seq_gb = one.kv_bytes_per_token * avg / 1e9
    if per_seq_gb <= 0:
        return cap
    return max(1, min(cap, math.floor(free_gb / per_seq_gb)))


def fit_on(
    catalog: Catalog,
    inst: InstanceSpec,
    arch: Architecture,
    precision: str,
    context_tokens: int,
    batch_cap: int = DEFAULT_BATCH,
    avg_sequence_tokens: int | None = None,
    *,
    tensor_parallel: int | None = None,
    input_tokens: int | None = None,
    objective: Objective = "throughput",
) -> InstanceFit | None:
    """How the model fits one instance; None when the instance has no accelerator.

    ``avg_sequence_tokens`` (input + output of a typical request) sizes the paged KV cache; default
    every sequence at full context. ``tensor_parallel`` forces a degree. A fit with ``batch == 0``
    means the model does not fit.
    """
    if not inst.accelerator or inst.accelerator_count == 0:
        return None
    accel = catalog.accelerators[inst.accelerator]
    link = interconnect_for(accel, inst.family)
    degrees = (
        [tensor_parallel]
        if tensor_parallel
        else tensor_parallel_degrees(arch, accel.name, inst.accelerator_count)
    )
    best: InstanceFit | None = None
    for tp in degrees:
        if tp < 1 or tp > inst.accelerator_count:
            continue
        usable = inst.accelerator_memory_gb * tp * USABLE_MEMORY_FRACTION
        batch = max_batch(arch, precision, usable, context_tokens, batch_cap, avg_sequence_tokens, tp)
        if batch < 1:
            continue
        replicas = inst.accelerator_count // tp
        thr = decode_throughput(
            arch,
            precision,
            accel,
            tp,
            batch,
            context_tokens,
            avg_sequence_tokens=avg_sequence_tokens,
            input_tokens=input_tokens,
            interconnect=link,
            replicas=replicas,
        )
        fit = InstanceFit(
            inst,
            tp,
            footprint(arch, precision, context_tokens, 1, devices=tp),
            batch * replicas,
            thr,
            replicas,
            batch,
            arch,
            precision,
            accel,
            link,
        )
        if best is None or _better(fit, best, objective):
            best = fit
    if best is not None:
        return best
    tp = tensor_parallel or inst.accelerator_count
    thr = decode_throughput(arch, precision, accel, tp, 1, context_tokens, interconnect=link)
    return InstanceFit(
        inst,
        tp,
        footprint(arch, precision, context_tokens, 1, devices=tp),
        0,
        thr,
        0,
        0,
        arch,
        precision,
        accel,
        link,
    )


def _better(a: InstanceFit, b: InstanceFit, objective: Objective) -> bool:
    if objective == "latency":
        return a.throughput.per_sequence_tokens_per_s > b.throughput.per_sequence_tokens_per_s * 1.0001
    return a.throughput.decode_tokens_per_s > b.throughput.decode_tokens_per_s * 1.0001


def fitting_instances(
    catalog: Catalog,
    arch: Architecture,
    precision: str,
    context_tokens: int,
    prefix: str = "",
    batch_cap: int = DEFAULT_BATCH,
    avg_sequence_tokens: int | None = None,
    *,
    input_tokens: int | None = None,
    objective: Objective = "throughput",
) -> list[InstanceFit]:
    """Every priced accelerator instance (EC2, or SageMaker with prefix 'ml.') that holds the model."""
    out = []
    for inst in catalog.priced_instances(prefix):
        fit = fit_on(
            catalog,
            inst,
            arch,
            precision,
            context_tokens,
            batch_cap,
            avg_sequence_tokens,
            input_tokens=input_tokens,
            objective=objective,
        )
        if fit is not None and fit.fits:
            out.append(fit)
    return out


def _require_model(fit: InstanceFit) -> tuple[Architecture, AcceleratorSpec]:
    if fit.arch is None or fit.accelerator is None or not fit.fits:
        raise ValueError(f"{fit.instance.type} does not hold the model: no serving rate")
    return fit.arch, fit.accelerator


def requests_per_second(
    fit: InstanceFit,
    input_tokens: int,
    output_tokens: int,
    *,
    batch: int | None = None,
    measured_tokens_per_s: float | None = None,
) -> float:
    """Requests per second one instance sustains for requests of ``input_tokens`` -> ``output_tokens``.

    Each replica runs at concurrency ``batch`` (default: the fit's batch per replica); prefill and
    decode share its time (``serving_cycle_s``). ``measured_tokens_per_s`` -- your measured output
    tokens/s for the whole instance, prefill included (``Workload.measured_tokens_per_s``) --
    replaces the roofline: requests/s = measured / output tokens.
    """
    if measured_tokens_per_s is not None and output_tokens > 0:
        return measured_tokens_per_s / output_tokens
    arch, accel = _require_model(fit)
    b = batch or fit.batch_per_replica
    cycle = serving_cycle_s(
        arch, fit.precision, accel, fit.tensor_parallel, b, input_tokens, output_tokens, fit.interconnect
    )
    return fit.replicas * b / cycle if cycle > 0 else math.inf


def latency_s(
    fit: InstanceFit,
    input_tokens: int,
    output_tokens: int,
    batch: int | None = None,
    *,
    measured_tokens_per_s: float | None = None,
) -> float:
    """Seconds one request takes (first input token to last output token) at concurrency ``batch``
    per replica: by Little's law, concurrency / request rate."""
    b = batch or fit.batch_per_replica
    if measured_tokens_per_s is not None and output_tokens > 0:
        return b * fit.replicas / (measured_tokens_per_s / output_tokens)
    arch, accel = _require_model(fit)
    return serving_cycle_s(
        arch, fit.precision, accel, fit.tensor_parallel, b, input_tokens, output_tokens, fit.interconnect
    )
