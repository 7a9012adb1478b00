"""The importers' SQL for Amazon Athena, for data that outgrows one machine.

The queries are the very texts wheretorun runs in DuckDB (``bedrock_logs.RECORDS_SQL`` and
``PER_MODEL_SQL``, ``lambda_logs.REPORTS_SQL`` and ``PER_FUNCTION_SQL``, ``cur.SPEND_SQL`` ...),
written with Athena's (Trino's) function names; only the table references differ. The table
definitions before them are Athena's own DDL: one row per log line, read from the S3 prefix that
Bedrock or a CloudWatch Logs export writes to (Athena reads gzip by its ``.gz`` extension).
"""

from __future__ import annotations

from . import bedrock_logs, cur, lambda_logs
from .common import render

#: Athena's table for each reference in the shared texts.
TABLES = {
    "bedrock-logs": {"lines": "bedrock_lines", "records": "bedrock_records"},
    "lambda-logs": {"lines": "lambda_lines", "reports": "lambda_reports"},
    "cur": {"cur": "cur2"},
}

_LINES_DDL = """-- one row per log line, under the S3 prefix the logs are delivered to
CREATE EXTERNAL TABLE {table}_raw (line string)
ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\001' LINES TERMINATED BY '\\n'
STORED AS TEXTFILE
LOCATION '{location}';

CREATE OR REPLACE VIEW {table} AS
SELECT "$path" AS filename, CAST(0 AS BIGINT) AS line_no, line FROM {table}_raw;"""


def script(kind: str, location: str = "s3://BUCKET/PREFIX/") -> str:
    """The Athena statements for one import kind (``location``: the S3 prefix of the logs)."""
    t = TABLES[kind]
    if kind == "bedrock-logs":
        parts = [
            _LINES_DDL.format(table=t["lines"], location=location),
            f"CREATE OR REPLACE VIEW {t['records']} AS\n{render(bedrock_logs.RECORDS_SQL, **t)};",
            f"-- per model: volume, tokens, latency\n{render(bedrock_logs.PER_MODEL_SQL, **t)};",
            f"-- per model and minute: the traffic shape\n{render(bedrock_logs.PER_MINUTE_SQL, **t)};",
        ]
    elif kind == "lambda-logs":
        parts = [
            _LINES_DDL.format(table=t["lines"], location=location),
            f"CREATE OR REPLACE VIEW {t['reports']} AS\n{render(lambda_logs.REPORTS_SQL, **t)};",
            f"-- per function: invocations, duration, memory, GB-seconds, cold starts\n"
            f"{render(lambda_logs.PER_FUNCTION_SQL, **t)};",
        ]
    elif kind == "cur":
        parts = [
            "-- cur2: the CUR 2.0 table that Data Exports' Athena integration creates (rename to yours)",
            f"-- spend per service and usage type\n{render(cur.SPEND_SQL, **t)};",
            f"-- GPU and accelerator instance hours\n{render(cur.GPU_SQL, **t)};",
            f"-- Bedrock token usage as billed\n{render(cur.BEDROCK_TOKENS_SQL, **t)};",
            f"-- Lambda requests and GB-seconds per function\n{render(cur.LAMBDA_SQL, **t)};",
        ]
    else:
        raise KeyError(kind)
    return "\n\n".join(parts) + "\n"


__all__ = ["TABLES", "script"]
