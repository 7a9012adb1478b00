"""How close is the call (issue 15): each break-even value in the trace is checked by re-pricing the
file just below and just above it with ``recommend``, and the winner must change across it."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from wheretorun import load_workloads, recommend
from wheretorun.decide.closeness import GRID, ROUNDS, _crossing

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "ai-product.yml"
NAME = "nightly-documents"  # bedrock (bedrock's fixed engineering paid for support-agent) vs bedrock-batch


def step(report, name: str):
    w = next(w for w in report.workloads if w.name == name)
    return w, next(s for s in w.trace if s.question.endswith("How close is the call?"))


def placed(data: dict, name: str) -> str:
    report = recommend(load_workloads(data))
    return next(w for w in report.workloads if w.name == name).recommendation.platform


@pytest.fixture(scope="module")
def data() -> dict:
    return yaml.safe_load(EXAMPLE.read_text())


@pytest.fixture(scope="module")
def today(data):
    return step(recommend(load_workloads(data)), NAME)


def test_the_trace_states_the_margin_and_the_runner_up(today):
    w, s = today
    assert w.recommendation.platform == "bedrock"
    # bedrock-batch adds 375.50 - 0 (its fixed engineering is not paid otherwise); bedrock adds
    # 451.00 - 110.00 (bedrock's fixed engineering is paid for support-agent's model) = 341.00
    assert s.answer == "$34.50/month ahead of bedrock-batch"


def test_the_upkeep_break_even_flips_the_call(data, today):
    _, s = today
    u = float(re.search(r"marginal upkeep were under ([\d.,]+) h/month", s.because).group(1))
    # bedrock-batch's marginal upkeep today 0.5 h x $120 = $60; $34.50 less is 0.2125 h
    assert u == pytest.approx(0.5 - 34.5 / 120, rel=1e-2)
    for hours, expected in ((u - 0.01, "bedrock-batch"), (u + 0.01, "bedrock")):
        over = {**data, "engineering": {"bedrock-batch": {"marginal": {"upkeep_hours_per_month": hours}}}}
        assert placed(over, NAME) == expected, hours


def test_the_volume_break_even_flips_the_call(data, today):
    _, s = today
    v = float(re.search(r"volume were above ([\d.,]+)x today's", s.because).group(1))
    base = next(w for w in data["workloads"] if w["name"] == NAME)["requests_per_month"]
    # the trace rounds to 3 significant figures: re-price 1 % either side
    for mult, expected in ((v * 0.99, "bedrock"), (v * 1.01, "bedrock-batch")):
        workloads = [
            {**w, "requests_per_month": round(base * mult)} if w["name"] == NAME else w
            for w in data["workloads"]
        ]
        assert placed({**data, "workloads": workloads}, NAME) == expected, mult


@pytest.mark.parametrize(
    ("root", "steps"),
    [
        (2.5, None),  # linear: crosses at 2.5
        (7.0, 3.0),  # a step at 3 puts it above zero early: the step is the crossing
    ],
)
def test_the_crossing_is_found_to_far_below_a_percent(root, steps):
    # diff(v) = v - root, plus 10 from v >= steps (a replica step)
    def diff(v: np.ndarray) -> np.ndarray:
        return v - root + (10.0 * (v >= steps) if steps else 0.0)

    expected = steps if steps else root
    found = _crossing(diff, 1.0, 1e3)
    # the bracket narrows to (1000^(1/63) - 1) / GRID^ROUNDS of the crossing: well under 1e-6
    assert found == pytest.approx(expected, rel=(1000 ** (1 / (GRID - 1)) - 1) / GRID**ROUNDS * 2)
    assert diff(np.array([found * (1 - 1e-6)]))[0] < 0 < diff(np.array([found * (1 + 1e-6)]))[0]
