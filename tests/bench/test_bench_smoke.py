"""`python -m bench --quick` runs end to end and prints its table (timings are judged by the bench, not here)."""

from __future__ import annotations

import re

from bench.__main__ import main


def test_quick_bench_prints_every_row(capsys):
    assert main(["--quick"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:2] == ["benchmark", "wheretorun"]
    assert any("minutes of traffic" in line for line in out)
    assert any("Monte Carlo" in line for line in out)
    assert sum("recommend over 5 workloads" in line for line in out) == 3
    assert any("CLI run to JSON file" in line for line in out)
    # joint placement against independent placement, as a ratio (issue 15: under 2x)
    (joint,) = [line for line in out if line.startswith("joint placement over 5 workloads")]
    assert re.search(r"\d+\.\d\dx\s+< 2x", joint), joint
    # start-up, as ratios against python -c pass measured in the same run, beside what importing
    # the libraries alone costs (no target of its own)
    assert sum("(baseline: python -c pass" in line for line in out) == 3
    (libraries,) = [line for line in out if line.startswith("python -c 'import typer")]
    assert "no target" in libraries
