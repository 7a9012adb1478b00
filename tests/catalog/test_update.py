"""`prices update` offline, against offer files in the real Price List format: SKUs mapped by usage
type and attributes, figures rewritten in place (comments, anchors and every other field kept),
source and date recorded, and an atomic rewrite that a failure leaves whole."""

from __future__ import annotations

import difflib
import importlib.util
import sys
import urllib.error
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from wheretorun.catalog.store import DATA_DIR, SUPPORTED_REGIONS, catalog_files_dir, load_catalog_dir
from wheretorun.catalog.update import update_catalog
from wheretorun.catalog.update.rewrite import compose_yaml
from wheretorun.cli import app
from wheretorun.errors import InputError

_spec = importlib.util.spec_from_file_location(
    "import_fixtures", Path(__file__).resolve().parents[1] / "fixtures" / "importers" / "make_fixtures.py"
)
fx = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules["import_fixtures"] = fx
_spec.loader.exec_module(fx)  # type: ignore[union-attr]

runner = CliRunner()


def _diff(a: Path, b: Path) -> list[str]:
    """Changed lines between two files (without the context)."""
    old, new = a.read_text().splitlines(), b.read_text().splitlines()
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag != "equal":
            out += ["-" + line for line in old[i1:i2]] + ["+" + line for line in new[j1:j2]]
    return out


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    """EC2 and Lambda for us-east-1 and us-west-2, through the region index."""
    return fx.write_mirror(
        tmp_path / "price-list",
        {
            ("AmazonEC2", "us-east-1"): fx.ec2_offer("us-east-1", {"g5.2xlarge": "1.1000000000"}),
            ("AmazonEC2", "us-west-2"): fx.ec2_offer("us-west-2", {"g5.2xlarge": "1.2120000000"}),
            ("AWSLambda", "us-east-1"): fx.lambda_offer("us-east-1"),
            # us-west-2 duration 10 % dearer: its tiers stop sharing us-east-1's anchor
            ("AWSLambda", "us-west-2"): fx.lambda_offer(
                "us-west-2", x86=("0.0000183334", "0.0000165000", "0.0000146667")
            ),
        },
    )


def test_ec2_price_from_the_region_index_with_source_and_date(tmp_path, mirror):
    target = tmp_path / "catalog"
    changes = update_catalog(target, ["ec2"], ["us-east-1"], mirror)
    # the Linux shared-tenancy on-demand SKU, not the Windows or capacity-reservation twins
    assert [(c.key, c.old, c.new, c.changed) for c in changes] == [("ec2/g5.2xlarge", "1.212", "1.1", True)]
    assert changes[0].pct == pytest.approx(-9.24, abs=0.01)
    entry = load_catalog_dir(target).prices["ec2/g5.2xlarge"]
    assert entry.regions["us-east-1"] == Decimal("1.1")
    assert entry.regions["eu-west-1"] == Decimal("1.35296")  # not refreshed: as it was
    url = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/20261101000000/us-east-1/index.json"
    assert f"[AWS Price List: us-east-1 {url} (publicationDate 2026-11-01, SKU LNX00000)]" in entry.source
    assert entry.source.startswith("tsaol/aws-gpu")  # the earlier source is kept for the other regions
    assert entry.as_of.isoformat() == "2026-08-26"  # two regions still carry the older figures


def test_only_the_figures_source_and_date_lines_change(tmp_path, mirror):
    target = tmp_path / "catalog"
    update_catalog(target, ["ec2", "lambda"], ["us-east-1", "us-west-2"], mirror)
    ec2 = _diff(DATA_DIR / "ec2.yml", catalog_files_dir(target) / "ec2.yml")
    assert ec2 == [
        "-  source: 'tsaol/aws-gpu data/g5_instances.js @299375be (generated from instances.vantage.sh, "
        "''Last updated: 2026-08-26''; per-region on-demand",
        "-    and ''reserved'' rates); skypilot-org/skypilot-catalog catalogs/v7/aws/vms.csv @001367d2 agrees "
        "for us-east-1'",
        ec2[2],  # the new source, one line
        "-    us-east-1: '1.212'",
        "+    us-east-1: '1.1'",
    ]
    assert (
        ec2[2].startswith('+  source: "tsaol/aws-gpu') and "SKU LNX00000" in ec2[2] and "us-west-2" in ec2[2]
    )
    # the file's comments are all still there
    assert [line for line in (DATA_DIR / "ec2.yml").read_text().splitlines() if line.startswith("#")] == [
        line
        for line in (catalog_files_dir(target) / "ec2.yml").read_text().splitlines()
        if line.startswith("#")
    ]
    # files with nothing to refresh are byte for byte the embedded ones
    assert (catalog_files_dir(target) / "models.yml").read_bytes() == (DATA_DIR / "models.yml").read_bytes()


def test_shared_tiers_are_written_out_only_where_they_now_differ(tmp_path, mirror):
    target = tmp_path / "catalog"
    changes = update_catalog(target, ["lambda"], ["us-east-1", "us-west-2"], mirror)
    changed = {(c.key, c.region) for c in changes if c.changed}
    assert changed == {("lambda/duration-x86", "us-west-2")}
    prices = load_catalog_dir(target).prices
    x86 = prices["lambda/duration-x86"].tiers
    assert [t.price for t in x86["us-west-2"]] == [
        Decimal("0.0000183334"),
        Decimal("0.0000165"),
        Decimal("0.0000146667"),
    ]
    assert [t.up_to for t in x86["us-west-2"]] == [Decimal(6_000_000_000), Decimal(15_000_000_000), None]
    assert x86["us-east-1"] == x86["eu-west-1"]  # eu-west-1 still shares us-east-1's tiers
    assert x86["eu-west-1"][0].price == Decimal("0.0000166667")
    text = (catalog_files_dir(target) / "lambda.yml").read_text()
    assert "us-east-1: &x86" in text and "eu-west-1: *x86" in text and "us-west-2: *x86" not in text
    assert "us-west-2: *arm" in text  # arm64 confirmed unchanged: still an alias
    # refreshed regions are no longer unverified; eu-west-1 was not read, so it still is
    assert prices["lambda/duration-x86"].unverified_regions == ["eu-west-1"]
    assert prices["lambda/requests"].unverified_regions == []


def test_confirmed_figures_record_the_check_without_changing(tmp_path, mirror):
    target = tmp_path / "catalog"
    changes = update_catalog(target, ["lambda"], ["us-east-1"], mirror)
    assert changes and not any(c.changed for c in changes)
    entry = load_catalog_dir(target).prices["lambda/requests"]
    assert entry.regions["us-east-1"] == Decimal("0.20")
    assert "(publicationDate 2026-11-01, SKU GU2ZS9HVP6QTQ7KE)" in entry.source


def test_every_mapped_figure_of_the_catalog_round_trips(tmp_path):
    """All four services in every region, each price 10 % up: every mapped entry changes to exactly
    the offer's figure, whatever its layout in the data files, and nothing else changes."""
    embedded = load_catalog_dir(DATA_DIR)

    def up(value: Decimal) -> str:
        return str((value * Decimal("1.1")).quantize(Decimal("1e-10")))

    def flat(key: str, region: str) -> str | None:
        e = embedded.prices.get(key)
        return up(e.regions[region]) if e is not None and region in e.regions else None

    offers = {}
    for region in SUPPORTED_REGIONS:
        ec2 = {k.split("/", 1)[1]: flat(k, region) for k in embedded.prices if k.startswith("ec2/")}
        sm = {k.split("/", 1)[1]: flat(k, region) for k in embedded.prices if k.startswith("sagemaker/ml.")}
        offers[("AmazonEC2", region)] = fx.ec2_offer(region, {k: v for k, v in ec2.items() if v})
        offers[("AmazonSageMaker", region)] = fx.sagemaker_offer(region, {k: v for k, v in sm.items() if v})
        offers[("AWSLambda", region)] = fx.lambda_offer(
            region,
            request=up(embedded.prices["lambda/requests"].regions[region] / 1_000_000),
            x86=tuple(up(t.price) for t in embedded.prices["lambda/duration-x86"].tiers[region]),
            arm=tuple(up(t.price) for t in embedded.prices["lambda/duration-arm64"].tiers[region]),
        )
        offers[("AmazonECS", region)] = fx.fargate_offer(
            region,
            *(flat(f"fargate/{k}", region) for k in ("vcpu-x86", "memory-x86", "vcpu-arm64", "memory-arm64")),
        )
    mirror = fx.write_mirror(tmp_path / "price-list", offers)
    target = tmp_path / "catalog"
    changes = update_catalog(
        target, ["ec2", "sagemaker", "lambda", "fargate"], list(SUPPORTED_REGIONS), mirror
    )
    assert changes and all(c.changed for c in changes)
    after = load_catalog_dir(target)
    touched = {c.key for c in changes}
    assert {
        "ec2/g5.2xlarge",
        "sagemaker/ml.g5.2xlarge",
        "lambda/duration-arm64",
        "fargate/memory-arm64",
    } <= touched
    for key, before in embedded.prices.items():
        now = after.prices[key]
        if key not in touched:
            assert now == before, key
            continue
        assert now.as_of.isoformat() == "2026-11-01" and now.unverified_regions == [], key
        for region, value in before.regions.items():
            assert now.regions[region] == Decimal(up(value)), (key, region)
        for region, tiers in before.tiers.items():
            assert [t.price for t in now.tiers[region]] == [Decimal(up(t.price)) for t in tiers], (
                key,
                region,
            )
        assert (now.description, now.unit, now.note, now.unavailable) == (
            before.description,
            before.unit,
            before.note,
            before.unavailable,
        )
    # comments survive in every file
    for path in DATA_DIR.glob("*.yml"):
        comments = [line for line in path.read_text().splitlines() if line.lstrip().startswith("#")]
        assert comments == [
            line
            for line in (catalog_files_dir(target) / path.name).read_text().splitlines()
            if line.lstrip().startswith("#")
        ], path.name


def test_a_second_update_replaces_its_own_note(tmp_path, mirror):
    target = tmp_path / "catalog"
    update_catalog(target, ["ec2"], ["us-east-1"], mirror)
    update_catalog(target, ["ec2"], ["us-east-1"], mirror)  # refreshes the copy, not the embedded one
    source = load_catalog_dir(target).prices["ec2/g5.2xlarge"].source
    assert source.count("AWS Price List") == 1 and source.count("us-east-1 https://") == 1


@pytest.mark.parametrize(
    "breakage, message",
    [
        ("{not json", "invalid JSON"),
        # a negative price passes the mapper but not the catalog's validation
        ("negative", "update refused, the old catalog is unchanged"),
    ],
)
def test_a_failure_leaves_the_old_catalog_whole(tmp_path, mirror, breakage, message):
    target = tmp_path / "catalog"
    update_catalog(target, ["ec2"], ["us-east-1"], mirror)
    before = {p.name: p.read_bytes() for p in catalog_files_dir(target).glob("*.yml")}
    bad = tmp_path / "bad"
    if breakage == "negative":
        fx.write_mirror(bad, {("AmazonEC2", "us-east-1"): fx.ec2_offer("us-east-1", {"g5.2xlarge": "-1.0"})})
    else:
        fx.write_mirror(bad, {("AmazonEC2", "us-east-1"): fx.ec2_offer("us-east-1", {})})
        next(bad.rglob("2026*/us-east-1/index.json")).write_text(breakage)
    with pytest.raises(InputError) as exc:
        update_catalog(target, ["ec2"], ["us-east-1"], bad)
    assert message in str(exc.value)
    assert {p.name: p.read_bytes() for p in catalog_files_dir(target).glob("*.yml")} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad", "catalog", "price-list"]
    assert len(list((target / "versions").iterdir())) == 1  # no staging left behind


def test_single_downloaded_files_are_accepted(tmp_path):
    d = tmp_path / "offers"
    (d / "AmazonEC2" / "us-east-1").mkdir(parents=True)
    import json

    (d / "AmazonEC2" / "us-east-1" / "index.json").write_text(
        json.dumps(fx.ec2_offer("us-east-1", {"g5.xlarge": "1.0"}))
    )
    changes = update_catalog(tmp_path / "c", ["ec2"], ["us-east-1"], d)
    assert [(c.key, c.new) for c in changes] == [("ec2/g5.xlarge", "1")]


def test_missing_offer_file_bad_service_and_region_are_input_errors(tmp_path, mirror):
    with pytest.raises(InputError) as exc:
        update_catalog(tmp_path / "c", ["ec2"], ["eu-west-1"], mirror)
    assert "lists no offer file for eu-west-1" in str(exc.value)
    with pytest.raises(InputError) as exc:
        update_catalog(tmp_path / "c", ["sagemakr"], ["us-east-1"], mirror)
    assert "allowed: ec2, lambda, fargate, sagemaker" in str(exc.value)
    with pytest.raises(InputError) as exc:
        update_catalog(tmp_path / "c", ["ec2"], ["mars-1"], mirror)
    assert "allowed: us-east-1" in str(exc.value)


def test_no_network_is_exit_2_with_what_to_do(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr("urllib.request.urlopen", refuse)
    r = runner.invoke(app, ["prices", "update", "--service", "ec2", "--catalog-dir", str(tmp_path / "c")])
    assert r.exit_code == 2
    assert "cannot reach the AWS Price List (Temporary failure in name resolution)" in r.stderr
    assert "--from-dir" in r.stderr and "Traceback" not in r.output
    assert not (tmp_path / "c").exists()


def test_cli_prints_old_new_and_percent(tmp_path, mirror):
    r = runner.invoke(
        app,
        [
            "prices",
            "update",
            "--service",
            "ec2",
            "--region",
            "us-east-1",
            "--from-dir",
            str(mirror),
            "--catalog-dir",
            str(tmp_path / "c"),
        ],
    )
    assert r.exit_code == 0, r.output
    out = " ".join(r.stdout.split())
    assert "ec2/g5.2xlarge" in out and "1.212" in out and "-9.2%" in out
    assert "WHERETORUN_CATALOG_DIR" in out
    loaded = yaml.safe_load((catalog_files_dir(tmp_path / "c") / "ec2.yml").read_text())
    assert loaded["service"] == "ec2"


def test_a_long_running_process_reads_the_refreshed_copy_at_its_next_call(tmp_path, mirror, monkeypatch):
    """``load_catalog`` caches by catalog version: after ``prices update`` writes a new version, the
    next call in the same process (a web server) prices with it instead of the figures it cached."""
    from wheretorun.catalog.store import load_catalog

    target = tmp_path / "catalog"
    update_catalog(target, ["lambda"], ["us-east-1"], mirror)
    monkeypatch.setenv("WHERETORUN_CATALOG_DIR", str(target))
    assert load_catalog().price("ec2/g5.2xlarge").value == Decimal("1.212")  # EC2 not refreshed yet
    update_catalog(target, ["ec2"], ["us-east-1"], mirror)
    assert load_catalog().price("ec2/g5.2xlarge").value == Decimal("1.1")  # the offer's figure


def _marks(node: yaml.Node) -> list[tuple[object, ...]]:
    style = node.style if isinstance(node, yaml.ScalarNode) else "-"
    out = [(node.start_mark.index, node.end_mark.index, node.start_mark.line, node.start_mark.column, style)]
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            out += _marks(k) + _marks(v)
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            out += _marks(v)
    return out


@pytest.mark.parametrize("path", sorted(DATA_DIR.glob("*.yml")), ids=lambda p: p.name)
def test_libyamls_marks_are_pythons_on_every_shipped_file(path):
    """The rewrite edits text at the nodes' marks (character offsets) and keeps scalars' styles; it
    composes with libyaml, whose marks and styles must be the pure-Python composer's, non-ASCII
    text included."""
    text = path.read_text(encoding="utf-8") + '# é€😀\nextra: "ü"\n'
    assert _marks(compose_yaml(text)) == _marks(yaml.compose(text, Loader=yaml.SafeLoader))


@pytest.mark.parametrize(
    "url",
    [
        "/../../../../../../etc/hostname",  # out of the --from-dir copy
        "/offers/v1.0/aws/AmazonEC2/20260101000000/us-east-1/../../../../../../../etc/hostname",
        "https://example.com/offers/v1.0/aws/AmazonEC2/1/us-east-1/index.json",  # another host
        "/offers/v1.0/aws/AmazonEC2/current/us-east-1/secrets.json",
    ],
)
def test_a_region_index_names_only_an_offer_file(tmp_path, mirror, url):
    """The region index is data from outside: what it names is checked to be a Price List offer path
    before anything is read (a crafted index made `--from-dir` open /etc/hostname)."""
    import json

    index = mirror / "offers/v1.0/aws/AmazonEC2/current/region_index.json"
    data = json.loads(index.read_text())
    data["regions"]["us-east-1"]["currentVersionUrl"] = url
    index.write_text(json.dumps(data))
    with pytest.raises(InputError) as exc:
        update_catalog(tmp_path / "c", ["ec2"], ["us-east-1"], mirror)
    (problem,) = exc.value.problems
    assert (
        problem.path == "regions.us-east-1.currentVersionUrl"
        and "is not a Price List offer path" in problem.message
    )
    assert not (tmp_path / "c").exists()
