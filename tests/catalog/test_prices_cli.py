"""`wheretorun prices show`: exit codes, JSON shape, stale warning against a fixed today."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wheretorun.cli import app
from wheretorun.cli import prices as prices_cli

runner = CliRunner()


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["prices", "show", *args], env={"COLUMNS": "200"})


def test_json_lists_prices_with_provenance() -> None:
    result = run("--service", "lambda", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["region"] == "us-east-1" and doc["stale_after_days"] == 120
    rows = {r["key"]: r for r in doc["prices"]}
    assert set(rows) >= {"lambda/requests", "lambda/duration-x86", "lambda/provisioned-concurrency-x86"}
    assert all(r["service"] == "lambda" for r in rows.values())
    req = rows["lambda/requests"]
    assert (req["price"], req["unit"], req["verified"]) == ("0.20", "1M requests", True)
    assert req["source"].startswith("https://aws.amazon.com/lambda/pricing/") and req["as_of"] == "2026-10-01"
    assert [t["price"] for t in rows["lambda/duration-x86"]["tiers"]] == [
        "0.0000166667",
        "0.000015",
        "0.0000133334",
    ]
    assert rows["lambda/provisioned-concurrency-x86"]["verified"] is False


def test_unavailable_entries_are_listed_with_their_reason() -> None:
    doc = json.loads(run("--service", "ec2", "--region", "eu-west-1", "--json").stdout)
    p5 = next(r for r in doc["prices"] if r["key"] == "ec2/p5.48xlarge")
    assert p5["price"] is None and "not offered in eu-west-1" in p5["unavailable"]


def test_stale_warning_counts_old_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    # lambda figures are dated 2026-10-01 (requests/duration/storage/savings plans 1yr and 3yr: 6) and
    # 2026-11-22 (4).
    monkeypatch.setattr(prices_cli, "today", lambda: dt.date(2027, 3, 1))
    result = run("--service", "lambda")
    assert result.exit_code == 0
    assert "warning: 6 figure(s) are older than 120 days (oldest checked 2026-10-01)" in result.stderr
    assert "STALE" in result.stdout


def test_no_stale_warning_when_figures_are_fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prices_cli, "today", lambda: dt.date(2026, 11, 23))
    result = run("--service", "lambda")
    assert result.exit_code == 0 and "warning" not in result.stderr


def test_table_shows_unit_price_source_and_verified_flag() -> None:
    result = run("--service", "nat", "--region", "eu-west-1")
    assert result.exit_code == 0
    assert "nat/hours" in result.stdout and "$0.048" in result.stdout and "UNVERIFIED" in result.stdout


def test_models_lists_open_and_proprietary_with_bedrock_mapping() -> None:
    result = run("--service", "models", "--json")
    assert result.exit_code == 0
    models = {m["id"]: m for m in json.loads(result.stdout)["models"]}
    llama = models["llama-3.1-8b"]
    assert llama["weights"] == "open" and llama["bedrock_model_id"] == "meta.llama3-1-8b-instruct-v1:0"
    assert llama["bedrock_input_per_1m_tokens"] == "0.22"
    assert any(m["weights"] == "proprietary" for m in models.values())


def test_prices_file_is_applied_and_reported(tmp_path: Path) -> None:
    f = tmp_path / "p.yml"
    f.write_text("overrides:\n  ec2/g5.2xlarge: 0.95\n")
    doc = json.loads(run("--service", "ec2", "--json", "--prices", str(f)).stdout)
    g5 = next(r for r in doc["prices"] if r["key"] == "ec2/g5.2xlarge")
    assert g5["price"] == "0.95" and "catalog: $1.212" in g5["override"]
    assert doc["overrides"] and doc["overrides"][0].startswith("ec2/g5.2xlarge: $0.95")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--service", "lamda"), "error: --service: unknown service 'lamda' (did you mean 'lambda'?)"),
        (("--region", "eu-west-2"), "error: --region: region 'eu-west-2' is not in the catalog"),
    ],
)
def test_bad_input_exits_2_with_a_suggestion(args: tuple[str, ...], expected: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert expected in result.stderr and "Traceback" not in result.output


def test_bad_prices_file_exits_2_with_the_field_path(tmp_path: Path) -> None:
    f = tmp_path / "p.yml"
    f.write_text("overrides:\n  ec2/g5.2xlrge: 0.95\n")
    result = run("--prices", str(f))
    assert result.exit_code == 2
    assert (
        f"{f}: prices.overrides.ec2/g5.2xlrge: unknown price key (did you mean 'ec2/g5.2xlarge'?)"
        in result.stderr
    )
