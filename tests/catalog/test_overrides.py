"""User prices: negotiated rates and discounts merge over the catalog, are reported, and bad files fail with paths."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from wheretorun.catalog.bedrock import bedrock_prices
from wheretorun.catalog.overrides import apply_overrides, load_price_overrides, parse_price_overrides
from wheretorun.catalog.store import load_catalog
from wheretorun.errors import InputError
from wheretorun.spec.models import PriceOverrides

US = load_catalog("us-east-1")


def test_override_replaces_the_price_and_keeps_the_catalog_figure_in_the_note() -> None:
    c = apply_overrides(US, PriceOverrides(overrides={"ec2/g5.2xlarge": 0.95}), file="mine.yml")
    ref = c.price("ec2/g5.2xlarge")
    assert ref.value == Decimal("0.95")
    assert ref.override_note == "your price from mine.yml (catalog: $1.212 per instance-hours)"
    assert c.applied_overrides() == [
        "ec2/g5.2xlarge: $0.95 (your price from mine.yml (catalog: $1.212 per instance-hours))"
    ]
    # The shared catalog is untouched: one user's prices never leak into another request.
    assert US.price("ec2/g5.2xlarge").value == Decimal("1.212")


def test_discount_applies_to_every_tier() -> None:
    c = apply_overrides(US, PriceOverrides(discount_pct={"lambda": 10}))
    ref = c.price("lambda/duration-x86")
    assert [t.price for t in ref.tiers] == [
        Decimal("0.0000166667") * Decimal("0.9"),
        Decimal("0.000015") * Decimal("0.9"),
        Decimal("0.0000133334") * Decimal("0.9"),
    ]
    assert [t.up_to for t in ref.tiers] == [t.up_to for t in US.price("lambda/duration-x86").tiers]
    assert ref.override_note == "10% lambda discount from your prices file"


def test_discount_does_not_scale_percent_entries() -> None:
    c = apply_overrides(US, PriceOverrides(discount_pct={"fargate": 20}))
    assert c.price("fargate/spot-discount").value == US.price("fargate/spot-discount").value
    assert c.price("fargate/vcpu-x86").value == Decimal("0.04048") * Decimal("0.8")


def test_override_beats_discount_and_flattens_tiers() -> None:
    c = apply_overrides(
        US, PriceOverrides(overrides={"lambda/duration-x86": 0.000012}, discount_pct={"lambda": 10})
    )
    ref = c.price("lambda/duration-x86")
    assert ref.value == Decimal("0.000012")
    assert [t.price for t in ref.tiers] == [Decimal("0.000012")] and ref.tiers[0].up_to is None


def test_bedrock_token_price_can_be_overridden() -> None:
    key = "bedrock/meta.llama3-1-8b-instruct-v1:0/input"
    c = apply_overrides(US, PriceOverrides(overrides={key: 0.2}))
    prices = bedrock_prices("meta.llama3-1-8b-instruct-v1:0", c)
    assert prices is not None and prices.input.value == Decimal("0.2")


def test_unknown_key_and_service_are_input_errors_with_paths() -> None:
    with pytest.raises(InputError) as err:
        apply_overrides(
            US, PriceOverrides(overrides={"ec2/g5.2xlrge": 1.0}, discount_pct={"lamda": 5}), file="p.yml"
        )
    lines = [str(p) for p in err.value.problems]
    assert lines[0].startswith(
        "p.yml: prices.overrides.ec2/g5.2xlrge: unknown price key (did you mean 'ec2/g5.2xlarge'?)"
    )
    assert lines[1].startswith("p.yml: prices.discount_pct.lamda: unknown service (did you mean 'lambda'?)")


@pytest.mark.parametrize("wrapped", [False, True])
def test_load_yaml_prices_file(tmp_path: Path, wrapped: bool) -> None:
    body = (
        "overrides:\n  ec2/g5.2xlarge: 0.95\ndiscount_pct:\n  bedrock: 5\nec2_commitment: savings-plan-1yr\n"
    )
    if wrapped:
        body = "prices:\n" + "".join(f"  {line}\n" for line in body.splitlines())
    f = tmp_path / "prices.yml"
    f.write_text(body)
    prices = load_price_overrides(f)
    assert prices.overrides == {"ec2/g5.2xlarge": 0.95}
    assert prices.discount_pct == {"bedrock": 5}
    assert prices.ec2_commitment == "savings-plan-1yr"


def test_load_json_prices_file(tmp_path: Path) -> None:
    f = tmp_path / "prices.json"
    f.write_text(json.dumps({"overrides": {"lambda/requests": 0.18}}))
    assert load_price_overrides(f).overrides == {"lambda/requests": 0.18}


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        (
            {"overrides": {"ec2/g5.2xlarge": -1}},
            "prices.overrides.ec2/g5.2xlarge",
            "greater than or equal to 0",
        ),
        ({"discount_pct": {"ec2": 100}}, "prices.discount_pct.ec2", "less than 100"),
        ({"ec2_commitment": "forever"}, "prices.ec2_commitment", "on-demand"),
        ({"overides": {}}, "prices.overides", "did you mean 'overrides'"),
        ([1, 2], "prices", "expected a mapping"),
    ],
)
def test_bad_prices_data_names_the_field(data: object, path: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        parse_price_overrides(data, "p.yml")
    problem = err.value.problems[0]
    assert (problem.file, problem.path) == ("p.yml", path)
    assert message in problem.message


def test_missing_prices_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        load_price_overrides(tmp_path / "nope.yml")


def test_no_overrides_returns_the_same_catalog() -> None:
    assert apply_overrides(US, None) is US
    assert apply_overrides(US, PriceOverrides()) is US
