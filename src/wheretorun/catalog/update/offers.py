"""Offer files of the AWS Price List: found through each service's region index, downloaded or read
from a local mirror (``--from-dir``), checked to be an offer file before anything reads it.

https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/using-the-aws-price-list-bulk-api-fetching-price-list-files-manually.html
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import InputError, Problem, did_you_mean

PRICE_LIST = "https://pricing.us-east-1.amazonaws.com"
REGION_INDEX = "/offers/v1.0/aws/{offer}/current/region_index.json"
OFFERS = {"ec2": "AmazonEC2", "lambda": "AWSLambda", "fargate": "AmazonECS", "sagemaker": "AmazonSageMaker"}
MAX_OFFER_BYTES = 2 * 1024**3  # EC2's us-east-1 file is ~450 MB
TIMEOUT_S = 60


@dataclass(frozen=True)
class Offer:
    data: dict[str, Any]
    url: str  # the offer file's Price List URL
    local: str | None  # where it was read from, when not downloaded
    published: dt.date


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


#: What a region index may name: an offer file of the Price List, nothing else (no "..", no other
#: host, no other folder of a ``--from-dir`` copy).
OFFER_PATH = re.compile(r"/offers/v1\.0/aws/[A-Za-z0-9]+/[0-9]+/[a-z0-9-]+/index\.json")


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
    url = entry["currentVersionUrl"]
    if not OFFER_PATH.fullmatch(url):
        raise InputError(
            [
                Problem(
                    where,
                    f"regions.{region}.currentVersionUrl",
                    f"{url!r} is not a Price List offer path (/offers/v1.0/aws/<Offer>/<version>/<region>/index.json)",
                )
            ]
        )
    return url


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
