"""Model memory: weights + KV cache + runtime overhead, in decimal GB.

Weights = parameters x bytes per parameter (HF "Llama 3.1" blog table: 8B is 16 GB in FP16, 8 GB
in FP8, 4 GB in INT4). KV cache per token = 2 (K and V) x layers x KV heads x head dim x bytes
(reproduces the same blog's 0.125 GB per 1k tokens for Llama-3.1-8B). Runtime overhead (CUDA
context, activations, CUDA graphs) is not in either figure; we add a fixed part plus a fraction
of the weights, stated in ``Footprint.overhead_gb``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..catalog.models import ArchitectureCard

BYTES_PER_PARAM = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5}
#: KV cache is kept in 16-bit unless the engine quantises it; fp8 weights commonly pair with fp8 KV.
KV_BYTES = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 2.0, "int4": 2.0}
OVERHEAD_FIXED_GB = 1.0  # CUDA context and allocator reserve per accelerator-group (engines' measured floor)
OVERHEAD_FRACTION = 0.10  # activations and CUDA graphs, as a fraction of the weights


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

    @property
    def kv_bytes_per_token_fp16(self) -> int:
        return 2 * self.layers * self.kv_heads * self.head_dim * 2


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
    )


def estimate_architecture(params_b: float) -> Architecture:
    """A Llama-like dense shape for a model known only by its size.

    Fitted to Llama-3.x/Qwen2.5 configs: layers grow roughly with params^0.3 and modern models use
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

    @property
    def total_gb(self) -> float:
        return self.weights_gb + self.kv_cache_gb + self.overhead_gb


def footprint(arch: Architecture, precision: str, context_tokens: int, concurrent_sequences: int = 1) -> Footprint:
    weights_gb = arch.params_b * 1e9 * BYTES_PER_PARAM[precision] / 1e9
    kv_per_token = 2 * arch.layers * arch.kv_heads * arch.head_dim * KV_BYTES[precision]
    kv_gb = kv_per_token * context_tokens * concurrent_sequences / 1e9
    overhead = OVERHEAD_FIXED_GB + OVERHEAD_FRACTION * weights_gb
    return Footprint(weights_gb, kv_gb, overhead, kv_per_token, context_tokens, concurrent_sequences)
