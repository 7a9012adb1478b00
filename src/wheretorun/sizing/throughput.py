"""Throughput from a roofline: a decode step costs the slower of memory traffic and compute.

One decode step of a batch of B sequences reads every weight once (shared by the batch; a mixture of
experts reads the experts its tokens route to), plus each sequence's KV cache, and does ~2 x active
params FLOPs per sequence plus attention over the cached tokens. It runs at a fraction of peak:
model-bandwidth utilisation (MBU) and model-FLOPs utilisation (MFU) per accelerator, a fixed per-step
cost (scheduler, sampling, kernel launches: vLLM's 2024-09-05 profile of Llama-3-8B on one H100 found
GPU execution only 38 % of wall time) and, with tensor parallelism, two all-reduces per layer whose
latency does not shrink with the model -- why multi-GPU at batch 1 loses much of its bandwidth
advantage. Prefill (the prompt) is compute-bound. The factors live in ``data/efficiency.yml``, fitted to
the measurements in ``data/measurements.yml`` (docs/sizing.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..catalog.models import AcceleratorSpec
from .efficiency import EfficiencyFile, load_efficiency
from .memory import Architecture

#: The engine assumed unless one is named (the most deployed open-source server).
DEFAULT_ENGINE = "vllm"
#: Prompt length the headline prefill rate is quoted for when the workload gives none.
DEFAULT_PREFILL_TOKENS = 1024


@dataclass(frozen=True)
class Throughput:
    """Throughput of one model replica, or of a whole instance when ``replicas`` > 1.

    ``decode_tokens_per_s`` is output tokens per second summed over the batch while decoding;
    ``per_sequence_tokens_per_s`` what one user sees (1 / time per output token);
    ``prefill_tokens_per_s`` prompt tokens per second (summed over replicas).
    """

    batch: int
    step_s: float
    per_sequence_tokens_per_s: float
    decode_tokens_per_s: float
    prefill_tokens_per_s: float
    bound: str  # "memory" | "compute"
    tensor_parallel: int = 1
    replicas: int = 1
    kv_tokens_per_sequence: int = 0


def _tflops(accel: AcceleratorSpec, precision: str) -> float:
    """Dense tensor TFLOPS the precision runs at: FP8 where the part has it; INT8/INT4 are weight-only
    (dequantised to 16-bit for the matmul); FP32 runs as TF32 at half the 16-bit rate."""
    if precision == "fp8" and accel.fp8_tflops:
        return accel.fp8_tflops
    if precision == "fp32":
        return accel.bf16_tflops / 2
    return accel.bf16_tflops


def _q_dim(arch: Architecture) -> int:
    return arch.attention_heads * arch.head_dim if arch.attention_heads else arch.hidden_size


def interconnect_for(
    accel: AcceleratorSpec, family: str | None = None, eff: EfficiencyFile | None = None
) -> str:
    """The link between accelerators: the instance family's when known, else the part's default."""
    eff = eff or load_efficiency()
    if family and family in eff.families:
        return eff.families[family]
    return eff.accelerators[accel.name].interconnect


def weights_read_bytes(arch: Architecture, precision: str, batch: int) -> float:
    """Weight bytes one decode step reads: a dense model reads all; a MoE reads the experts its
    ``batch`` tokens route to, expected fraction 1 - (1 - active/total)^batch of the expert weights."""
    total = arch.weight_bytes(precision)
    if not arch.is_moe:
        return total
    share = arch.active_params_b / arch.params_b
    active = total * share
    return active + (total - active) * (1 - (1 - share) ** max(batch, 1))


def tp_comm_s(arch: Architecture, tensor_parallel: int, tokens: int, link: str, eff: EfficiencyFile) -> float:
    """Tensor-parallel cost of one forward pass over ``tokens`` tokens: two all-reduces per layer,
    each a fixed latency plus a ring transfer of 2 (t-1)/t x tokens x hidden x 2 bytes (16-bit
    activations) over the link."""
    if tensor_parallel <= 1:
        return 0.0
    cost = eff.interconnects[link]  # type: ignore[index]
    ring = 2 * (tensor_parallel - 1) / tensor_parallel
    per_allreduce = ring * tokens * arch.hidden_size * 2 / (cost.bandwidth_gb_s * 1e9)
    return arch.layers * (cost.tp_layer_s + 2 * per_allreduce)


def decode_step(
    arch: Architecture,
    precision: str,
    accel: AcceleratorSpec,
    tensor_parallel: int,
    batch: int,
    kv_tokens: int,
    interconnect: str | None = None,
    eff: EfficiencyFile | None = None,
    engine: str = DEFAULT_ENGINE,
) -> tuple[float, str]:
    """(seconds per decode step, bound) for ``batch`` sequences holding ``kv_tokens`` each, on
    ``engine`` (its step overhead, and its share of the hardware's MBU and MFU)."""
    eff = eff or load_efficiency()
    e = eff.accelerators[accel.name]
    g = eff.engines[engine]  # type: ignore[index]
    link = interconnect or e.interconnect
    bytes_ = (
        weights_read_bytes(arch, precision, batch) + arch.kv_bytes_per_token(precision) * kv_tokens * batch
    )
    mem_s = bytes_ / (accel.bandwidth_gb_s * 1e9 * tensor_parallel * e.mbu * g.decode_scale)
    flops = batch * (2 * arch.active_params_b * 1e9 + 4 * arch.layers * kv_tokens * _q_dim(arch))
    compute_s = flops / (_tflops(accel, precision) * 1e12 * tensor_parallel * e.mfu * g.decode_scale)
    tp_s = tp_comm_s(arch, tensor_parallel, batch, link, eff)
    return max(mem_s, compute_s) + g.step_overhead_s + tp_s, ("memory" if mem_s >= compute_s else "compute")


def prefill_s(
    arch: Architecture,
    precision: str,
    accel: AcceleratorSpec,
    tensor_parallel: int,
    input_tokens: int,
    interconnect: str | None = None,
    eff: EfficiencyFile | None = None,
    engine: str = DEFAULT_ENGINE,
) -> float:
    """Seconds to process one prompt of ``input_tokens``: matmuls (2 x active params per token) plus
    causal attention (2 x layers x tokens^2 x query dim), at least one read of the weights."""
    if input_tokens <= 0:
        return 0.0
    eff = eff or load_efficiency()
    e = eff.accelerators[accel.name]
    g = eff.engines[engine]  # type: ignore[index]
    link = interconnect or e.interconnect
    flops = 2 * arch.active_params_b * 1e9 * input_tokens + 2 * arch.layers * input_tokens**2 * _q_dim(arch)
    compute = flops / (_tflops(accel, precision) * 1e12 * tensor_parallel * e.prefill_mfu * g.prefill_scale)
    weights = weights_read_bytes(arch, precision, input_tokens) / (
        accel.bandwidth_gb_s * 1e9 * tensor_parallel * e.mbu
    )
    return max(compute, weights) + tp_comm_s(arch, tensor_parallel, input_tokens, link, eff)


def decode_throughput(
    arch: Architecture,
    precision: str,
    accel: AcceleratorSpec,
    n_accel: int,
    batch: int,
    context_tokens: int,
    *,
    avg_sequence_tokens: int | None = None,
    input_tokens: int | None = None,
    interconnect: str | None = None,
    replicas: int = 1,
    eff: EfficiencyFile | None = None,
    engine: str = DEFAULT_ENGINE,
) -> Throughput:
    """Throughput of ``replicas`` copies of the model, each tensor-parallel over ``n_accel`` parts.

    Each sequence holds ``avg_sequence_tokens`` of KV cache while it decodes (default: the full
    ``context_tokens``, the pessimistic case). The prefill rate is quoted for a prompt of
    ``input_tokens`` (default min(context, 1024)).
    """
    kv = min(avg_sequence_tokens, context_tokens) if avg_sequence_tokens is not None else context_tokens
    b = max(batch, 1)
    step, bound = decode_step(arch, precision, accel, n_accel, b, kv, interconnect, eff, engine)
    prompt = input_tokens if input_tokens else min(context_tokens, DEFAULT_PREFILL_TOKENS)
    p_s = prefill_s(arch, precision, accel, n_accel, prompt, interconnect, eff, engine)
    return Throughput(
        batch=b * replicas,
        step_s=step,
        per_sequence_tokens_per_s=1 / step,
        decode_tokens_per_s=b * replicas / step,
        prefill_tokens_per_s=replicas * prompt / p_s if p_s > 0 else 0.0,
        bound=bound,
        tensor_parallel=n_accel,
        replicas=replicas,
        kv_tokens_per_sequence=kv,
    )


def serving_cycle_s(
    arch: Architecture,
    precision: str,
    accel: AcceleratorSpec,
    tensor_parallel: int,
    batch: int,
    input_tokens: int,
    output_tokens: int,
    interconnect: str | None = None,
    eff: EfficiencyFile | None = None,
    engine: str = DEFAULT_ENGINE,
) -> float:
    """Wall time in which one replica at steady concurrency ``batch`` completes ``batch`` requests.

    Continuous batching interleaves each request's prefill with everyone's decode, so per cycle the
    replica runs ``batch`` prefills and ``output_tokens`` decode steps at batch ``batch`` (KV length
    on average input + output/2). Requests/s = batch / cycle; by Little's law a request's latency is
    the cycle itself. Static batching (TensorRT-LLM's gptSessionBenchmark) costs the same.
    """
    b = max(batch, 1)
    cycle = b * prefill_s(arch, precision, accel, tensor_parallel, input_tokens, interconnect, eff, engine)
    if output_tokens > 0:
        kv = input_tokens + output_tokens // 2
        step, _ = decode_step(arch, precision, accel, tensor_parallel, b, kv, interconnect, eff, engine)
        cycle += output_tokens * step
    return cycle
