"""Real usage -> workload file: Bedrock invocation logs, CloudWatch metrics, Lambda REPORT lines, CUR.

``import_usage(kind, paths, out)`` scans the inputs with DuckDB, writes a validated workload file
(and one ``traffic_profile`` CSV per workload beside it) and returns the summary lines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, Problem, did_you_mean
from . import bedrock_logs, cloudwatch, cur, lambda_logs
from .common import connect, expand_paths, use_s3_credentials, with_progress, write_workload_file

KINDS: dict[str, tuple[tuple[str, ...], Callable]] = {
    bedrock_logs.KIND: (bedrock_logs.PATTERNS, bedrock_logs.run),
    lambda_logs.KIND: (lambda_logs.PATTERNS, lambda_logs.run),
    cloudwatch.KIND: (cloudwatch.PATTERNS, cloudwatch.run),
    cur.KIND: (cur.PATTERNS, cur.run),
}


@dataclass
class ImportResult:
    out: Path
    files: int
    summary: list[str]


def import_usage(kind: str, paths: list[str], out: Path, *, progress: bool = False) -> ImportResult:
    if kind not in KINDS:
        raise InputError(
            [
                Problem(
                    "KIND",
                    "",
                    f"unknown import kind '{kind}'{did_you_mean(kind, KINDS)}; allowed: {', '.join(KINDS)}",
                )
            ]
        )
    if not paths:
        raise InputError([Problem("PATH", "", "give at least one file, folder or glob to import")])
    patterns, run = KINDS[kind]
    files = expand_paths(paths, patterns, kind)
    con = connect()
    try:
        use_s3_credentials(con, files)
        data, header, summary = with_progress(
            con, lambda: run(paths, out, files, con), progress, f"scanning {len(files):,} {kind} file(s)"
        )
    except InputError:
        raise
    except Exception as e:  # a file DuckDB cannot read at all: say which, in one line
        import duckdb

        if not isinstance(e, duckdb.Error):
            raise
        first = str(e).strip().splitlines()[0][:300]
        raise InputError([Problem(", ".join(paths), "", f"cannot read the {kind} input: {first}")]) from None
    finally:
        con.close()
    write_workload_file(out, header, data)
    return ImportResult(out=out, files=len(files), summary=summary)


__all__ = ["KINDS", "ImportResult", "import_usage"]
