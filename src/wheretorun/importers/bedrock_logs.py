"""Bedrock model invocation logs -> one workload per model.

Bedrock delivers one JSON record per line to S3
(``AWSLogs/<account>/BedrockModelInvocationLogs/<region>/YYYY/MM/DD/HH/*.json.gz``) or to CloudWatch
Logs, whose exports put a timestamp before each record; both are read here, gzip or not. A record
(https://docs.aws.amazon.com/bedrock/latest/userguide/model-invocation-logging.html) carries
``timestamp``, ``modelId``, ``operation``, ``input.inputTokenCount`` and
``output.outputTokenCount``. Only those fields are read; request and response bodies are not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..catalog.store import Catalog, load_catalog
from ..errors import InputError, Problem
from .common import (
    EXAMPLES_SHOWN,
    MAX_LINE_BYTES,
    Malformed,
    add_rejects,
    month_factor,
    monthly,
    slug,
    traffic_label,
    write_profiles,
)

KIND = "bedrock-logs"
PATTERNS = ("*.json", "*.json.gz", "*.jsonl", "*.jsonl.gz", "*.log", "*.log.gz", "*.txt", "*.txt.gz")
#: inference-profile prefixes put before a model id (cross-region and global profiles)
PROFILE_PREFIXES = ("us.", "eu.", "apac.", "au.", "jp.", "ca.", "us-gov.", "global.", "in.")


def lines_sql(files: list[str]) -> str:
    """Every line of every file, numbered within its file, as text (no JSON parsing yet).

    Lines DuckDB cannot read as text (invalid UTF-8, longer than the limit) go to its
    ``reject_errors`` table and are reported as malformed (``common.add_rejects``); line numbers of
    the lines after a rejected one in the same file are then one lower.
    """
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    return f"""
    SELECT filename, row_number() OVER (PARTITION BY filename) AS line_no, line
    FROM read_csv([{listed}], columns={{'line': 'VARCHAR'}}, header=false, delim=chr(1), quote='', escape='',
                  auto_detect=false, filename=true, compression='auto', max_line_size={MAX_LINE_BYTES},
                  new_line='\\n', strict_mode=false, store_rejects=true)
    """


#: The one SQL text that parses records: wheretorun runs it on local files, and docs/import.md shows
#: it for Amazon Athena with {lines} replaced by the log table (tests check they are the same text).
RECORDS_SQL = """
SELECT filename, line_no, line, is_json,
       TRY_CAST(CASE WHEN is_json THEN json_extract_string(j, '$.timestamp') END AS TIMESTAMP) AS ts,
       CASE WHEN is_json THEN json_extract_string(j, '$.modelId') END AS model_id,
       CASE WHEN is_json THEN json_extract_string(j, '$.operation') END AS operation,
       TRY_CAST(CASE WHEN is_json THEN json_extract(j, '$.input.inputTokenCount') END AS BIGINT) AS input_tokens,
       TRY_CAST(CASE WHEN is_json THEN json_extract(j, '$.output.outputTokenCount') END AS BIGINT) AS output_tokens
FROM (SELECT *, coalesce(json_valid(j), false) AS is_json
      FROM (SELECT *, substr(line, strpos(line, '{')) AS j FROM ({lines}) WHERE trim(line) <> ''))
"""

PER_MODEL_SQL = """
SELECT model_id, count(*) AS requests, sum(input_tokens) AS input_tokens, sum(coalesce(output_tokens, 0))
       AS output_tokens, min(ts) AS first, max(ts) AS last
FROM ({records}) WHERE is_json AND ts IS NOT NULL AND model_id IS NOT NULL AND input_tokens IS NOT NULL
GROUP BY model_id ORDER BY requests DESC
"""


def reason_sql() -> str:
    return """CASE WHEN NOT is_json THEN 'not a JSON record'
                   WHEN ts IS NULL THEN 'no readable timestamp'
                   WHEN model_id IS NULL THEN 'no modelId'
                   ELSE 'no input.inputTokenCount' END"""


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
    for card in (*catalog.open_models.values(), *catalog.proprietary_models.values()):
        mapped = card.bedrock_model_id
        if mapped and (mapped == bedrock_id or mapped.split(":")[0] == base):
            return card.id
    return None


def run(paths: list[str], out: Path, files: list[str], con) -> tuple[dict[str, Any], list[str], list[str]]:  # type: ignore[no-untyped-def]
    """Scan the logs; return (workload file data, header comments, summary lines)."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW lines AS {lines_sql(files)}")
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW records AS {RECORDS_SQL.replace('{lines}', 'SELECT * FROM lines')}"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE good AS SELECT ts, model_id, input_tokens, coalesce(output_tokens, 0) AS "
        "output_tokens FROM records WHERE is_json AND ts IS NOT NULL AND model_id IS NOT NULL AND input_tokens "
        "IS NOT NULL"
    )
    malformed = Malformed(
        count=con.execute(
            "SELECT count(*) FROM records WHERE NOT (is_json AND ts IS NOT NULL AND model_id IS NOT NULL "
            "AND input_tokens IS NOT NULL)"
        ).fetchone()[0],
    )
    if malformed.count:
        malformed.examples = [
            (f, int(n), r, t)
            for f, n, r, t in con.execute(
                f"SELECT filename, line_no, {reason_sql()}, line FROM records WHERE NOT (is_json AND ts IS NOT NULL "
                "AND model_id IS NOT NULL AND input_tokens IS NOT NULL) "
                f"ORDER BY filename, line_no LIMIT {EXAMPLES_SHOWN}"
            ).fetchall()
        ]
    add_rejects(con, malformed)
    per_model = con.execute(PER_MODEL_SQL.replace("{records}", "SELECT * FROM records")).fetchall()
    if not per_model:
        raise InputError(
            [Problem(paths[0], "", f"no usable Bedrock invocation record in {len(files)} file(s)")]
            + [Problem(f, f"line {n}", f"{r}: {t[:80]!r}") for f, n, r, t in malformed.examples]
        )
    catalog = load_catalog()
    names = {}
    for m in per_model:
        base = base_model_id(m[0])
        name = catalog_model(base, catalog) or slug(base)
        names[m[0]] = name if name not in names.values() else slug(m[0])
    shapes = write_profiles(con, "good", "ts", "model_id", out, names)
    workloads = []
    header = [f"Imported by `wheretorun import {KIND}` from {len(files)} file(s): {', '.join(paths)}"]
    summary = []
    from ..catalog.bedrock import bedrock_prices

    for model_id, requests, tin, tout, first, last in per_model:
        shape = shapes[model_id]
        factor, how = month_factor(shape.window_hours)
        base = base_model_id(model_id)
        catalog_id = catalog_model(base, catalog)
        model: dict[str, Any] = {"id": catalog_id} if catalog_id else {"bedrock_id": base}
        name = names[model_id]
        workloads.append(
            {
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
        )
        header.append(
            f"{name}: modelId {model_id}; {requests:,} requests, {tin:,} input and {tout:,} output tokens from "
            f"{first} to {last}; {how}; peak/mean {shape.peak_to_mean:g} at {shape.interval_minutes}-minute resolution"
        )
        bp = bedrock_prices(base, catalog)
        if bp is not None:
            cost = (tin * bp.input.value + tout * bp.output.value) / 1_000_000
            summary.append(
                f"{name}: {requests:,} requests, {tin + tout:,} tokens in the logs = ${cost:,.4f} at Bedrock on-demand "
                f"prices (${bp.input.value}/${bp.output.value} per 1M input/output tokens, {bp.input.source})"
            )
        else:
            summary.append(f"{name}: {requests:,} requests; genai-prices has no Bedrock price for {base}")
    return {"region": _region(files), "workloads": workloads}, header, summary + malformed.lines()


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
