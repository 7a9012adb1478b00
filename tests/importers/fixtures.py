"""Realistic inputs, generated at test time in the formats AWS writes (small, deterministic)."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta
from pathlib import Path

START = datetime(2025, 1, 1)
HAIKU = "anthropic.claude-3-5-haiku-20241022-v1:0"
LLAMA = "us.meta.llama3-1-8b-instruct-v1:0"  # through a cross-region inference profile


def bedrock_record(ts: datetime, model: str, tin: int, tout: int) -> str:
    return json.dumps(
        {
            "schemaType": "ModelInvocationLog",
            "schemaVersion": "1.0",
            "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "accountId": "123456789012",
            "identity": {"arn": "arn:aws:sts::123456789012:assumed-role/App/s"},
            "region": "us-east-1",
            "requestId": f"r-{ts.timestamp():.0f}-{tin}",
            "operation": "Converse",
            "modelId": model,
            "input": {"inputContentType": "application/json", "inputTokenCount": tin},
            "output": {"outputContentType": "application/json", "outputTokenCount": tout},
        }
    )


def bedrock_logs(
    root: Path, days: int = 28, per_hour: int = 3, bad_lines: int = 2
) -> dict[str, tuple[int, int, int]]:
    """S3 layout AWSLogs/<acct>/BedrockModelInvocationLogs/<region>/YYYY/MM/DD/HH/*.json.gz.

    Returns per model (requests, input tokens, output tokens) actually written.
    """
    totals: dict[str, list[int]] = {HAIKU: [0, 0, 0], LLAMA: [0, 0, 0]}
    for h in range(days * 24):
        t = START + timedelta(hours=h)
        d = root / "AWSLogs/123456789012/BedrockModelInvocationLogs/us-east-1" / t.strftime("%Y/%m/%d/%H")
        d.mkdir(parents=True, exist_ok=True)
        lines = []
        busy = per_hour * (3 if 9 <= t.hour < 18 else 1)
        for i in range(busy):
            model = HAIKU if i % 3 else LLAMA
            tin, tout = 1000 + i, 200 + (i % 7)
            lines.append(bedrock_record(t + timedelta(minutes=i), model, tin, tout))
            for k, v in enumerate((1, tin, tout)):
                totals[model][k] += v
        if h < bad_lines:
            lines.append(
                '{"timestamp": "2025-01-01T00:00:00Z", "modelId": "x", "input": {}'
            )  # truncated JSON
        with gzip.open(d / f"{t:%Y%m%dT%H}_part.json.gz", "wt") as fh:
            fh.write("\n".join(lines) + "\n")
    return {k: tuple(v) for k, v in totals.items()}  # type: ignore[misc]


def lambda_report_lines(path: Path, n: int = 500, bad: int = 3) -> int:
    lines = []
    for i in range(n):
        ts = START + timedelta(seconds=37 * i)
        init = f"\tInit Duration: {150 + i % 20}.50 ms" if i % 50 == 0 else ""
        lines.append(
            f"{ts:%Y-%m-%dT%H:%M:%S}.000Z REPORT RequestId: {i:08d}-aaaa\tDuration: {100 + i % 40}.25 ms\t"
            f"Billed Duration: {101 + i % 40} ms\tMemory Size: 512 MB\tMax Memory Used: {60 + i % 9} MB{init}"
        )
        lines.append(f"{ts:%Y-%m-%dT%H:%M:%S}.000Z END RequestId: {i:08d}-aaaa")
    for i in range(bad):
        lines.append(f"REPORT RequestId: bad{i}\tDuration: 1 ms\tBilled Duration: 1 ms\tMemory Size: 512 MB")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return n


def offer_file(path: Path, offer: str, publication: str = "2026-11-01T00:00:00Z") -> None:
    """A Price List offer file in the real shape (products / terms.OnDemand / priceDimensions)."""

    def product(sku, family, **attrs):
        return {
            "sku": sku,
            "productFamily": family,
            "attributes": {
                "servicecode": offer,
                "regionCode": "us-east-1",
                "location": "US East (N. Virginia)",
                **attrs,
            },
        }

    def term(sku, dims):
        return {
            f"{sku}.JRTCKXETXF": {
                "offerTermCode": "JRTCKXETXF",
                "sku": sku,
                "effectiveDate": publication,
                "priceDimensions": {f"{sku}.JRTCKXETXF.{i}": d for i, d in enumerate(dims)},
                "termAttributes": {},
            }
        }

    def dim(usd, unit, begin="0", end="Inf", desc=""):
        return {
            "unit": unit,
            "beginRange": begin,
            "endRange": end,
            "description": desc,
            "appliesTo": [],
            "pricePerUnit": {"USD": usd},
        }

    if offer == "AmazonEC2":
        products = {
            "G5SKU": product(
                "G5SKU",
                "Compute Instance",
                instanceType="g5.2xlarge",
                operatingSystem="Linux",
                tenancy="Shared",
                preInstalledSw="NA",
                capacitystatus="Used",
                usagetype="BoxUsage:g5.2xlarge",
            ),
            "G5WIN": product(
                "G5WIN",
                "Compute Instance",
                instanceType="g5.2xlarge",
                operatingSystem="Windows",
                tenancy="Shared",
                preInstalledSw="NA",
                capacitystatus="Used",
                usagetype="BoxUsage:g5.2xlarge",
            ),
        }
        terms = {
            "G5SKU": term("G5SKU", [dim("1.1000000000", "Hrs", desc="$1.10 per On Demand Linux g5.2xlarge")]),
            "G5WIN": term("G5WIN", [dim("1.9000000000", "Hrs")]),
        }
    elif offer == "AWSLambda":
        products = {
            "REQ": product("REQ", "Serverless", group="AWS-Lambda-Requests", usagetype="Request"),
            "GBS": product("GBS", "Serverless", group="AWS-Lambda-Duration", usagetype="Lambda-GB-Second"),
        }
        terms = {
            "REQ": term("REQ", [dim("0.0000002000", "Requests")]),
            "GBS": term(
                "GBS",
                [
                    dim("0.0000166667", "Lambda-GB-Second", "0", "6000000000"),
                    dim("0.0000150000", "Lambda-GB-Second", "6000000000", "15000000000"),
                    dim("0.0000133334", "Lambda-GB-Second", "15000000000", "Inf"),
                ],
            ),
        }
    else:
        raise ValueError(offer)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "formatVersion": "v1.0",
                "disclaimer": "fixture",
                "offerCode": offer,
                "version": "20261101000000",
                "publicationDate": publication,
                "products": products,
                "terms": {"OnDemand": terms},
            }
        )
    )
