"""What every importer shares: finding input files, a bounded DuckDB connection, malformed-record
accounting, traffic shape from per-minute counts, and writing the workload file.

DuckDB does every scan (JSON lines, CSV, Parquet, gzip, globs) and every aggregation in SQL, so
memory stays bounded whatever the input size: Python only ever sees aggregates and the first few
malformed lines.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from ..errors import InputError, Problem
from ..files import write_atomically
from ..units import HOURS_PER_MONTH

T = TypeVar("T")

MEMORY_LIMIT = os.environ.get("WHERETORUN_DUCKDB_MEMORY", "512MB")
MAX_LINE_BYTES = 8 * 1024 * 1024  # a log line with a request body (Bedrock moves bodies over 100 KB to S3)
EXAMPLES_SHOWN = 5


#: The SQL texts the importers share with Amazon Athena are written with Athena's (Trino's) function
#: names; these DuckDB macros give DuckDB the same names, so one text runs in both engines
#: (``render`` substitutes only the table references; docs/import.md shows the Athena side).
TRINO_MACROS = (
    "CREATE TEMP MACRO json_extract_scalar(j, p) AS json_extract_string(j, p)",
    "CREATE TEMP MACRO json_parse(j) AS json(j)",
    "CREATE TEMP MACRO from_iso8601_timestamp(x) AS CAST(x AS TIMESTAMP)",
    "CREATE TEMP MACRO approx_percentile(x, q) AS quantile_cont(x, q)",
    "CREATE TEMP MACRO regexp_like(s, p) AS regexp_matches(s, p)",
)


def render(template: str, **tables: str) -> str:
    """A shared SQL text with its ``{table}`` references replaced (nothing else changes)."""
    out = template
    for name, ref in tables.items():
        out = out.replace("{" + name + "}", ref)
    return out.strip()


def connect():
    """A DuckDB connection with a memory ceiling, spilling to a temporary directory beyond it.

    Two threads (this project's machines have two cores; DuckDB's default is all of them).
    """
    try:
        import duckdb
    except ImportError:  # pragma: no cover - duckdb is a dependency of the `import` extra
        raise InputError(
            [Problem("import", "", "DuckDB is needed: pip install 'wheretorun[import]'")]
        ) from None
    con = duckdb.connect()
    for macro in TRINO_MACROS:
        con.execute(macro)
    con.execute(f"SET memory_limit='{MEMORY_LIMIT}'")
    con.execute("SET threads=2")
    con.execute("SET preserve_insertion_order=true")
    # progress is tracked (for ``with_progress``), never printed: DuckDB's own bar writes to stdout
    con.execute("SET enable_progress_bar=true")
    con.execute("SET enable_progress_bar_print=false")
    return con


def use_s3_credentials(con, paths: list[str]) -> None:
    """For ``s3://`` inputs: DuckDB's httpfs with the user's AWS credential chain (environment,
    ~/.aws profiles, SSO, instance role), through its ``aws`` extension (installed on first use)."""
    if not any(p.startswith("s3://") for p in paths):
        return
    try:
        con.execute("CREATE OR REPLACE SECRET wheretorun_s3 (TYPE s3, PROVIDER credential_chain)")
    except Exception as e:  # noqa: BLE001 - duckdb.Error: the extension could not be installed or loaded
        first = str(e).strip().splitlines()[0][:200]
        raise InputError(
            [
                Problem(
                    next(p for p in paths if p.startswith("s3://")),
                    "",
                    f"cannot read S3 with your credentials ({first}); DuckDB needs its httpfs and aws "
                    "extensions (python -c \"import duckdb; duckdb.install_extension('httpfs'); "
                    "duckdb.install_extension('aws')\"), or copy the files locally (aws s3 sync)",
                )
            ]
        ) from None


def with_progress(con, fn: Callable[[], T], enabled: bool, label: str) -> T:
    """Run ``fn`` (DuckDB queries on ``con``) with a Rich progress bar on stderr when ``enabled``.

    The work runs in a thread; this one polls ``con.query_progress()`` (DuckDB's estimate for the
    running query, -1 when none) and moves the bar. The CLI enables it only when stderr is a terminal.
    """
    if not enabled:
        return fn()
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    result: dict[str, Any] = {}

    def work() -> None:
        try:
            result["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - re-raised in the calling thread
            result["error"] = e

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"))
    with Progress(*columns, TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=100)
        while thread.is_alive():
            thread.join(0.25)
            done = con.query_progress()
            if done >= 0:
                bar.update(task, completed=done)
    if "error" in result:
        raise result["error"]
    return result["value"]


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
    """Records that could not be used: counted by reason, never silently dropped, the first few quoted."""

    count: int = 0
    #: file, where (a line number, or a place such as "MetricDataResults[...] point 3"), reason, text
    examples: list[tuple[str, int | str, str, str]] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)

    def add(self, reason: str, n: int = 1) -> None:
        self.count += n
        self.reasons[reason] += n

    def lines(self) -> list[str]:
        if not self.count:
            return []
        by = "; ".join(f"{n:,} {reason}" for reason, n in sorted(self.reasons.items(), key=lambda x: -x[1]))
        out = [f"{self.count:,} malformed record(s) skipped ({by}); the first {len(self.examples)}:"]
        for file, where, reason, text in self.examples:
            at = f"{file}:{where}" if isinstance(where, int) else f"{file} ({where})"
            out.append(f"  {at}: {reason}: {text[:120]!r}")
        return out


def count_rejected(con, table: str, malformed: Malformed) -> None:
    """Add the rows of ``table`` whose ``reason`` column is set to ``malformed``, by reason."""
    for reason, n in con.execute(
        f"SELECT reason, count(*) FROM {table} WHERE reason IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1"
    ).fetchall():
        malformed.add(reason, n)


#: No AWS usage record is older than this (Bedrock, Lambda and the CUR are all younger): an earlier
#: timestamp is a corrupt or hand-made record (1970 is the epoch of a zeroed field).
EARLIEST = dt.datetime(2006, 1, 1)
#: Quantiles of the record timestamps that bound the bulk of a log (robust to a few outliers).
BULK_QUANTILES = (0.01, 0.99)


def reject_outside_window(con, table: str, ts_col: str = "ts") -> tuple[object, object] | None:
    """Mark (``reason``) the rows of ``table`` whose timestamp lies outside the input's own window.

    One record stamped 1970 or 2099 would stretch the observed window to decades and rescale every
    volume to a trickle (a 1970 timestamp turned 40,321 requests into ``requests_per_month: 45.4``).
    So: before 2006 or after tomorrow is impossible; and the window is the bulk of the records
    (the 1st to 99th percentile of their timestamps) widened by half its length and a day each
    side, so that quiet first and last days stay in while a stray record weeks away does not.
    Returns the window kept (None when no row is left to measure it).
    """
    tomorrow = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=1)
    con.execute(
        f"UPDATE {table} SET reason = 'timestamp before 2006 or in the future' WHERE reason IS NULL AND "
        f"({ts_col} < $lo OR {ts_col} > $hi)",
        {"lo": EARLIEST, "hi": tomorrow},
    )
    lo_q, hi_q = BULK_QUANTILES
    lo, hi = con.execute(
        f"SELECT quantile_disc({ts_col}, {lo_q}), quantile_disc({ts_col}, {hi_q}) FROM {table} WHERE reason IS NULL"
    ).fetchone()
    if lo is None:
        return None
    margin = max((hi - lo) / 2, dt.timedelta(days=1))
    con.execute(
        f"UPDATE {table} SET reason = 'timestamp outside the window of the other records' "
        f"WHERE reason IS NULL AND ({ts_col} < $lo OR {ts_col} > $hi)",
        {"lo": lo - margin, "hi": hi + margin},
    )
    return lo - margin, hi + margin


def bad_name(expr: str, limit: int = 256) -> str:
    """SQL (Trino and DuckDB alike): true when ``expr`` is longer than ``limit`` characters or holds
    a control character (a name read from a file name or a CSV cell may hold spaces, not those)."""
    return f"(length({expr}) > {limit} OR regexp_like({expr}, '[\\x00-\\x1f\\x7f]'))"


def bad_id(expr: str, limit: int = 256) -> str:
    """SQL (Trino and DuckDB alike): true when ``expr`` is not a plausible AWS id or ARN -- longer
    than ``limit`` characters, or holding anything but letters, digits and ``._:/@+-`` (a newline
    in a model id would otherwise reach the written file's comments)."""
    return f"(length({expr}) > {limit} OR NOT regexp_like({expr}, '^[A-Za-z0-9._:/@+=,-]+$'))"


def add_rejects(con, malformed: Malformed) -> None:
    """Count the lines DuckDB rejected while reading (bad encoding, over-long) as malformed records."""
    try:
        rows = con.execute(
            "SELECT s.file_path, e.line, any_value(e.error_type), any_value(e.csv_line) FROM reject_errors e "
            "JOIN reject_scans s USING (scan_id, file_id) GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
    except Exception:  # noqa: BLE001 - no rejects table: nothing was rejected
        return
    for _file, _line, error, _text in rows:
        malformed.add(f"unreadable line ({_reject_reason(error)})")
    for file, line, error, text in rows[: max(0, EXAMPLES_SHOWN - len(malformed.examples))]:
        malformed.examples.append((file, int(line), _reject_reason(error), (text or "")[:200]))


def _reject_reason(error: str) -> str:
    """DuckDB's reject type in the user's words: lines are read with chr(1) as the column
    delimiter (``bedrock_logs.lines_sql``), so "too many columns" means the line holds that byte."""
    if error.upper() == "TOO MANY COLUMNS":
        return "holds the control character \\x01"
    return error.lower()


@dataclass
class Shape:
    """Traffic shape measured from per-interval counts over the whole observed window."""

    first: str
    last: str
    window_hours: float
    peak_to_mean: float
    interval_minutes: int


#: Profile intervals tried, finest first: the finest whose mean count is at least
#: MIN_MEAN_PER_INTERVAL is used, so sparse traffic's peak/mean is not Poisson noise
#: (3 requests an hour counted per minute would read as a peak/mean near 20).
INTERVALS_MIN = (1, 5, 15, 60)
MIN_MEAN_PER_INTERVAL = 10
#: An observed window this long (in days) is a month: volumes are written exactly as logged.
MONTH_DAYS = (27.5, 31.5)


def month_factor(window_hours: float) -> tuple[float, str]:
    """Multiplier from the observed window to a 730-hour month, and the sentence that says so.

    A window of 27.5 to 31.5 days is one calendar month of logs: volumes stay exactly as logged
    (the issue's "volumes match the logs exactly"). Any other window is scaled to 730 hours.
    """
    days = window_hours / 24
    if MONTH_DAYS[0] <= days <= MONTH_DAYS[1]:
        return 1.0, f"observed over {days:,.1f} days: taken as one month, volumes exactly as logged"
    factor = HOURS_PER_MONTH / window_hours
    caution = (
        " (a short window: the monthly volume is an extrapolation, import more days)"
        if window_hours < 24
        else ""
    )
    return factor, (
        f"observed over {window_hours:,.4g} hours: volumes scaled x{factor:,.6g} to a 730-hour month{caution}"
    )


def seconds(ms: float) -> float:
    """A measured duration in milliseconds as the workload file's ``duration_s``: at least 1 ms, the
    file's smallest (and Lambda's billing step: a 0.85 ms call is billed as 1 ms), so a function
    faster than that is imported instead of failing the whole file."""
    return round(max(ms, 1.0) / 1000, 6)


def monthly(count: int | float, factor: float) -> int | float:
    """The monthly volume: the exact count for a month of data, else the scaled figure."""
    if factor == 1:
        return int(count) if float(count).is_integer() else float(count)
    scaled = round(count * factor, 3)
    return int(scaled) if scaled == int(scaled) else scaled


def traffic_label(peak_to_mean: float) -> str:
    """The preset closest to a measured peak-to-mean (the profile CSV carries the real shape)."""
    if peak_to_mean <= 2:
        return "steady"
    if peak_to_mean <= 4:
        return "diurnal"
    return "spiky"


def profile_sql(
    source: str, ts_col: str, where: str, step_min: int, t0: str, t1: str, measure: str = "count(*)"
) -> str:
    """Requests per ``step_min`` interval (``measure`` of the rows matching ``where``, which may use
    the parameter ``$g``) over the whole window [t0, t1], zero-filled.

    The window is the input's, not the group's: a model used only on the last day of a month of
    logs is a month of (mostly idle) traffic, not a day's traffic scaled up thirty-fold. Intervals
    with no record are 0 (CloudWatch omits periods without data; the simulator needs them).
    """
    step = f"INTERVAL '{int(step_min)} minutes'"
    start = f"TIMESTAMP '{t0}'"
    return f"""
    WITH counts AS (
        SELECT time_bucket({step}, {ts_col}, {start}) AS bucket, {measure} AS n
        FROM {source} WHERE {where} GROUP BY 1
    ),
    grid AS (
        SELECT unnest(generate_series(time_bucket({step}, {start}, {start}),
                                      time_bucket({step}, TIMESTAMP '{t1}', {start}), {step})) AS bucket
    )
    SELECT grid.bucket, coalesce(counts.n, 0) AS n
    FROM grid LEFT JOIN counts USING (bucket) ORDER BY grid.bucket
    """


def choose_interval(count: float, window_minutes: float) -> int:
    """The finest profile interval whose mean count reaches MIN_MEAN_PER_INTERVAL (else hourly)."""
    for step in INTERVALS_MIN:
        if count / max(window_minutes / step, 1.0) >= MIN_MEAN_PER_INTERVAL:
            return step
    return INTERVALS_MIN[-1]


def write_profile(con, sql: str, g: str, csv: Path, step: int, t0: object, t1: object) -> Shape:
    """Write one ``timestamp,requests`` CSV from a ``profile_sql`` query; return the shape it measures."""
    peak, mean, buckets = con.execute(f"SELECT max(n), avg(n), count(*) FROM ({sql})", {"g": g}).fetchone()
    csv.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"COPY (SELECT strftime(bucket, '%Y-%m-%dT%H:%M:%SZ') AS timestamp, n AS requests FROM ({sql})) "
        f"TO '{_sql_path(csv)}' (HEADER, DELIMITER ',')",
        {"g": g},
    )
    return Shape(
        first=str(t0),
        last=str(t1),
        window_hours=buckets * step / 60.0,
        peak_to_mean=round(max(1.0, float(peak) / float(mean)) if mean else 1.0, 3),
        interval_minutes=step,
    )


def write_profiles(
    con, source: str, ts_col: str, group_col: str, out: Path, names: dict[str, str]
) -> dict[str, Shape]:
    """Write one ``timestamp,requests`` CSV per group beside ``out``; return each group's shape.

    Every group is measured over the same window: the first to the last record of the input.
    """
    t0, t1 = con.execute(f"SELECT min({ts_col}), max({ts_col}) FROM {source}").fetchone()
    window_min = (t1 - t0).total_seconds() / 60
    counts = dict(con.execute(f"SELECT {group_col}, count(*) FROM {source} GROUP BY 1").fetchall())
    shapes: dict[str, Shape] = {}
    for g, name in names.items():
        step = choose_interval(counts.get(g, 0), window_min + 1)
        sql = profile_sql(source, ts_col, f"{group_col} = $g", step, str(t0), str(t1))
        shapes[g] = write_profile(con, sql, g, out.parent / f"{out.stem}.{name}.csv", step, t0, t1)
    return shapes


def _sql_path(p: Path) -> str:
    return str(p).replace("'", "''")


def write_workload_file(out: Path, header: list[str], data: dict[str, Any]) -> None:
    """YAML with a comment header saying where every number came from; validated before writing."""
    from ..spec import load_workloads

    load_workloads(data, name=str(out))  # an importer bug must not write a file recommend rejects
    text = "".join(f"# {comment(h)}\n" for h in header) + yaml.safe_dump(data, sort_keys=False, width=110)
    try:
        write_atomically(out, lambda fh: fh.write(text.encode("utf-8")))
    except OSError as e:  # a folder, a full disk, a read-only one: the user's to fix
        raise InputError([Problem("--out", "", f"cannot write {out}: {e.strerror or e}")]) from None


def comment(text: str) -> str:
    """``text`` safe as one YAML comment line: every character Python does not print (line breaks
    of any kind -- \\n, \\r, U+0085, U+2028 -- and other controls) written as its escape, so that
    nothing read from the input can start a line of the written file."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def slug(text: str) -> str:
    out = "".join(ch if ch.isalnum() else "-" for ch in text.lower())
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")[:60] or "workload"


def distinct(name: str, taken: set[str]) -> str:
    """``name``, or ``name-2``, ``name-3``... when another workload of the import has it already
    (``My_Fn`` and ``my-fn`` make the same slug: the import failed on the duplicate name)."""
    n, candidate = 1, name
    while candidate in taken:
        n += 1
        candidate = f"{name[: 60 - len(str(n)) - 1]}-{n}"
    taken.add(candidate)
    return candidate
