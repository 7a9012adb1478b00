"""Every invoice line says what it charges for (``driver``) and how it is bought (``purchase``),
and its label never names a purchase option it did not charge."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from wheretorun import load_workloads, recommend

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.yml"))
PURCHASE_IN_LABEL = re.compile(r"\((on-demand|spot|savings-plan-1yr|savings-plan-3yr)\b")


def gpu_api(commitment: str) -> dict:
    """An 8B model behind an API: priced on EC2 (ECS/EKS) and on SageMaker instances."""
    return {
        "prices": {"ec2_commitment": commitment},
        "workloads": [
            {
                "name": "chat",
                "role": "inference",
                "model": {"id": "llama-3.1-8b"},
                "requests_per_second": 5,
                "input_tokens": 500,
                "output_tokens": 200,
                "trigger": "api",
            }
        ],
    }


def all_options(report):
    for w in report.workloads:
        yield from (o for o in [*w.options, *w.model_options] if o.feasible)


@pytest.mark.parametrize(
    ("commitment", "purchase", "hourly"),
    [
        # SageMaker endpoints have no Spot: on-demand ml.g5.xlarge $1.4084/h, and the note says why
        ("spot", "on-demand", "1.4084"),
        # SageMaker Savings Plan, catalog sagemaker/savings-plan-1yr 20 % (no per-instance rate):
        # 1.4084 x 0.80 = 1.12672
        ("savings-plan-1yr", "savings-plan-1yr", "1.12672"),
        # no 3-year figure: the 1-year rate, never on-demand (a 3-year plan never costs more)
        ("savings-plan-3yr", "savings-plan-3yr", "1.12672"),
    ],
)
def test_sagemaker_lines_are_labelled_with_the_purchase_option_they_are_priced_at(
    commitment, purchase, hourly
):
    report = recommend(load_workloads(gpu_api(commitment)), file="<t>")
    sagemaker = next(o for o in all_options(report) if o.platform == "sagemaker-endpoint")
    (instance,) = [c for c in sagemaker.cost_components if c.driver == "time"]
    assert instance.purchase == purchase
    assert instance.name == f"Instance usage ({purchase}, ml.g5.xlarge)"
    assert instance.unit_price_usd == Decimal(hourly)
    assert "SageMaker" in (instance.note or "")
    if purchase == "on-demand":
        assert "priced on-demand" in (instance.note or "")
    ec2 = next(o for o in all_options(report) if o.platform == "ecs-ec2")
    (ec2_instance,) = [c for c in ec2.cost_components if c.driver == "time"]
    # on EC2 the discount is charged and named where the catalog has its rate (and, for Spot, where the
    # work may be interrupted: an API caller is waiting, so not here); otherwise the line is priced,
    # and named, on-demand
    if "priced on-demand" in (ec2_instance.note or ""):
        assert ec2_instance.purchase == "on-demand"
    else:
        assert ec2_instance.purchase == commitment
        assert "% off on-demand" in (ec2_instance.note or "")
    assert ec2_instance.name.startswith(f"Instance usage ({ec2_instance.purchase}, ")


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_a_label_names_only_the_purchase_option_charged(example):
    report = recommend(load_workloads(example), file=str(example))
    for o in all_options(report):
        for c in o.cost_components:
            named = PURCHASE_IN_LABEL.search(c.name)
            if named:
                assert named.group(1) == c.purchase, (o.platform, c.name)
            # engineering time has no purchase option; everything else is bought somehow
            assert (c.driver == "engineer_rate") == (c.purchase == "n/a") == (c.kind == "ops"), c.name


def test_the_json_says_driver_and_purchase_of_every_line(one_workload):
    report = recommend(load_workloads(one_workload(requests_per_month=1_000_000, duration_s=0.2)), file="<t>")
    data = json.loads(report.to_json())
    lines = [c for w in data["workloads"] for o in w["options"] for c in o["cost_components"]]
    assert lines
    assert all(c["driver"] in ("volume", "time", "fixed", "engineer_rate") for c in lines)
    assert all(
        c["purchase"] in ("on-demand", "spot", "savings-plan-1yr", "savings-plan-3yr", "free-tier", "n/a")
        for c in lines
    )
    lam = next(o for w in data["workloads"] for o in w["options"] if o["platform"] == "lambda")
    # Lambda bills requests and GB-seconds: both follow the volume, on-demand (arch auto: arm64)
    assert {
        (c["name"], c["driver"], c["purchase"]) for c in lam["cost_components"] if c["kind"] == "infra"
    } == {
        ("Requests", "volume", "on-demand"),
        ("Duration (arm64, first 7.5B GB-s)", "volume", "on-demand"),
        # an API-triggered function's front door (front_door auto): API Gateway HTTP API requests
        ("API Gateway requests (HTTP API, first 300 M requests)", "volume", "on-demand"),
    }
