"""Fit: a model that just fits and one that just does not; tensor-parallel degree; replicas; serving rate."""

from __future__ import annotations

import math

import pytest

from wheretorun.catalog.store import load_catalog
from wheretorun.sizing import (
    architecture_from_card,
    fit_on,
    fitting_instances,
    footprint,
    latency_s,
    max_batch,
    requests_per_second,
    tensor_parallel_degrees,
)

CAT = load_catalog()


def arch(model_id: str):  # type: ignore[no-untyped-def]
    return architecture_from_card(CAT.find_model(model_id))  # type: ignore[arg-type]


# Llama-3.1-8B FP16 on one A10G (g5.xlarge, 24 GB, engines use 90 % = 21.6 GB): weights 16.06 GB +
# overhead (1 GB + 5 % of weights = 1.803 GB) leave 3.737 GB for KV at 131,072 B/token = 28,511 tokens.
LAST_FITTING_CONTEXT = math.floor((24 * 0.9 - 16.06 - 1.803) * 1e9 / 131_072)


def test_boundary_arithmetic_is_what_a_user_computes() -> None:
    assert LAST_FITTING_CONTEXT == 28_511


def test_a_model_that_just_fits() -> None:
    fit = fit_on(CAT, CAT.instance("g5.xlarge"), arch("llama-3.1-8b"), "fp16", LAST_FITTING_CONTEXT)
    assert fit is not None and fit.fits and fit.batch == 1 and fit.tensor_parallel == 1


def test_a_model_that_just_does_not_fit() -> None:
    fit = fit_on(CAT, CAT.instance("g5.xlarge"), arch("llama-3.1-8b"), "fp16", LAST_FITTING_CONTEXT + 1)
    assert fit is not None and not fit.fits and fit.batch == 0


def test_max_batch_boundary_on_memory() -> None:
    a = arch("llama-3.1-8b")
    one = footprint(a, "bf16", 4096, 1).total_gb
    assert max_batch(a, "bf16", one, 4096, 32) == 1
    assert max_batch(a, "bf16", one - 1e-6, 4096, 32) == 0
    per_seq = 131_072 * 4096 / 1e9
    assert max_batch(a, "bf16", one + 2 * per_seq + 1e-9, 4096, 32) == 3


@pytest.mark.parametrize(
    ("model_id", "accelerator", "devices", "expected"),
    [
        ("qwen2.5-14b", "H100", 8, [1, 2, 4, 8]),  # 40 heads, 8 KV heads
        ("qwen2.5-7b", "H100", 8, [1, 2, 4]),  # 28 heads: 8 does not divide them
        ("llama-3.1-8b", "A10G", 4, [1, 2, 4]),  # capped by the instance's count
        ("llama-2-7b", "Inferentia2", 12, [1, 2, 4, 8, 12]),  # Neuron pads heads; 12 = all chips
    ],
)
def test_tensor_parallel_degrees(model_id: str, accelerator: str, devices: int, expected: list[int]) -> None:
    assert tensor_parallel_degrees(arch(model_id), accelerator, devices) == expected


def test_70b_needs_all_eight_a100_40gb() -> None:
    # bf16 weights 141.2 GB: 4 x 40 GB x 0.9 = 144 GB < 141.2 + overhead + KV; 8 x 40 GB holds it
    fit = fit_on(CAT, CAT.instance("p4d.24xlarge"), arch("llama-3.1-70b"), "bf16", 8192)
    assert fit is not None and fit.fits and fit.tensor_parallel == 8 and fit.replicas == 1


def test_small_model_on_a_big_instance_runs_replicas() -> None:
    fit = fit_on(
        CAT, CAT.instance("g5.48xlarge"), arch("llama-3.1-8b"), "bf16", 8192, avg_sequence_tokens=2000
    )
    assert fit is not None and fit.tensor_parallel * fit.replicas == 8
    assert fit.batch == fit.batch_per_replica * fit.replicas
    fast = fit_on(CAT, CAT.instance("g5.48xlarge"), arch("llama-3.1-8b"), "bf16", 8192, objective="latency")
    assert fast is not None and fast.tensor_parallel > fit.tensor_parallel
    assert fast.throughput.per_sequence_tokens_per_s > fit.throughput.per_sequence_tokens_per_s
    assert fit.throughput.decode_tokens_per_s >= fast.throughput.decode_tokens_per_s


def test_average_sequence_length_raises_the_batch_paged_attention_allows() -> None:
    a, g5 = arch("llama-3.1-8b"), CAT.instance("g5.xlarge")
    full = fit_on(CAT, g5, a, "fp16", 8192, batch_cap=64)
    paged = fit_on(CAT, g5, a, "fp16", 8192, batch_cap=64, avg_sequence_tokens=700)
    assert full is not None and paged is not None
    assert full.batch == 3  # 3.737 GB / (8192 x 131,072 B)
    assert paged.batch == 40  # 3.737 GB / (700 x 131,072 B)


def test_fitting_instances_keeps_only_those_that_hold_the_model() -> None:
    fits = fitting_instances(CAT, arch("llama-3.1-70b"), "bf16", 8192)
    types = {f.instance.type for f in fits}
    assert "p4d.24xlarge" in types and "g5.xlarge" not in types
    assert all(f.fits for f in fits)
    sm = fitting_instances(CAT, arch("llama-3.1-8b"), "bf16", 8192, prefix="ml.")
    assert sm and all(f.instance.type.startswith("ml.") for f in sm)


def test_requests_per_second_and_latency_obey_littles_law() -> None:
    fit = fit_on(CAT, CAT.instance("g5.xlarge"), arch("llama-3.1-8b"), "fp16", 8192, avg_sequence_tokens=700)
    assert fit is not None
    rps = requests_per_second(fit, 550, 150)
    assert latency_s(fit, 550, 150) == pytest.approx(fit.batch / rps)
    one = requests_per_second(fit, 550, 150, batch=1)
    assert latency_s(fit, 550, 150, 1) == pytest.approx(1 / one)
    assert rps > one


def test_measured_tokens_per_second_replaces_the_roofline() -> None:
    fit = fit_on(CAT, CAT.instance("g5.xlarge"), arch("llama-3.1-8b"), "fp16", 8192, avg_sequence_tokens=700)
    assert fit is not None
    assert requests_per_second(fit, 550, 150, measured_tokens_per_s=300) == pytest.approx(2.0)
    assert latency_s(fit, 550, 150, measured_tokens_per_s=300) == pytest.approx(fit.batch / 2.0)


def test_no_serving_rate_for_a_model_that_does_not_fit() -> None:
    fit = fit_on(CAT, CAT.instance("g5.xlarge"), arch("llama-3.1-70b"), "bf16", 8192)
    assert fit is not None and not fit.fits
    with pytest.raises(ValueError, match="does not hold the model"):
        requests_per_second(fit, 100, 100)
