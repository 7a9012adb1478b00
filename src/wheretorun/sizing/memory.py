"""Model memory: weights + KV cache + runtime overhead, in decimal GB (1 GB = 1e9 bytes).

Weights = parameters x bytes per parameter (HF "Llama 3.1" blog, huggingface/blog ``llama31.md`` @0551785:
8B is 16 GB in FP16, 8 GB in FP8, 4 GB in INT4). KV cache per token = 2 (K and V) x layers x KV heads x
head dim x bytes (reproduces the same blog's 0.125 GB per 1k tokens for Llama-3.1-8B and 0.313 GB for
70B). Neither figure includes the runtime's own memory (CUDA context, activations, CUDA graphs, sampler
buffers); ``Footprint.overhead_gb`` states what we add for it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..catalog.models import ArchitectureCard
from ..units import PRECISIONS as PRECISIONS

BYTES_PER_PARAM = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5}
#: The KV cache stays 16-bit unless the engine quantises it; FP8 weights commonly pair with an FP8 KV
#: cache (TensorRT-LLM ``--fp8_kv_cache``, vLLM ``--kv-cache-dtype fp8``). INT8/INT4 are weight-only.
KV_BYTES = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 2.0, "int4": 2.0}
#: Per accelerator: CUDA/Neuron context, NCCL buffers and captured graphs (~1 GB on every device;
#: vLLM's profiling run reports 0.5-1.5 GB of "non-torch" memory per GPU).
OVERHEAD_PER_DEVICE_GB = 1.0
#: Activations, logits and sampler buffers scale with the model: 5 % of the weights.
OVERHEAD_FRACTION = 0.05


@dataclass(frozen=True)
class Architecture:
    """What memory and throughput need to know; from a catalog card or estimated from params."""

    params_b: float
    active_params_b: float
    layers: int
    kv_heads: int
    head_dim: int
    hidden_size: int
    estimated: bool
    source: str
    attention_heads: int = 0  # 0 = unknown (estimated shapes): TP divisibility then uses kv_heads
    max_context_tokens: int | None = None
    model_id: str | None = None

    @property
    def kv_bytes_per_token_fp16(self) -> int:
        return 2 * self.layers * self.kv_heads * self.head_dim * 2

    def kv_bytes_per_token(self, precision: str) -> float:
        return 2 * self.layers * self.kv_heads * self.head_dim * KV_BYTES[precision]

    def weight_bytes(self, precision: str) -> float:
        return self.params_b * 1e9 * BYTES_PER_PARAM[precision]

    @property
    def is_moe(self) -> bool:
        return self.active_params_b < self.params_b


def architecture_from_card(card: ArchitectureCard) -> Architecture:
    return Architecture(
        params_b=card.params_b,
        active_params_b=card.active_params_b or card.params_b,
        layers=card.layers,
        kv_heads=card.kv_heads,
        head_dim=card.head_dim,
        hidden_size=card.hidden_size,
        estimated=False,
        source=card.source,
        attention_heads=card.attention_heads,
        max_context_tokens=card.max_context_tokens,
        model_id=card.id,
    )


def estimate_architecture(params_b: float) -> Architecture:
    """A Llama-like dense shape for a model known only by its size.

    Fitted to Llama-3.x/Qwen2.5 configs: layers grow roughly with params^0.33 and modern models use
    grouped-query attention with 8 KV heads of dim 128 (1B-class: dim 64). Marked ``estimated``.
    """
    layers = max(12, round(16 * (params_b**0.33)))
    head_dim = 64 if params_b < 2 else 128
    hidden = max(1024, int(math.sqrt(params_b * 1e9 / (12 * layers)) // 128 * 128))
    return Architecture(
        params_b=params_b,
        active_params_b=params_b,
        layers=layers,
        kv_heads=8,
        head_dim=head_dim,
        hidden_size=hidden,
        estimated=True,
        source="estimated from parameter count (Llama-like GQA: 8 KV heads)",
    )


@dataclass(frozen=True)
class Footprint:
    weights_gb: float
    kv_cache_gb: float
    overhead_gb: float
    kv_bytes_per_token: float
    context_tokens: int
    concurrent_sequences: int
    kv_tokens: int = 0  # tokens the KV cache is sized for (paged: not context x sequences)

    @property
    def total_gb(self) -> float:
        return self.weights_gb + self.kv_cache_gb + self.overhead_gb


def overhead_gb(weights_gb: float, devices: int = 1) -> float:
    return OVERHEAD_PER_DEVICE_GB * devices + OVERHEAD_FRACTION * weights_gb


def kv_tokens_needed(context_tokens: int, concurrent_sequences: int, avg_sequence_tokens: int | None) -> int:
    """Tokens of KV cache to hold: paged attention stores what sequences actually use.

    With an average sequence of ``avg_sequence_tokens`` (input + output) the batch needs
    ``sequences x average`` tokens, but never less than one sequence at full context (a request
    at the context limit must be admitted). Without an average every sequence is at full context.
    """
    avg = context_tokens if avg_sequence_tokens is None else min(avg_sequence_tokens, context_tokens)
    return max(concurrent_sequences * avg, context_tokens if concurrent_sequences > 0 else 0)


def footprint(
    arch: Architecture,
    precision: str,
    context_tokens: int,
    concurrent_sequences: int = 1,
    *,
    avg_sequence_tokens: int | None = None,
    devices: int = 1,
) -> Footprint:
    """Memory to serve ``concurrent_sequences`` on ``devices`` accelerators (tensor parallel)."""
    weights_gb = arch.weight_bytes(precision) / 1e9
    kv_per_token = arch.kv_bytes_per_token(precision)
    tokens = kv_tokens_needed(context_tokens, concurrent_sequences, avg_sequence_tokens)
    kv_gb = kv_per_token * tokens / 1e9
    return Footprint(
        weights_gb=weights_gb,
        kv_cache_gb=kv_gb,
        overhead_gb=overhead_gb(weights_gb, devices),
        kv_bytes_per_token=kv_per_token,
        context_tokens=context_tokens,
        concurrent_sequences=concurrent_sequences,
        kv_tokens=tokens,
    )
