"""Memory: weights, KV cache per token and in total, overhead; the figures a user checks by hand."""

from __future__ import annotations

import pytest

from wheretorun.catalog.store import load_catalog
from wheretorun.sizing import architecture_from_card, estimate_architecture, footprint
from wheretorun.sizing.memory import kv_tokens_needed


def arch(model_id: str):  # type: ignore[no-untyped-def]
    return architecture_from_card(load_catalog().find_model(model_id))  # type: ignore[arg-type]


def test_llama_31_8b_fp16_weights_and_kv_per_token() -> None:
    fp = footprint(arch("llama-3.1-8b"), "fp16", 8192, 1)
    assert fp.weights_gb == pytest.approx(16.06)  # 8.03e9 params x 2 bytes
    assert fp.kv_bytes_per_token == 131_072  # 2 x 32 layers x 8 KV heads x 128 x 2 bytes
    assert fp.kv_cache_gb == pytest.approx(131_072 * 8192 / 1e9)


def test_llama_31_70b_kv_per_token_and_hf_blog_figure() -> None:
    fp = footprint(arch("llama-3.1-70b-instruct"), "bf16", 131_072, 1)
    assert fp.kv_bytes_per_token == 327_680  # 2 x 80 x 8 x 128 x 2
    # HF Llama 3.1 blog: 39.06 GB (GiB) of FP16 KV cache at 128k context for 70B
    assert fp.kv_cache_gb * 1e9 / 2**30 == pytest.approx(40.0)
    assert fp.kv_cache_gb * 1e9 / 2**30 * 1000 / 1024 == pytest.approx(39.06, abs=0.01)


@pytest.mark.parametrize(
    ("precision", "weights_gb", "kv_bytes"),
    [("fp16", 16.06, 131_072), ("fp8", 8.03, 65_536), ("int4", 4.015, 131_072)],  # int4 is weight-only
)
def test_precision_changes_weights_and_kv(precision: str, weights_gb: float, kv_bytes: int) -> None:
    fp = footprint(arch("llama-3.1-8b"), precision, 4096, 1)
    assert fp.weights_gb == pytest.approx(weights_gb)
    assert fp.kv_bytes_per_token == kv_bytes


def test_total_is_the_sum_and_overhead_is_stated() -> None:
    fp = footprint(arch("llama-3.1-8b"), "bf16", 8192, 4, devices=2)
    assert fp.overhead_gb == pytest.approx(2 * 1.0 + 0.05 * 16.06)
    assert fp.total_gb == pytest.approx(fp.weights_gb + fp.kv_cache_gb + fp.overhead_gb)


def test_paged_kv_sizes_for_the_average_but_one_full_context_sequence() -> None:
    assert kv_tokens_needed(8192, 16, None) == 16 * 8192  # no average: every sequence at full context
    assert kv_tokens_needed(8192, 16, 1000) == 16_000  # paged: what sequences use
    assert kv_tokens_needed(8192, 2, 1000) == 8192  # but one request at the context limit must fit
    assert kv_tokens_needed(8192, 4, 50_000) == 4 * 8192  # an average beyond the context is capped


def test_moe_keeps_total_params_in_memory() -> None:
    a = arch("mixtral-8x7b")
    assert a.is_moe and a.active_params_b < a.params_b
    assert footprint(a, "bf16", 4096).weights_gb == pytest.approx(93.4)


def test_estimated_architecture_is_marked() -> None:
    a = estimate_architecture(8)
    assert a.estimated and a.kv_heads == 8 and a.head_dim == 128
    assert "estimated" in a.source
