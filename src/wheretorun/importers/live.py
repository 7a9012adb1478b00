"""Live sources (the ``aws`` extra): CloudWatch metrics and Cost Explorer, read-only, with the
user's credentials. Each writes an export file in the shape its file importer reads, so live and
exported data go through the same code: ``cloudwatch`` and ``cur``.

API calls used (read-only): ``cloudwatch:ListMetrics``, ``cloudwatch:GetMetricData``,
``ce:GetCostAndUsage``.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem

#: metric -> statistic: counts are summed per period, latencies averaged
METRICS = {
    "AWS/Bedrock": {
        "Invocations": "Sum",
        "InputTokenCount": "Sum",
        "OutputTokenCount": "Sum",
        "InvocationLatency": "Average",
    },
    "AWS/Lambda": {"Invocations": "Sum", "Duration": "Average"},
}
DIMENSION = {"AWS/Bedrock": "ModelId", "AWS/Lambda": "FunctionName"}
PERIOD_S = 3600


def _boto3():
    try:
        import boto3
    except ImportError:
        raise InputError(
            [Problem("--live", "", "reading AWS directly needs boto3: pip install 'wheretorun[aws]'")]
        ) from None
    return boto3


def cloudwatch_export(
    namespace: str, days: int, region: str, out: Path, now: dt.datetime | None = None
) -> Path:
    """Write ``timestamp,metric,dimension,value`` CSV of the namespace's metrics over ``days``."""
    if namespace not in METRICS:
        raise InputError([Problem("--namespace", "", f"allowed: {', '.join(METRICS)}")])
    cw = _boto3().client("cloudwatch", region_name=region)
    dim = DIMENSION[namespace]
    values = set()
    for page in cw.get_paginator("list_metrics").paginate(Namespace=namespace, MetricName="Invocations"):
        for metric in page.get("Metrics", []):
            for d in metric.get("Dimensions", []):
                if d["Name"] == dim:
                    values.add(d["Value"])
    if not values:
        raise InputError(
            [Problem(namespace, "", f"no {namespace} Invocations metrics with a {dim} dimension in {region}")]
        )
    end = (now or dt.datetime.now(dt.UTC)).replace(minute=0, second=0, microsecond=0)
    start = end - dt.timedelta(days=days)
    queries: list[dict[str, Any]] = []
    labels: dict[str, tuple[str, str]] = {}
    for i, value in enumerate(sorted(values)):
        for j, (metric, stat) in enumerate(METRICS[namespace].items()):
            qid = f"m{i}_{j}"
            labels[qid] = (value, metric)
            queries.append(
                {
                    "Id": qid,
                    "ReturnData": True,
                    "MetricStat": {
                        "Metric": {
                            "Namespace": namespace,
                            "MetricName": metric,
                            "Dimensions": [{"Name": dim, "Value": value}],
                        },
                        "Period": PERIOD_S,
                        "Stat": stat,
                    },
                }
            )
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["timestamp", "metric", dim, "value"])
        for chunk in range(0, len(queries), 500):  # GetMetricData takes up to 500 queries
            kwargs = {"MetricDataQueries": queries[chunk : chunk + 500], "StartTime": start, "EndTime": end}
            for page in cw.get_paginator("get_metric_data").paginate(**kwargs):
                for result in page.get("MetricDataResults", []):
                    value, metric = labels[result["Id"]]
                    for ts, v in zip(result.get("Timestamps", []), result.get("Values", []), strict=False):
                        writer.writerow([ts.strftime("%Y-%m-%dT%H:%M:%SZ"), metric, value, v])
    return out


def cost_explorer_export(days: int, out: Path, now: dt.date | None = None) -> Path:
    """Write a CUR-shaped CSV (daily spend per service and usage type) from Cost Explorer."""
    ce = _boto3().client("ce", region_name="us-east-1")
    end = now or dt.date.today()
    start = end - dt.timedelta(days=days)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            [
                "line_item_usage_start_date",
                "line_item_usage_end_date",
                "line_item_product_code",
                "line_item_usage_type",
                "line_item_usage_amount",
                "line_item_unblended_cost",
                "line_item_line_item_type",
            ]
        )
        token = None
        while True:
            kwargs: dict[str, Any] = {
                "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
                "Granularity": "DAILY",
                "Metrics": ["UnblendedCost", "UsageQuantity"],
                "GroupBy": [
                    {"Type": "DIMENSION", "Key": "SERVICE"},
                    {"Type": "DIMENSION", "Key": "USAGE_TYPE"},
                ],
            }
            if token:
                kwargs["NextPageToken"] = token
            resp = ce.get_cost_and_usage(**kwargs)
            for period in resp.get("ResultsByTime", []):
                for group in period.get("Groups", []):
                    service, usage_type = group["Keys"]
                    m = group["Metrics"]
                    writer.writerow(
                        [
                            period["TimePeriod"]["Start"],
                            period["TimePeriod"]["End"],
                            _product_code(service),
                            usage_type,
                            m["UsageQuantity"]["Amount"],
                            m["UnblendedCost"]["Amount"],
                            "Usage",
                        ]
                    )
            token = resp.get("NextPageToken")
            if not token:
                break
    return out


#: Cost Explorer names services ("AWS Lambda"); the CUR uses product codes ("AWSLambda").
PRODUCT_CODES = {
    "AWS Lambda": "AWSLambda",
    "Amazon Elastic Compute Cloud - Compute": "AmazonEC2",
    "Amazon Bedrock": "AmazonBedrock",
    "Amazon SageMaker": "AmazonSageMaker",
    "Amazon Elastic Container Service": "AmazonECS",
}


def _product_code(service: str) -> str:
    return PRODUCT_CODES.get(service, service)
