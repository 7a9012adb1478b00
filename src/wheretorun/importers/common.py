"""What every importer shares: finding input files, a bounded DuckDB connection, malformed-record
accounting, traffic shape from per-minute counts, and writing the workload file.

DuckDB does every scan (JSON lines, CSV, Parquet, gzip, globs) and every aggregation in SQL, so
memory stays bounded whatever the input size: Python only ever sees aggregates and the first few
malformed lines.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError, Problem
from ..units import HOURS_PER_MONTH

MEMORY_LIMIT = os.environ.get("WHERETORUN_DUCKDB_MEMORY", "512MB")
MAX_LINE_BYTES = 8 * 1024 * 1024  # a log line with a request body (Bedrock moves bodies over 100 KB to S3)
EXAMPLES_SHOWN = 5
#: Observed windows at least this long are taken as a month of usage, volumes unscaled.
MONTH_WINDOW_DAYS = 27


def connect(progress: bool = False):  # type: ignore[no-untyped-def]
    """A DuckDB connection with a memory ceiling, spilling to a temporary directory beyond it.

    ``progress`` turns on DuckDB's own progress bar for scans that take more than two seconds
    (the CLI asks for it on a terminal).
    """
    try:
        import duckdb
    except ImportError:  # pragma: no cover - duckdb is a dependency of the `import` extra
        raise InputError(
            [Problem("import", "", "DuckDB is needed: pip install 'wheretorun[import]'")]
        ) from None
    con = duckdb.connect()
    con.execute(f"SET memory_limit='{MEMORY_LIMIT}'")
    con.execute("SET threads=2")
    con.execute("SET preserve_insertion_order=true")
    con.execute(f"SET enable_progress_bar={'true' if progress else 'false'}")
    return con


def expand_paths(paths: list[str], patterns: tuple[str, ...], kind: str) -> list[str]:
    """Files named directly, matched by a glob, or found below a folder (matching ``patterns``)."""
    found: list[str] = []
    problems = []
    for raw in paths:
        if raw.startswith("s3://"):
            found.append(raw)  # DuckDB's httpfs reads it with the user's credentials
            continue
        p = Path(raw)
        if p.is_dir():
            matches = sorted(str(f) for pat in patterns for f in p.rglob(pat) if f.is_file())
            if not matches:
                problems.append(
                    Problem(raw, "", f"no {kind} files ({', '.join(patterns)}) below this folder")
                )
            found.extend(matches)
        elif p.is_file():
            found.append(str(p))
        elif any(ch in raw for ch in "*?["):
            matches = sorted(f for f in glob.glob(raw, recursive=True) if Path(f).is_file())
            if not matches:
                problems.append(Problem(raw, "", "the pattern matches no file"))
            found.extend(matches)
        else:
            problems.append(Problem(raw, "", "file not found"))
    if problems:
        raise InputError(problems)
    return sorted(dict.fromkeys(found))


@dataclass
class Malformed:
    """Records that could not be used: counted, never silently dropped, the first few quoted."""

    count: int = 0
    examples: list[tuple[str, int, str, str]] = field(default_factory=list)  # file, line, reason, text

    def lines(self) -> list[str]:
        if not self.count:
            return []
        out = [f"{self.count:,} malformed record(s) skipped; the first {len(self.examples)}:"]
        for file, line, reason, text in self.examples:
            out.append(f"  {file}:{line}: {reason}: {text[:120]!r}")
        return out


def add_rejects(con, malformed: Malformed) -> None:  # type: ignore[no-untyped-def]
    """Count the lines DuckDB rejected while reading (bad encoding, over-long) as malformed records."""
    try:
        rows = con.execute(
            "SELECT s.file_path, e.line, any_value(e.error_type), any_value(e.csv_line) FROM reject_errors e "
            "JOIN reject_scans s USING (scan_id, file_id) GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
    except Exception:  # noqa: BLE001 - no rejects table: nothing was rejected
        return
    malformed.count += len(rows)
    for file, line, error, text in rows[: max(0, EXAMPLES_SHOWN - len(malformed.examples))]:
        malformed.examples.append((file, int(line), error.lower(), (text or "")[:200]))


@dataclass
class Shape:
    """Traffic shape measured from per-interval counts."""

    first: str
    last: str
    window_hours: float
    peak_to_mean: float
    interval_minutes: int


def month_factor(window_hours: float) -> tuple[float, str]:
    """Multiplier from the observed window to a 730-hour month, and the sentence that says so."""
    if window_hours >= MONTH_WINDOW_DAYS * 24:
        return (
            1.0,
            f"observed over {window_hours / 24:,.1f} days: taken as one month, volumes exactly as logged",
        )
    factor = HOURS_PER_MONTH / window_hours
    caution = (
        " (a short window: the monthly volume is an extrapolation, import more days)"
        if window_hours < 24
        else ""
    )
    return factor, (
        f"observed over {window_hours:,.3g} hours: volumes scaled x{factor:,.4g} to a 730-hour month{caution}"
    )


def monthly(count: int, factor: float) -> int | float:
    """The monthly volume: the exact count for a month of data, else the scaled figure."""
    if factor == 1:
        return int(count)
    scaled = round(count * factor, 3)
    return int(scaled) if scaled == int(scaled) else scaled


def traffic_label(peak_to_mean: float) -> str:
    """The preset closest to a measured peak-to-mean (the profile CSV carries the real shape)."""
    if peak_to_mean <= 2:
        return "steady"
    if peak_to_mean <= 4:
        return "diurnal"
    return "spiky"


def profile_sql(source: str, ts_col: str, group_col: str) -> str:
    """Per-group request counts per interval over the group's whole window, zero-filled.

    The interval is one minute for windows up to 31 days, else one hour (the traffic simulator
    accepts any regular interval from 1 minute to 1 hour).
    """
    return f"""
    WITH bounds AS (
        SELECT {group_col} AS g, min({ts_col}) AS t0, max({ts_col}) AS t1,
               CASE WHEN max({ts_col}) - min({ts_col}) <= INTERVAL 31 DAY THEN 1 ELSE 60 END AS step
        FROM {source} GROUP BY 1
    ),
    counts AS (
        SELECT s.{group_col} AS g,
               time_bucket(to_minutes(b.step), s.{ts_col}, b.t0) AS bucket, count(*) AS n
        FROM {source} s JOIN bounds b ON s.{group_col} = b.g GROUP BY 1, 2
    ),
    grid AS (
        SELECT b.g, unnest(generate_series(
            time_bucket(to_minutes(b.step), b.t0, b.t0),
            time_bucket(to_minutes(b.step), b.t1, b.t0),
            to_minutes(b.step))) AS bucket, b.step
        FROM bounds b
    )
    SELECT grid.g, grid.bucket, grid.step, coalesce(counts.n, 0) AS n
    FROM grid LEFT JOIN counts ON grid.g = counts.g AND grid.bucket = counts.bucket
    ORDER BY grid.g, grid.bucket
    """


def write_profiles(
    con, source: str, ts_col: str, group_col: str, out: Path, names: dict[str, str]
) -> dict[str, Shape]:  # type: ignore[no-untyped-def]
    """Write one ``timestamp,requests`` CSV per group beside ``out``; return each group's shape."""
    shapes: dict[str, Shape] = {}
    out.parent.mkdir(parents=True, exist_ok=True)
    sql = profile_sql(source, ts_col, group_col)
    stats = con.execute(
        f"SELECT g, min(bucket), max(bucket), any_value(step), max(n), avg(n), count(*) FROM ({sql}) GROUP BY g"
    ).fetchall()
    for g, first, last, step, peak, mean, buckets in stats:
        if g not in names:
            continue
        csv = out.parent / f"{out.stem}.{names[g]}.csv"
        con.execute(
            f"COPY (SELECT strftime(bucket, '%Y-%m-%dT%H:%M:%SZ') AS timestamp, n AS requests FROM ({sql}) "
            f"WHERE g = ? ORDER BY bucket) TO '{_sql_path(csv)}' (HEADER, DELIMITER ',')",
            [g],
        )
        window_hours = max(buckets * step / 60.0, step / 60.0)
        shapes[g] = Shape(
            first=str(first),
            last=str(last),
            window_hours=window_hours,
            peak_to_mean=round(max(1.0, float(peak) / float(mean)) if mean else 1.0, 3),
            interval_minutes=int(step),
        )
    return shapes


def _sql_path(p: Path) -> str:
    return str(p).replace("'", "''")


def write_workload_file(out: Path, header: list[str], data: dict[str, Any]) -> None:
    """YAML with a comment header saying where every number came from; validated before writing."""
    from ..spec import load_workloads

    load_workloads(data, name=str(out))  # an importer bug must not write a file recommend rejects
    out.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(f"# {h}\n" for h in header) + yaml.safe_dump(data, sort_keys=False, width=110)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)


def slug(text: str) -> str:
    out = "".join(ch if ch.isalnum() else "-" for ch in text.lower())
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")[:60] or "workload"
