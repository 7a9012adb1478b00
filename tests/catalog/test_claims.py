"""docs/claims-vs-computed.md stays true: every 'exact' figure is recomputed from the catalog here."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from wheretorun.catalog.bedrock import bedrock_prices
from wheretorun.catalog.store import Catalog, load_catalog

DOC = Path(__file__).resolve().parents[2] / "docs" / "claims-vs-computed.md"
MILLION = Decimal(1_000_000)
GB_10 = Decimal(10)  # 10,240 MB: Lambda bills memory in GB of 1,024 MB


def _p(c: Catalog, key: str) -> Decimal:
    return c.price(key).value


def _sonnet(c: Catalog, kind: str) -> Decimal:
    prices = bedrock_prices("anthropic.claude-3-sonnet-20240229-v1:0", c)
    assert prices is not None
    return prices.input.value if kind == "input" else prices.output.value


def _spot(c: Catalog, itype: str) -> Decimal:
    pct = c.instance(itype).spot_discount_pct
    assert pct is not None
    return _p(c, f"ec2/{itype}") * (Decimal(100) - Decimal(str(pct))) / Decimal(100)


# id -> the same formula the doc states, from catalog figures only.
COMPUTE: dict[str, Callable[[Catalog], Decimal]] = {
    "lambda-10gb-5min": lambda c: (
        300 * GB_10 * _p(c, "lambda/duration-x86") + _p(c, "lambda/requests") / MILLION
    ),
    "finetune-lambda": lambda c: 4 * 3600 * GB_10 * _p(c, "lambda/duration-x86"),
    "finetune-fargate": lambda c: 4 * (4 * _p(c, "fargate/vcpu-x86") + 16 * _p(c, "fargate/memory-x86")),
    "finetune-g5.xlarge": lambda c: 4 * _p(c, "ec2/g5.xlarge"),
    "finetune-g5.2xlarge": lambda c: 4 * _p(c, "ec2/g5.2xlarge"),
    "invoices-requests": lambda c: 10_000 * _p(c, "lambda/requests") / MILLION,
    "invoices-compute": lambda c: 10_000 * Decimal("7.5") * Decimal("0.5") * _p(c, "lambda/duration-x86"),
    "invoices-claude": lambda c: 10_000 * (2000 * _sonnet(c, "input") + 500 * _sonnet(c, "output")) / MILLION,
    "g5.12xlarge-on-demand": lambda c: _p(c, "ec2/g5.12xlarge"),
    "g5.12xlarge-spot": lambda c: _spot(c, "g5.12xlarge"),
    "fargate-vcpu-hour-low": lambda c: _p(c, "fargate/vcpu-x86") + 2 * _p(c, "fargate/memory-x86"),
    "fargate-vcpu-hour-high": lambda c: _p(c, "fargate/vcpu-x86") + 8 * _p(c, "fargate/memory-x86"),
    "ec2-vcpu-hour-cpu": lambda c: _p(c, "ec2/m7g.large") / c.instance("m7g.large").vcpu,
    "ec2-vcpu-hour-gpu": lambda c: _p(c, "ec2/g5.xlarge") / c.instance("g5.xlarge").vcpu,
    "claude-3-sonnet-input": lambda c: _sonnet(c, "input"),
    "claude-3-sonnet-output": lambda c: _sonnet(c, "output"),
}


def _doc_rows() -> dict[str, Decimal]:
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- claims:start -->")[1].split("<!-- claims:end -->")[0]
    rows: dict[str, Decimal] = {}
    for line in table.strip().splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 5, line
        assert re.fullmatch(r"[0-9.]+", cells[3]), f"{cells[0]}: exact column must be a plain decimal"
        rows[cells[0]] = Decimal(cells[3])
    return rows


def test_every_claim_in_the_doc_is_recomputed() -> None:
    assert set(_doc_rows()) == set(COMPUTE)


def test_doc_figures_match_the_catalog_exactly() -> None:
    catalog = load_catalog("us-east-1")
    wrong = {
        cid: (shown, COMPUTE[cid](catalog))
        for cid, shown in _doc_rows().items()
        if COMPUTE[cid](catalog) != shown
    }
    assert not wrong, f"docs/claims-vs-computed.md disagrees with the catalog (shown, computed): {wrong}"


def test_the_headline_corrections() -> None:
    # The figures DESIGN.md quotes: $2.40 not ~$245, $0.05 not $0.083.
    rows = _doc_rows()
    assert rows["finetune-lambda"].quantize(Decimal("0.01")) == Decimal("2.40")
    assert rows["lambda-10gb-5min"].quantize(Decimal("0.01")) == Decimal("0.05")
    assert rows["g5.12xlarge-on-demand"] == Decimal("5.672")
