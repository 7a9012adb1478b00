"""The CLI as a user runs it: exit codes, one line per problem, no traceback, every format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wheretorun.cli import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "ai-product.yml"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_json_output_matches_the_library():
    result = run("recommend", str(EXAMPLE), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["version"] == 1 and len(data["workloads"]) == 4


def test_table_output_shows_recommendation_and_why_and_details_add_invoices_and_trace():
    result = run("recommend", str(EXAMPLE), "--format", "table")
    assert result.exit_code == 0, result.output
    # lambda (arm64, behind an HTTP API) $269.07 + bedrock $4,800.00 infra + $440 + $220 engineering = $5,729.07
    # as if alone; its own cost leaves out lambda's $330 and bedrock's $110 fixed engineering (shared):
    # 5,729.07 - 330 - 110 = $5,289.07
    for text in ("support-agent (orchestration): lambda + bedrock  $5,289.07/month", "Why: ", "System total"):
        assert text in result.stdout
    assert "Invoice" not in result.stdout and "Why, question by question" not in result.stdout
    details = run("recommend", str(EXAMPLE), "--details").stdout  # --details alone means the table
    for text in ("Invoice: lambda", "Invoice (model layer): bedrock", "Why, question by question"):
        assert text in details


def test_out_writes_a_file(tmp_path: Path):
    out = tmp_path / "r.json"
    result = run("recommend", str(EXAMPLE), "--format", "json", "--out", str(out))
    assert result.exit_code == 0
    assert json.loads(out.read_text())["workloads"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "workloads:\n  - name: a\n    role: glue\n    requests_per_month: -5\n",
            "workloads[0].requests_per_month",
        ),
        (
            "workloads:\n  - name: a\n    role: glue\n    requests_per_month: 5\n    memroy_gb: 1\n",
            "did you mean 'memory_gb'",
        ),
        ("workloads: [\n", "invalid YAML at line"),
        ("", "empty"),
    ],
)
def test_bad_input_exits_2_with_file_and_path_and_no_traceback(tmp_path: Path, content, expected):
    f = tmp_path / "w.yml"
    f.write_text(content)
    result = run("recommend", str(f))
    assert result.exit_code == 2
    assert expected in result.stderr
    assert str(f) in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_missing_file_exits_2():
    result = run("recommend", "/nonexistent/system.yml")
    assert result.exit_code == 2 and "file not found" in result.stderr


def test_unknown_format_exits_2():
    result = run("recommend", str(EXAMPLE), "--format", "pdf")
    assert result.exit_code == 2 and "allowed: table, json, markdown, html" in result.stderr


def test_bad_growth_exits_2():
    result = run("recommend", str(EXAMPLE), "--growth", "fast")
    assert result.exit_code == 2 and "--growth" in result.stderr


def test_prices_file_changes_the_invoice(tmp_path: Path):
    prices = tmp_path / "p.yml"
    prices.write_text("overrides:\n  lambda/requests: 0.1\n")
    base = json.loads(run("recommend", str(EXAMPLE), "-f", "json").stdout)
    cheap = json.loads(run("recommend", str(EXAMPLE), "-f", "json", "--prices", str(prices)).stdout)

    def lambda_requests(report):
        opt = next(o for o in report["workloads"][0]["options"] if o["platform"] == "lambda")
        return next(c for c in opt["cost_components"] if c["name"] == "Requests")

    assert lambda_requests(base)["unit_price_usd"] == 0.2
    assert lambda_requests(cheap)["unit_price_usd"] == 0.1
    assert cheap["catalog"]["overrides"]


def test_bad_prices_file_key_exits_2(tmp_path: Path):
    prices = tmp_path / "p.yml"
    prices.write_text("overrides:\n  lambda/requets: 0.1\n")
    result = run("recommend", str(EXAMPLE), "--prices", str(prices))
    assert result.exit_code == 2 and "lambda/requests" in result.stderr


def test_schema_is_valid_json_schema_with_units():
    result = run("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    workload = schema["$defs"]["Workload"]["properties"]
    assert "seconds" in workload["duration_s"]["description"]
    assert set(workload["traffic"]["enum"]) == {"spiky", "steady", "diurnal", "batch"}


def test_breakeven_prints_the_computed_and_the_guideline():
    result = run("breakeven", str(ROOT / "examples" / "self-hosted-70b.yml"))
    assert result.exit_code == 0, result.output
    assert "guideline" in result.stdout and "computed" in result.stdout


def test_breakeven_unknown_workload_exits_2():
    result = run("breakeven", str(EXAMPLE), "--workload", "suport-agent")
    assert result.exit_code == 2 and "did you mean 'support-agent'" in result.stderr


def test_chart_data_only_where_charts_are_drawn(tmp_path: Path):
    """JSON stays lean (no per-workload curve or week); HTML draws both; `breakeven --json` has its curve."""
    data = json.loads(run("recommend", str(EXAMPLE), "--format", "json").stdout)
    for w in data["workloads"]:
        assert "breakeven_curve" not in w["extras"] and "capacity_week" not in w["extras"]
    html = run("recommend", str(EXAMPLE), "--format", "html").stdout
    from wheretorun import load_workloads, recommend, render

    without = render(recommend(load_workloads(EXAMPLE)), "html")  # the library's default: no chart data
    assert html.count("<svg") >= without.count("<svg") + 4  # a curve and a week for the model workloads
    result = run("breakeven", str(ROOT / "examples" / "self-hosted-70b.yml"), "--json")
    assert result.exit_code == 0, result.output
    curves = [w["curve"] for w in json.loads(result.stdout)]
    assert any(len(c) > 10 for c in curves)


def test_an_inventory_table_is_a_summary_with_a_rollup(tmp_path: Path):
    import yaml

    workloads = [
        {"name": f"job-{i:02d}", "role": "glue", "requests_per_month": 1_000 * (i + 1)} for i in range(24)
    ] + [{"name": "agent", "role": "orchestration", "requests_per_month": 300_000, "duration_s": 8}]
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump({"workloads": workloads}))
    report = json.loads(run("recommend", str(path), "--format", "json").stdout)
    result = run("recommend", str(path), "--format", "table")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Why: " not in out  # no block per workload
    assert "25 workloads: each one's options" in out and "--full" in out
    # the 20 costliest are listed, the 5 cheapest are counted
    ranked = sorted(report["workloads"], key=lambda w: -w["recommendation"]["monthly_cost_usd"]["total"])
    summary = out.split("the 20 costliest of 25 workloads")[1].split("By platform")[0]
    names = [line.split()[0] for line in summary.splitlines() if line.strip().startswith(("job-", "agent"))]
    assert names == [w["name"] for w in ranked[:20]]
    assert (
        "5 cheaper workloads not listed" in summary and f"${report['total_monthly_cost_usd']:,.2f}" in summary
    )
    # the roll-up: one row per place, its workload count and the sum of their totals
    by_place: dict[str, list[float]] = {}
    for w in report["workloads"]:
        r = w["recommendation"]
        by_place.setdefault(r["platform"], []).append(r["monthly_cost_usd"]["total"])
    rollup = out.split("By platform")[1]
    for place, totals in by_place.items():
        row = next(line for line in rollup.splitlines() if line.strip().startswith(place + " "))
        assert f"{len(totals):,}" in row.split() and f"${sum(totals):,.2f}" in row
    full = run("recommend", str(path), "--format", "table", "--full").stdout
    assert full.count("Why: ") == 25


@pytest.mark.parametrize("width", [50, 60, 80])
def test_a_narrow_terminal_never_cuts_a_figure(width: int):
    from wheretorun import load_workloads, recommend
    from wheretorun.report.table import render_table

    report = recommend(load_workloads(EXAMPLE))
    text = render_table(report, width=width)
    assert f"${report.total_monthly_cost_usd:,.2f}" in text
    for w in report.workloads:
        assert f"${w.recommendation.monthly_cost_usd.total:,.2f}" in text


def test_an_interrupted_write_leaves_the_previous_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from wheretorun.report.model import Report

    out = tmp_path / "report.json"
    out.write_text("the previous report")

    def half_then_disk_full(self, fh):
        fh.write(b'{"version": 1,')
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Report, "write_json", half_then_disk_full)
    result = run("recommend", str(EXAMPLE), "--format", "json", "--out", str(out))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"--out: cannot write {out}: No space left on device" in result.stderr
    assert out.read_text() == "the previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary file left behind


def test_a_reader_that_stops_early_gets_no_error_message():
    """`wheretorun recommend ... | head`: the JSON (300 KB here) outgrows the pipe, the reader leaves;
    no 'internal error', the status of a process ended by SIGPIPE."""
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("wheretorun")
    proc = subprocess.Popen(
        [str(exe), "recommend", str(EXAMPLE), "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(10).startswith(b"{")
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 141
    assert err == b""


def _disk_full_on(suffix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file ending in ``suffix`` hits ENOSPC half-way through its write."""
    from wheretorun import files

    real = files.write_atomically

    def write_atomically(out, write):
        if not str(out).endswith(suffix):
            return real(out, write)

        def half_then_full(fh):
            fh.write(b"\x89PNG half")
            raise OSError(28, "No space left on device", str(out))

        return real(out, half_then_full)

    monkeypatch.setattr(files, "write_atomically", write_atomically)


def test_charts_on_a_full_disk_exit_2_naming_charts_and_leave_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    charts = tmp_path / "charts"
    _disk_full_on(".png", monkeypatch)
    result = run("recommend", str(EXAMPLE), "--format", "json", "--charts", str(charts))
    assert (
        result.exit_code == 2 and "Traceback" not in result.output and "internal error" not in result.output
    )
    assert "--charts: cannot write" in result.stderr and "No space left on device" in result.stderr
    # the first chart's SVG was written whole before its PNG failed; no PNG, no temporary file
    written = sorted(p.name for p in charts.iterdir())
    assert written and all(name.endswith(".svg") and not name.startswith(".") for name in written)
    for svg in charts.iterdir():
        assert svg.read_text().rstrip().endswith("</svg>")


def test_charts_into_a_path_that_is_a_file_exit_2(tmp_path: Path):
    taken = tmp_path / "charts"
    taken.write_text("not a folder")
    result = run("recommend", str(EXAMPLE), "--format", "json", "--charts", str(taken))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"--charts: cannot write {taken}" in result.stderr
    assert taken.read_text() == "not a folder"


@pytest.mark.parametrize(
    "args",
    [
        ("recommend", str(EXAMPLE), "--format", "table"),
        ("recommend", str(EXAMPLE), "--format", "markdown"),
        ("prices", "show"),
        ("prices", "show", "--json"),
        ("schema",),
        ("size", "--model", "llama-3.1-8b"),
        ("diff", str(EXAMPLE), str(EXAMPLE)),
        ("breakeven", str(ROOT / "examples" / "self-hosted-70b.yml")),
    ],
    ids=lambda a: " ".join(a[:3]).replace(str(ROOT) + "/", ""),
)
def test_every_command_ends_with_141_on_a_closed_pipe(args):
    """Whatever prints the output (Rich tables, JSON, plain text), a reader that is gone ends the
    command quietly with the status of SIGPIPE, not 1 (Rich's and Click's own handlers: the status
    of an internal error). The pipe's read end is closed before the command starts: every write fails."""
    import os
    import subprocess
    import sys

    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run(
            [str(Path(sys.executable).with_name("wheretorun")), *args],
            stdout=write,
            stderr=subprocess.PIPE,
            timeout=120,
        )
    finally:
        os.close(write)
    assert proc.returncode == 141, proc.stderr.decode()
    assert b"internal error" not in proc.stderr and b"Traceback" not in proc.stderr
