"""`wheretorun diff` and `--fail-above`: the change a reviewer reads, and the CI guardrail."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from wheretorun.cli import app
from wheretorun.report.model import (
    CatalogInfo,
    MonthlyCost,
    Recommendation,
    Report,
    UsageSummary,
    WorkloadReport,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "ai-product.yml"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "120"})


def _workload(name: str, platform: str, infra: str, ops: str, model: str | None = None) -> WorkloadReport:
    i, o = Decimal(infra), Decimal(ops)
    return WorkloadReport(
        name=name,
        role="inference",
        recommendation=Recommendation(
            platform=platform,
            pattern="p",
            summary="s",
            model_platform=model,
            monthly_cost_usd=MonthlyCost(infra=i, ops=o, total=i + o),
        ),
        options=[],
        trace=[],
        usage=UsageSummary(
            requests_per_month=1e6,
            mean_requests_per_s=0.38,
            peak_requests_per_s=1,
            tokens_per_month=0,
            duration_s=1,
            memory_gb=1,
        ),
    )


def _result(path: Path, workloads: list[WorkloadReport], shared: str = "0") -> Path:
    total = sum((w.recommendation.monthly_cost_usd.total for w in workloads), Decimal(shared))
    report = Report(
        catalog=CatalogInfo(as_of="2026-11-22", region="us-east-1"),
        workloads=workloads,
        total_monthly_cost_usd=total,
    )
    path.write_text(report.to_json())
    return path


@pytest.fixture
def results(tmp_path: Path) -> tuple[Path, Path]:
    old = _result(
        tmp_path / "old.json",
        [
            _workload("agent", "lambda", "100.10", "440", model="bedrock"),  # total 540.10
            _workload("search", "fargate", "200", "1200"),  # total 1,400.00, removed in new
            _workload("batch", "aws-batch", "50", "100"),  # total 150.00, unchanged
        ],
    )
    new = _result(
        tmp_path / "new.json",
        [
            _workload("agent", "ecs-ec2", "300.35", "2080", model="bedrock"),  # total 2,380.35
            _workload("batch", "aws-batch", "50", "100"),
            _workload("embed", "lambda", "10", "440"),  # total 450.00, added
        ],
    )
    return old, new


def test_diff_of_two_results_in_json(results: tuple[Path, Path]) -> None:
    result = run("diff", str(results[0]), str(results[1]), "--format", "json")
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    # old total 540.10 + 1,400.00 + 150.00 = 2,090.10; new 2,380.35 + 150.00 + 450.00 = 2,980.35
    assert d["old"]["total_monthly_cost_usd"] == 2090.10 and d["new"]["total_monthly_cost_usd"] == 2980.35
    # change 2,980.35 - 2,090.10 = +890.25; infra (300.35 - 100.10) - 200 + 10 = +10.25;
    # engineering (2,080 - 440) - 1,200 + 440 = +880.00; 890.25 / 2,090.10 = +42.59 %
    assert d["change"]["total_usd"] == 890.25
    assert d["change"]["infra_usd"] == 10.25 and d["change"]["engineering_usd"] == 880.0
    assert round(d["change"]["percent"], 2) == 42.59
    by = {w["name"]: w for w in d["workloads"]}
    assert [w["name"] for w in d["workloads"]] == ["agent", "batch", "embed", "search"]
    assert by["agent"]["status"] == "moved"
    assert (by["agent"]["old"]["runs_on"], by["agent"]["new"]["runs_on"]) == (
        "lambda + bedrock",
        "ecs-ec2 + bedrock",
    )
    assert by["agent"]["change"]["total_usd"] == 1840.25  # 2,380.35 - 540.10
    assert (by["search"]["status"], by["search"]["new"], by["search"]["change"]["total_usd"]) == (
        "removed",
        None,
        -1400.0,
    )
    assert (by["embed"]["status"], by["embed"]["old"], by["embed"]["change"]["total_usd"]) == (
        "added",
        None,
        450.0,
    )
    assert by["batch"]["status"] == "unchanged" and by["batch"]["change"]["total_usd"] == 0.0


def test_diff_markdown_is_a_pull_request_comment(results: tuple[Path, Path]) -> None:
    result = run("diff", str(results[0]), str(results[1]), "--format", "markdown")
    assert result.exit_code == 0, result.output
    md = result.stdout
    assert md.startswith("### wheretorun: monthly cost change\n")
    assert (
        "**+$890.25/month (from $2,090.10 to $2,980.35, +42.6%): infrastructure +$10.25, engineering +$880.00.**"
        in md
    )
    assert (
        "| agent | lambda + bedrock -> ecs-ec2 + bedrock | +$200.25 | +$1,640.00 | $540.10 | $2,380.35 | **+$1,840.25** |"
        in md
    )
    assert "| search (removed) | fargate | -$200.00 | -$1,200.00 | $1,400.00 | - | **-$1,400.00** |" in md
    assert "| embed (added) | lambda | +$10.00 | +$440.00 | - | $450.00 | **+$450.00** |" in md
    assert "batch |" not in md and "1 workload unchanged." in md


def test_diff_table(results: tuple[Path, Path]) -> None:
    result = run("diff", str(results[0]), str(results[1]))
    assert result.exit_code == 0, result.output
    total = next(line for line in result.stdout.splitlines() if line.startswith("Total"))
    assert total.split()[-3:] == ["$2,090.10", "$2,980.35", "+$890.25"]


@pytest.mark.parametrize(
    ("budget", "code"),
    [
        ("890.24", 3),  # the increase, +$890.25, is a cent above: exceeded
        ("890.25", 0),  # equal is within the budget
        ("$1,000", 0),
    ],
)
def test_diff_fail_above_the_increase(results: tuple[Path, Path], budget: str, code: int) -> None:
    result = run("diff", str(results[0]), str(results[1]), "--format", "json", "--fail-above", budget)
    assert result.exit_code == code, result.output
    assert json.loads(result.stdout)["change"]["total_usd"] == 890.25  # the output is written either way
    if code == 3:
        assert "budget exceeded: the increase of $890.25/month is above --fail-above $890.24" in result.stderr


def test_diff_of_two_workload_files_agrees_with_recommend(tmp_path: Path) -> None:
    spec = yaml.safe_load(EXAMPLE.read_text())
    spec["workloads"][0]["requests_per_month"] *= 2  # twice the support agent's traffic
    new = tmp_path / "new.yml"
    new.write_text(yaml.safe_dump(spec))
    before = json.loads(run("recommend", str(EXAMPLE), "--format", "json").stdout)
    after = json.loads(run("recommend", str(new), "--format", "json").stdout)
    d = json.loads(run("diff", str(EXAMPLE), str(new), "--format", "json").stdout)
    expected = after["total_monthly_cost_usd"] - before["total_monthly_cost_usd"]
    assert d["change"]["total_usd"] == pytest.approx(expected, abs=1e-6) and expected > 0
    assert [w["status"] for w in d["workloads"]][1:] == ["unchanged"] * 3


def test_recommend_fail_above_the_total(tmp_path: Path) -> None:
    total = json.loads(run("recommend", str(EXAMPLE), "--format", "json").stdout)["total_monthly_cost_usd"]
    over = run("recommend", str(EXAMPLE), "--format", "json", "--fail-above", f"{total - 0.01:.2f}")
    assert over.exit_code == 3 and json.loads(over.stdout)["total_monthly_cost_usd"] == total
    assert f"budget exceeded: the total ${total:,.2f}/month is above --fail-above" in over.stderr
    assert (
        run("recommend", str(EXAMPLE), "--format", "json", "--fail-above", f"{total + 0.01:.2f}").exit_code
        == 0
    )


@pytest.mark.parametrize("budget", ["lots", "-5", "nan"])
def test_a_budget_that_is_not_an_amount(budget: str) -> None:
    result = run("recommend", str(EXAMPLE), "--format", "json", "--fail-above", budget)
    assert result.exit_code == 2 and "--fail-above" in result.stderr and "Traceback" not in result.output


def test_diff_names_a_file_that_is_neither(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 1, "catalog": {}, "workloads": []}')
    result = run("diff", str(bad), str(EXAMPLE))
    assert result.exit_code == 2 and str(bad) in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("edit", "path", "said"),
    [
        # beyond any bill: refused on reading (it crashed the table and the budget check)
        (
            lambda d: d.update(total_monthly_cost_usd=-1e300),
            "total_monthly_cost_usd",
            "greater than or equal",
        ),
        (
            lambda d: d["workloads"][0]["recommendation"]["monthly_cost_usd"].update(total=1e308),
            "total",
            "less than",
        ),
        (lambda d: d.pop("workloads"), "workloads", "Field required"),
        (lambda d: d.update(total_monthly_cost_usd="lots"), "total_monthly_cost_usd", "valid decimal"),
    ],
)
def test_a_tampered_result_is_exit_2_with_the_field_path(tmp_path: Path, edit, path: str, said: str) -> None:
    result = run("recommend", str(EXAMPLE), "--format", "json")
    data = json.loads(result.stdout)
    edit(data)
    tampered = tmp_path / "result.json"
    tampered.write_text(json.dumps(data))
    for args in ((), ("--format", "markdown"), ("--fail-above", "5")):
        r = run("diff", str(EXAMPLE), str(tampered), *args)
        assert r.exit_code == 2, r.output
        assert f"{tampered}: " in r.stderr and path in r.stderr and said in r.stderr
        assert "internal error" not in r.stderr


UNPLACEABLE = {
    "name": "secret-model",
    "role": "inference",
    "requests_per_second": 20,
    "input_tokens": 1000,
    "output_tokens": 200,
    "model": {"id": "llama-3.1-8b", "weights": "proprietary"},  # weights nobody can deploy: no platform
}
GLUE = {"name": "glue", "role": "glue", "requests_per_month": 1000, "duration_s": 0.1}


def test_the_budget_guardrail_fails_closed_on_a_workload_nothing_prices(tmp_path: Path) -> None:
    """A workload no platform runs counts $0 in the total: under --fail-above that is not "within
    budget" but unknown, so the command exits 3 and names it (after writing the output)."""
    both = tmp_path / "both.yml"
    both.write_text(yaml.safe_dump({"workloads": [GLUE, UNPLACEABLE]}))
    glue = tmp_path / "glue.yml"
    glue.write_text(yaml.safe_dump({"workloads": [GLUE]}))
    for args in (("recommend", str(both), "--format", "json"), ("diff", str(glue), str(both))):
        result = run(*args, "--fail-above", "1000000")
        assert result.exit_code == 3, result.output
        assert (
            "budget not checked: no platform prices 1 workload(s) as described (secret-model)"
            in result.stderr
        )
        assert run(*args).exit_code == 0  # without a budget the answer stands, with its warnings
    assert run("recommend", str(glue), "--format", "json", "--fail-above", "1000000").exit_code == 0


@pytest.mark.parametrize("budget", ["1e999", "2e15", "-1", "NaN", "lots"])
def test_a_budget_no_bill_reaches_is_refused(budget: str) -> None:
    """--fail-above 1e999 was taken as a budget nothing exceeds: the guardrail never fired."""
    result = run("recommend", str(EXAMPLE), "--format", "json", "--fail-above", budget)
    assert result.exit_code == 2 and f"--fail-above: '{budget}' is not an amount" in result.stderr
