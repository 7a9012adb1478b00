"""Import throughput and memory: ``python -m bench.import_bench --records N``.

Generates N Bedrock invocation records (real log shape, ~500 bytes each: 20 million is ~10 GB) with
DuckDB, then runs in separate processes (so peak memory is each run's own):

- wheretorun's importer (DuckDB, bounded memory) and
- a plain pandas version of the same per-model aggregation (reads every record into memory).

Prints records/s and peak RSS for both, and the ratios (pandas / wheretorun). The issue's target: 20 million records
under 1 GB of memory for wheretorun.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GENERATE = """
COPY (
  SELECT 'ModelInvocationLog' AS schemaType, '1.0' AS schemaVersion,
         strftime(TIMESTAMP '2025-01-01' + to_seconds(i * 2419200 // {n}), '%Y-%m-%dT%H:%M:%SZ') AS timestamp,
         '123456789012' AS accountId, 'us-east-1' AS region, 'req-' || i AS requestId, 'Converse' AS operation,
         CASE WHEN i % 3 = 0 THEN 'us.meta.llama3-1-8b-instruct-v1:0'
              ELSE 'anthropic.claude-3-5-haiku-20241022-v1:0' END AS modelId,
         {{'inputContentType': 'application/json', 'inputTokenCount': 1000 + i % 500}} AS input,
         {{'outputContentType': 'application/json', 'outputTokenCount': 200 + i % 100}} AS output,
         {{'arn': 'arn:aws:sts::123456789012:assumed-role/Application/session-' || (i % 1000)}} AS identity
  FROM range({n}) t(i)
) TO '{path}' (FORMAT json)
"""

PANDAS = """
import json, sys, pandas as pd
rows = [json.loads(line) for line in open(sys.argv[1])]
df = pd.json_normalize(rows)
g = df.groupby("modelId").agg(requests=("requestId", "size"), tin=("input.inputTokenCount", "sum"),
                              tout=("output.outputTokenCount", "sum"))
print(len(g))
"""

OURS = """
import sys
from pathlib import Path
from wheretorun.importers import import_usage
import_usage("bedrock-logs", [sys.argv[1]], Path(sys.argv[2]))
"""


def _run(code: str, *args: str) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of a child process."""
    wrapper = (
        code + "\nimport resource\nprint('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", wrapper, *args], check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    rss_kb = int(re.search(r"MAXRSS (\d+)", out.stdout).group(1))  # type: ignore[union-attr]
    return seconds, rss_kb / 1024


#: The pandas baseline holds every record in memory (~2 KB each as Python objects): above this size
#: it is not run (it would need tens of GB), and the row says so.
PANDAS_MAX_RECORDS = 2_000_000
MEMORY_TARGET_MB = 1024


def run(rows: int, pandas_baseline: bool = True) -> list[dict]:
    """Import ``rows`` generated Bedrock records; one table row for the bench.

    Keys: ``name``, ``wheretorun_s``, ``baseline_s`` (pandas, None when not run), ``ratio``
    (pandas time / wheretorun time), ``target`` and ``met`` (peak memory under 1 GB), plus
    ``records_per_s``, ``wheretorun_mb``, ``baseline_mb`` and ``memory_ratio``.
    """
    import duckdb

    with tempfile.TemporaryDirectory() as tmp:
        logs = Path(tmp) / "bedrock.json"
        con = duckdb.connect()
        con.execute("SET enable_progress_bar=false")
        con.execute(GENERATE.format(n=rows, path=logs))
        con.close()
        size_gb = logs.stat().st_size / 1e9
        ours = _run(OURS, str(logs), str(Path(tmp) / "out.yml"))
        base = _run(PANDAS, str(logs)) if pandas_baseline and rows <= PANDAS_MAX_RECORDS else None
    return [
        {
            "name": f"import {rows:,} Bedrock records ({size_gb:,.2f} GB): {rows / ours[0]:,.0f} records/s, "
            f"peak {ours[1]:,.0f} MB" + ("" if base else " (pandas not run at this size)"),
            "wheretorun_s": ours[0],
            "baseline_s": base[0] if base else None,
            "ratio": base[0] / ours[0] if base else None,
            "target": f"< {MEMORY_TARGET_MB:,} MB",
            "met": ours[1] < MEMORY_TARGET_MB,
            "records_per_s": rows / ours[0],
            "wheretorun_mb": ours[1],
            "baseline_mb": base[1] if base else None,
            "memory_ratio": base[1] / ours[1] if base else None,
        }
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.import_bench", description=__doc__)
    p.add_argument("--records", type=int, default=1_000_000)
    p.add_argument(
        "--no-pandas", action="store_true", help="skip the pandas baseline (it holds every record)"
    )
    args = p.parse_args(argv)
    for r in run(args.records, not args.no_pandas):
        line = f"{r['name']}: wheretorun {r['wheretorun_s']:.1f} s"
        if r["baseline_s"] is not None:
            line += (
                f"; pandas {r['baseline_s']:.1f} s, peak {r['baseline_mb']:,.0f} MB; "
                f"ratio {r['ratio']:.1f}x time, {r['memory_ratio']:.1f}x memory"
            )
        print(f"{line}; target {r['target']}: {'yes' if r['met'] else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
