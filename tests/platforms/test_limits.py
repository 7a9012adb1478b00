"""Table-driven hard limits of every platform: which workload each platform refuses, and why."""

from __future__ import annotations

import pytest

import platform_cases
from wheretorun.platforms import PLATFORM_IDS
from wheretorun.platforms.fargate import task_size


def option(data: dict, platform: str, layer: str = "model"):
    return platform_cases.option(data, platform, layer)


LLAMA8 = {
    "name": "m",
    "role": "inference",
    "model": {"id": "llama-3.1-8b"},
    "requests_per_month": 100_000,
    "input_tokens": 500,
    "output_tokens": 100,
}
HAIKU = {**LLAMA8, "model": {"id": "claude-3-5-haiku"}}
CUSTOM = {**LLAMA8, "model": {"id": "llama-3.1-8b", "custom": True}}
UNKNOWN_OPEN = {**LLAMA8, "model": {"params_b": 30}}  # no Bedrock-served model within 1.5x of its size
ORCH = {"name": "o", "role": "orchestration", "requests_per_month": 100_000, "duration_s": 5}
BATCH_JOB = {**LLAMA8, "role": "batch-inference", "traffic": "batch", "trigger": "schedule"}
VPC_STRICT = {**LLAMA8, "data_must_stay_in_vpc": True, "privatelink_ok": False}
HUGE = {**LLAMA8, "model": {"id": "llama-3.1-405b", "precision": "fp32", "context_tokens": 8192}}


@pytest.mark.parametrize(
    ("workload", "platform", "layer", "feasible", "says"),
    [
        # a GPU-sized generative model: no GPU on Lambda or Fargate
        (LLAMA8, "lambda", "model", False, "GPU"),
        (LLAMA8, "fargate", "model", False, "GPU"),
        (LLAMA8, "step-functions", "model", False, "orchestrates"),
        (LLAMA8, "ecs-ec2", "model", True, ""),
        (LLAMA8, "eks-ec2", "model", True, ""),
        (LLAMA8, "sagemaker-endpoint", "model", True, ""),
        (LLAMA8, "bedrock", "model", True, ""),
        # interactive API traffic is not a batch job
        (LLAMA8, "bedrock-batch", "model", False, "24 hours"),
        (LLAMA8, "aws-batch", "model", False, "trigger: api"),
        (BATCH_JOB, "bedrock-batch", "model", True, ""),
        (BATCH_JOB, "aws-batch", "model", True, ""),
        # proprietary weights cannot be self-hosted
        (HAIKU, "ecs-ec2", "model", False, "API-only"),
        (HAIKU, "sagemaker-endpoint", "model", False, "API-only"),
        (HAIKU, "bedrock", "model", True, ""),
        # your own weights are not in Bedrock's on-demand catalog
        (CUSTOM, "bedrock", "model", False, "Custom Model Import"),
        (CUSTOM, "ecs-ec2", "model", True, ""),
        # an open model Bedrock does not offer
        (UNKNOWN_OPEN, "bedrock", "model", False, "does not offer"),
        (UNKNOWN_OPEN, "eks-ec2", "model", True, ""),
        # compliance without PrivateLink keeps requests away from Bedrock
        (VPC_STRICT, "bedrock", "model", False, "PrivateLink"),
        (VPC_STRICT, "ecs-ec2", "model", True, ""),
        # 405B in fp32 (1.6 TB of weights) fits no single instance (8 x H200 hold 1,128 GB)
        (HUGE, "ecs-ec2", "model", False, "accelerator memory"),
        # orchestration code does not run on model-serving platforms
        (ORCH, "bedrock", "orchestration", False, "serves models"),
        (ORCH, "sagemaker-endpoint", "orchestration", False, "serve models"),
        (ORCH, "aws-batch", "orchestration", False, "orchestration flow"),
        (ORCH, "lambda", "orchestration", True, ""),
        (ORCH, "step-functions", "orchestration", True, ""),
        (ORCH, "fargate", "orchestration", True, ""),
    ],
)
def test_hard_limits(workload, platform, layer, feasible, says):
    opt = option({"workloads": [workload]}, platform, layer)
    assert opt.feasible is feasible, opt.blocked_by
    if not feasible:
        assert says in " ".join(opt.blocked_by)
    else:
        assert opt.monthly_cost_usd.total > 0


@pytest.mark.parametrize(
    ("memory_gb", "feasible"),
    [(96, True), (120 / 1.25, True), (121, False)],
)
def test_fargate_memory_limit_120_gb(memory_gb, feasible):
    wl = {
        "name": "e",
        "role": "embedding",
        "model": {"params_b": 0.3},
        "requests_per_month": 1000,
        "duration_s": 0.1,
        "memory_gb": memory_gb,
    }
    opt = option({"workloads": [wl]}, "fargate")
    assert opt.feasible is feasible
    if not feasible:
        assert "120" in " ".join(opt.blocked_by)


@pytest.mark.parametrize(
    ("vcpu", "gb", "expected"),
    [
        (0.25, 0.5, (0.25, 0.5)),  # smallest task
        (1, 3, (1, 3)),
        (4, 31, (8, 32)),  # above 4 vCPU's 30 GB ceiling: next size, 4 GB steps from 16
        (8, 61, (16, 64)),
        (16, 120, (16, 120)),
        (16, 121, None),  # beyond the largest task
    ],
)
def test_fargate_valid_task_sizes(vcpu, gb, expected):
    assert task_size(vcpu, gb) == expected


def test_every_contract_platform_has_a_module():
    assert PLATFORM_IDS == (
        "lambda",
        "step-functions",
        "fargate",
        "ecs-ec2",
        "eks-ec2",
        "aws-batch",
        "bedrock",
        "bedrock-batch",
        "bedrock-custom-import",
        "sagemaker-endpoint",
        "sagemaker-serverless",
        "sagemaker-async",
    )


def test_eks_adds_the_control_plane_ecs_does_not():
    data = {"workloads": [LLAMA8]}
    eks = option(data, "eks-ec2")
    ecs = option(data, "ecs-ec2")
    control = [c for c in eks.cost_components if c.price_key == "eks/control-plane"]
    assert control and control[0].quantity == 730
    assert not [c for c in ecs.cost_components if c.price_key == "eks/control-plane"]
    assert eks.monthly_cost_usd.infra - ecs.monthly_cost_usd.infra == control[0].monthly_usd


def test_bedrock_batch_is_half_the_on_demand_token_price():
    data = {"workloads": [BATCH_JOB]}
    on_demand = option(data, "bedrock")
    batch = option(data, "bedrock-batch")
    assert batch.monthly_cost_usd.infra * 2 == on_demand.monthly_cost_usd.infra
