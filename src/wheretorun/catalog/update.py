"""``wheretorun prices update``: refresh catalog prices from the AWS Price List bulk offer files.

Offer files (https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/using-the-aws-price-list-bulk-api-fetching-price-list-files-manually.html)
are found through each service's region index
(``/offers/v1.0/aws/<Offer>/current/region_index.json`` -> ``regions[<region>].currentVersionUrl``)
and hold ``products`` (sku -> attributes) and ``terms.OnDemand`` (sku -> term -> priceDimensions ->
``pricePerUnit.USD``). A mapper per service finds the SKU behind each catalog key it knows (EC2
and SageMaker instance hours, Lambda requests and GB-seconds with their tiers, Fargate vCPU and GB
hours) by usage type and attributes. The runtime never fetches: this is a separate, explicit step.

Only the figures change: each mapped entry's ``regions``/``tiers`` value for a refreshed region,
its ``source`` (the offer file URL, publicationDate and SKU per region) and ``as_of``, and its
``unverified_regions``. The files are edited in place as text (comments, anchors, order and layout
kept), and each edited file is re-read to check it says exactly what was meant. The new catalog is
written as a new version inside the catalog folder, validated with the loader the runtime uses
(``load_catalog_dir``) and made current by atomically replacing a marker file (``install_version``):
a failure or a crash at any point leaves a whole catalog, old or new, and the refreshed prices.
A folder that holds something other than a catalog is refused, never emptied.
Bedrock token prices are not here: they come with the ``genai-prices`` package (``pip install -U
genai-prices``).
"""

from __future__ import annotations

import copy
import datetime as dt
import fcntl
import json
import os
import re
import secrets
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError, Problem, did_you_mean
from ..files import write_atomically
from .scope import default_catalog_dir as default_catalog_dir
from .store import (
    DATA_DIR,
    MARKER,
    SUPPORTED_REGIONS,
    VERSIONS,
    CatalogError,
    catalog_files_dir,
    load_catalog_dir,
)

PRICE_LIST = "https://pricing.us-east-1.amazonaws.com"
REGION_INDEX = "/offers/v1.0/aws/{offer}/current/region_index.json"
OFFERS = {"ec2": "AmazonEC2", "lambda": "AWSLambda", "fargate": "AmazonECS", "sagemaker": "AmazonSageMaker"}
ON_DEMAND = "JRTCKXETXF"  # the on-demand offer term code (AWS Price List)
MAX_OFFER_BYTES = 2 * 1024**3  # EC2's us-east-1 file is ~450 MB
TIMEOUT_S = 60


@dataclass(frozen=True)
class Found:
    """A figure read from an offer file: a flat price (str) or tiers, and the SKU it came from."""

    value: str | list[dict[str, Any]]
    sku: str


@dataclass(frozen=True)
class Offer:
    data: dict[str, Any]
    url: str  # the offer file's Price List URL
    local: str | None  # where it was read from, when not downloaded
    published: dt.date


@dataclass
class Change:
    """One figure read from an offer file: changed, or confirmed as it was (``changed`` False)."""

    key: str
    region: str
    old: str
    new: str
    changed: bool = True

    @property
    def pct(self) -> float | None:
        try:
            old = Decimal(self.old)
            return float((Decimal(self.new) - old) / old * 100) if old else None
        except ArithmeticError:
            return None


# ---- fetching -------------------------------------------------------------------------------------
def _download(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as resp:  # noqa: S310 (a fixed https URL)
            body = resp.read(MAX_OFFER_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, OSError) as e:
        raise InputError(
            [
                Problem(
                    url,
                    "",
                    f"cannot reach the AWS Price List ({getattr(e, 'reason', e)}); download the files "
                    "elsewhere and use --from-dir DIR (docs/import.md says which)",
                )
            ]
        ) from None
    if len(body) > MAX_OFFER_BYTES:
        raise InputError([Problem(url, "", "offer file larger than 2 GiB")])
    return body


def _json(raw: bytes, where: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError([Problem(where, "", f"not a Price List file (invalid JSON: {e})")]) from None
    if not isinstance(data, dict):
        raise InputError([Problem(where, "", "not a Price List file (not a JSON object)")])
    return data


def _read_local(path: Path) -> bytes:
    if path.stat().st_size > MAX_OFFER_BYTES:
        raise InputError([Problem(str(path), "", "offer file larger than 2 GiB")])
    return path.read_bytes()


def load_offer(offer: str, region: str, from_dir: Path | None) -> Offer:
    """The region's offer file, found through the region index (downloaded, or from ``from_dir``).

    ``from_dir`` mirrors the Price List's paths (``offers/v1.0/aws/<Offer>/current/region_index.json``
    and the ``currentVersionUrl`` it names); a single downloaded file may also be given as
    ``<Offer>/<region>/index.json`` or ``<Offer>-<region>.json``.
    """
    index_path = REGION_INDEX.format(offer=offer)
    if from_dir is None:
        index = _json(_download(PRICE_LIST + index_path), PRICE_LIST + index_path)
        version_url = _version_url(index, offer, region, PRICE_LIST + index_path)
        url = PRICE_LIST + version_url
        return _offer(_json(_download(url), url), url, None, offer)
    local_index = from_dir / index_path.lstrip("/")
    if local_index.is_file():
        index = _json(_read_local(local_index), str(local_index))
        version_url = _version_url(index, offer, region, str(local_index))
        local = from_dir / version_url.lstrip("/")
        if not local.is_file():
            raise InputError(
                [
                    Problem(
                        str(local_index),
                        f"regions.{region}",
                        f"names {version_url}, not found under {from_dir}",
                    )
                ]
            )
        return _offer(_json(_read_local(local), str(local)), PRICE_LIST + version_url, str(local), offer)
    for local in (from_dir / offer / region / "index.json", from_dir / f"{offer}-{region}.json"):
        if local.is_file():
            url = f"{PRICE_LIST}/offers/v1.0/aws/{offer}/current/{region}/index.json"
            return _offer(_json(_read_local(local), str(local)), url, str(local), offer)
    raise InputError(
        [
            Problem(
                str(from_dir),
                "",
                f"no offer file for {offer} in {region}: expected {index_path.lstrip('/')} (and the file it "
                f"names), {offer}/{region}/index.json or {offer}-{region}.json",
            )
        ]
    )


def _version_url(index: dict[str, Any], offer: str, region: str, where: str) -> str:
    regions = index.get("regions")
    if not isinstance(regions, dict):
        raise InputError([Problem(where, "regions", "not a region index: no `regions` mapping")])
    entry = regions.get(region)
    if not isinstance(entry, dict) or not isinstance(entry.get("currentVersionUrl"), str):
        raise InputError(
            [
                Problem(
                    where,
                    f"regions.{region}",
                    f"{offer} lists no offer file for {region}{did_you_mean(region, regions)}",
                )
            ]
        )
    return entry["currentVersionUrl"]


def _offer(data: dict[str, Any], url: str, local: str | None, offer: str) -> Offer:
    where = local or url
    if not isinstance(data.get("products"), dict) or not isinstance(data.get("terms"), dict):
        raise InputError([Problem(where, "", "not an offer file: needs `products` and `terms`")])
    if data.get("offerCode", offer) != offer:
        raise InputError([Problem(where, "offerCode", f"is {data['offerCode']!r}, expected {offer!r}")])
    try:
        published = dt.date.fromisoformat(str(data["publicationDate"])[:10])
    except (KeyError, ValueError):
        raise InputError([Problem(where, "publicationDate", "missing or not a date")]) from None
    return Offer(data, url, local, published)


# ---- mapping SKUs to catalog keys ---------------------------------------------------------------
def dimensions(offer: dict[str, Any], sku: str) -> list[dict[str, Any]]:
    """The on-demand price dimensions of a SKU, lowest tier first."""
    terms = offer.get("terms", {}).get("OnDemand", {}).get(sku, {})
    out = []
    for term_code, term in terms.items():
        if term_code.endswith(ON_DEMAND) or len(terms) == 1:
            out.extend(term.get("priceDimensions", {}).values())
    return sorted(out, key=lambda d: Decimal(str(d.get("beginRange") or "0")))


def products(offer: dict[str, Any], region: str, **attrs: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for sku, product in offer.get("products", {}).items():
        a = product.get("attributes", {})
        if a.get("regionCode", region) == region and all(a.get(k) == v for k, v in attrs.items()):
            yield sku, a


def usage(a: dict[str, Any]) -> str:
    """The usage type without its region prefix (``USW2-Request`` -> ``Request``; us-east-1 has none)."""
    return re.sub(r"^[A-Z]{2,4}[0-9]?-(?=[A-Z])", "", a.get("usagetype", ""))


def usd(dim: dict[str, Any]) -> Decimal:
    return Decimal(str(dim["pricePerUnit"]["USD"]))


def _flat(value: Decimal) -> str:
    """``0.0000166667000`` -> ``0.0000166667``: the figure as the catalog writes it."""
    return format(value.normalize(), "f")


def map_instances(prefix: str, hosting: bool) -> Callable[[dict[str, Any], str, list[str]], dict[str, Found]]:
    def mapper(offer: dict[str, Any], region: str, keys: list[str]) -> dict[str, Found]:
        found: dict[str, Found] = {}
        wanted = {k.split("/", 1)[1]: k for k in keys if k.startswith(prefix)}
        attrs = (
            {}
            if hosting
            else {
                "operatingSystem": "Linux",
                "tenancy": "Shared",
                "preInstalledSw": "NA",
                "capacitystatus": "Used",
            }
        )
        for sku, a in products(offer, region, **attrs):
            key = wanted.get(a.get("instanceType", ""))
            if key is None:
                continue
            if hosting and usage(a) != f"Host:{a['instanceType']}":  # SageMaker real-time inference
                continue
            dims = dimensions(offer, sku)
            if dims:
                found[key] = Found(_flat(usd(dims[0])), sku)
        return found

    return mapper


def map_lambda(offer: dict[str, Any], region: str, keys: list[str]) -> dict[str, Found]:
    found: dict[str, Found] = {}
    for sku, a in products(offer, region):
        ut = usage(a)
        dims = dimensions(offer, sku)
        if not dims:
            continue
        if ut == "Request" and "lambda/requests" in keys:
            found["lambda/requests"] = Found(_flat(usd(dims[0]) * 1_000_000), sku)  # per 1M requests
        elif ut in ("Lambda-GB-Second", "Lambda-GB-Second-ARM"):
            key = "lambda/duration-arm64" if ut.endswith("ARM") else "lambda/duration-x86"
            if key not in keys:
                continue
            tiers = []
            for d in dims:
                end = d.get("endRange", "Inf")
                tier: dict[str, Any] = {"price": _flat(usd(d))}
                if end not in ("Inf", "", None):
                    tier = {"up_to": int(Decimal(end)), **tier}
                tiers.append(tier)
            found[key] = Found(tiers if len(tiers) > 1 else tiers[0]["price"], sku)
    return found


FARGATE = {
    "Fargate-vCPU-Hours:perCPU": "fargate/vcpu-x86",
    "Fargate-GB-Hours": "fargate/memory-x86",
    "Fargate-ARM-vCPU-Hours:perCPU": "fargate/vcpu-arm64",
    "Fargate-ARM-GB-Hours": "fargate/memory-arm64",
}


def map_fargate(offer: dict[str, Any], region: str, keys: list[str]) -> dict[str, Found]:
    found: dict[str, Found] = {}
    for sku, a in products(offer, region):
        key = FARGATE.get(usage(a))
        dims = dimensions(offer, sku)
        if key in keys and dims:
            found[key] = Found(_flat(usd(dims[0])), sku)
    return found


MAPPERS: dict[str, Callable[[dict[str, Any], str, list[str]], dict[str, Found]]] = {
    "ec2": map_instances("ec2/", hosting=False),
    "lambda": map_lambda,
    "fargate": map_fargate,
    "sagemaker": map_instances("sagemaker/", hosting=True),
}


# ---- provenance -----------------------------------------------------------------------------------
_NOTE = re.compile(r" \[AWS Price List: (?P<notes>.*)\]$")
_REGION_NOTE = re.compile(r"^(?P<region>[a-z0-9-]+) .*\(publicationDate (?P<date>\d{4}-\d{2}-\d{2})")


def _split_source(source: str) -> tuple[str, dict[str, str]]:
    """(the source before any Price List note, region -> that region's note)."""
    m = _NOTE.search(source)
    if not m:
        return source, {}
    notes = {}
    for part in m.group("notes").split("; "):
        r = _REGION_NOTE.match(part)
        if r:
            notes[r.group("region")] = part
    return source[: m.start()], notes


def _source(base: str, notes: dict[str, str]) -> str:
    parts = [notes[r] for r in SUPPORTED_REGIONS if r in notes]
    return f"{base} [AWS Price List: {'; '.join(parts)}]"


# ---- editing the data files in place ------------------------------------------------------------
#: libyaml where available for reading values: the files are read three times per update
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 (a safe loader)


@dataclass
class _Edit:
    regions: dict[str, Found]  # region -> new figure
    offers: dict[str, Offer]  # region -> its offer file


def _scalar(value: str, like: yaml.ScalarNode) -> str:
    """``value`` quoted as the scalar it replaces was (double quotes when it was plain)."""
    if like.style == "'":
        return "'" + value.replace("'", "''") + "'"
    return json.dumps(value, ensure_ascii=False)


def _as_of_text(date: dt.date, like: yaml.ScalarNode) -> str:
    return date.isoformat() if like.style is None else _scalar(date.isoformat(), like)


def _tiers_text(tiers: list[dict[str, Any]]) -> str:
    items = []
    for t in tiers:
        bound = f"up_to: {t['up_to']}, " if "up_to" in t else ""
        items.append(f'{{{bound}price: "{t["price"]}"}}')
    return "[" + ", ".join(items) + "]"


def _value_end(text: str, node: yaml.Node) -> int:
    """End of a node's own text (block collections' end marks run on to the next line)."""
    start, end = node.start_mark.index, node.end_mark.index
    return start + len(text[start:end].rstrip())


def _rewrite(text: str, name: str, edits: dict[str, _Edit]) -> tuple[str, list[Change]]:
    """Apply ``edits`` to one data file's text; return the new text and the changes made."""
    root = yaml.compose(text)  # pure Python: its marks count characters (libyaml's count bytes)
    assert root is not None  # the file parsed (it was read and validated before)
    data = _load(text)
    expected = copy.deepcopy(data)
    spans: list[tuple[int, int, str]] = []
    changes: list[Change] = []
    prices_node = next(v for k, v in root.value if k.value == "prices")
    for item_node, entry in zip(prices_node.value, expected["prices"], strict=True):
        edit = edits.get(entry["key"])
        if edit is None:
            continue
        fields = {k.value: (k, v) for k, v in item_node.value}
        base, notes = _split_source(entry["source"])
        form = "tiers" if "tiers" in entry else "regions"
        map_node = fields[form][1]
        pairs = {k.value: (k, v) for k, v in map_node.value}
        refreshed = []
        for region, found in edit.regions.items():
            if region not in entry[form]:
                continue  # no figure there (the catalog says why under `unavailable`): not added here
            old = entry[form][region]
            new = found.value
            if isinstance(new, list) != (form == "tiers"):
                raise CatalogError(
                    f"{name}: {entry['key']}: the offer has {'tiers' if isinstance(new, list) else 'a flat price'}, the catalog {form}"
                )
            changes.append(Change(entry["key"], region, _show(old), _show(new), not _same(old, new)))
            refreshed.append(region)
            offer = edit.offers[region]
            notes[region] = (
                f"{region} {offer.url} (publicationDate {offer.published.isoformat()}, SKU {found.sku})"
            )
            if _same(old, new):
                continue
            entry[form][region] = new
            if form == "regions":
                v = pairs[region][1]
                spans.append((v.start_mark.index, v.end_mark.index, _scalar(str(new), v)))
        if not refreshed:
            continue
        if form == "tiers":
            spans += _tier_spans(text, pairs, entry["tiers"])
        entry["source"] = _source(base, notes)
        k, v = fields["source"]
        spans.append((v.start_mark.index, v.end_mark.index, json.dumps(entry["source"], ensure_ascii=False)))
        priced = set(entry[form])
        if priced <= set(notes):  # every figure of the entry now comes from the Price List
            dates = [dt.date.fromisoformat(_REGION_NOTE.match(notes[r]).group("date")) for r in priced]  # type: ignore[union-attr]
            k, v = fields["as_of"]
            # a quoted date stays a quoted string (the loader reads either)
            entry["as_of"] = min(dates) if isinstance(entry["as_of"], dt.date) else min(dates).isoformat()
            spans.append((v.start_mark.index, v.end_mark.index, _as_of_text(min(dates), v)))
        if "unverified_regions" in entry and set(refreshed) & set(entry["unverified_regions"]):
            entry["unverified_regions"] = [r for r in entry["unverified_regions"] if r not in refreshed]
            k, v = fields["unverified_regions"]
            listed = ", ".join(entry["unverified_regions"])
            spans.append((k.end_mark.index, _value_end(text, v), f": [{listed}]"))
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    if _load(text) != expected:  # the edit must say exactly what was meant, nothing else
        raise CatalogError(
            f"{name}: could not rewrite the file in place (unexpected layout); nothing was changed"
        )
    return text, changes


def _same(old: Any, new: Any) -> bool:
    if isinstance(new, list):
        return isinstance(old, list) and [
            (Decimal(str(t.get("up_to"))) if "up_to" in t else None, Decimal(str(t["price"]))) for t in old
        ] == [(Decimal(str(t.get("up_to"))) if "up_to" in t else None, Decimal(str(t["price"]))) for t in new]
    return Decimal(str(old)) == Decimal(str(new))


def _show(value: Any) -> str:
    if isinstance(value, list):
        return " / ".join(
            f"{t['price']}" + (f" to {t['up_to']:,}" if t.get("up_to") is not None else "") for t in value
        )
    return str(value)


_ANCHOR = re.compile(r":[ \t]*&([^\s]+)[ \t]*")
_ALIAS = re.compile(r":[ \t]*\*([^\s]+)")


def _tier_spans(
    text: str, pairs: dict[str, tuple[yaml.Node, yaml.Node]], new: dict[str, Any]
) -> list[tuple[int, int, str]]:
    """Text edits for an entry's tiers, ``new`` being every region's value after the refresh.

    The data files share tiers between regions with anchors (``us-east-1: &x86 [...]``,
    ``us-west-2: *x86``). An anchored value that changed is rewritten in place, keeping its anchor;
    an alias stays an alias while its value is still the anchor's, and is written out in full when
    it now differs (a region refreshed alone, or a region left as it was while the anchor moved).
    """
    anchors: dict[str, str] = {}
    for region, (k, _v) in pairs.items():
        m = _ANCHOR.match(text, k.end_mark.index)
        if m:
            anchors[m.group(1)] = region
    spans = []
    for region, (k, v) in pairs.items():
        alias = _ALIAS.match(text, k.end_mark.index)
        if alias:
            source = anchors.get(alias.group(1))
            if source is None or not _same(new[region], new[source]):
                spans.append((k.end_mark.index, alias.end(), f": {_tiers_text(new[region])}"))
            continue
        if _same(new[region], _load(yaml.serialize(v))):
            continue
        anchor = _ANCHOR.match(text, k.end_mark.index)
        label = f"&{anchor.group(1)} " if anchor else ""
        spans.append((k.end_mark.index, _value_end(text, v), f": {label}{_tiers_text(new[region])}"))
    return spans


# ---- the update ---------------------------------------------------------------------------------
def update_catalog(
    target: Path, services: list[str], regions: list[str], from_dir: Path | None
) -> list[Change]:
    """Refresh ``target`` (a catalog directory, seeded from the embedded one if empty), atomically.

    Returns every figure found in the offer files, changed or confirmed (``Change.changed``).
    """
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
    texts, legacy = read_catalog_copy(target)
    keys = [
        e["key"]
        for text in texts.values()
        for e in (_load(text) or {}).get("prices", []) or []
        if isinstance(e, dict) and "key" in e
    ]
    edits: dict[str, _Edit] = {}
    for service in services:
        wanted = [k for k in keys if k.split("/")[0] == service]
        for region in regions:
            offer = load_offer(OFFERS[service], region, from_dir)
            for key, found in MAPPERS[service](offer.data, region, wanted).items():
                e = edits.setdefault(key, _Edit({}, {}))
                e.regions[region] = found
                e.offers[region] = offer
    changes: list[Change] = []
    new_texts = {}
    try:
        for name, text in texts.items():
            if "\nprices:" in "\n" + text and edits:
                text, file_changes = _rewrite(text, name, edits)
                changes += file_changes
            new_texts[name] = text
    except (CatalogError, yaml.YAMLError, KeyError, TypeError, ValueError, ArithmeticError) as e:
        raise InputError(
            [Problem(str(target), "", f"update refused, the old catalog is unchanged: {e}")]
        ) from None
    try:
        install_version(target, new_texts, legacy)
    except OSError as e:
        where = e.filename or target
        raise InputError(
            [
                Problem(
                    str(target), "", f"cannot write {where}: {e.strerror or e}; the old catalog is unchanged"
                )
            ]
        ) from None
    return changes


# ---- the catalog copy on disk -------------------------------------------------------------------
#
#   DIR/wheretorun-catalog.json   {"format": "wheretorun-catalog", "current": ID, "previous": ID|null}
#   DIR/versions/ID/*.yml         one whole catalog per version; never changed once in place
#
# A new version is written and validated under versions/.staging-*, renamed to versions/ID, and
# made current by replacing the marker (rename(2): atomic). Readers (store.catalog_files_dir) read
# the marker once. So at every instant the marker names a whole catalog, old or new; the previous
# version is kept (a reader that resolved it just before the swap still finds every file); older
# ones and crashed stagings are removed afterwards.
_FORMAT = "wheretorun-catalog"
_STAGING = ".staging-"
_MARKER_TMP = f".{MARKER}.*.tmp"  # files.write_atomically's name for the marker until it is renamed
_VERSION = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{6}$")


def read_catalog_copy(target: Path) -> tuple[dict[str, str], list[str]]:
    """(file name -> text of the catalog ``target`` holds, legacy files to remove once replaced).

    An absent or empty ``target`` is seeded from the embedded catalog. A copy written by this
    version (``MARKER``) gives its current version's files, or an error when that is unreadable:
    never a silent reseed, which would lose the prices refreshed before. A folder of nothing but the
    embedded catalog's file names is a copy written by an earlier wheretorun (files at the top level,
    migrated here). Anything else is refused: ``target`` is not a catalog, and nothing in it is touched.
    """
    if not target.exists():
        return _texts(DATA_DIR), []
    if not target.is_dir():
        raise _not_a_catalog(target, "it is a file, not a folder")
    if (target / MARKER).is_file():
        try:
            current = catalog_files_dir(target)
            if not any(current.glob("*.yml")):  # (its content is validated with the new figures)
                raise CatalogError(f"no catalog files in {current}")
        except (CatalogError, OSError) as e:
            raise InputError(
                [
                    Problem(
                        str(target),
                        "",
                        f"its catalog cannot be read ({e}); nothing was changed. Move the folder "
                        "away (or give another --catalog-dir) to start again from the embedded catalog",
                    )
                ]
            ) from None
        return _texts(current), []
    entries = sorted(p.name for p in target.iterdir())
    ours = _leftovers(target)
    others = [name for name in entries if name not in ours]
    if not others:
        return _texts(DATA_DIR), []  # empty, or only a crashed first update's staging
    embedded = {p.name for p in DATA_DIR.glob("*.yml")}
    if all(name in embedded and (target / name).is_file() for name in others):
        try:
            load_catalog_dir(target)
        except (CatalogError, OSError) as e:
            raise _not_a_catalog(target, f"its data files do not load ({e})") from None
        return _texts(target), others
    shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
    raise _not_a_catalog(target, f"it holds {shown}")


def _not_a_catalog(target: Path, why: str) -> InputError:
    return InputError(
        [
            Problem(
                "--catalog-dir",
                "",
                f"{target} is not a wheretorun catalog ({why}; no {MARKER}); nothing was changed. "
                "Give a new or empty folder, or one an earlier `prices update` wrote",
            )
        ]
    )


def _leftovers(target: Path) -> set[str]:
    """Top-level names of ``target`` that an interrupted first update left (a ``versions`` folder
    holding only stagings and version folders, a marker's temporary file); a user's own
    ``versions`` folder is not ours."""
    found = {p.name for p in target.glob(_MARKER_TMP)}
    versions = target / VERSIONS
    if versions.is_dir() and all(
        p.is_dir() and (p.name.startswith(_STAGING) or _VERSION.match(p.name)) for p in versions.iterdir()
    ):
        found.add(VERSIONS)
    return found


def _texts(directory: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.yml"))}


def install_version(target: Path, texts: dict[str, str], legacy: list[str]) -> str:
    """Write ``texts`` as a new version of the catalog copy ``target`` and make it current.

    Returns the version's name. Raises InputError when the new files do not load (nothing changed),
    when another update holds the folder, and OSError when the disk refuses (nothing changed
    unless the marker was replaced, after which the new catalog is whole and current).
    """
    target.mkdir(parents=True, exist_ok=True)
    lock = os.open(target, os.O_RDONLY)
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(
                [Problem(str(target), "", "another `prices update` is writing this catalog; try again")]
            ) from None
        versions = target / VERSIONS
        versions.mkdir(exist_ok=True)
        # what an update that crashed left: never current, nobody reads it
        for stale in versions.glob(_STAGING + "*"):
            shutil.rmtree(stale)
        for stale in target.glob(_MARKER_TMP):
            stale.unlink()
        staging = versions / f"{_STAGING}{secrets.token_hex(6)}"
        staging.mkdir()
        try:
            for name, text in texts.items():
                _write_synced(staging / name, text.encode("utf-8"))
            _fsync_dir(staging)
            try:
                load_catalog_dir(staging)  # the runtime's own validation: a bad figure fails here, not in use
            except CatalogError as e:
                raise InputError(
                    [Problem(str(target), "", f"update refused, the old catalog is unchanged: {e}")]
                ) from None
            version = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
            os.rename(staging, versions / version)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _fsync_dir(versions)
        previous = _current(target)
        marker = {"format": _FORMAT, "current": version, "previous": previous}
        write_atomically(target / MARKER, lambda fh: fh.write(json.dumps(marker, indent=2).encode() + b"\n"))
        _fsync_dir(target)
        # the new version is current: what follows only tidies up, and may fail without harm
        for old in versions.iterdir():
            if old.name not in (version, previous):
                shutil.rmtree(old, ignore_errors=True)
        for name in legacy:
            (target / name).unlink(missing_ok=True)
        return version
    finally:
        os.close(lock)


def _current(target: Path) -> str | None:
    if not (target / MARKER).is_file():
        return None
    return catalog_files_dir(target).name


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("xb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (a power cut must not undo the swap's order)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
