"""Live sources read through boto3, tested with moto (never against AWS)."""

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest
import requests
from moto import mock_aws
from typer.testing import CliRunner

from wheretorun.cli import app
from wheretorun.spec import load_workloads

HAIKU = "anthropic.claude-3-5-haiku-20241022-v1:0"


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch):
    for k, v in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(k, v)


@mock_aws
def test_cloudwatch_live_reads_bedrock_metrics(tmp_path):
    cw = boto3.client("cloudwatch", region_name="us-east-1")
    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    for h in range(1, 25):
        ts = now - dt.timedelta(hours=h)
        dims = [{"Name": "ModelId", "Value": HAIKU}]
        cw.put_metric_data(
            Namespace="AWS/Bedrock",
            MetricData=[
                {"MetricName": "Invocations", "Dimensions": dims, "Timestamp": ts, "Value": 10},
                {"MetricName": "InputTokenCount", "Dimensions": dims, "Timestamp": ts, "Value": 10_000},
                {"MetricName": "OutputTokenCount", "Dimensions": dims, "Timestamp": ts, "Value": 2_000},
            ],
        )
    out = tmp_path / "bedrock.yml"
    result = CliRunner().invoke(
        app,
        [
            "import",
            "cloudwatch",
            "--live",
            "--namespace",
            "AWS/Bedrock",
            "--days",
            "2",
            "--out",
            str(out),
            "--no-compare",
        ],
    )
    assert result.exit_code == 0, result.output
    w = load_workloads(out).workloads[0]
    assert w.name == "claude-3-5-haiku"
    assert w.input_tokens == 1000 and w.output_tokens == 200
    assert "scaled" in out.read_text()  # 24 hours of metrics scaled to a month


@mock_aws
def test_cost_explorer_feeds_the_cur_importer(tmp_path):
    groups = [
        {
            "Keys": ["AWS Lambda", "Request"],
            "Metrics": {
                "UnblendedCost": {"Amount": "0.2", "Unit": "USD"},
                "UsageQuantity": {"Amount": "1000000", "Unit": "N/A"},
            },
        },
        {
            "Keys": ["AWS Lambda", "Lambda-GB-Second"],
            "Metrics": {
                "UnblendedCost": {"Amount": "16.67", "Unit": "USD"},
                "UsageQuantity": {"Amount": "1000000", "Unit": "N/A"},
            },
        },
    ]
    results = [
        {
            "TimePeriod": {"Start": f"2025-01-{d:02d}", "End": f"2025-01-{d + 1:02d}"},
            "Total": {},
            "Groups": groups,
            "Estimated": False,
        }
        for d in range(1, 29)
    ]
    requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/ce/cost-and-usage-results",
        data=json.dumps({"results": [{"ResultsByTime": results}]}),
        timeout=5,
    )
    out = tmp_path / "ce.yml"
    result = CliRunner().invoke(
        app, ["import", "cur", "--cost-explorer", "--days", "28", "--out", str(out), "--no-compare"]
    )
    assert result.exit_code == 0, result.output
    w = load_workloads(out).workloads[0]
    assert w.requests_per_month == 28_000_000
    assert w.duration_s * w.memory_gb == pytest.approx(1.0)  # 1 GB-s per request, as billed


def test_live_without_boto3_is_an_install_hint(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_boto3(name, *args, **kwargs):
        if name == "boto3":
            raise ImportError("no boto3")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_boto3)
    result = CliRunner().invoke(app, ["import", "cloudwatch", "--live", "--out", str(tmp_path / "x.yml")])
    assert result.exit_code == 2 and "pip install 'wheretorun[aws]'" in result.stderr
