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
from .bedrock_logs import base_model_id, catalog_model, model_spec
from .common import (
    EXAMPLES_SHOWN,
    Malformed,
    bad_name,
    count_rejected,
    distinct,
    month_factor,
    monthly,
    profile_sql,
    reject_outside_window,
    seconds,
    slug,
    traffic_label,
    write_profile,
)
from .costs import bedrock_now

KIND = "cloudwatch"
PATTERNS = ("*.csv", "*.csv.gz", "*.json", "*.json.gz")
BEDROCK_METRICS = ("InputTokenCount", "OutputTokenCount", "InvocationLatency")


#: A period's Sum above this is no real usage (10^12 tokens a minute would cost millions of dollars).
MAX_VALUE = 1e12

#: Why a datapoint is not used (NULL: it is).
REJECT_SQL = f"""CASE WHEN ts IS NULL THEN 'no readable timestamp'
     WHEN value IS NULL THEN 'no numeric value'
     WHEN dim IS NULL OR metric IS NULL THEN 'no metric or dimension'
     WHEN {bad_name("dim")} OR {bad_name("metric", 64)} THEN 'metric or dimension over 256 characters or with control characters'
     WHEN value < 0 THEN 'negative value'
     WHEN value > {MAX_VALUE:.0f} OR isnan(value) OR isinf(value) THEN 'value over 10^12 (or not a number)'
END"""


def _csv_rows(con, files: list[str]) -> str:
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
    # line numbers: the header is line 1 of each file
    return (
        f'SELECT TRY_CAST("timestamp" AS TIMESTAMP) AS ts, CAST({dim} AS VARCHAR) AS dim, CAST({metric} AS VARCHAR) '
        f"AS metric, TRY_CAST({value} AS DOUBLE) AS value, filename AS file, "
        f"'line ' || (row_number() OVER (PARTITION BY filename) + 1) AS place, "
        f"concat_ws(',', \"timestamp\", {metric}, {dim}, {value}) AS raw "
        f"FROM read_csv([{listed}], union_by_name=true, all_varchar=true, filename=true)"
    )


def _json_rows(files: list[str]) -> str:
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    return f"""
    SELECT TRY_CAST(t AS TIMESTAMP) AS ts,
           nullif(regexp_replace(r.Label, '\\s*\\S+$', ''), '') AS dim,
           regexp_extract(r.Label, '(\\S+)$', 1) AS metric,
           TRY_CAST(v AS DOUBLE) AS value, filename AS file,
           'MetricDataResults[Label=' || r.Label || '] point ' || i AS place,
           CAST(t AS VARCHAR) || ' ' || coalesce(CAST(v AS VARCHAR), 'null') AS raw
    FROM (SELECT filename, unnest(MetricDataResults) AS r
          FROM read_json([{listed}], format='auto', filename=true)),
         LATERAL (SELECT unnest(r.Timestamps) AS t, unnest(r.Values) AS v,
                         unnest(range(1, len(r.Timestamps) + 1)) AS i)
    """


def run(paths: list[str], out: Path, files: list[str], con) -> tuple[dict[str, Any], list[str], list[str]]:
    csvs = [f for f in files if ".csv" in f]
    jsons = [f for f in files if ".json" in f]
    parts = ([_csv_rows(con, csvs)] if csvs else []) + ([_json_rows(jsons)] if jsons else [])
    con.execute("CREATE OR REPLACE TEMP VIEW points AS " + " UNION ALL ".join(parts))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE checked AS SELECT ts, dim, metric, value, file, place, raw, {REJECT_SQL} "
        "AS reason FROM points"
    )
    reject_outside_window(con, "checked")
    malformed = Malformed()
    count_rejected(con, "checked", malformed)
    if malformed.count:
        malformed.examples = [
            (f, place, r, raw or "")
            for f, place, r, raw in con.execute(
                "SELECT file, place, reason, raw FROM checked WHERE reason IS NOT NULL "
                f"ORDER BY file, length(place), place LIMIT {EXAMPLES_SHOWN}"
            ).fetchall()
        ]
    # one datapoint per metric, dimension and time: overlapping exports (or a datapoint listed twice)
    # repeat it, and every repeat would count again, squared in the latency weights; where repeats
    # disagree (a partial period exported before it closed) the larger, later figure is kept
    con.execute(
        "CREATE OR REPLACE TEMP TABLE good AS SELECT ts, dim, metric, max(value) AS value "
        "FROM checked WHERE reason IS NULL GROUP BY ts, dim, metric"
    )
    repeats = con.execute(
        "SELECT (SELECT count(*) FROM checked WHERE reason IS NULL) - (SELECT count(*) FROM good)"
    ).fetchone()[0]
    per_dim = con.execute("""
        SELECT dim,
               sum(value) FILTER (WHERE metric = 'Invocations') AS requests,
               sum(value) FILTER (WHERE metric = 'InputTokenCount') AS tin,
               sum(value) FILTER (WHERE metric = 'OutputTokenCount') AS tout,
               sum(value * inv) FILTER (WHERE metric IN ('InvocationLatency', 'Duration'))
                 / sum(inv) FILTER (WHERE metric IN ('InvocationLatency', 'Duration')) AS latency_ms,
               max(value) FILTER (WHERE metric IN ('InvocationLatency', 'Duration')) AS latency_max_ms,
               max(value) FILTER (WHERE metric = 'ConcurrentExecutions') AS concurrency,
               bool_or(metric IN ('InputTokenCount', 'OutputTokenCount', 'InvocationLatency')) AS bedrock
        FROM (SELECT g.*, coalesce(i.value, 0) AS inv FROM good g LEFT JOIN
              (SELECT dim, ts, value FROM good WHERE metric = 'Invocations') i USING (dim, ts))
        GROUP BY dim HAVING sum(value) FILTER (WHERE metric = 'Invocations') > 0 ORDER BY requests DESC
    """).fetchall()
    if not per_dim:
        raise InputError(
            [Problem(paths[0], "", "no Invocations datapoints in the CloudWatch export")]
            + [Problem(f, str(place), f"{r}: {t[:80]!r}") for f, place, r, t in malformed.examples]
        )
    t0, t1 = con.execute("SELECT min(ts), max(ts) FROM good WHERE metric = 'Invocations'").fetchone()
    catalog = load_catalog()
    workloads, summary = [], []
    header = [f"Imported by `wheretorun import {KIND}` from {len(files)} file(s): {', '.join(paths)}"]
    if repeats:
        said = f"{repeats:,} repeated datapoint(s) (same metric, dimension and time) counted once"
        header.append(said)
        summary.append(said)
    taken: set[str] = set()
    for dim, requests, tin, tout, lat, lat_max, concurrency, bedrock in per_dim:
        step_min = _period_minutes(con, dim)
        cid = catalog_model(base_model_id(dim), catalog) if bedrock else None
        name = distinct(cid or slug(dim), taken)
        csv = out.parent / f"{out.stem}.{name}.csv"
        sql = profile_sql(
            "good",
            "ts",
            "dim = $g AND metric = 'Invocations'",
            max(1, round(step_min)),
            str(t0),
            str(t1),
            measure="CAST(round(sum(value)) AS BIGINT)",
        )
        shape = write_profile(con, sql, dim, csv, max(1, round(step_min)), t0, t1)
        factor, how = month_factor(shape.window_hours)
        ptm = shape.peak_to_mean
        w: dict[str, Any] = {
            "name": name,
            "requests_per_month": monthly(int(round(requests)), factor),
            "traffic": traffic_label(ptm),
            "peak_to_mean": ptm,
        }
        if step_min <= 60 and float(step_min).is_integer():
            w["traffic_profile"] = csv.name
        else:  # the simulator takes 1-minute to 1-hour intervals; the shape is kept as peak/mean only
            csv.unlink()
        if bedrock:
            base = base_model_id(dim)
            w.update(
                {
                    "role": "inference",
                    "model": model_spec(base, catalog)[0],
                    "input_tokens": round((tin or 0) / requests),
                    "output_tokens": round((tout or 0) / requests),
                    "trigger": "api",
                }
            )
        else:
            w.update({"role": "glue", "trigger": "event"})
        if lat:
            w["duration_s"] = seconds(lat)
            w["duration_p99_s"] = seconds(max(lat_max, lat))
        workloads.append(w)
        header.append(
            f"{name}: {dim}; {requests:,.0f} invocations from {t0} to {t1} in {step_min:g}-minute periods; "
            f"{how}; peak/mean {ptm:g} per period"
            + (
                "; duration_s is the invocation-weighted mean of the period averages, duration_p99_s the "
                "highest period average (CloudWatch averages hide the true p99)"
                if lat
                else ""
            )
            + (f"; peak ConcurrentExecutions {concurrency:,.0f}" if concurrency else "")
        )
        summary.append(
            f"{name}: {requests:,.0f} invocations"
            + (f", {tin or 0:,.0f} input and {tout or 0:,.0f} output tokens" if bedrock else "")
            + f"; {how}"
        )
        if bedrock:
            summary += bedrock_now(name, base_model_id(dim), tin or 0, tout or 0, catalog)
        else:
            summary.append(
                f"  {name}: Lambda duration cost needs the memory size, which CloudWatch metrics do not carry: "
                "import the function's REPORT lines (lambda-logs) or the CUR for its cost"
            )
    return {"workloads": workloads}, header, summary + malformed.lines()


def _period_minutes(con, dim: str) -> float:
    """The export's period: the most common gap between consecutive timestamps (1 minute if one point)."""
    gap = con.execute(
        "SELECT mode(g) FROM (SELECT epoch(ts) - epoch(lag(ts) OVER (ORDER BY ts)) AS g FROM "
        "(SELECT DISTINCT ts FROM good WHERE dim = ? AND metric = 'Invocations')) WHERE g > 0",
        [dim],
    ).fetchone()[0]
    return (gap or 60) / 60
