"""Expert bills: workloads whose quantities and bills an AWS expert computes by hand from the price
pages, checked through the JSON contract (``recommend --format json``).

Every expected figure below is arithmetic on the catalog's own prices, written out in a comment:
g6.xlarge $0.8048/h (EC2 on-demand, us-east-1); Fargate $0.04048 per vCPU-hour and $0.004445 per
GB-hour; Lambda $0.20 per 1M requests and $0.0000166667 per GB-s; Step Functions Standard $0.025 per
1,000 transitions; SageMaker Serverless $0.00002 per GB-s; Bedrock Llama 3.1 8B $0.22/M tokens in
and out (genai-prices); Custom Model Import $0.05718 per CMU-minute and $1.95 per CMU-month. A month
is 730 hours = 2,628,000 s. One table per rule of issue 12.
"""

from __future__ import annotations

import json
import math

import pytest

from wheretorun import load_workloads, recommend, render

HOURS = 730
MONTH_S = 2_628_000
G6_XLARGE = 0.8048
VCPU_H, GB_H = 0.04048, 0.004445
LAMBDA_GB_S, LAMBDA_REQ = 0.0000166667, 0.20 / 1e6
LAMBDA_ARM_GB_S = 0.0000133334
SFN_TRANSITION = 0.025 / 1000
CMU_MINUTE, CMU_MONTH = 0.05718, 1.95

LLAMA8 = {"id": "llama-3.1-8b"}
W: dict[str, dict] = {
    # ---- rule 1: time on a replica -------------------------------------------------------------
    # 30 jobs x 7,200 s on GPU, no token counts: 60 GPU-hours
    "gpu-jobs-2h": {
        "role": "batch-inference",
        "model": LLAMA8,
        "gpu": "required",
        "requests_per_month": 30,
        "duration_s": 7200,
        "traffic": "batch",
        "trigger": "schedule",
    },
    # the same jobs, 4 served at once on a replica: 15 GPU-hours
    "gpu-jobs-2h-batch4": {
        "role": "batch-inference",
        "model": LLAMA8,
        "gpu": "required",
        "requests_per_month": 30,
        "duration_s": 7200,
        "traffic": "batch",
        "trigger": "schedule",
        "batch_per_replica": 4,
    },
    # 3,000 queued requests x 600 s on a custom 7B: 500 GPU-hours
    "custom7b-600s": {
        "role": "inference",
        "model": {"params_b": 7, "custom": True},
        "gpu": "required",
        "requests_per_month": 3000,
        "duration_s": 600,
        "trigger": "queue",
    },
    # a diffusion-style 3.5B model, 1M x 8 s: 2,222 GPU-hours
    "diffusion-8s": {
        "role": "inference",
        "model": {"params_b": 3.5},
        "gpu": "required",
        "requests_per_month": 1_000_000,
        "duration_s": 8,
    },
    # an encoder on GPU with a stated duration (not generative: duration is the service time)
    "embed-gpu-duration": {
        "role": "embedding",
        "model": {"params_b": 1.0},
        "gpu": "required",
        "requests_per_month": 360_000,
        "duration_s": 2,
        "traffic": "batch",
        "input_tokens": 500,
    },
    # generative with token counts and a stated duration far from the sized latency: warned
    "llama-duration-disagrees": {
        "role": "inference",
        "model": LLAMA8,
        "requests_per_month": 100_000,
        "input_tokens": 500,
        "output_tokens": 100,
        "duration_s": 0.01,
        "gpu": "required",
    },
    # ---- rule 2: waiting is not computing ------------------------------------------------------
    # a 2-day human approval, 3,000 a month
    "approval-2-days": {
        "role": "orchestration",
        "requests_per_month": 3000,
        "duration_s": 172_800,
        "trigger": "event",
    },
    # a 10-minute flow that computes 5 s of it
    "flow-mostly-waits": {
        "role": "orchestration",
        "requests_per_month": 100_000,
        "duration_s": 600,
        "active_compute_s": 5,
        "trigger": "event",
    },
    # a 2-hour computation cannot run as 15-minute Lambda steps without being split
    "compute-2h-no-sfn": {
        "role": "glue",
        "requests_per_month": 30,
        "duration_s": 7200,
        "memory_gb": 8,
        "trigger": "schedule",
        "traffic": "batch",
    },
    # ---- rule 3: context ---------------------------------------------------------------------------
    "llama-200k-input": {
        "role": "inference",
        "model": LLAMA8,
        "requests_per_month": 1000,
        "input_tokens": 200_000,
        "output_tokens": 100,
    },
    "llama-100k-input": {
        "role": "inference",
        "model": LLAMA8,
        "requests_per_month": 1000,
        "input_tokens": 100_000,
        "output_tokens": 1000,
    },
    "haiku-250k-input": {
        "role": "inference",
        "model": {"id": "claude-3-5-haiku"},
        "requests_per_month": 1000,
        "input_tokens": 250_000,
        "output_tokens": 100,
    },
    # ---- rule 4: containers for code -----------------------------------------------------------
    # 10 req/s x 10 s CPU-bound x 4 GB: 100 in flight x (1 vCPU + 4 GB)
    "glue-cpu-bound": {
        "role": "glue",
        "requests_per_second": 10,
        "duration_s": 10,
        "active_compute_s": 10,
        "memory_gb": 4,
        "arch": "x86_64",  # the bills below use x86 prices; arch: auto is tested in test_purchase.py
    },
    # 30 scheduled runs x 2 h x 8 GB: 60 task-hours
    "scheduled-glue-2h": {
        "role": "glue",
        "requests_per_month": 30,
        "duration_s": 7200,
        "memory_gb": 8,
        "trigger": "schedule",
        "arch": "x86_64",  # priced at x86 Fargate rates below (auto would take Graviton)
    },
    # a tiny handler fits the smallest Fargate task
    "tiny-glue": {
        "role": "glue",
        "requests_per_month": 1000,
        "duration_s": 1,
        "memory_gb": 0.25,
        "arch": "x86_64",
    },
    # queued CPU jobs, 10,000 x 120 s x 2 GB
    "queued-cpu-jobs": {
        "role": "glue",
        "requests_per_month": 10_000,
        "duration_s": 120,
        "active_compute_s": 120,
        "memory_gb": 2,
        "trigger": "queue",
    },
    # ---- rule 5: every serving option -----------------------------------------------------------
    "reranker-cpu-8gb": {
        "role": "reranking",
        "model": {"params_b": 1.5},
        "gpu": "none",
        "memory_gb": 8,
        "requests_per_month": 1_000_000,
    },
    "reranker-serverless-2gb": {
        "role": "reranking",
        "model": {"params_b": 0.3},
        "memory_gb": 2,
        "requests_per_month": 1_000_000,
        "duration_s": 0.05,
        "input_tokens": 256,
    },
    "open-8b-size-only": {
        "role": "inference",
        "model": {"params_b": 8, "weights": "open"},
        "requests_per_month": 100_000,
        "input_tokens": 400,
        "output_tokens": 100,
    },
    "open-8b-bedrock-id": {
        "role": "inference",
        "model": {"params_b": 8, "weights": "open", "bedrock_id": "mistral.mistral-7b-instruct-v0:2"},
        "requests_per_month": 100_000,
        "input_tokens": 400,
        "output_tokens": 100,
    },
    "open-30b-size-only": {
        "role": "inference",
        "model": {"params_b": 30},
        "requests_per_month": 100_000,
        "input_tokens": 400,
        "output_tokens": 100,
    },
    "custom-8b-sporadic": {
        "role": "inference",
        "model": {"params_b": 8, "custom": True},
        "requests_per_month": 1500,
        "input_tokens": 1000,
        "output_tokens": 200,
    },
    "custom-70b-cmi": {
        "role": "inference",
        "model": {"id": "llama-3.1-70b", "custom": True},
        "requests_per_month": 1500,
        "input_tokens": 1000,
        "output_tokens": 200,
    },
    "llama-no-tokens": {"role": "inference", "model": LLAMA8, "requests_per_month": 100_000},
    "titan-embed-no-tokens": {
        "role": "embedding",
        "model": {"id": "titan-embed-text-v2"},
        "requests_per_month": 100_000,
    },
    # ---- rule 6: consistency -----------------------------------------------------------------------
    "orch-waits-on-haiku": {
        "role": "orchestration",
        "model": {"id": "claude-3-5-haiku"},
        "requests_per_month": 100_000,
        "input_tokens": 1000,
        "output_tokens": 300,
    },
    "orch-too-short": {
        "role": "orchestration",
        "model": {"id": "claude-3-5-haiku"},
        "duration_s": 1,
        "requests_per_month": 100_000,
        "input_tokens": 1000,
        "output_tokens": 300,
    },
    "orch-haiku-no-tokens": {
        "role": "orchestration",
        "model": {"id": "claude-3-5-haiku"},
        "requests_per_month": 100_000,
    },
    "llama-int4-on-cpu": {
        "role": "inference",
        "model": {"id": "llama-3.1-8b", "precision": "int4"},
        "gpu": "none",
        "requests_per_month": 10_000,
        "input_tokens": 100,
        "output_tokens": 100,
    },
    "llama-on-gpu-default-duration": {
        "role": "inference",
        "model": LLAMA8,
        "requests_per_month": 10_000,
        "input_tokens": 100,
        "output_tokens": 100,
    },
}


@pytest.fixture(scope="module")
def report() -> dict:
    data = {"workloads": [{"name": name, **w} for name, w in W.items()]}
    return json.loads(render(recommend(load_workloads(data), file="<expert>"), "json"))


def wl(report: dict, name: str) -> dict:
    return next(w for w in report["workloads"] if w["name"] == name)


def opt(report: dict, name: str, platform: str, layer: str = "") -> dict:
    w = wl(report, name)
    pool = w["model_options"] if layer == "model" else w["options"]
    return next(o for o in pool if o["platform"] == platform)


#: Containers and instances run in your VPC's private subnets and reach out through NAT gateways
#: (platforms/network.py): 2 gateways (vpc.availability_zones default 2) x 730 h x $0.045 = $65.70
NAT = 2 * 730 * 0.045


def infra(o: dict) -> float:
    return float(o["monthly_cost_usd"]["infra"])


def quantity(o: dict, name_start: str) -> float:
    return sum(float(c["quantity"]) for c in o["cost_components"] if c["name"].startswith(name_start))


# ---- rule 1: time on a replica -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "platform", "gpu_hours"),
    [
        ("gpu-jobs-2h", "aws-batch", 30 * 7200 / 3600),  # 60 GPU-hours
        ("gpu-jobs-2h", "ecs-ec2", 30 * 7200 / 3600),  # batch work: the same 60 hours
        ("gpu-jobs-2h-batch4", "aws-batch", 30 * 7200 / 3600 / 4),  # 15
        ("custom7b-600s", "aws-batch", 3000 * 600 / 3600),  # 500
    ],
)
def test_gpu_hours_from_duration(report, name, platform, gpu_hours):
    o = opt(report, name, platform)
    assert o["feasible"], o["blocked_by"]
    assert o["instance_type"] == "g6.xlarge"  # cheapest NVIDIA GPU holding an 8B bf16 / 7B model
    assert quantity(o, "Instance usage") == pytest.approx(gpu_hours, rel=1e-6)
    # 60 h x $0.8048 = $48.288; 15 h -> $12.072; 500 h -> $402.40
    assert quantity(o, "Instance usage") * G6_XLARGE == pytest.approx(
        sum(float(c["monthly_usd"]) for c in o["cost_components"] if c["name"].startswith("Instance usage")),
        rel=1e-6,
    )


def test_gpu_jobs_2h_bill(report):
    # 30 x 2 h = 60 GPU-hours x $0.8048 = $48.288 on AWS Batch (no charge of its own), + NAT $65.70
    assert infra(opt(report, "gpu-jobs-2h", "aws-batch")) == pytest.approx(48.288 + NAT, abs=0.01)


@pytest.mark.parametrize(
    ("name", "min_gpu_hours"),
    [
        ("diffusion-8s", 1_000_000 * 8 / 3600),  # 2,222.2 GPU-hours at least
        ("embed-gpu-duration", 360_000 * 2 / 3600),  # 200 GPU-hours of work
    ],
)
def test_served_fleet_covers_the_work(report, name, min_gpu_hours):
    o = opt(report, name, "ecs-ec2")
    hours = quantity(o, "Instance usage")
    copies = 1  # one copy per single-GPU instance
    assert hours * copies >= min_gpu_hours * 0.999
    # and at least the mean concurrency of instances: 1M x 8 s / 2,628,000 s = 3.04
    assert o["instances"] >= min_gpu_hours / HOURS * 0.999


def test_diffusion_needs_at_least_three_instances(report):
    # 2,222 GPU-hours / 730 h = 3.04 instances on average
    for p in ("ecs-ec2", "sagemaker-endpoint"):
        assert opt(report, "diffusion-8s", p)["instances"] >= 3.04


def test_duration_disagreeing_with_sized_latency_is_warned(report):
    o = opt(report, "llama-duration-disagrees", "sagemaker-endpoint")
    assert any("disagrees" in s for s in o["soft_warnings"])


@pytest.mark.parametrize(
    ("name", "platform", "missing"),
    [
        ("gpu-jobs-2h", "bedrock", "input_tokens and output_tokens"),
        ("gpu-jobs-2h", "bedrock-batch", "input_tokens and output_tokens"),
        ("llama-no-tokens", "bedrock", "input_tokens and output_tokens"),
        ("titan-embed-no-tokens", "bedrock", "input_tokens"),
    ],
)
def test_per_token_service_is_never_priced_on_invented_tokens(report, name, platform, missing):
    o = opt(report, name, platform)
    assert not o["feasible"]
    assert "Unpriced" in o["blocked_by"][0] and missing in o["blocked_by"][0]


def test_other_options_still_priced_without_tokens(report):
    # llama-3.1-8b with no token counts: the self-hosted fleets are still priced
    assert opt(report, "llama-no-tokens", "ecs-ec2")["feasible"]
    assert wl(report, "gpu-jobs-2h")["recommendation"]["platform"] not in ("bedrock", "bedrock-batch")


# ---- rule 2: waiting is not computing ------------------------------------------------------------
def test_two_day_approval_on_step_functions(report):
    o = opt(report, "approval-2-days", "step-functions")
    # 3,000 executions x 6 transitions = 18,000 = 18 x 1K x $0.025 = $0.45
    assert quantity(o, "State transitions") == pytest.approx(18.0)
    # Lambda steps bill 2 s of active work (default for a flow longer than 900 s): 3,000 x 2 s x 0.5 GB
    # = 3,000 GB-s, on arm64 as any Lambda under arch: auto: x $0.0000133334 = $0.04;
    # 3,000 requests x $0.20/M = $0.0006
    assert quantity(o, "Step compute") == pytest.approx(3000.0)
    assert infra(o) == pytest.approx(0.45 + 3000 * LAMBDA_ARM_GB_S + 3000 * LAMBDA_REQ, abs=1e-6)
    assert wl(report, "approval-2-days")["recommendation"]["platform"] == "step-functions"


def test_container_holding_the_wait_pays_for_memory_in_flight(report):
    # 3,000 x 172,800 s / 2,628,000 s = 197.3 requests in flight x 0.5 GB = 98.6 GB all month
    in_flight = 3000 * 172_800 / MONTH_S
    floor = in_flight * 0.5 * GB_H * HOURS  # $320 of memory alone
    assert infra(opt(report, "approval-2-days", "fargate")) >= floor


def test_step_functions_bills_active_seconds_not_the_wait(report):
    o = opt(report, "flow-mostly-waits", "step-functions")
    # 100,000 x 5 s x 0.5 GB = 250,000 GB-s (not 600 s x 0.5 GB = 30M GB-s)
    assert quantity(o, "Step compute") == pytest.approx(250_000.0)
    # 100,000 x 6 transitions = 600 K x $0.025 = $15
    assert quantity(o, "State transitions") == pytest.approx(600.0)


def test_long_computation_is_not_chopped_into_lambda_steps(report):
    o = opt(report, "compute-2h-no-sfn", "step-functions")
    assert not o["feasible"] and "900" in o["blocked_by"][0]


# ---- rule 3: context -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "window"),
    [("llama-200k-input", "131,072"), ("haiku-250k-input", "200,000")],
)
def test_requests_longer_than_the_context_are_infeasible_everywhere(report, name, window):
    w = wl(report, name)
    assert w["recommendation"]["platform"] == "none"
    for o in w["options"]:
        assert not o["feasible"]
    assert any(window in o["blocked_by"][0] for o in w["options"] if o["platform"] == "bedrock")


def test_kv_cache_sized_on_the_request(report):
    # llama-3.1-8b: 32 layers x 8 KV heads x 128 dims x 2 (K, V) x 2 bytes = 131,072 B per token;
    # 101,000 tokens -> 13.24 GB of KV cache on top of 16.06 GB of weights
    mem = wl(report, "llama-100k-input")["usage"]["memory_gb"]
    assert mem >= 16.06 + 101_000 * 131_072 / 1e9


# ---- rule 4: containers for code -----------------------------------------------------------------
def test_cpu_bound_glue_packs_one_request_per_vcpu(report):
    o = opt(report, "glue-cpu-bound", "fargate")
    # 10/s x 10 s = 100 in flight x (1 vCPU x $0.04048 + 4 GB x $0.004445) x 730 h = $4,252.98 at the mean
    at_mean = 100 * (VCPU_H + 4 * GB_H) * HOURS
    assert at_mean == pytest.approx(4252.98, abs=0.01)
    assert at_mean <= infra(o) <= 2 * at_mean
    assert quantity(o, "Compute") >= 100 * HOURS  # vCPU-hours


@pytest.mark.parametrize("platform", ["aws-batch", "fargate"])
def test_scheduled_glue_task_hours(report, platform):
    o = opt(report, "scheduled-glue-2h", platform)
    # 30 runs x 2 h = 60 task-hours of 1 vCPU / 8 GB: 60 x $0.04048 + 480 GB-h x $0.004445 = $4.5624,
    # + NAT $65.70
    assert o["instance_type"] == "1 vCPU / 8 GB task"
    assert quantity(o, "Compute") == pytest.approx(60.0, rel=1e-6)
    assert quantity(o, "Memory") == pytest.approx(480.0, rel=1e-6)
    assert infra(o) == pytest.approx(60 * VCPU_H + 480 * GB_H + NAT, abs=1e-6)


def test_scheduled_glue_recommends_aws_batch(report):
    assert wl(report, "scheduled-glue-2h")["recommendation"]["platform"] == "aws-batch"


def test_smallest_fargate_task_is_a_candidate(report):
    o = opt(report, "tiny-glue", "fargate")
    # one 0.25 vCPU / 0.5 GB task all month: 730 x (0.25 x $0.04048 + 0.5 x $0.004445) = $9.01,
    # behind an ALB (api trigger): 730 h x $0.0225 + 730 LCU-h (1 LCU minimum) x $0.008 = $22.265,
    # + NAT $65.70
    assert o["instance_type"] == "0.25 vCPU / 0.5 GB task"
    assert infra(o) == pytest.approx(
        HOURS * (0.25 * VCPU_H + 0.5 * GB_H) + HOURS * (0.0225 + 0.008) + NAT, abs=0.01
    )


def test_queued_cpu_jobs_on_aws_batch(report):
    o = opt(report, "queued-cpu-jobs", "aws-batch")
    assert o["feasible"], o["blocked_by"]
    # 10,000 x 120 s = 333.3 job-hours, one vCPU each: at most 1 vCPU / 2 GB Fargate tasks
    # (333.3 x ($0.04048 + 2 x $0.004445) = $16.46), plus SQS 30,000 requests x $0.40/M = $0.012,
    # + NAT $65.70
    job_hours = 10_000 * 120 / 3600
    assert infra(o) <= job_hours * (VCPU_H + 2 * GB_H) + 0.02 + NAT


# ---- rule 5: every serving option ----------------------------------------------------------------
def test_cpu_reranker_on_a_cpu_sagemaker_instance(report):
    o = opt(report, "reranker-cpu-8gb", "sagemaker-endpoint")
    assert o["instance_type"].startswith(("ml.m", "ml.c")), o["instance_type"]
    assert not o["extras"]["uses_gpu"]
    # one CPU instance holding 8 GB (ml.m5.xlarge $0.23 x 730 = $167.90), far below a GPU endpoint ($892)
    assert infra(o) <= 200


def test_serverless_reranker(report):
    o = opt(report, "reranker-serverless-2gb", "sagemaker-serverless")
    # 1M x 0.05 s x 2 GB = 100,000 GB-s x $0.00002 = $2.00
    assert quantity(o, "Serverless inference") == pytest.approx(100_000.0)
    assert infra(o) == pytest.approx(2.0, abs=1e-6)


def test_serverless_has_no_gpu(report):
    assert not opt(report, "diffusion-8s", "sagemaker-serverless")["feasible"]


def test_async_inference_serves_600_s_requests(report):
    assert not opt(report, "custom7b-600s", "sagemaker-endpoint")["feasible"]  # 60 s real-time timeout
    o = opt(report, "custom7b-600s", "sagemaker-async")
    assert o["feasible"], o["blocked_by"]
    # at least the work: 3,000 x 600 s = 500 instance-hours
    assert quantity(o, "Instance usage") >= 500 * 0.999


def test_size_only_open_model_stands_in_on_bedrock(report):
    o = opt(report, "open-8b-size-only", "bedrock")
    assert o["feasible"], o["blocked_by"]
    # 100,000 x 400 = 40M in x $0.22 + 10M out x $0.22 = $8.80 + $2.20 = $11.00 (Llama 3.1 8B)
    assert infra(o) == pytest.approx(11.0, abs=1e-6)
    assert any("llama-3.1-8b" in a for a in wl(report, "open-8b-size-only")["assumptions"])


def test_stand_in_is_overridable(report):
    # model.bedrock_id: Mistral 7B at $0.15 in / $0.20 out: 40 x 0.15 + 10 x 0.20 = $8.00
    assert infra(opt(report, "open-8b-bedrock-id", "bedrock")) == pytest.approx(8.0, abs=1e-6)


def test_no_stand_in_far_from_any_bedrock_size(report):
    assert not opt(report, "open-30b-size-only", "bedrock")["feasible"]


def test_custom_model_import_bill(report):
    o = opt(report, "custom-8b-sporadic", "bedrock-custom-import")
    assert o["feasible"], o["blocked_by"]
    # 8,760 five-minute windows; 1,500 calls, Poisson: windows with a call = 8,760 x (1 - e^(-1500/8760))
    active = 8760 * (1 - math.exp(-1500 / 8760))
    # each active window bills 5 min x 2 CMU (8B); busy time 1,500 x 3.63 s is far below the capacity
    assert quantity(o, "Custom model units") == pytest.approx(active * 5 * 2, rel=1e-6)
    # ~ 1,378 x 10 CMU-min x $0.05718 = $788 + storage 2 CMU x $1.95
    assert infra(o) == pytest.approx(active * 10 * CMU_MINUTE + 2 * CMU_MONTH, abs=0.01)
    assert wl(report, "custom-8b-sporadic")["recommendation"]["platform"] == "bedrock-custom-import"


def test_custom_model_import_70b_uses_8_cmus(report):
    o = opt(report, "custom-70b-cmi", "bedrock-custom-import")
    assert o["instance_type"] == "8 CMU per copy"
    assert quantity(o, "Custom model storage") == 8


def test_custom_model_import_gpu_jobs_bill_their_hours(report):
    o = opt(report, "gpu-jobs-2h", "bedrock-custom-import")
    # 60 copy-hours = 720 five-minute windows x 5 min x 2 CMU = 7,200 CMU-minutes
    assert quantity(o, "Custom model units") == pytest.approx(7200.0, rel=1e-6)


# ---- rule 6: consistency -------------------------------------------------------------------------
def test_orchestration_lasts_at_least_its_model_call(report):
    w = wl(report, "orch-waits-on-haiku")
    # the model layer: 0.3 s to first token + 300 tokens at 60 tokens/s = 5.3 s
    assert w["usage"]["duration_s"] == pytest.approx(5.3)
    o = opt(report, "orch-waits-on-haiku", "lambda")
    # 100,000 x 5.3 s x 0.5 GB = 265,000 GB-s
    assert quantity(o, "Duration") == pytest.approx(265_000.0, rel=1e-3)


def test_orchestration_shorter_than_its_model_is_warned(report):
    assert any("at least the model's latency" in x for x in wl(report, "orch-too-short")["warnings"])


def test_orchestration_without_tokens_leaves_the_model_unpriced(report):
    o = opt(report, "orch-haiku-no-tokens", "bedrock", layer="model")
    assert not o["feasible"] and "input_tokens" in o["blocked_by"][0]


def test_generative_model_on_cpu_decodes_at_memory_bandwidth(report):
    u = wl(report, "llama-int4-on-cpu")["usage"]
    # int4 8.03B = 4.015 GB of weights; 20 GB/s / 4.015 GB = 4.98 tokens/s -> 100 tokens = 20.1 s;
    # prompt 100 tokens x 2 x 8.03e9 FLOPs / 1 TFLOPS = 1.6 s
    weights_gb = 8.03 * 0.5
    expected = 2 * 8.03e9 * 100 / 1e12 + 100 / (20 / weights_gb)
    assert u["duration_s"] == pytest.approx(expected, rel=0.05)
    # several times the GPU-speed figure (0.3 s + 100 / 60 = 1.97 s)
    gpu = wl(report, "llama-on-gpu-default-duration")["usage"]["duration_s"]
    assert gpu == pytest.approx(0.3 + 100 / 60, abs=0.001)
    assert u["duration_s"] > 5 * gpu


def test_a_real_time_endpoint_bills_all_month_for_scheduled_batch_work() -> None:
    """A SageMaker real-time endpoint is billed per instance-hour while in service, from one instance
    up, however little of the month the batch keeps it busy; Asynchronous Inference scales to zero
    and bills the work-hours (https://aws.amazon.com/sagemaker/pricing/)."""
    from platform_cases import option

    batch = {
        "name": "extract",
        "role": "batch-inference",
        "model": {"id": "llama-3.1-8b-instruct"},
        "requests_per_month": 2_000_000,
        "traffic": "batch",
        "input_tokens": 4000,
        "output_tokens": 600,
        "trigger": "schedule",
    }
    data = {"workloads": [batch]}
    endpoint = option(data, "sagemaker-endpoint")
    (usage,) = [c for c in endpoint.cost_components if c.unit == "instance-hours"]
    assert usage.quantity >= HOURS  # one instance x 730 h at least
    assert "volume" not in usage.scales_with  # standing instances, not work
    asynchronous = option(data, "sagemaker-async")
    (work,) = [c for c in asynchronous.cost_components if c.unit == "instance-hours"]
    assert work.quantity < HOURS and "volume" in work.scales_with
