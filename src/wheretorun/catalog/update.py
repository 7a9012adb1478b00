"""``wheretorun prices update``: refresh the catalog from AWS Price List offer files.

Offer files (https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/using-the-aws-price-list-bulk-api-fetching-price-list-files-manually.html)
hold ``products`` (sku -> attributes) and ``terms.OnDemand`` (sku -> term -> priceDimensions ->
pricePerUnit.USD). A mapper per service finds the SKU behind each catalog key it knows (EC2 instance
hours, Lambda requests and GB-seconds with their tiers, Fargate vCPU and GB hours) and proposes the
new figure. The runtime never fetches: this is a separate, explicit step.

The rewrite is atomic: the whole catalog is written to a sibling directory, validated with the same
loader the runtime uses, and swapped in by renames; any failure leaves the old catalog whole.
Bedrock token prices are not here: they come with the ``genai-prices`` package (``pip install -U
genai-prices``).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError, Problem
from .store import DATA_DIR, SUPPORTED_REGIONS, CatalogError, load_catalog_dir

OFFER_URL = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/{offer}/current/{region}/index.json"
OFFERS = {"ec2": "AmazonEC2", "lambda": "AWSLambda", "fargate": "AmazonECS"}
ON_DEMAND = "JRTCKXETXF"  # the on-demand offer term code (AWS Price List)
MAX_OFFER_BYTES = 2 * 1024**3


@dataclass
class Change:
    key: str
    region: str
    old: str
    new: str

    @property
    def pct(self) -> float | None:
        try:
            old = float(self.old)
            return (float(self.new) - old) / old * 100 if old else None
        except ValueError:
            return None


def default_catalog_dir() -> Path:
    return Path.home() / ".config" / "wheretorun" / "catalog"


def load_offer(offer: str, region: str, from_dir: Path | None) -> tuple[dict[str, Any], str]:
    """The offer file's JSON and where it came from (a local file, or the Price List URL)."""
    if from_dir is not None:
        for candidate in (from_dir / offer / region / "index.json", from_dir / f"{offer}-{region}.json"):
            if candidate.is_file():
                if candidate.stat().st_size > MAX_OFFER_BYTES:
                    raise InputError([Problem(str(candidate), "", "offer file larger than 2 GiB")])
                return _parse(candidate.read_bytes(), str(candidate)), str(candidate)
        raise InputError(
            [
                Problem(
                    str(from_dir),
                    "",
                    f"no offer file for {offer} in {region}: expected "
                    f"{offer}/{region}/index.json or {offer}-{region}.json",
                )
            ]
        )
    url = OFFER_URL.format(offer=offer, region=region)
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:  # noqa: S310 (a fixed https URL)
            return _parse(resp.read(MAX_OFFER_BYTES + 1), url), url
    except (urllib.error.URLError, TimeoutError, OSError) as e:
        raise InputError(
            [
                Problem(
                    url,
                    "",
                    f"cannot reach the AWS Price List ({e}); download the offer file "
                    "elsewhere and use --from-dir DIR",
                )
            ]
        ) from None


def _parse(raw: bytes, where: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError([Problem(where, "", f"not an offer file (invalid JSON: {e})")]) from None
    if not isinstance(data, dict) or "products" not in data or "terms" not in data:
        raise InputError([Problem(where, "", "not an offer file: needs `products` and `terms`")])
    return data


def dimensions(offer: dict[str, Any], sku: str) -> list[dict[str, Any]]:
    """The on-demand price dimensions of a SKU, lowest tier first."""
    terms = offer.get("terms", {}).get("OnDemand", {}).get(sku, {})
    out = []
    for term_code, term in terms.items():
        if term_code.endswith(ON_DEMAND) or len(terms) == 1:
            out.extend(term.get("priceDimensions", {}).values())
    return sorted(out, key=lambda d: float(d.get("beginRange", "0") or 0))


def products(offer: dict[str, Any], **attrs: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for sku, product in offer.get("products", {}).items():
        a = product.get("attributes", {})
        if all(a.get(k) == v for k, v in attrs.items()):
            yield sku, a


def usd(dim: dict[str, Any]) -> Decimal:
    return Decimal(str(dim["pricePerUnit"]["USD"])).normalize()


def _flat(value: Decimal) -> str:
    return format(value, "f")


# ---- mappers: catalog key -> new figure (flat string, or list of tiers) ---------------------------
def map_ec2(offer: dict[str, Any], region: str, keys: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    wanted = {k.split("/", 1)[1]: k for k in keys if k.startswith("ec2/")}
    for sku, a in products(
        offer, operatingSystem="Linux", tenancy="Shared", preInstalledSw="NA", capacitystatus="Used"
    ):
        key = wanted.get(a.get("instanceType", ""))
        if key and a.get("regionCode", region) == region:
            dims = dimensions(offer, sku)
            if dims:
                found[key] = _flat(usd(dims[0]))
    return found


def map_lambda(offer: dict[str, Any], region: str, keys: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for sku, a in products(offer):
        usage = (
            a.get("usagetype", "").split("-", 1)[-1]
            if "-" in a.get("usagetype", "")[:5]
            else a.get("usagetype", "")
        )
        dims = dimensions(offer, sku)
        if not dims:
            continue
        if usage == "Request" and "lambda/requests" in keys:
            found["lambda/requests"] = _flat(usd(dims[0]) * 1_000_000)
        elif usage in ("Lambda-GB-Second", "Lambda-GB-Second-ARM"):
            key = "lambda/duration-arm64" if usage.endswith("ARM") else "lambda/duration-x86"
            if key in keys:
                tiers = []
                for d in dims:
                    end = d.get("endRange", "Inf")
                    tier: dict[str, Any] = {"price": _flat(usd(d))}
                    if end not in ("Inf", "", None):
                        tier = {"up_to": int(Decimal(end)), **tier}
                    tiers.append(tier)
                found[key] = tiers if len(tiers) > 1 else tiers[0]["price"]
    return found


def map_fargate(offer: dict[str, Any], region: str, keys: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for sku, a in products(offer):
        usage = a.get("usagetype", "")
        dims = dimensions(offer, sku)
        if not dims or "Fargate" not in usage or "ARM" in usage or "Windows" in usage or "Spot" in usage:
            continue
        if usage.endswith("Fargate-vCPU-Hours:perCPU") and "fargate/vcpu-x86" in keys:
            found["fargate/vcpu-x86"] = _flat(usd(dims[0]))
        elif usage.endswith("Fargate-GB-Hours") and "fargate/memory-x86" in keys:
            found["fargate/memory-x86"] = _flat(usd(dims[0]))
    return found


MAPPERS: dict[str, Callable[[dict[str, Any], str, list[str]], dict[str, Any]]] = {
    "ec2": map_ec2,
    "lambda": map_lambda,
    "fargate": map_fargate,
}


def update_catalog(
    target: Path, services: list[str], regions: list[str], from_dir: Path | None, today: dt.date | None = None
) -> list[Change]:
    """Refresh ``target`` (a catalog directory, seeded from the embedded one if empty) in place, atomically."""
    bad = [s for s in services if s not in MAPPERS]
    if bad:
        raise InputError(
            [Problem("--service", "", f"cannot update {', '.join(bad)}; allowed: {', '.join(MAPPERS)}")]
        )
    bad_regions = [r for r in regions if r not in SUPPORTED_REGIONS]
    if bad_regions:
        raise InputError(
            [
                Problem(
                    "--region",
                    "",
                    f"unknown region(s) {', '.join(bad_regions)}; allowed: {', '.join(SUPPORTED_REGIONS)}",
                )
            ]
        )
    today = today or dt.date.today()
    source_dir = target if any(target.glob("*.yml")) else DATA_DIR
    staging = target.with_name(target.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(source_dir, staging)
    changes: list[Change] = []
    try:
        files = {p: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(staging.glob("*.yml"))}
        for service in services:
            for region in regions:
                offer, where = load_offer(OFFERS[service], region, from_dir)
                published = str(offer.get("publicationDate", today.isoformat()))[:10]
                for data in files.values():
                    entries = [e for e in data.get("prices", []) if e["key"].split("/")[0] == service]
                    proposed = MAPPERS[service](offer, region, [e["key"] for e in entries])
                    for e in entries:
                        if e["key"] in proposed:
                            changes += _apply(e, region, proposed[e["key"]], where, published)
        for path, data in files.items():
            text = _header_of(path) + yaml.safe_dump(data, sort_keys=False, width=120, allow_unicode=True)
            path.write_text(text, encoding="utf-8")
        load_catalog_dir(staging)  # the runtime's own validation: a bad figure fails here, not in use
    except (CatalogError, yaml.YAMLError, KeyError, TypeError, ValueError) as e:
        shutil.rmtree(staging, ignore_errors=True)
        raise InputError(
            [Problem(str(target), "", f"update refused, the old catalog is unchanged: {e}")]
        ) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _swap(staging, target)
    return changes


def _header_of(path: Path) -> str:
    """The leading comment block of a catalog file (safe_dump drops comments; the header says why)."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line)
    return "".join(line + "\n" for line in lines)


def _apply(entry: dict[str, Any], region: str, new: Any, where: str, published: str) -> list[Change]:
    if isinstance(new, list):
        old = entry.get("tiers", {}).get(region)
        if old == new:
            return []
        entry.setdefault("tiers", {})[region] = new
        change = Change(entry["key"], region, json.dumps(old), json.dumps(new))
    else:
        old = entry.get("regions", {}).get(region)
        if old is not None and Decimal(str(old)) == Decimal(new):
            return []
        entry.setdefault("regions", {})[region] = new
        change = Change(entry["key"], region, str(old), new)
    entry["source"] = f"{entry['source']}; {region} refreshed from {where} (published {published})"
    entry["as_of"] = dt.date.fromisoformat(published)
    if region in entry.get("unverified_regions", []):
        entry["unverified_regions"].remove(region)
    return [change]


def _swap(staging: Path, target: Path) -> None:
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)
