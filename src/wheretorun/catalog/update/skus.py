"""The SKU behind each catalog key, found in an offer file by usage type and attributes: EC2 and
SageMaker instance hours, Lambda requests and GB-seconds with their tiers, Fargate vCPU and GB hours.

An offer file holds ``products`` (sku -> attributes) and ``terms.OnDemand`` (sku -> term ->
priceDimensions -> ``pricePerUnit.USD``); a mapper per service reads them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

ON_DEMAND = "JRTCKXETXF"  # the on-demand offer term code (AWS Price List)


@dataclass(frozen=True)
class Found:
    """A figure read from an offer file: a flat price (str) or tiers, and the SKU it came from."""

    value: str | list[dict[str, Any]]
    sku: str


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
