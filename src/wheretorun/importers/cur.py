"""Cost and Usage Report 2.0 / Data Exports (Parquet or CSV) -> spend summary and Lambda workloads.

Columns read (https://docs.aws.amazon.com/cur/latest/userguide/table-dictionary-cur2.html):
``line_item_product_code``, ``line_item_usage_type``, ``line_item_resource_id``,
``line_item_usage_amount``, ``line_item_unblended_cost``, ``line_item_line_item_type``,
``line_item_usage_start_date``. The summary gives spend per service and usage type, GPU instance
hours and Bedrock token usage. Workloads are written where the bill determines them: one per Lambda
function (requests and GB-seconds; the CUR has no memory setting, so 1 GB is assumed and the
duration chosen so GB-seconds match the bill). Bedrock's CUR lines count tokens, not requests:
import Bedrock logs or CloudWatch metrics for the per-request shape.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..units import HOURS_PER_MONTH
from .common import BULK_QUANTILES, EARLIEST, bad_name, distinct, month_factor, monthly, render, slug

KIND = "cur"
PATTERNS = ("*.parquet", "*.csv", "*.csv.gz")
REQUIRED = (
    "line_item_product_code",
    "line_item_usage_type",
    "line_item_usage_amount",
    "line_item_unblended_cost",
)

#: The one SQL text of the spend summary: run here on local files and shown in docs/import.md for
#: Athena with {cur} replaced by the CUR table (tests check they are the same text).
SPEND_SQL = """
SELECT line_item_product_code AS service, line_item_usage_type AS usage_type,
       sum(CAST(line_item_usage_amount AS DOUBLE)) AS usage_amount,
       sum(CAST(line_item_unblended_cost AS DOUBLE)) AS cost_usd
FROM {cur}
WHERE coalesce(line_item_line_item_type, 'Usage') IN ('Usage', 'SavingsPlanCoveredUsage', 'DiscountedUsage')
GROUP BY 1, 2 ORDER BY cost_usd DESC
"""


#: GPU and accelerator instance hours (EC2 usage types ``BoxUsage:<type>``, region-prefixed outside us-east-1).
GPU_SQL = """
SELECT line_item_usage_type AS usage_type, sum(CAST(line_item_usage_amount AS DOUBLE)) AS instance_hours,
       sum(CAST(line_item_unblended_cost AS DOUBLE)) AS cost_usd
FROM {cur}
WHERE line_item_product_code = 'AmazonEC2'
  AND regexp_like(line_item_usage_type, 'BoxUsage:(g4dn|g5|g6|g6e|gr6|p4d|p4de|p5|p5e|p5en|inf2|trn1)\\.')
GROUP BY 1 ORDER BY 3 DESC
"""

#: Bedrock usage types that count tokens (as billed: often per 1K tokens).
BEDROCK_TOKENS_SQL = """
SELECT line_item_usage_type AS usage_type, sum(CAST(line_item_usage_amount AS DOUBLE)) AS amount,
       sum(CAST(line_item_unblended_cost AS DOUBLE)) AS cost_usd
FROM {cur}
WHERE line_item_product_code = 'AmazonBedrock' AND regexp_like(lower(line_item_usage_type), 'token')
GROUP BY 1 ORDER BY 3 DESC
"""

#: Lambda requests and GB-seconds per function (resource id).
LAMBDA_SQL = """
SELECT coalesce(line_item_resource_id, 'lambda') AS function,
       sum(CAST(line_item_usage_amount AS DOUBLE))
         FILTER (WHERE regexp_like(line_item_usage_type, '(^|-)Request(-ARM)?$')) AS requests,
       sum(CAST(line_item_usage_amount AS DOUBLE))
         FILTER (WHERE regexp_like(line_item_usage_type, 'Lambda-GB-Second')) AS gb_seconds
FROM {cur}
WHERE line_item_product_code = 'AWSLambda'
GROUP BY 1
HAVING sum(CAST(line_item_usage_amount AS DOUBLE))
         FILTER (WHERE regexp_like(line_item_usage_type, '(^|-)Request(-ARM)?$')) > 0
"""


def _source(files: list[str]) -> str:
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    parquet = [f for f in files if f.endswith(".parquet")]
    if parquet and len(parquet) == len(files):
        return f"read_parquet([{listed}], union_by_name=true)"
    if parquet:
        raise InputError([Problem(files[0], "", "mix of Parquet and CSV: import one format at a time")])
    return f"read_csv([{listed}], union_by_name=true, all_varchar=true)"


def run(paths: list[str], out: Path, files: list[str], con) -> tuple[dict[str, Any], list[str], list[str]]:
    src = _source(files)
    cols = {c for (c,) in con.execute(f"SELECT column_name FROM (DESCRIBE SELECT * FROM {src})").fetchall()}
    missing = [c for c in REQUIRED if c not in cols]
    if missing:
        raise InputError(
            [Problem(files[0], "", f"not a CUR 2.0 export: missing column(s) {', '.join(missing)}")]
        )
    optional = {
        c: (c if c in cols else "NULL")
        for c in (
            "line_item_line_item_type",
            "line_item_resource_id",
            "line_item_usage_start_date",
            "line_item_usage_end_date",
        )
    }
    csv = src.startswith("read_csv")

    def text(column: str) -> str:
        # DuckDB 2.0 pushes a TRY_CAST of a CSV column into the reader, which then fails the whole
        # scan on one unconvertible cell; trim() keeps the cast a TRY_CAST
        return f"trim({column})" if csv and column != "NULL" else column

    con.execute(
        f"CREATE OR REPLACE TEMP VIEW cur_all AS SELECT line_item_product_code, line_item_usage_type, "
        f"TRY_CAST({text('line_item_usage_amount')} AS DOUBLE) AS line_item_usage_amount, "
        f"TRY_CAST({text('line_item_unblended_cost')} AS DOUBLE) AS line_item_unblended_cost, "
        f"{optional['line_item_line_item_type']} AS line_item_line_item_type, "
        f"{optional['line_item_resource_id']} AS line_item_resource_id, "
        f"TRY_CAST({text(optional['line_item_usage_start_date'])} AS TIMESTAMP) AS start_date, "
        f"TRY_CAST({text(optional['line_item_usage_end_date'])} AS TIMESTAMP) AS end_date FROM {src}"
    )
    reason = _reject_sql(con)
    con.execute(f"CREATE OR REPLACE TEMP VIEW cur AS SELECT * FROM cur_all WHERE ({reason}) IS NULL")
    rejected = con.execute(
        f"SELECT r, count(*) FROM (SELECT {reason} AS r FROM cur_all) WHERE r IS NOT NULL GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall()
    spend = con.execute(render(SPEND_SQL, cur="cur")).fetchall()
    if not spend:
        raise InputError([Problem(paths[0], "", "no usage line items in the CUR export")])
    summary = [f"spend by service and usage type ({len(spend)} rows; top 15):"]
    for service, usage_type, amount, cost in spend[:15]:
        summary.append(f"  {service:<22} {usage_type:<45} {amount:>16,.2f} units  ${cost:>12,.2f}")
    gpu = con.execute(render(GPU_SQL, cur="cur")).fetchall()
    for usage_type, hours, cost in gpu:
        summary.append(f"GPU/accelerator instances {usage_type}: {hours:,.1f} instance-hours, ${cost:,.2f}")
    tokens = con.execute(render(BEDROCK_TOKENS_SQL, cur="cur")).fetchall()
    for usage_type, amount, cost in tokens:
        summary.append(f"Bedrock {usage_type}: {amount:,.0f} (as billed, often 1K tokens), ${cost:,.2f}")
    factor, how = month_factor(_window_hours(con, ", ".join(paths)))
    lam = con.execute(render(LAMBDA_SQL, cur="cur")).fetchall()
    header = [f"Imported by `wheretorun import {KIND}` from {len(files)} file(s): {', '.join(paths)}; {how}"]
    workloads = []
    taken: set[str] = set()
    for resource, requests, gb_s in lam:
        name = distinct(slug(str(resource).rsplit(":", 1)[-1]), taken)
        per_request_s = (gb_s or 0) / requests
        workloads.append(
            {
                "name": name,
                "role": "glue",
                "requests_per_month": monthly(int(round(requests)), factor),
                "duration_s": round(max(per_request_s, 0.001), 6),
                "memory_gb": 1,
                "trigger": "event",
            }
        )
        header.append(
            f"{name}: {resource}; {requests:,.0f} requests and {gb_s or 0:,.1f} GB-s billed; memory is not "
            "in the CUR: 1 GB assumed, duration set so GB-seconds match the bill"
        )
    if not workloads:
        raise InputError(
            [
                Problem(
                    paths[0],
                    "",
                    "the CUR export has usage, but no Lambda requests to turn into a "
                    "workload; its spend summary: " + "; ".join(s.strip() for s in summary[1:4]),
                )
            ]
        )
    if rejected:
        by = "; ".join(f"{n:,} {r}" for r, n in rejected)
        summary.append(f"{sum(n for _, n in rejected):,} line item(s) skipped ({by})")
    return {"workloads": workloads}, header, summary


#: A usage amount or cost beyond this on one line item is corrupt (no bill line reaches 10^15).
MAX_AMOUNT = 1e15


def _reject_sql(con) -> str:
    """Why a line item is not used (NULL: it is): no numeric amount or cost, an absurd one, a
    resource id no AWS id looks like, or a usage start outside the export's own window (one line
    dated 1970 would stretch the window to decades and rescale every volume; see
    ``common.reject_outside_window``)."""
    checks = (
        "CASE WHEN line_item_usage_amount IS NULL OR line_item_unblended_cost IS NULL "
        "THEN 'no numeric usage amount or cost' "
        f"WHEN abs(line_item_usage_amount) > {MAX_AMOUNT:.0f} OR abs(line_item_unblended_cost) > {MAX_AMOUNT:.0f} "
        "OR isnan(line_item_usage_amount) OR isnan(line_item_unblended_cost) "
        "THEN 'usage amount or cost over 10^15 (or not a number)' "
        f"WHEN {bad_name('line_item_resource_id', 2048)} THEN 'resource id over 2,048 characters or with control characters' "
    )
    tomorrow = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=1)
    impossible = f"start_date < TIMESTAMP '{EARLIEST:%Y-%m-%d}' OR start_date > TIMESTAMP '{tomorrow:%Y-%m-%d %H:%M:%S}'"
    lo, hi = con.execute(
        f"SELECT quantile_disc(start_date, {BULK_QUANTILES[0]}), quantile_disc(start_date, {BULK_QUANTILES[1]}) "
        f"FROM cur_all WHERE ({checks} END) IS NULL AND NOT ({impossible})"
    ).fetchone()
    checks += f"WHEN {impossible} THEN 'usage start before 2006 or in the future' "
    if lo is not None:
        margin = max((hi - lo) / 2, dt.timedelta(days=1))
        checks += (
            f"WHEN start_date < TIMESTAMP '{lo - margin}' OR start_date > TIMESTAMP '{hi + margin}' "
            "THEN 'usage start outside the window of the other line items' "
        )
    return checks + "END"


def _window_hours(con, files: str = "the CUR export") -> float:
    """Hours the export covers: first usage start to last usage end.

    Without ``line_item_usage_end_date`` the end is the last start plus the export's granularity
    (the most common gap between distinct start times: an hour or a day); with a single start time
    there is no gap to measure, and guessing an hour would scale a day's usage x730 instead of x30:
    that is an error. No dates at all: the export is taken as one 730-hour month, and the header
    says so.
    """
    first, last_start, last_end = con.execute(
        "SELECT min(start_date), max(start_date), max(end_date) FROM cur"
    ).fetchone()
    if first is None:
        return float(HOURS_PER_MONTH)
    if last_end is not None and last_end > first:
        return (last_end - first).total_seconds() / 3600
    step = con.execute(
        "SELECT mode(g) FROM (SELECT epoch(d) - epoch(lag(d) OVER (ORDER BY d)) AS g "
        "FROM (SELECT DISTINCT start_date AS d FROM cur WHERE start_date IS NOT NULL)) WHERE g > 0"
    ).fetchone()[0]
    if step is None:
        raise InputError(
            [
                Problem(
                    files,
                    "line_item_usage_end_date",
                    f"every line starts at {first:%Y-%m-%d %H:%M} and none says when it ends: the period it "
                    "covers (an hour? a day?) cannot be told, so no monthly volume either; export "
                    "line_item_usage_end_date, or more than one hour or day",
                )
            ]
        )
    return ((last_start - first).total_seconds() + step) / 3600
