"""Price-override precedence: for the same key (or the same service's discount) the ``--prices``
file beats the workload file's ``prices:`` section, and the trace says which won and which lost."""

from __future__ import annotations

from decimal import Decimal

import pytest

from wheretorun import load_workloads, recommend
from wheretorun.spec.models import PriceOverrides


def glue(prices: dict | None) -> dict:
    # 1M requests of 200 ms at 512 MB on Lambda: 1M requests, 100,000 GB-s
    return {
        **({"prices": prices} if prices else {}),
        "workloads": [
            {
                "name": "glue",
                "role": "glue",
                "requests_per_month": 1_000_000,
                "duration_s": 0.2,
                "memory_gb": 0.5,
            }
        ],
    }


def lambda_requests(report) -> Decimal:
    lam = next(o for o in report.workloads[0].options if o.platform == "lambda")
    return next(c for c in lam.cost_components if c.name == "Requests").unit_price_usd


def run(file_prices: dict | None, cli_prices: dict | None):
    return recommend(
        load_workloads(glue(file_prices)),
        file="system.yml",
        prices=PriceOverrides.model_validate(cli_prices) if cli_prices else None,
        prices_file="ours.yml",
    )


def step(report):
    return next(t for t in report.workloads[0].trace if t.question.startswith("Which prices are yours"))


@pytest.mark.parametrize(
    ("file_prices", "cli_prices", "expected"),
    [
        # only the workload file: its price
        ({"overrides": {"lambda/requests": 0.15}}, None, Decimal("0.15")),
        # only --prices: its price
        (None, {"overrides": {"lambda/requests": 0.12}}, Decimal("0.12")),
        # both for the same key: --prices wins
        ({"overrides": {"lambda/requests": 0.15}}, {"overrides": {"lambda/requests": 0.12}}, Decimal("0.12")),
        # both discount lambda: --prices' 50 % wins over the file's 10 % ($0.20 x 0.5 = $0.10)
        ({"discount_pct": {"lambda": 10}}, {"discount_pct": {"lambda": 50}}, Decimal("0.10")),
        # an override beats a discount for its key, whichever file gives it
        ({"overrides": {"lambda/requests": 0.15}}, {"discount_pct": {"lambda": 50}}, Decimal("0.15")),
    ],
    ids=[
        "file-only",
        "cli-only",
        "cli-beats-file",
        "cli-discount-beats-file-discount",
        "override-beats-discount",
    ],
)
def test_which_price_applies(file_prices, cli_prices, expected):
    assert lambda_requests(run(file_prices, cli_prices)) == expected


def test_the_trace_shows_the_winner_and_the_overridden_price():
    report = run({"overrides": {"lambda/requests": 0.15}}, {"overrides": {"lambda/requests": 0.12}})
    s = step(report)
    assert s.answer == "1 override(s), 0 discount(s)"  # one key, given twice
    won, lost = s.because.split("; not applied")[0], s.because
    assert won.startswith("lambda/requests: $0.12 (your price from ours.yml")
    assert "lambda/requests: $0.15 (your price from system.yml" in lost
    assert "not applied: ours.yml gives this key and --prices beats the workload file" in lost
    # the report's catalog line lists both, the overridden one saying so
    notes = report.catalog.overrides
    assert len(notes) == 2 and "not applied" not in notes[0] and "not applied" in notes[1]


def test_the_trace_shows_an_overridden_discount():
    s = step(run({"discount_pct": {"lambda": 10}}, {"discount_pct": {"lambda": 50}}))
    assert s.answer == "0 override(s), 1 discount(s)"
    assert s.because == (
        "50% off every lambda price; 10% off every lambda price (workload file): not applied, "
        "--prices gives 50% and beats the workload file"
    )


def lambda_duration(report):
    lam = next(o for o in report.workloads[0].options if o.platform == "lambda")
    return next(c for c in lam.cost_components if c.unit == "GB-seconds")


@pytest.mark.parametrize(
    ("file_prices", "cli_prices", "purchase", "said"),
    [
        # only --prices asks for a plan: it applies (it was dropped before), and the trace says whence
        (
            None,
            {"commitment": "savings-plan-1yr"},
            "savings-plan-1yr",
            "commitment savings-plan-1yr from ours.yml",
        ),
        # its older name too
        (None, {"ec2_commitment": "savings-plan-1yr"}, "savings-plan-1yr", "from ours.yml"),
        # both: --prices wins, and the file's commitment is listed as not applied
        (
            {"commitment": "savings-plan-1yr"},
            {"commitment": "on-demand"},
            "on-demand",
            "the workload file's savings-plan-1yr: not applied, --prices beats the workload file",
        ),
        # --prices without a commitment leaves the file's in force, and says nothing of it
        (
            {"commitment": "savings-plan-1yr"},
            {"overrides": {"lambda/requests": 0.12}},
            "savings-plan-1yr",
            None,
        ),
    ],
)
def test_the_prices_files_commitment_beats_the_workload_files(file_prices, cli_prices, purchase, said):
    report = run(file_prices, cli_prices)
    assert lambda_duration(report).purchase == purchase
    because = step(report).because
    if said is None:
        assert "commitment" not in because
    else:
        assert said in because
