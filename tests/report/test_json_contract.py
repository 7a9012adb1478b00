"""`recommend --format json` has exactly the contract's shape (../shared/DESIGN.md), and its
numbers are consistent: every line is quantity x unit price, lines add up to totals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wheretorun import load_workloads, recommend, render

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PLATFORM_IDS = {
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
}
TOL = 1e-5


@pytest.fixture(scope="module")
def report_json() -> dict:
    path = EXAMPLES / "ai-product.yml"
    return json.loads(render(recommend(load_workloads(path), file=str(path)), "json"))


def test_top_level_shape(report_json):
    assert report_json["version"] == 1
    assert {"as_of", "region"} <= set(report_json["catalog"])
    assert report_json["catalog"]["region"] == "us-east-1"
    assert isinstance(report_json["total_monthly_cost_usd"], float)
    for w in report_json["workloads"]:
        assert {"name", "recommendation", "options", "trace", "warnings"} <= set(w)
        assert {"platform", "pattern", "summary"} <= set(w["recommendation"])
        for step in w["trace"]:
            assert set(step) == {"question", "answer", "because"}


def test_every_platform_is_listed_infeasible_ones_with_their_limit(report_json):
    for w in report_json["workloads"]:
        for layer in ("options", "model_options"):
            opts = w.get(layer) or []
            if not opts:
                continue
            assert {o["platform"] for o in opts} == PLATFORM_IDS
            for o in opts:
                assert {
                    "platform",
                    "feasible",
                    "blocked_by",
                    "instance_type",
                    "instances",
                    "monthly_cost_usd",
                    "cost_components",
                    "notes",
                } <= set(o)
                if o["feasible"]:
                    assert o["blocked_by"] == []
                    assert set(o["monthly_cost_usd"]) == {"infra", "ops", "total"}
                else:
                    assert o["blocked_by"] and o["monthly_cost_usd"] is None


def test_lines_are_quantity_times_unit_price_and_add_up(report_json):
    for w in report_json["workloads"]:
        for o in w["options"] + w.get("model_options", []):
            if not o["feasible"]:
                continue
            infra = ops = 0.0
            for c in o["cost_components"]:
                assert {"name", "unit", "quantity", "unit_price_usd", "monthly_usd"} <= set(c)
                assert c["monthly_usd"] == pytest.approx(
                    c["quantity"] * c["unit_price_usd"], rel=1e-6, abs=TOL
                )
                assert c["source"] and c["as_of"], c
                if c["kind"] == "ops":
                    ops += c["monthly_usd"]
                else:
                    infra += c["monthly_usd"]
            mc = o["monthly_cost_usd"]
            assert mc["infra"] == pytest.approx(infra, abs=TOL * len(o["cost_components"]))
            assert mc["ops"] == pytest.approx(ops, abs=TOL * len(o["cost_components"]))
            assert mc["total"] == pytest.approx(mc["infra"] + mc["ops"], abs=TOL)


def test_system_total_is_the_sum_of_the_recommendations(report_json):
    # the workloads' own totals + the costs the file shares (each counted once)
    total = sum(w["recommendation"]["monthly_cost_usd"]["total"] for w in report_json["workloads"])
    total += sum(c["monthly_usd"] for c in report_json["shared_costs"])
    assert report_json["total_monthly_cost_usd"] == pytest.approx(total, abs=1e-4)
    folio = report_json["portfolio"]
    assert folio["joint_total_usd"] == pytest.approx(report_json["total_monthly_cost_usd"], abs=1e-4)
    assert folio["joint_total_usd"] <= folio["standalone_total_usd"] + 1e-9


def test_recommended_platform_is_a_feasible_option(report_json):
    for w in report_json["workloads"]:
        rec = w["recommendation"]
        chosen = next(o for o in w["options"] if o["platform"] == rec["platform"])
        assert chosen["feasible"]


def test_no_number_travels_as_a_string_and_web_dict_equals_cli_text():
    """Money is Decimal in the library and a JSON number in the contract, wherever it sits (extras
    included); the web API's dict and the CLI's text are the same JSON."""
    import re

    path = EXAMPLES / "saas-platform.yml"
    report = recommend(load_workloads(path), file=str(path))
    data = json.loads(render(report, "json"))
    assert data == report.to_json_dict()
    numeric = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")

    def walk(value, where):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{where}.{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{where}[{i}]")
        else:
            assert not (isinstance(value, str) and numeric.fullmatch(value)), (where, value)

    walk(data, "$")


@pytest.mark.parametrize("name", ["ai-product.yml", "saas-platform.yml", "self-hosted-70b.yml"])
def test_written_workload_by_workload_is_the_same_json(name):
    import io

    path = EXAMPLES / name
    report = recommend(load_workloads(path), file=str(path), breakeven_curve=True)
    out = io.BytesIO()
    report.write_json(out)
    assert out.getvalue() == report.to_json_bytes()
    assert json.loads(out.getvalue()) == report.to_json_dict()
