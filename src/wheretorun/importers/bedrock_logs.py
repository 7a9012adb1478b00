"""Bedrock model invocation logs -> one workload per model.

Bedrock delivers one JSON record per line to S3
(``AWSLogs/<account>/BedrockModelInvocationLogs/<region>/YYYY/MM/DD/HH/*.json.gz``) or to CloudWatch
Logs, whose exports put a timestamp before each record; both are read here, gzip or not. A record
(https://docs.aws.amazon.com/bedrock/latest/userguide/model-invocation-logging.html) carries
``timestamp``, ``modelId``, ``operation``, ``input.inputTokenCount`` and
``output.outputTokenCount``. Only those fields are read; request and response bodies are not.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..catalog.bedrock import bedrock_prices
from ..catalog.store import Catalog, load_catalog
from ..errors import InputError, Problem
from .common import (
    EXAMPLES_SHOWN,
    MAX_LINE_BYTES,
    Malformed,
    add_rejects,
    bad_id,
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
from .costs import bedrock_now

KIND = "bedrock-logs"
PATTERNS = ("*.json", "*.json.gz", "*.jsonl", "*.jsonl.gz", "*.log", "*.log.gz", "*.txt", "*.txt.gz")
#: inference-profile prefixes put before a model id (cross-region and global profiles)
PROFILE_PREFIXES = ("us.", "eu.", "apac.", "au.", "jp.", "ca.", "us-gov.", "global.", "in.")


#: DuckDB's CSV reader is the fastest streaming line reader at hand (gzip, globs, rejects table),
#: but a line is a row, so a line must never split into columns nor become NULL. The "delimiter"
#: chr(1) splits a line holding that byte: in strict mode such a line is rejected (``TOO MANY
#: COLUMNS``, counted by ``common.add_rejects``) instead of being cut at it. An empty value would be
#: NULL; with a NULL text no line can hold, empty lines are skipped and a line of only chr(1) is a
#: rejected row too, so every physical line is used, counted as malformed, or blank.
LINE_DELIMITER = "chr(1)"
NULL_TEXT = "chr(2) || 'wheretorun: no NULL text' || chr(3)"


def lines_sql(files: list[str]) -> str:
    """Every line of every file, numbered within its file, as text (no JSON parsing yet).

    Lines DuckDB cannot read as text (invalid UTF-8, longer than the limit, holding chr(1)) go to
    its ``reject_errors`` table and are reported as malformed (``common.add_rejects``); line numbers
    count the lines returned, so after a rejected or an empty line in a file they are one lower.
    """
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    return f"""
    SELECT filename, row_number() OVER (PARTITION BY filename) AS line_no, coalesce(line, {NULL_TEXT}) AS line
    FROM read_csv([{listed}], columns={{'line': 'VARCHAR'}}, header=false, delim={LINE_DELIMITER},
                  nullstr={NULL_TEXT}, quote='', escape='', auto_detect=false, filename=true,
                  compression='auto', max_line_size={MAX_LINE_BYTES}, new_line='\\n', strict_mode=true,
                  store_rejects=true)
    """


#: The SQL texts shared with Amazon Athena (Athena's function names; DuckDB gets them as macros,
#: ``common.TRINO_MACROS``). wheretorun runs them with {lines}/{records} as its own views;
#: ``wheretorun import bedrock-logs --print-sql athena`` prints them with Athena's tables, and a test
#: checks the two differ only in those references.
RECORDS_SQL = """
SELECT filename, line_no, line, is_json,
       CASE WHEN is_json THEN try(from_iso8601_timestamp(json_extract_scalar(j, '$.timestamp'))) END AS ts,
       CASE WHEN is_json THEN json_extract_scalar(j, '$.modelId') END AS model_id,
       CASE WHEN is_json THEN json_extract_scalar(j, '$.operation') END AS operation,
       TRY_CAST(CASE WHEN is_json THEN json_extract_scalar(j, '$.input.inputTokenCount') END AS BIGINT)
         AS input_tokens,
       TRY_CAST(CASE WHEN is_json THEN json_extract_scalar(j, '$.output.outputTokenCount') END AS BIGINT)
         AS output_tokens,
       TRY_CAST(CASE WHEN is_json THEN json_extract_scalar(j, '$.output.outputBodyJson.metrics.latencyMs') END
         AS DOUBLE) AS latency_ms
FROM (SELECT *, try(json_parse(j)) IS NOT NULL AS is_json
      FROM (SELECT *, substr(line, strpos(line, '{')) AS j FROM {lines} WHERE trim(line) <> '') AS nonblank
     ) AS parsed
"""

#: Token counts above this in one request are corrupt records, not usage (the longest Bedrock
#: context windows are about a million tokens).
MAX_TOKENS = 10_000_000

#: Why a record is not used (NULL: it is). A usable record is a JSON object with a timestamp, a
#: plausible model id (common.bad_id), and non-negative, bounded input and output token counts;
#: embedding models (``embed`` in the id) report no output count.
#: No request takes a day: a latency beyond it is a broken record, and one would move the mean
#: duration of thousands (4e13 ms among 3,000 at 800 ms made a 154-day duration_s).
MAX_LATENCY_MS = 86_400_000

REJECT_SQL = f"""CASE WHEN NOT is_json THEN 'not a JSON record'
     WHEN ts IS NULL THEN 'no readable timestamp'
     WHEN model_id IS NULL THEN 'no modelId'
     WHEN {bad_id("model_id")} THEN 'modelId is not a model id (over 256 characters, or not letters, digits, ._:/@+=,-)'
     WHEN input_tokens IS NULL THEN 'no input.inputTokenCount'
     WHEN output_tokens IS NULL AND NOT regexp_like(lower(model_id), 'embed') THEN 'no output.outputTokenCount'
     WHEN input_tokens < 0 OR output_tokens < 0 THEN 'negative token count'
     WHEN input_tokens > {MAX_TOKENS} OR output_tokens > {MAX_TOKENS} THEN 'token count over {MAX_TOKENS:,}'
     WHEN latency_ms < 0 OR latency_ms > {MAX_LATENCY_MS} THEN 'metrics.latencyMs outside 0 to {MAX_LATENCY_MS:,} (a day)'
END"""

USABLE = f"({REJECT_SQL}) IS NULL"

PER_MODEL_SQL = f"""
SELECT model_id, count(*) AS requests, sum(input_tokens) AS input_tokens,
       sum(coalesce(output_tokens, 0)) AS output_tokens, min(ts) AS first_ts, max(ts) AS last_ts,
       count(latency_ms) AS timed, avg(latency_ms) AS latency_mean_ms,
       approx_percentile(latency_ms, 0.99) AS latency_p99_ms
FROM {{records}}
WHERE {USABLE}
GROUP BY model_id ORDER BY requests DESC
"""

#: Requests per model and minute: the traffic shape (wheretorun zero-fills the idle minutes).
PER_MINUTE_SQL = f"""
SELECT model_id, date_trunc('minute', ts) AS minute, count(*) AS requests
FROM {{records}}
WHERE {USABLE}
GROUP BY 1, 2 ORDER BY 1, 2
"""


def base_model_id(raw: str) -> str:
    """``arn:...:inference-profile/us.anthropic.x-v1:0`` -> ``anthropic.x-v1:0`` (the model behind a profile)."""
    mid = raw.rsplit("/", 1)[-1]
    for prefix in PROFILE_PREFIXES:
        if mid.startswith(prefix):
            return mid[len(prefix) :]
    return mid


def catalog_model(bedrock_id: str, catalog: Catalog) -> str | None:
    """The catalog id whose Bedrock mapping is this model (ignoring version suffixes), if any."""
    base = bedrock_id.split(":")[0]
    for card in catalog.model_cards():
        mapped = card.bedrock_model_id
        if mapped and (mapped == bedrock_id or mapped.split(":")[0] == base):
            return card.id
    return None


_SIZE_IN_ID = re.compile(r"(?<![0-9a-z.])(\d+(?:\.\d+)?)b(?![a-z0-9])")


def model_spec(base: str, catalog: Catalog) -> tuple[dict[str, Any], str | None]:
    """The workload's ``model`` for a Bedrock model id, and a note when it is not a catalog model.

    A catalog card wins (``id``). Else ``bedrock_id`` keeps the id (priced through genai-prices),
    with ``params_b`` when the id names a size (``meta.llama3-2-90b-instruct-v1:0`` -> 90), so the
    self-hosted options can be sized too.
    """
    cid = catalog_model(base, catalog)
    if cid:
        return {"id": cid}, None
    model: dict[str, Any] = {"bedrock_id": base}
    size = _SIZE_IN_ID.search(base.split(".", 1)[-1].lower())
    if size:
        model["params_b"] = float(size.group(1))
        return model, f"{base} has no catalog card: params_b {size.group(1)} read from its id"
    return model, f"{base} has no catalog card and its id names no size: add params_b to size self-hosting"


def run(paths: list[str], out: Path, files: list[str], con) -> tuple[dict[str, Any], list[str], list[str]]:
    """Scan the logs; return (workload file data, header comments, summary lines)."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW lines AS {lines_sql(files)}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW records AS {render(RECORDS_SQL, lines='lines')}")
    # one pass over the input: every record's fields and why it is not used (NULL: it is), compact
    con.execute(
        "CREATE OR REPLACE TEMP TABLE checked AS SELECT filename, line_no, ts, model_id, input_tokens, "
        f"coalesce(output_tokens, 0) AS out_tokens, latency_ms, {REJECT_SQL} AS reason FROM records"
    )
    reject_outside_window(con, "checked")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE good AS SELECT ts, model_id, input_tokens, out_tokens AS output_tokens, latency_ms "
        "FROM checked WHERE reason IS NULL"
    )
    malformed = Malformed()
    count_rejected(con, "checked", malformed)
    if malformed.count:
        malformed.examples = [
            (f, int(n), r, t)
            for f, n, r, t in con.execute(
                "SELECT c.filename, c.line_no, c.reason, r.line FROM (SELECT filename, line_no, reason FROM "
                f"checked WHERE reason IS NOT NULL ORDER BY filename, line_no LIMIT {EXAMPLES_SHOWN}) c "
                "JOIN records r USING (filename, line_no) ORDER BY 1, 2"
            ).fetchall()
        ]
    add_rejects(con, malformed)
    per_model = con.execute(
        render(PER_MODEL_SQL, records="(SELECT *, true AS is_json FROM good) AS usable")
    ).fetchall()
    if not per_model:
        raise InputError(
            [Problem(paths[0], "", f"no usable Bedrock invocation record in {len(files)} file(s)")]
            + [Problem(f, f"line {n}", f"{r}: {t[:80]!r}") for f, n, r, t in malformed.examples]
        )
    catalog = load_catalog(_region(files))
    names: dict[str, str] = {}
    taken: set[str] = set()
    for m in per_model:
        base = base_model_id(m[0])
        name = catalog_model(base, catalog) or slug(base)
        names[m[0]] = distinct(name if name not in taken else slug(m[0]), taken)
    shapes = write_profiles(con, "good", "ts", "model_id", out, names)
    workloads = []
    header = [f"Imported by `wheretorun import {KIND}` from {len(files)} file(s): {', '.join(paths)}"]
    summary: list[str] = []
    for model_id, requests, tin, tout, first, last, timed, lat_mean, lat_p99 in per_model:
        shape = shapes[model_id]
        factor, how = month_factor(shape.window_hours)
        base = base_model_id(model_id)
        model, model_note = model_spec(base, catalog)
        name = names[model_id]
        w: dict[str, Any] = {
            "name": name,
            "role": "inference",
            "model": model,
            "requests_per_month": monthly(requests, factor),
            "traffic": traffic_label(shape.peak_to_mean),
            "peak_to_mean": shape.peak_to_mean,
            "traffic_profile": f"{out.stem}.{name}.csv",
            "input_tokens": round(tin / requests),
            "output_tokens": round(tout / requests),
            "trigger": "api",
        }
        if timed:
            w["duration_s"] = seconds(lat_mean)
            w["duration_p99_s"] = seconds(max(lat_p99, lat_mean))
        workloads.append(w)
        header.append(
            f"{name}: modelId {model_id}; {requests:,} requests, {tin:,} input and {tout:,} output tokens from "
            f"{first} to {last}; {how}; peak/mean {shape.peak_to_mean:g} at {shape.interval_minutes}-minute "
            "resolution"
            + (
                f"; duration from output.outputBodyJson.metrics.latencyMs of {timed:,} record(s)"
                if timed
                else "; the logs carry no latency (Converse's metrics.latencyMs): no duration written"
            )
        )
        summary.append(f"{name}: {requests:,} requests, {tin:,} input and {tout:,} output tokens; {how}")
        if model_note:
            priced = bedrock_prices(base, catalog) is not None
            note = model_note + ("" if priced else "; genai-prices has no Bedrock price for it either")
            header.append(f"  {name}: {note}")
            summary.append(f"  warning: {note}")
        summary += bedrock_now(name, base, tin, tout, catalog)
    return {"region": catalog.region, "workloads": workloads}, header, summary + malformed.lines()


def _region(files: list[str]) -> str:
    """The region from the S3 key layout (``.../BedrockModelInvocationLogs/<region>/...``), default us-east-1."""
    from ..catalog.store import SUPPORTED_REGIONS

    for f in files:
        parts = Path(f).parts
        if "BedrockModelInvocationLogs" in parts:
            i = parts.index("BedrockModelInvocationLogs")
            if i + 1 < len(parts) and parts[i + 1] in SUPPORTED_REGIONS:
                return parts[i + 1]
    return "us-east-1"
