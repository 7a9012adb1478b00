"""Bedrock token prices from the ``genai-prices`` package (pydantic's, kept current upstream).

We do not hand-copy Bedrock prices: genai-prices ships a data snapshot (offline, no network at run
time) with ``pricing_urls`` per provider. Its AWS figures are us-east-1 in-region prices; other
regions are flagged. Batch inference is 50 % of on-demand (AWS Bedrock pricing page: "50% lower
price compared to on-demand"), kept as a catalog entry ``bedrock/batch-discount``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from importlib.metadata import version

from .._perf import memo
from .store import Catalog, PriceRef

PROVIDER_ID = "aws"
#: Latest ``prices_checked`` among the AWS entries of genai-prices' prices/providers/aws.yml
#: (../shared/reference/aws-prices-and-specs.md, tag GENAI). Update with the package.
SNAPSHOT_CHECKED = dt.date(2026, 6, 30)


@memo(maxsize=1)  # the installed package's snapshot: fixed for the process, and slow to parse
def _provider():
    from genai_prices import data_snapshot

    snap = data_snapshot.get_snapshot()
    return next(p for p in snap.providers if p.id == PROVIDER_ID)


@memo(maxsize=1)  # fixed for the process; read from the installed package's metadata on disk
def genai_prices_version() -> str:
    return version("genai-prices")


def snapshot_label() -> str:
    return f"genai-prices {genai_prices_version()} data snapshot (https://github.com/pydantic/genai-prices)"


@dataclass(frozen=True)
class BedrockPrices:
    model_id: str  # the Bedrock model id genai-prices matched
    name: str
    input: PriceRef
    output: PriceRef


def bedrock_prices(bedrock_model_id: str, catalog: Catalog) -> BedrockPrices | None:
    """On-demand input/output prices per 1M tokens, or None when genai-prices does not know the model."""
    model = _provider().find_model(bedrock_model_id)
    if model is None or model.prices is None or isinstance(model.prices, list):
        return None
    prices = model.prices
    if prices.input_mtok is None:
        return None
    url = ", ".join(_provider().pricing_urls or ["https://aws.amazon.com/bedrock/pricing/"])
    source = f"{url} via {snapshot_label()}, model '{model.id}'"
    as_of = SNAPSHOT_CHECKED
    verified = catalog.region == "us-east-1"

    def ref(kind: str, value: Decimal) -> PriceRef:
        return PriceRef(
            key=f"bedrock/{bedrock_model_id}/{kind}",
            description=f"{kind.capitalize()} tokens ({model.name or model.id})",
            unit="1M tokens",
            value=Decimal(value),
            source=source,
            as_of=as_of,
            verified=verified,
            override_note=None
            if verified
            else f"genai-prices lists us-east-1 prices; {catalog.region} may differ",
        )

    return BedrockPrices(
        model_id=model.id,
        name=model.name or model.id,
        input=_apply(catalog, ref("input", prices.input_mtok)),
        output=_apply(catalog, ref("output", prices.output_mtok or Decimal(0))),
    )


def _apply(catalog: Catalog, ref: PriceRef) -> PriceRef:
    """Apply the user's `bedrock` overrides/discounts to a genai-prices figure."""
    from dataclasses import replace

    for key, value, note in catalog.overrides:
        if key == ref.key:
            return replace(ref, value=value, override_note=note)
    for service, pct in catalog.discounts:
        if service == "bedrock":
            factor = (Decimal(100) - pct) / Decimal(100)
            return replace(
                ref, value=ref.value * factor, override_note=f"{pct}% bedrock discount from your prices file"
            )
    return ref
