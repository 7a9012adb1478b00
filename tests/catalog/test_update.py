"""`prices update` offline against offer files in the real Price List format; atomic rewrite."""

from __future__ import annotations

import importlib.util
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wheretorun.catalog.store import load_catalog_dir
from wheretorun.catalog.update import update_catalog
from wheretorun.cli import app
from wheretorun.errors import InputError

_spec = importlib.util.spec_from_file_location(
    "import_fixtures", Path(__file__).resolve().parents[1] / "importers" / "fixtures.py"
)
fx = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules["import_fixtures"] = fx
_spec.loader.exec_module(fx)  # type: ignore[union-attr]


@pytest.fixture
def offers(tmp_path: Path) -> Path:
    d = tmp_path / "offers"
    fx.offer_file(d / "AmazonEC2" / "us-east-1" / "index.json", "AmazonEC2")
    fx.offer_file(d / "AWSLambda-us-east-1.json", "AWSLambda")
    return d


def test_ec2_price_is_refreshed_with_source_and_date(tmp_path, offers):
    target = tmp_path / "catalog"
    changes = update_catalog(target, ["ec2"], ["us-east-1"], offers)
    assert [(c.key, c.new) for c in changes] == [("ec2/g5.2xlarge", "1.1")]  # the Linux SKU, not Windows
    cat = load_catalog_dir(target)
    entry = cat.prices["ec2/g5.2xlarge"]
    assert entry.regions["us-east-1"] == Decimal("1.1")
    assert "published 2026-11-01" in entry.source and entry.as_of.isoformat() == "2026-11-01"
    assert cat.prices["ec2/g5.xlarge"].regions["us-east-1"] == Decimal("1.006")  # not in the offer: unchanged


def test_lambda_unchanged_prices_make_no_change(tmp_path, offers):
    assert update_catalog(tmp_path / "c", ["lambda"], ["us-east-1"], offers) == []


def test_a_failure_leaves_the_old_catalog_whole(tmp_path, offers):
    target = tmp_path / "catalog"
    update_catalog(target, ["ec2"], ["us-east-1"], offers)
    before = {p.name: p.read_text() for p in target.glob("*.yml")}
    bad = tmp_path / "bad"
    (bad / "AmazonEC2" / "us-east-1").mkdir(parents=True)
    (bad / "AmazonEC2" / "us-east-1" / "index.json").write_text("{not json")
    with pytest.raises(InputError):
        update_catalog(target, ["ec2"], ["us-east-1"], bad)
    assert {p.name: p.read_text() for p in target.glob("*.yml")} == before
    assert not (tmp_path / "catalog.new").exists()


def test_missing_offer_file_and_bad_service_are_input_errors(tmp_path, offers):
    with pytest.raises(InputError) as exc:
        update_catalog(tmp_path / "c", ["ec2"], ["eu-west-1"], offers)
    assert "no offer file" in str(exc.value)
    with pytest.raises(InputError):
        update_catalog(tmp_path / "c", ["sagemakr"], ["us-east-1"], offers)


def test_cli_prints_the_changes(tmp_path, offers):
    result = CliRunner().invoke(
        app,
        [
            "prices",
            "update",
            "--service",
            "ec2",
            "--region",
            "us-east-1",
            "--from-dir",
            str(offers),
            "--catalog-dir",
            str(tmp_path / "c"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "ec2/g5.2xlarge" in result.stdout and "-9.2%" in result.stdout
    assert "WHERETORUN_CATALOG_DIR" in result.stdout
