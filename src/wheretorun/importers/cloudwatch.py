"""CloudWatch metric exports -> one workload per Bedrock model or Lambda function.

Two shapes are read:

- CSV with columns ``timestamp``, ``metric`` (or ``MetricName``), ``value`` (or ``Value``), a
  dimension column ``ModelId`` or ``FunctionName`` (or ``dimension``), and optionally ``namespace``;
- the JSON of ``aws cloudwatch get-metric-data`` (``MetricDataResults`` with ``Label``,
  ``Timestamps`` and ``Values``), each ``Label`` written as ``"<ModelId or FunctionName> <MetricName>"``
  (the labels ``docs/import.md`` shows how to set).

Metrics used (https://docs.aws.amazon.com/bedrock/latest/userguide/monitoring-runtime-metrics.html,
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html): AWS/Bedrock
``Invocations``, ``InputTokenCount``, ``OutputTokenCount``, ``InvocationLatency``; AWS/Lambda
``Invocations``, ``Duration``, ``ConcurrentExecutions``. Each datapoint is one period's Sum (counts)
or Average (durations).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..catalog.store import load_catalog
from ..errors import InputError, Problem
from .bedrock_logs import base_model_id, catalog_model
from .common import month_factor, monthly, slug, traffic_label

KIND = "cloudwatch"
PATTERNS = ("*.csv", "*.csv.gz", "*.json", "*.json.gz")
BEDROCK_METRICS = ("InputTokenCount", "OutputTokenCount", "InvocationLatency")


def _csv_rows(con, files: list[str]) -> str:  # type: ignore[no-untyped-def]
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    cols = {
        c.lower()
        for (c,) in con.execute(
            f"SELECT column_name FROM (DESCRIBE SELECT * FROM read_csv([{listed}], union_by_name=true))"
        ).fetchall()
    }
    need = {"timestamp"}
    if not need <= cols:
        raise InputError(
            [
                Problem(
                    files[0], "", f"CloudWatch CSV needs a timestamp column; found: {', '.join(sorted(cols))}"
                )
            ]
        )
    metric = "metric" if "metric" in cols else "metricname"
    value = "value"
    dim = next((c for c in ("modelid", "functionname", "dimension") if c in cols), None)
    if metric not in cols or value not in cols or dim is None:
        raise InputError(
            [
                Problem(
                    files[0],
                    "",
                    "CloudWatch CSV needs columns metric (or MetricName), value and "
                    f"ModelId, FunctionName or dimension; found: {', '.join(sorted(cols))}",
                )
            ]
        )
    return (
        f"SELECT TRY_CAST(timestamp AS TIMESTAMP) AS ts, CAST({dim} AS VARCHAR) AS dim, CAST({metric} AS VARCHAR) "
        f"AS metric, TRY_CAST({value} AS DOUBLE) AS value FROM read_csv([{listed}], union_by_name=true)"
    )


def _json_rows(files: list[str]) -> str:
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    return f"""
    SELECT TRY_CAST(t AS TIMESTAMP) AS ts,
           regexp_replace(r.Label, '\\s+\\S+$', '') AS dim,
           regexp_extract(r.Label, '(\\S+)$', 1) AS metric,
           TRY_CAST(v AS DOUBLE) AS value
    FROM (SELECT unnest(MetricDataResults) AS r FROM read_json([{listed}], format='auto')),
         LATERAL (SELECT unnest(r.Timestamps) AS t, unnest(r.Values) AS v)
    """


def run(paths: list[str], out: Path, files: list[str], con) -> tuple[dict[str, Any], list[str], list[str]]:  # type: ignore[no-untyped-def]
    csvs = [f for f in files if ".csv" in f]
    jsons = [f for f in files if ".json" in f]
    parts = ([_csv_rows(con, csvs)] if csvs else []) + ([_json_rows(jsons)] if jsons else [])
    con.execute("CREATE OR REPLACE TEMP VIEW points AS " + " UNION ALL ".join(parts))
    bad = con.execute(
        "SELECT count(*) FROM points WHERE ts IS NULL OR value IS NULL OR dim IS NULL"
    ).fetchone()[0]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE good AS SELECT * FROM points WHERE ts IS NOT NULL AND value IS NOT NULL "
        "AND dim IS NOT NULL"
    )
    per_dim = con.execute("""
        SELECT dim,
               sum(value) FILTER (WHERE metric = 'Invocations') AS requests,
               sum(value) FILTER (WHERE metric = 'InputTokenCount') AS tin,
               sum(value) FILTER (WHERE metric = 'OutputTokenCount') AS tout,
               avg(value) FILTER (WHERE metric IN ('InvocationLatency', 'Duration')) AS latency_ms,
               max(value) FILTER (WHERE metric IN ('InvocationLatency', 'Duration')) AS latency_max_ms,
               bool_or(metric IN ('InputTokenCount', 'OutputTokenCount', 'InvocationLatency')) AS bedrock,
               min(ts), max(ts),
               count(DISTINCT ts) FILTER (WHERE metric = 'Invocations') AS periods,
               max(value) FILTER (WHERE metric = 'Invocations') AS peak,
               avg(value) FILTER (WHERE metric = 'Invocations') AS mean
        FROM good GROUP BY dim HAVING sum(value) FILTER (WHERE metric = 'Invocations') > 0 ORDER BY requests DESC
    """).fetchall()
    if not per_dim:
        raise InputError([Problem(paths[0], "", "no Invocations datapoints in the CloudWatch export")])
    catalog = load_catalog()
    workloads, summary = [], []
    header = [f"Imported by `wheretorun import {KIND}` from {len(files)} file(s): {', '.join(paths)}"]
    for dim, requests, tin, tout, lat, lat_max, bedrock, first, last, periods, peak, mean in per_dim:
        step_min = _period_minutes(con, dim)
        window_h = max(periods, 1) * step_min / 60
        factor, how = month_factor(window_h)
        cid = catalog_model(base_model_id(dim), catalog) if bedrock else None
        name = cid or slug(dim)
        csv = out.parent / f"{out.stem}.{name}.csv"
        out.parent.mkdir(parents=True, exist_ok=True)
        con.execute(
            "COPY (SELECT strftime(ts, '%Y-%m-%dT%H:%M:%SZ') AS timestamp, sum(value) AS requests FROM good "
            "WHERE dim = ? AND metric = 'Invocations' GROUP BY ts ORDER BY ts) TO '"
            + str(csv).replace("'", "''")
            + "' (HEADER, DELIMITER ',')",
            [dim],
        )
        ptm = round(max(1.0, peak / mean), 3) if mean else 1.0
        w: dict[str, Any] = {
            "name": name,
            "requests_per_month": monthly(int(round(requests)), factor),
            "traffic": traffic_label(ptm),
            "peak_to_mean": ptm,
            "traffic_profile": csv.name,
        }
        if bedrock:
            base = base_model_id(dim)
            w.update(
                {
                    "role": "inference",
                    "model": {"id": cid} if cid else {"bedrock_id": base},
                    "input_tokens": round((tin or 0) / requests),
                    "output_tokens": round((tout or 0) / requests),
                    "trigger": "api",
                }
            )
        else:
            w.update({"role": "glue", "trigger": "event"})
        if lat:
            w["duration_s"] = round(lat / 1000, 6)
            w["duration_p99_s"] = round(max(lat_max, lat) / 1000, 6)
        workloads.append(w)
        header.append(
            f"{name}: {dim}; {requests:,.0f} invocations from {first} to {last} in {periods} "
            f"{step_min:g}-minute periods; {how}; duration_p99_s is the highest period average "
            "(CloudWatch averages hide the true p99)"
        )
        summary.append(
            f"{name}: {requests:,.0f} invocations"
            + (f", {tin or 0:,.0f} input and {tout or 0:,.0f} output tokens" if bedrock else "")
        )
    if bad:
        summary.append(f"{bad:,} datapoint(s) without a timestamp, value or dimension were skipped")
    return {"workloads": workloads}, header, summary


def _period_minutes(con, dim: str) -> float:  # type: ignore[no-untyped-def]
    """The export's period: the most common gap between consecutive timestamps (1 minute if one point)."""
    gap = con.execute(
        "SELECT mode(g) FROM (SELECT epoch(ts) - epoch(lag(ts) OVER (ORDER BY ts)) AS g FROM "
        "(SELECT DISTINCT ts FROM good WHERE dim = ? AND metric = 'Invocations')) WHERE g > 0",
        [dim],
    ).fetchone()[0]
    return (gap or 60) / 60
