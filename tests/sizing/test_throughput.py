"""Throughput roofline: monotonic properties (hypothesis) and the tensor-parallel penalty."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from wheretorun.catalog.store import load_catalog
from wheretorun.sizing import architecture_from_card, decode_step, decode_throughput, prefill_s

CAT = load_catalog()
MODELS = ["llama-3.1-8b", "llama-3.1-70b", "mixtral-8x7b", "qwen2.5-7b", "llama-2-7b", "gpt-oss-20b"]
ACCELS = sorted(CAT.accelerators)


def arch(model_id: str):  # type: ignore[no-untyped-def]
    return architecture_from_card(CAT.find_model(model_id))  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(MODELS),
    st.sampled_from(ACCELS),
    st.sampled_from(["bf16", "fp8", "int4"]),
    st.sampled_from([1, 2, 4, 8]),
    st.integers(1, 512),
    st.integers(1, 32_768),
    st.floats(1.01, 4.0),
)
def test_more_bandwidth_is_never_slower(model, accel_name, precision, tp, batch, kv, factor) -> None:  # type: ignore[no-untyped-def]
    a, accel = arch(model), CAT.accelerators[accel_name]
    faster = accel.model_copy(update={"bandwidth_gb_s": accel.bandwidth_gb_s * factor})
    assert (
        decode_step(a, precision, faster, tp, batch, kv)[0]
        <= decode_step(a, precision, accel, tp, batch, kv)[0]
    )


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(MODELS),
    st.sampled_from(ACCELS),
    st.sampled_from(["bf16", "fp8"]),
    st.sampled_from([1, 2, 8]),
    st.integers(1, 1024),
    st.integers(1, 1024),
    st.integers(1, 16_384),
)
def test_a_larger_batch_never_lowers_aggregate_tokens_per_second(
    model, accel_name, precision, tp, b1, b2, kv
) -> None:  # type: ignore[no-untyped-def]
    a, accel = arch(model), CAT.accelerators[accel_name]
    small, large = sorted((b1, b2))
    t_small = decode_throughput(a, precision, accel, tp, small, kv)
    t_large = decode_throughput(a, precision, accel, tp, large, kv)
    assert t_large.decode_tokens_per_s >= t_small.decode_tokens_per_s * (1 - 1e-9)
    assert t_large.per_sequence_tokens_per_s <= t_small.per_sequence_tokens_per_s * (1 + 1e-9)


def test_batch_one_decode_is_memory_bound_and_large_batch_turns_compute_bound() -> None:
    a, h100 = arch("llama-3.1-8b"), CAT.accelerators["H100"]
    assert decode_throughput(a, "bf16", h100, 1, 1, 1024).bound == "memory"
    assert decode_throughput(a, "bf16", h100, 1, 4096, 64).bound == "compute"


def test_tensor_parallel_at_batch_one_loses_much_of_its_bandwidth_advantage() -> None:
    a, a10g = arch("llama-2-7b"), CAT.accelerators["A10G"]
    one = decode_throughput(a, "fp16", a10g, 1, 1, 512).per_sequence_tokens_per_s
    four = decode_throughput(a, "fp16", a10g, 4, 1, 512, interconnect="pcie4").per_sequence_tokens_per_s
    assert one < four < 3 * one  # 4x the bandwidth buys well under 4x the speed


def test_prefill_grows_with_prompt_length() -> None:
    a, l4 = arch("llama-3.1-8b"), CAT.accelerators["L4"]
    assert 0 < prefill_s(a, "fp8", l4, 1, 512) < prefill_s(a, "fp8", l4, 1, 4096)
    assert prefill_s(a, "fp8", l4, 1, 0) == 0
