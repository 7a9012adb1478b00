"""Decode throughput from a roofline: the slower of memory bandwidth and compute.

One decode step reads every weight once (shared by the batch) plus each sequence's KV cache, and
does ~2 x active params FLOPs per sequence. Measured model-bandwidth utilisation (MBU) on single
GPUs is ~60-80 % (../shared/reference/accelerators-and-sizing.md, rule 3); tensor parallelism adds
a per-step communication cost, so multi-GPU at batch 1 loses much of its bandwidth advantage.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..catalog.models import AcceleratorSpec
from .memory import BYTES_PER_PARAM, Architecture

MBU = 0.70  # memory-bandwidth utilisation of a modern engine on one GPU
MFU = 0.45  # compute utilisation at large batch
TP_STEP_OVERHEAD_S = 0.00003  # per all-reduce per layer (~30 us over NVLink/PCIe)
PREFILL_MFU = 0.5


@dataclass(frozen=True)
class Throughput:
    batch: int
    step_s: float
    per_sequence_tokens_per_s: float
    decode_tokens_per_s: float
    prefill_tokens_per_s: float
    bound: str  # "memory" | "compute"


def decode_throughput(
    arch: Architecture,
    precision: str,
    accel: AcceleratorSpec,
    n_accel: int,
    batch: int,
    context_tokens: int,
) -> Throughput:
    bpp = BYTES_PER_PARAM[precision]
    weight_bytes = arch.params_b * 1e9 * bpp
    active_bytes = arch.active_params_b * 1e9 * bpp
    # a MoE reads only the experts it routes to; with a batch most experts are touched
    read_weights = weight_bytes if batch >= 8 else active_bytes + (weight_bytes - active_bytes) * batch / 8
    kv_read = arch.kv_bytes_per_token_fp16 * (bpp if bpp < 2 else 2) / 2 * context_tokens * batch
    bandwidth = accel.bandwidth_gb_s * 1e9 * n_accel * MBU
    mem_s = (read_weights + kv_read) / bandwidth
    tflops = (accel.fp8_tflops if precision in ("fp8", "int8") and accel.fp8_tflops else accel.bf16_tflops)
    compute_s = 2 * arch.active_params_b * 1e9 * batch / (tflops * 1e12 * n_accel * MFU)
    tp_s = 0.0 if n_accel == 1 else 2 * arch.layers * TP_STEP_OVERHEAD_S
    step = max(mem_s, compute_s) + tp_s
    prefill = tflops * 1e12 * n_accel * PREFILL_MFU / (2 * arch.active_params_b * 1e9)
    return Throughput(
        batch=batch,
        step_s=step,
        per_sequence_tokens_per_s=1 / step,
        decode_tokens_per_s=batch / step,
        prefill_tokens_per_s=prefill,
        bound="memory" if mem_s >= compute_s else "compute",
    )
