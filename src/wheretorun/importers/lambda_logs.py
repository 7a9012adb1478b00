"""Lambda ``REPORT`` lines -> one workload per function.

Lambda writes one REPORT line per invocation
(https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html):
``REPORT RequestId: <id> Duration: 102.25 ms Billed Duration: 103 ms Memory Size: 128 MB
Max Memory Used: 70 MB Init Duration: 150.20 ms`` (tab-separated; Init Duration only on cold starts).
CloudWatch Logs exports put the event timestamp first. The function is named by the
``/aws/lambda/<function>`` log group in the path or line, else by the file name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..catalog.store import load_catalog
from ..errors import InputError, Problem
from .bedrock_logs import lines_sql
from .common import (
    EXAMPLES_SHOWN,
    Malformed,
    add_rejects,
    bad_name,
    count_rejected,
    distinct,
    month_factor,
    monthly,
    reject_outside_window,
    render,
    seconds,
    slug,
    traffic_label,
    write_profiles,
)
from .costs import lambda_now

KIND = "lambda-logs"
PATTERNS = ("*.log", "*.log.gz", "*.txt", "*.txt.gz", "*.json", "*.json.gz")

NUM = r"([0-9]+(?:\.[0-9]+)?)"
REPORTS_SQL = f"""
SELECT filename, line_no, line,
       try(from_iso8601_timestamp(replace(
         regexp_extract(line, '^\\s*([0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}[T ][0-9:.]+Z?)', 1), ' ', 'T'))) AS ts,
       coalesce(nullif(regexp_extract(filename || ' ' || line, '/aws/lambda/([A-Za-z0-9_-]+)', 1), ''),
                regexp_replace(regexp_replace(filename, '^.*/', ''), '(\\.(log|txt|json))?(\\.gz)?$', '')) AS function,
       TRY_CAST(regexp_extract(line, 'Duration: {NUM} ms', 1) AS DOUBLE) AS duration_ms,
       TRY_CAST(regexp_extract(line, 'Billed Duration: {NUM} ms', 1) AS DOUBLE) AS billed_ms,
       TRY_CAST(regexp_extract(line, 'Memory Size: {NUM} MB', 1) AS DOUBLE) AS memory_mb,
       TRY_CAST(regexp_extract(line, 'Max Memory Used: {NUM} MB', 1) AS DOUBLE) AS max_used_mb,
       TRY_CAST(nullif(regexp_extract(line, 'Init Duration: {NUM} ms', 1), '') AS DOUBLE) AS init_ms
FROM {{lines}} AS l WHERE strpos(line, 'REPORT RequestId') > 0
"""

#: Lambda's limits (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html): 900 s
#: timeout (a timed-out REPORT says 900000 ms and a little more), 128 to 10,240 MB of memory.
MAX_DURATION_MS = 901_000
MEMORY_MB = (128, 10_240)

#: Why a REPORT line is not used (NULL: it is).
REJECT_SQL = f"""CASE WHEN ts IS NULL THEN 'no timestamp before REPORT (export the events with their timestamps)'
     WHEN duration_ms IS NULL THEN 'no Duration'
     WHEN memory_mb IS NULL THEN 'no Memory Size'
     WHEN duration_ms > {MAX_DURATION_MS} THEN 'Duration over the 15-minute limit'
     WHEN memory_mb < {MEMORY_MB[0]} OR memory_mb > {MEMORY_MB[1]} THEN 'Memory Size outside 128-10,240 MB'
     WHEN {bad_name("function")} THEN 'function name over 256 characters or with control characters'
END"""

GOOD = f"({REJECT_SQL}) IS NULL"

#: Per function: invocations, mean and p99 duration, billed GB-seconds, memory, cold starts. Shared
#: with Athena like bedrock_logs.PER_MODEL_SQL ({reports} is the view of REPORTS_SQL).
PER_FUNCTION_SQL = f"""
SELECT function, count(*) AS invocations, avg(duration_ms) AS mean_ms,
       approx_percentile(duration_ms, 0.99) AS p99_ms, sum(billed_ms) AS billed_ms,
       max(memory_mb) AS memory_mb, max(max_used_mb) AS max_used_mb,
       sum(coalesce(billed_ms, duration_ms) * memory_mb) / 1024000.0 AS gb_seconds,
       count(init_ms) AS cold_starts, avg(init_ms) AS init_ms, min(ts) AS first_ts, max(ts) AS last_ts
FROM {{reports}}
WHERE {GOOD}
GROUP BY function ORDER BY invocations DESC
"""


def run(paths: list[str], out: Path, files: list[str], con) -> tuple[dict[str, Any], list[str], list[str]]:
    con.execute(f"CREATE OR REPLACE TEMP VIEW lines AS {lines_sql(files)}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW reports AS {render(REPORTS_SQL, lines='lines')}")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE checked AS SELECT filename, line_no, ts, function, duration_ms, billed_ms, "
        f"memory_mb, max_used_mb, init_ms, {REJECT_SQL} AS reason FROM reports"
    )
    reject_outside_window(con, "checked")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE good AS SELECT * EXCLUDE (reason) FROM checked WHERE reason IS NULL"
    )
    malformed = Malformed()
    count_rejected(con, "checked", malformed)
    if malformed.count:
        malformed.examples = [
            (f, int(n), r, t)
            for f, n, r, t in con.execute(
                "SELECT c.filename, c.line_no, c.reason, r.line FROM (SELECT filename, line_no, reason FROM "
                f"checked WHERE reason IS NOT NULL ORDER BY filename, line_no LIMIT {EXAMPLES_SHOWN}) c "
                "JOIN reports r USING (filename, line_no) ORDER BY 1, 2"
            ).fetchall()
        ]
    add_rejects(con, malformed)
    per_fn = con.execute(render(PER_FUNCTION_SQL, reports="good")).fetchall()
    if not per_fn:
        raise InputError(
            [Problem(paths[0], "", f"no usable Lambda REPORT line in {len(files)} file(s)")]
            + [Problem(f, f"line {n}", f"{r}: {t[:80]!r}") for f, n, r, t in malformed.examples]
        )
    taken: set[str] = set()
    names = {row[0]: distinct(slug(row[0]), taken) for row in per_fn}
    shapes = write_profiles(con, "good", "ts", "function", out, names)
    catalog = load_catalog()
    workloads, summary = [], []
    header = [f"Imported by `wheretorun import {KIND}` from {len(files)} file(s): {', '.join(paths)}"]
    for fn, n, mean_ms, p99_ms, _billed, mem_mb, used_mb, gb_s, colds, init_ms, first, last in per_fn:
        shape = shapes[fn]
        factor, how = month_factor(shape.window_hours)
        name = names[fn]
        workloads.append(
            {
                "name": name,
                "role": "glue",
                "requests_per_month": monthly(n, factor),
                "traffic": traffic_label(shape.peak_to_mean),
                "peak_to_mean": shape.peak_to_mean,
                "traffic_profile": f"{out.stem}.{name}.csv",
                "duration_s": seconds(mean_ms),
                "duration_p99_s": seconds(max(p99_ms, mean_ms)),
                "memory_gb": round(mem_mb / 1024, 6),
                "trigger": "event",
            }
        )
        header.append(
            f"{name}: {n:,} invocations from {first} to {last}; {how}; mean {mean_ms:,.1f} ms, p99 {p99_ms:,.1f} ms; "
            f"{mem_mb:,.0f} MB configured, {used_mb:,.0f} MB max used; {colds:,} cold starts"
            + (f" (mean init {init_ms:,.0f} ms)" if colds else "")
            + "; role and trigger are guesses: check them"
        )
        summary.append(f"{name}: {n:,} invocations, {gb_s:,.1f} GB-s billed; {how}")
        summary += lambda_now(name, n, gb_s, catalog)
    return {"workloads": workloads}, header, summary + malformed.lines()
