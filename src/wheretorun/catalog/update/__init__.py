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

One module per step: ``offers`` (finding and reading offer files), ``skus`` (the SKU behind each
catalog key), ``provenance`` (the Price List note in each entry's ``source``), ``rewrite`` (the data
files edited in place) and ``install`` (the catalog copy on disk, replaced atomically).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ..._perf import read_yaml
from ...errors import InputError, Problem
from ..store import SUPPORTED_REGIONS, CatalogError
from .install import install_version, read_catalog_copy
from .offers import OFFERS, load_offer
from .rewrite import Change, Edit, rewrite
from .skus import MAPPERS


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
    parsed = {name: read_yaml(text) or {} for name, text in texts.items()}
    keys_in = {
        name: [e["key"] for e in data.get("prices", []) or [] if isinstance(e, dict) and "key" in e]
        for name, data in parsed.items()
    }
    keys = [key for file_keys in keys_in.values() for key in file_keys]
    edits: dict[str, Edit] = {}
    for service in services:
        wanted = [k for k in keys if k.split("/")[0] == service]
        for region in regions:
            offer = load_offer(OFFERS[service], region, from_dir)
            for key, found in MAPPERS[service](offer.data, region, wanted).items():
                e = edits.setdefault(key, Edit({}, {}))
                e.regions[region] = found
                e.offers[region] = offer
    changes: list[Change] = []
    new_texts = {}
    try:
        for name, text in texts.items():
            if any(key in edits for key in keys_in[name]):  # a file no figure of changes is copied as is
                text, file_changes = rewrite(text, parsed[name], name, edits)
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
