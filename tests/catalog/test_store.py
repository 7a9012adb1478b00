"""The shipped catalog validates, and a broken one fails loudly with a CatalogError naming the entry."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from wheretorun.catalog.store import (
    DATA_DIR,
    SUPPORTED_REGIONS,
    CatalogError,
    load_catalog,
    load_catalog_dir,
)
from wheretorun.errors import InputError

SHIPPED = load_catalog_dir(DATA_DIR)


# ---- the shipped catalog ------------------------------------------------------------------------
def test_every_price_has_source_date_and_no_negative_figure() -> None:
    for e in SHIPPED.prices.values():
        assert e.source.strip() and isinstance(e.as_of, dt.date), e.key
        flat = list(e.regions.values())
        tiered = [t.price for tiers in e.tiers.values() for t in tiers]
        assert all(v >= 0 for v in flat + tiered), e.key


@pytest.mark.parametrize("region", SUPPORTED_REGIONS)
def test_every_price_covers_every_region_or_says_why_not(region: str) -> None:
    for e in SHIPPED.prices.values():
        assert region in e.region_names or len(e.unavailable.get(region, "")) >= 10, e.key


def test_every_instance_is_priced_and_has_a_known_accelerator() -> None:
    for inst in SHIPPED.instances.values():
        assert SHIPPED.prices[inst.price_key].unit == "instance-hours", inst.type
        assert inst.memory_gib > 0
        if inst.accelerator:
            assert inst.accelerator in SHIPPED.accelerators, inst.type
            assert inst.accelerator_count >= 1 and inst.accelerator_memory_gb > 0, inst.type


def test_issue_instance_families_are_all_present() -> None:
    families = {i.family for i in SHIPPED.instances.values() if not i.type.startswith("ml.")}
    assert {"g4dn", "g5", "g6", "g6e", "p4d", "p4de", "p5", "p5en", "inf2", "trn1", "m7g"} <= families
    sagemaker = {i.family for i in SHIPPED.instances.values() if i.type.startswith("ml.")}
    assert {"g5", "g6", "p4d", "p5"} <= sagemaker


def test_p_family_prices_are_after_the_june_2025_cut() -> None:
    # p5.48xlarge was $98.32/h before the cut (SkyPilot catalog @001367d2); $55.04 after.
    c = load_catalog("us-east-1")
    assert c.price("ec2/p5.48xlarge").value == Decimal("55.04")
    assert "June 2025" in (c.entry("ec2/p5.48xlarge").note or "")


def test_regional_prices_differ_where_aws_charges_more() -> None:
    use1, usw2, euw1 = (load_catalog(r) for r in SUPPORTED_REGIONS)
    assert usw2.price("ec2/g5.2xlarge").value == use1.price("ec2/g5.2xlarge").value == Decimal("1.212")
    assert euw1.price("ec2/g5.2xlarge").value == Decimal("1.35296")


def test_not_offered_is_not_priced_and_says_why() -> None:
    eu = load_catalog("eu-west-1")
    assert not eu.has_price("ec2/p5.48xlarge")
    assert "not offered" in (eu.unavailable_reason("ec2/p5.48xlarge") or "")
    with pytest.raises(KeyError, match="not offered"):
        eu.price("ec2/p5.48xlarge")
    assert all(i.type != "p5.48xlarge" for i in eu.priced_instances())


def test_verified_flag_is_per_region() -> None:
    # NAT gateway: us-east-1 confirmed, the eu-west-1 $0.048 is not.
    assert load_catalog("us-east-1").price("nat/hours").verified
    assert not load_catalog("eu-west-1").price("nat/hours").verified
    assert "UNVERIFIED" in load_catalog("eu-west-1").price("nat/hours").cite()


def test_new_key_families_exist_with_the_contracted_names() -> None:
    c = load_catalog("us-east-1")
    for key in (
        "lambda/provisioned-concurrency-x86",
        "lambda/provisioned-duration-x86",
        "fargate/vcpu-arm64",
        "fargate/spot-discount",
        "apigateway/rest-requests",
        "nat/hours",
        "nat/data-processed",
        "data-transfer/out-internet",
        "bedrock/batch-discount",
        "bedrock/custom-model-import/cmu-minutes",
        "bedrock/custom-model-import/storage",
        "sagemaker/serverless-compute",
    ):
        assert c.has_price(key), key
    assert len(c.price("apigateway/rest-requests").tiers) == 4
    assert [t.price for t in c.price("data-transfer/out-internet").tiers] == [
        Decimal("0.09"),
        Decimal("0.085"),
        Decimal("0.07"),
        Decimal("0.05"),
    ]


def test_catalog_is_cached_per_directory() -> None:
    assert load_catalog("us-east-1").prices is load_catalog("eu-west-1").prices


def test_unknown_region_is_an_input_error_with_a_suggestion() -> None:
    with pytest.raises(InputError, match="w.yml: region: .*did you mean 'eu-west-1'"):
        load_catalog("us-east-1").in_region("eu-wset-1", file="w.yml")


# ---- broken catalogs --------------------------------------------------------------------------
GOOD_PRICE = {
    "key": "lambda/requests",
    "description": "Requests",
    "unit": "1M requests",
    "source": "https://aws.amazon.com/lambda/pricing/",
    "as_of": "2026-10-01",
    "regions": {"us-east-1": "0.20", "us-west-2": "0.20", "eu-west-1": "0.20"},
}


def _catalog_dir(tmp_path: Path, prices: list[dict], instances: list[dict] | None = None) -> Path:
    """A minimal catalog: the shipped models/engineering/accelerators plus the given prices."""
    d = tmp_path / "catalog"
    d.mkdir()
    for name in ("models.yml", "engineering.yml", "accelerators.yml"):
        shutil.copy(DATA_DIR / name, d / name)
    (d / "p.yml").write_text(yaml.safe_dump({"service": "test", "title": "t", "prices": prices}))
    if instances is not None:
        (d / "i.yml").write_text(yaml.safe_dump({"instances": instances}))
    return d


def test_minimal_catalog_loads(tmp_path: Path) -> None:
    c = load_catalog_dir(_catalog_dir(tmp_path, [GOOD_PRICE]))
    assert c.price("lambda/requests").value == Decimal("0.20")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # a negative price
        (
            {"regions": {"us-east-1": "-0.20", "us-west-2": "0.20", "eu-west-1": "0.20"}},
            "greater than or equal to 0",
        ),
        # no date
        ({"as_of": None}, "as_of"),
        # no source
        ({"source": ""}, "source"),
        # a unit the catalog does not know
        ({"unit": "furlongs"}, "unit"),
        # a region missing without a reason
        ({"regions": {"us-east-1": "0.20", "us-west-2": "0.20"}}, "no figure for eu-west-1"),
        # a region the catalog does not support
        ({"regions": {**GOOD_PRICE["regions"], "mars-1": "1"}}, "unknown region"),
        # priced and marked unavailable at once
        ({"unavailable": {"eu-west-1": "not offered in Ireland"}}, "both priced and marked unavailable"),
        # tier bounds out of order
        (
            {
                "regions": {},
                "tiers": {
                    r: [{"up_to": 10, "price": "1"}, {"up_to": 5, "price": "0.9"}, {"price": "0.8"}]
                    for r in SUPPORTED_REGIONS
                },
            },
            "tier bounds must strictly increase",
        ),
        # an unbounded tier that is not the last
        (
            {"regions": {}, "tiers": {r: [{"price": "1"}, {"price": "0.9"}] for r in SUPPORTED_REGIONS}},
            "only the last tier is unbounded",
        ),
    ],
)
def test_broken_price_fails_with_a_clear_catalog_error(tmp_path: Path, change: dict, message: str) -> None:
    entry = {**GOOD_PRICE, **change}
    entry = {k: v for k, v in entry.items() if v is not None}
    with pytest.raises(CatalogError, match=message):
        load_catalog_dir(_catalog_dir(tmp_path, [entry]))


GOOD_INSTANCE = {
    "type": "g5.xlarge",
    "accelerator": "A10G",
    "accelerator_count": 1,
    "accelerator_memory_gb": 24,
    "vcpu": 4,
    "memory_gib": 16,
    "price_key": "ec2/g5.xlarge",
    "source": "https://aws.amazon.com/ec2/instance-types/",
    "as_of": "2026-08-26",
}
G5_PRICE = {
    **GOOD_PRICE,
    "key": "ec2/g5.xlarge",
    "description": "g5",
    "unit": "instance-hours",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"price_key": "ec2/g5.xlarg"},
            "has no price entry.*did you mean 'ec2/g5.xlarge'",
        ),  # a typo in the key
        ({"price_key": "lambda/requests"}, "not instance-hours"),  # a price in the wrong unit
        ({"memory_gib": 0}, "memory_gib"),  # no memory
        ({"accelerator_count": 0}, "given together"),  # an accelerator without a count
        ({"accelerator": "B200"}, "accelerator"),  # an accelerator the catalog does not know
    ],
)
def test_broken_instance_fails_with_a_clear_catalog_error(tmp_path: Path, change: dict, message: str) -> None:
    d = _catalog_dir(tmp_path, [GOOD_PRICE, G5_PRICE], [{**GOOD_INSTANCE, **change}])
    with pytest.raises(CatalogError, match=message):
        load_catalog_dir(d)


def test_invalid_yaml_is_a_catalog_error(tmp_path: Path) -> None:
    d = _catalog_dir(tmp_path, [GOOD_PRICE])
    (d / "broken.yml").write_text("prices: [\n")
    with pytest.raises(CatalogError, match="broken.yml: invalid YAML"):
        load_catalog_dir(d)


def test_catalog_dir_env_var_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = _catalog_dir(tmp_path, [GOOD_PRICE])
    monkeypatch.setenv("WHERETORUN_CATALOG_DIR", str(d))
    assert set(load_catalog("us-east-1").prices) == {"lambda/requests"}


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda root: root / "missing", "no catalog files in"),
        (lambda root: _broken(root), "broken.yml: invalid YAML"),
    ],
)
def test_a_bad_catalog_dir_is_the_users_to_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make, said
) -> None:
    """WHERETORUN_CATALOG_DIR is the user's setting: a wrong one is exit 2 naming it (it was an
    internal error asking for a bug report); the shipped catalog's own errors stay internal."""
    from wheretorun.errors import InputError

    d = make(tmp_path)
    monkeypatch.setenv("WHERETORUN_CATALOG_DIR", str(d))
    with pytest.raises(InputError) as caught:
        load_catalog("us-east-1")
    (problem,) = caught.value.problems
    assert problem.file == "WHERETORUN_CATALOG_DIR" and said in problem.message
    assert "\n" not in problem.message and "unset it" in problem.message


def _broken(root: Path) -> Path:
    d = _catalog_dir(root, [GOOD_PRICE])
    (d / "broken.yml").write_text("prices: [\n")
    return d
