"""Hard limits at their exact boundaries, beyond Lambda's (tests/platforms/test_lambda.py)."""

from __future__ import annotations

import pytest

import platform_cases


def option(workload: dict, platform: str, layer: str):
    return platform_cases.option(
        {"team": {"ops_capacity": "platform"}, "workloads": [workload]}, platform, layer
    )


@pytest.mark.parametrize(("duration", "feasible"), [(60, True), (61, False)])
def test_sagemaker_real_time_invocations_stop_at_60_seconds(duration, feasible):
    w = {
        "name": "m",
        "role": "inference",
        "model": {"id": "llama-3.1-8b"},
        "requests_per_month": 10_000,
        "duration_s": duration,
        "input_tokens": 500,
        "output_tokens": 100,
    }
    opt = option(w, "sagemaker-endpoint", "model")
    assert opt.feasible is feasible
    if not feasible:
        assert "60 s" in opt.blocked_by[0]


@pytest.mark.parametrize(("p99", "workflow"), [(300, "Express"), (301, "Standard")])
def test_step_functions_express_up_to_five_minutes_then_standard(p99, workflow):
    w = {
        "name": "o",
        "role": "orchestration",
        "requests_per_month": 10_000,
        "duration_s": 30,
        "duration_p99_s": p99,
    }
    opt = option(w, "step-functions", "orchestration")
    assert opt.feasible and opt.extras["workflow_type"] == workflow


@pytest.mark.parametrize(("params_b", "feasible"), [(4.9, True), (5.1, False)])
def test_lambda_image_holds_at_most_10_gb_of_weights(params_b, feasible):
    # bf16: 2 bytes per parameter, so 5B parameters is the 10 GB container-image limit
    w = {
        "name": "c",
        "role": "classification",
        "model": {"params_b": params_b, "weights": "open"},
        "requests_per_month": 1000,
        "duration_s": 1,
        "memory_gb": 2,
        "gpu": "none",
    }
    opt = option(w, "lambda", "model")
    assert opt.feasible is feasible
    if not feasible:
        assert "10 GB" in opt.blocked_by[0]


@pytest.mark.parametrize(("p99_target_ms", "blocked"), [(10_000_000, False), (100_000, True)])
def test_aws_batch_job_start_against_a_latency_target(p99_target_ms, blocked):
    w = {
        "name": "j",
        "role": "batch-inference",
        "model": {"id": "llama-3.1-8b"},
        "requests_per_month": 1000,
        "traffic": "batch",
        "trigger": "queue",
        "input_tokens": 1000,
        "output_tokens": 100,
        "p99_latency_ms": p99_target_ms,
    }
    opt = option(w, "aws-batch", "model")
    assert opt.feasible is not blocked
