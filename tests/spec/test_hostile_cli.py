"""Hostile workload files through `wheretorun recommend`, as CI on a pull request would run them:
exit 2, the field named, no traceback, nothing of a file outside the workload folder printed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wheretorun.cli import app

runner = CliRunner()
GLUE = "workloads:\n  - name: a\n    role: glue\n    requests_per_month: 1000\n"
SECRET = "AWS_SECRET_ACCESS_KEY=hunter2-do-not-print\n"
PROFILE = "timestamp,requests\n2026-01-01T00:00:00Z,5\n2026-01-01T00:01:00Z,7\n"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """tmp/work holds the workload files; tmp/outside a secret and a profile the user may allow."""
    (tmp_path / "work").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.csv").write_text(SECRET)
    (tmp_path / "outside" / "load.csv").write_text(PROFILE)
    os.symlink(tmp_path / "outside" / "secret.csv", tmp_path / "work" / "link.csv")
    os.mkfifo(tmp_path / "work" / "pipe.csv")
    (tmp_path / "work" / "load.csv").write_text(PROFILE)
    return tmp_path / "work"


def run(path: Path, *extra: str):
    return runner.invoke(app, ["recommend", str(path), "--format", "json", *extra])


@pytest.mark.parametrize(
    ("text", "path", "expect"),
    [
        (
            GLUE + "    traffic_profile: /proc/self/environ\n",
            "workloads[0].traffic_profile",
            "absolute paths are refused",
        ),
        (
            GLUE + "    traffic_profile: ../outside/secret.csv\n",
            "workloads[0].traffic_profile",
            "leads outside",
        ),
        (
            GLUE + "    traffic_profile: link.csv\n",
            "workloads[0].traffic_profile",
            "through a symlink outside",
        ),
        # a FIFO would block the run forever
        (GLUE + "    traffic_profile: pipe.csv\n", "workloads[0].traffic_profile", "a FIFO (named pipe)"),
        (GLUE.replace("name: a", 'name: "a\\u0007b"'), "workloads[0].name", "bell (BEL)"),
        (GLUE.replace("name: a", 'name: "\\e[2J\\e]52;c;aGk=\\a"'), "workloads[0].name", "escape (ESC"),
        (GLUE.replace("1000", "9" * 5000), "workloads[0].requests_per_month", "a number with 5,000 digits"),
        (
            GLUE + "engineering: {lambda: {setup_hours: 1.0e+308}}\n",
            "engineering.lambda.setup_hours",
            "less than or equal",
        ),
        (
            GLUE + "prices: {overrides: {lambda/requests: 1.0e+308}}\n",
            "prices.overrides.lambda/requests",
            "less than or equal",
        ),
        (
            GLUE + "engineering: {lambdaa: {setup_hours: 1}}\n",
            "engineering.lambdaa",
            "did you mean 'lambda'?",
        ),
        (
            GLUE.replace(
                "role: glue",
                "role: inference\n    model: {id: llama-3.1-8b}\n    measured_tokens_per_s: 1.0e-300",
            ),
            "workloads[0].measured_tokens_per_s",
            "greater than or equal to 0.01",
        ),
        ("region: us-east1\n" + GLUE.replace("glue", "glu"), "region", "did you mean 'us-east-1'?"),
    ],
)
def test_hostile_files_exit_2_naming_the_field(work: Path, text: str, path: str, expect: str):
    f = work / "w.yml"
    f.write_text(text)
    result = run(f)
    assert result.exit_code == 2, result.output
    assert f"{f}: {path}: " in result.stderr and expect in result.stderr
    assert "Traceback" not in result.output and "internal error" not in result.stderr
    assert "hunter2" not in result.output and "\x1b" not in result.stderr and "\x07" not in result.stderr


def test_region_role_and_traffic_are_reported_together(work: Path):
    """Issue 16: `region: us-east1` was reported only after role and traffic were fixed."""
    f = work / "w.yml"
    f.write_text("region: us-east1\n" + GLUE.replace("glue", "glu") + "    traffic: bursty\n")
    result = run(f)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2
    assert [line.split(": ")[2] for line in lines] == ["region", "workloads[0].role", "workloads[0].traffic"]


def test_the_prices_file_is_checked_in_the_same_pass(work: Path):
    f, p = work / "w.yml", work / "p.yml"
    f.write_text(GLUE.replace("glue", "glu"))
    p.write_text("overrides: {lambda/requets: 1}\n")
    result = run(f, "--prices", str(p))
    assert result.exit_code == 2
    assert f"{f}: workloads[0].role" in result.stderr
    assert (
        f"{p}: prices.overrides.lambda/requets: unknown price key (did you mean 'lambda/requests'?)"
        in result.stderr
    )


def test_allow_files_from_opens_one_more_folder(work: Path):
    f = work / "w.yml"
    f.write_text(GLUE + "    traffic_profile: ../outside/load.csv\n")
    assert run(f).exit_code == 2
    result = run(f, "--allow-files-from", str(work.parent / "outside"))
    assert result.exit_code == 0, result.output
    # the allowed folder does not open the rest of the disk
    f.write_text(GLUE + "    traffic_profile: /etc/passwd\n")
    result = run(f, "--allow-files-from", str(work.parent / "outside"))
    assert result.exit_code == 2 and "absolute paths are refused" in result.stderr


def test_a_profile_inside_the_folder_is_read(work: Path):
    f = work / "w.yml"
    f.write_text(GLUE + "    traffic_profile: load.csv\n")
    result = run(f)
    assert result.exit_code == 0, result.output
    assert "traffic shape from load.csv" in result.stdout


def test_a_thousand_problems_print_fifty_lines_and_a_count(work: Path):
    f = work / "w.yml"
    f.write_text(
        "workloads:\n"
        + "".join(f"  - {{name: w{i}, role: glu, requests_per_month: 1}}\n" for i in range(1000))
    )
    result = run(f)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 51
    assert lines[-1] == f"error: {f}: ... and 950 more problems (fix the ones above first)"


@pytest.mark.parametrize("command", ["recommend", "breakeven", "diff"])
def test_a_fifo_nobody_writes_to_is_an_empty_file_not_a_hang(work: Path, command: str):
    """A named pipe given as the workload file: read without blocking (it blocked forever)."""
    import subprocess
    import sys

    fifo = work / "system.yml"
    os.mkfifo(fifo)
    args = [str(fifo), str(fifo)] if command == "diff" else [str(fifo)]
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("wheretorun")), command, *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert f"{fifo}: the file is empty" in proc.stderr


def test_a_workload_file_through_a_pipe_is_read(tmp_path: Path):
    """`wheretorun recommend <(generate)`: a pipe whose writer takes its time is read whole."""
    import subprocess
    import sys

    proc = subprocess.run(
        [
            "bash",
            "-c",
            f'"{Path(sys.executable).with_name("wheretorun")}" recommend <(sleep 1; printf "$0") -f json',
            GLUE,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["workloads"][0]["name"] == "a"
