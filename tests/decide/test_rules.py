"""Table-driven tests of the playbook's rules, through recommend(): each row names its case."""

from __future__ import annotations

from decimal import Decimal

import pytest

from wheretorun import load_workloads, recommend


def decide(data: dict):
    return recommend(load_workloads(data)).workloads[0]


def answers(w) -> dict[str, str]:
    return {t.question: t.answer for t in w.trace}


def test_orchestration_and_model_layers_are_placed_separately():
    w = decide(
        {
            "workloads": [
                {
                    "name": "agent",
                    "role": "orchestration",
                    "model": {"id": "claude-3-5-haiku"},
                    "requests_per_month": 100_000,
                    "duration_s": 5,
                    "input_tokens": 500,
                    "output_tokens": 100,
                }
            ]
        }
    )
    assert w.recommendation.platform == "lambda"
    assert w.recommendation.model_platform == "bedrock"
    assert w.recommendation.pattern == "agent-with-bedrock"
    assert {o.layer for o in w.options} == {"orchestration"}
    assert {o.layer for o in w.model_options} == {"model"}
    total = w.chosen.monthly_cost_usd.total + w.chosen_model.monthly_cost_usd.total
    assert w.recommendation.monthly_cost_usd.total == total
    assert any(q.startswith("[model] 3.") for q in answers(w))


@pytest.mark.parametrize(
    ("case", "workload", "team", "expect_platform", "expect_pattern"),
    [
        # glue on events: Lambda, the cheapest total
        (
            "event glue",
            {"role": "glue", "requests_per_month": 50_000, "duration_s": 1, "trigger": "event"},
            {},
            "lambda",
            "event-driven-glue",
        ),
        # work past 15 minutes: Lambda is out, a long flow runs on Step Functions
        (
            "long flow",
            {
                "role": "orchestration",
                "requests_per_month": 1000,
                "duration_s": 3600,
                "active_compute_s": 30,
                "trigger": "event",
            },
            {},
            "step-functions",
            "long-flow-on-step-functions",
        ),
        # short typical jobs with a long tail: queue the long ones
        (
            "long tail",
            {"role": "orchestration", "requests_per_month": 10_000, "duration_s": 30, "duration_p99_s": 1800},
            {},
            None,
            "hybrid-queue",
        ),
        # a proprietary model: Bedrock
        (
            "proprietary",
            {
                "role": "inference",
                "model": {"id": "claude-sonnet-4"},
                "requests_per_month": 10_000,
                "input_tokens": 1000,
                "output_tokens": 200,
            },
            {},
            "bedrock",
            "managed-inference-on-bedrock",
        ),
        # offline batch of an open model: Bedrock batch at half price
        (
            "batch",
            {
                "role": "batch-inference",
                "model": {"id": "llama-3.1-8b"},
                "requests_per_month": 2_000_000,
                "traffic": "batch",
                "trigger": "schedule",
                "input_tokens": 2000,
                "output_tokens": 300,
            },
            {},
            "bedrock-batch",
            "async-batch",
        ),
        # a tiny CPU embedding model on a steady API
        (
            "cpu embedding",
            {
                "role": "embedding",
                "model": {"id": "all-minilm-l6-v2"},
                "requests_per_second": 5,
                "duration_s": 0.02,
                "memory_gb": 1,
            },
            {},
            "lambda",
            "cpu-model-on-lambda",
        ),
        # fine-tuning a 7B model: a GPU job, never Lambda or Fargate
        (
            "fine-tune",
            {
                "role": "fine-tuning",
                "model": {"id": "mistral-7b"},
                "requests_per_month": 4,
                "duration_s": 14400,
                "traffic": "batch",
                "trigger": "schedule",
                "gpu": "required",
            },
            {"ops_capacity": "platform"},
            "aws-batch",
            "gpu-training-job",
        ),
    ],
)
def test_patterns(case, workload, team, expect_platform, expect_pattern):
    data = {"team": team, "workloads": [{"name": case.replace(" ", "-"), **workload}]}
    w = decide(data)
    if expect_platform:
        assert w.recommendation.platform == expect_platform, (case, w.recommendation)
    assert w.recommendation.pattern == expect_pattern, (case, w.recommendation)


GPU_MODEL = {
    "name": "m",
    "role": "inference",
    "model": {"id": "llama-3.1-8b"},
    "requests_per_second": 30,
    "traffic": "steady",
    "input_tokens": 1000,
    "output_tokens": 200,
}


#: a negotiated price that makes self-hosting artificially cheap
CHEAP_GPUS = {
    "overrides": {
        f"ec2/{t}": 0.01
        for t in (
            "g5.xlarge",
            "g6.xlarge",
            "g4dn.xlarge",
            "inf2.xlarge",
            "g5.2xlarge",
            "g6.2xlarge",
            "g6e.xlarge",
        )
    }
}


def test_team_without_ops_is_not_sent_to_self_managed_gpus_even_when_cheaper():
    w = decide({"team": {"ops_capacity": "none"}, "prices": CHEAP_GPUS, "workloads": [GPU_MODEL]})
    assert w.recommendation.platform not in ("ecs-ec2", "eks-ec2")
    ecs = next(o for o in w.options if o.platform == "ecs-ec2")
    assert ecs.feasible and any("not recommended" in n for n in ecs.notes)
    assert answers(w)["6. Does your team have operational capacity for GPUs?"] == "no"


def test_platform_team_gets_self_hosting_when_it_is_cheaper():
    # 30 requests/s x 1,200 tokens x 60 = 2.16M tokens/min at the mean, above llama-3.1-8b's 300,000
    # on-demand quota: Bedrock competes only with a raised quota
    raised = {"quota_increase": {"bedrock-tokens-per-minute": 10_000_000}}
    w = decide(
        {
            "team": {"ops_capacity": "platform"},
            "prices": CHEAP_GPUS,
            "preferences": raised,
            "workloads": [GPU_MODEL],
        }
    )
    assert w.recommendation.platform in ("ecs-ec2", "eks-ec2")
    assert w.recommendation.pattern == "self-hosted-llm-on-gpu"
    # the trace says the numbers disagree with the seed's volume guideline when they do
    q4 = next(t for t in w.trace if t.question.startswith("4."))
    assert "computed totals" in q4.because and "DISAGREE" not in q4.because


def test_compliance_without_privatelink_means_self_hosting_in_the_vpc():
    data = {
        "team": {"ops_capacity": "platform"},
        "workloads": [{**GPU_MODEL, "data_must_stay_in_vpc": True, "privatelink_ok": False}],
    }
    w = decide(data)
    assert w.recommendation.platform in ("ecs-ec2", "eks-ec2", "sagemaker-endpoint")
    assert w.recommendation.pattern == "in-vpc-self-hosted"
    bedrock = next(o for o in w.options if o.platform == "bedrock")
    assert not bedrock.feasible and "PrivateLink" in bedrock.blocked_by[0]


def test_compliance_forcing_gpus_on_a_team_without_ops_warns_loudly():
    # no SageMaker endpoint serves it in the VPC (real-time stops at 60 s, asynchronous at 1 h,
    # Serverless has no GPU): the self-managed GPU fleets are the only in-VPC option for the model
    data = {
        "team": {"ops_capacity": "none"},
        "engineering": {},
        "workloads": [
            {
                **GPU_MODEL,
                "requests_per_second": None,
                "requests_per_month": 10_000,
                "data_must_stay_in_vpc": True,
                "privatelink_ok": False,
                "duration_s": 4000,
            }
        ],
    }
    w = decide(data)
    assert any("COMPLIANCE FORCES" in x and " h " in x for x in w.warnings)
    ecs = next(o for o in w.options if o.platform == "ecs-ec2")
    assert ecs.feasible and not any(n.startswith("not recommended") for n in ecs.notes)


def test_an_async_endpoint_in_the_vpc_spares_a_team_without_gpu_ops_its_fleets():
    """Defect fixed: at 120 s a request is past SageMaker real-time's 60 s timeout but within an
    asynchronous endpoint's hour, which serves the model inside the VPC on instances AWS runs
    (``Traits.managed_instances``). Only the real-time endpoint used to count, so the GPU fleets
    stayed allowed and the warning said to consider SageMaker endpoints while one was feasible."""
    data = {
        "team": {"ops_capacity": "none"},
        "engineering": {},
        "workloads": [
            {**GPU_MODEL, "data_must_stay_in_vpc": True, "privatelink_ok": False, "duration_s": 120}
        ],
    }
    w = decide(data)
    assert w.recommendation.platform == "sagemaker-async"
    assert w.recommendation.pattern == "in-vpc-self-hosted"
    assert not any("COMPLIANCE FORCES" in x for x in w.warnings)
    for pid in ("ecs-ec2", "eks-ec2"):
        fleet = next(o for o in w.options if o.platform == pid)
        assert any(n.startswith("not recommended: ops_capacity: none") for n in fleet.notes)


def test_privatelink_keeps_bedrock_allowed():
    data = {
        "workloads": [
            {**GPU_MODEL, "requests_per_second": 1, "data_must_stay_in_vpc": True, "privatelink_ok": True}
        ]
    }
    w = decide(data)
    assert next(o for o in w.options if o.platform == "bedrock").feasible


def test_engineering_cost_follows_the_team_rate_and_overrides():
    base = {"workloads": [{"name": "g", "role": "glue", "requests_per_month": 1000, "duration_s": 1}]}
    cheap = decide({**base, "team": {"engineer_hourly_usd": 50, "ops_capacity": "limited"}})
    dear = decide({**base, "team": {"engineer_hourly_usd": 100, "ops_capacity": "limited"}})
    lam = lambda w: next(o for o in w.options if o.platform == "lambda")  # noqa: E731
    assert abs(lam(dear).monthly_cost_usd.ops - 2 * lam(cheap).monthly_cost_usd.ops) < Decimal("1e-11")
    custom = decide(
        {
            **base,
            "team": {"ops_capacity": "limited"},
            "engineering": {
                "lambda": {"setup_hours": 0, "upkeep_hours_per_month": 1, "oncall_hours_per_month": 0}
            },
        }
    )
    assert lam(custom).monthly_cost_usd.ops == 120


def test_every_default_that_shaped_the_answer_is_stated():
    w = decide(
        {
            "workloads": [
                {
                    "name": "m",
                    "role": "inference",
                    "model": {"id": "llama-3.1-8b"},
                    "requests_per_month": 1000,
                }
            ]
        }
    )
    text = " ".join(w.assumptions)
    for default in ("peak_to_mean", "input_tokens", "output_tokens", "duration_s", "memory_gb"):
        assert default in text


def test_unknown_model_id_suggests_the_closest_and_exits_as_input_error():
    from wheretorun.errors import InputError

    with pytest.raises(InputError) as exc:
        decide(
            {
                "workloads": [
                    {
                        "name": "m",
                        "role": "inference",
                        "model": {"id": "llama-3.1-8x"},
                        "requests_per_month": 1,
                    }
                ]
            }
        )
    msg = str(exc.value)
    assert "workloads[0].model.id" in msg and "did you mean" in msg


def test_unknown_region_lists_the_allowed_ones():
    from wheretorun.errors import InputError

    with pytest.raises(InputError) as exc:
        decide({"region": "us-east-9", "workloads": [{"name": "g", "role": "glue", "requests_per_month": 1}]})
    assert "region" in str(exc.value) and "us-east-1" in str(exc.value)
