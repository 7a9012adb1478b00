"""examples/organisation-inventory.yml checked by hand (issue 15): its shared costs, one workload's
marginal engineering, and the joint against the standalone total.

Team: ops_capacity limited (x1.0), $120/h, setup amortised over 12 months, runs_today [lambda,
eks-ec2] (their fixed engineering is sunk). Engineering hours from catalog/data/engineering.yml.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from wheretorun import load_workloads, recommend
from wheretorun.decide import portfolio as pf

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "organisation-inventory.yml"
RATE = Decimal(120)


def hours(setup: str, upkeep: str, oncall: str) -> Decimal:
    """Monthly hours: setup / 12 months + upkeep + on-call."""
    return Decimal(setup) / 12 + Decimal(upkeep) + Decimal(oncall)


@pytest.fixture(scope="module")
def report():
    return recommend(load_workloads(EXAMPLE), file=str(EXAMPLE), base_dir=EXAMPLE.parent)


def test_it_is_an_organisation_inventory(report):
    assert len(report.workloads) >= 30
    assert {w.name.split("/")[0] for w in report.workloads} == {"search", "support", "billing", "data"}


def test_the_shared_costs_by_hand(report):
    by_name = {s.name: s.monthly_usd for s in report.shared_costs}
    assert by_name == {
        # one cluster for the file: 730 h x $0.10
        "EKS cluster (control plane)": Decimal(730) * Decimal("0.10"),
        # one NAT gateway per zone for the file's VPC (the EKS nodes sit in private subnets):
        # 2 AZs x 730 h x $0.045 = $65.70, however many workloads run there
        "NAT gateway (2 AZs)": 2 * Decimal(730) * Decimal("0.045"),
        # eks-ec2:gpu's fixed part on top of eks-ec2 (sunk): 16 h / 12 + 4 + 3 = 8.3333 h x $120 = $1,000
        "Platform fixed engineering: eks-ec2:gpu (shared by the file's workloads on it)": hours(
            "16", "4", "3"
        )
        * RATE,
        # bedrock: 2 h / 12 + 0.5 + 0.25 = 0.91667 h x $120 = $110
        "Platform fixed engineering: bedrock (shared by the file's workloads on it)": hours(
            "2", "0.5", "0.25"
        )
        * RATE,
    }
    # lambda and eks-ec2 are in team.runs_today: neither has a fixed-engineering line above


def test_one_workloads_marginal_engineering_by_hand(report):
    w = next(w for w in report.workloads if w.name == "support/summariser")
    assert (w.recommendation.platform, w.chosen.extras.get("uses_gpu")) == ("eks-ec2", True)
    # eks-ec2:gpu marginal: 16 h / 12 + 6 + 2.5 = 9.8333 h x $120 = $1,180.00, all its own engineering
    assert w.recommendation.monthly_cost_usd.ops == hours("16", "6", "2.5") * RATE
    # a glue function on Lambda: 2 h / 12 + 0.5 + 0.25 = 0.91667 h x $120 = $110.00
    glue = next(w for w in report.workloads if w.name == "support/webhook-ingest")
    assert glue.recommendation.platform == "lambda"
    assert glue.recommendation.monthly_cost_usd.ops == hours("2", "0.5", "0.25") * RATE


def test_the_joint_and_standalone_totals_by_hand(report):
    own = sum(w.recommendation.monthly_cost_usd.total for w in report.workloads)
    shared = sum(s.monthly_usd for s in report.shared_costs)
    assert report.total_monthly_cost_usd == own + shared == report.portfolio.joint_total_usd
    # standalone: each workload on its best-alone option; each shared line its options carry, once
    alone_own = Decimal(0)
    lines: dict[str, Decimal] = {}
    for w in report.workloads:
        r = w.recommendation
        for options, pick, standalone in (
            (w.options, r.platform, r.standalone_platform),
            (w.model_options, r.model_platform, r.standalone_model_platform),
        ):
            if not pick:
                continue
            o = next(o for o in options if o.platform == (standalone or pick) and o.feasible)
            alone_own += sum(pf.own_cost(o))
            lines.update({c.price_key: c.monthly_usd for c in pf.shared_lines(o)})
    assert report.portfolio.standalone_total_usd == alone_own + sum(lines.values())
    # the batch labelling moves to Bedrock (its fixed engineering paid for the agents) and the weekly
    # fine-tune to the EKS GPU pool the summariser opens: the file costs less placed together
    assert report.portfolio.moved == ["data/nightly-labelling", "data/weekly-fine-tune"]
    assert report.portfolio.joint_total_usd < report.portfolio.standalone_total_usd
