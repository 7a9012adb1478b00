"""User price overrides: negotiated rates, enterprise discounts and commitments, merged over the catalog.

A prices file (``--prices FILE``, YAML or JSON) has the same shape as the ``prices:`` section of a
workload file (:class:`wheretorun.spec.models.PriceOverrides`)::

    overrides:                 # catalog price key -> your unit price, in the entry's unit
      ec2/g5.2xlarge: 0.95
      lambda/requests: 0.18
    discount_pct:              # service -> percent off every catalog price of that service
      ec2: 12
      bedrock: 5
    ec2_commitment: savings-plan-1yr

The file may also be a whole workload-style document with the section under ``prices:``. It is read
with the same bounded loader as workload files, and every problem (an unknown price key, an unknown
service, a negative price) is an :class:`~wheretorun.errors.InputError` naming the field path, e.g.
``prices.overrides.ec2/g5.2xlrge: unknown price key (did you mean 'ec2/g5.2xlarge'?)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import InputError, MoreProblems, Problem
from ..spec.checks import Vocabulary, price_problems
from ..spec.loader import NOT_LISTED, parse_text, problems_from_validation, read_file
from ..spec.models import PriceOverrides
from .store import Catalog

__all__ = ["apply_overrides", "load_price_overrides", "parse_price_overrides"]


def parse_price_overrides(
    data: Any, file: str = "<prices>", path_prefix: str = "prices", vocabulary: Vocabulary | None = None
) -> PriceOverrides:
    """Validate already-parsed prices data; problems carry ``path_prefix`` in their field paths.

    With ``vocabulary``, unknown price keys and services are reported in the same pass as the
    schema's problems (each with a did-you-mean; more than ``MAX_PRICE_OVERRIDES`` keys are refused
    by count before any key is looked up).
    """
    if isinstance(data, dict) and set(data) == {"prices"}:
        data = data["prices"]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise InputError(
            [
                Problem(
                    file,
                    path_prefix,
                    f"expected a mapping with overrides/discount_pct/commitment, got {kind}",
                )
            ]
        )
    problems: list[Problem] = []
    result = None
    try:
        result = PriceOverrides.model_validate(data)
    except ValidationError as e:
        problems = [
            Problem(p.file, f"{path_prefix}.{p.path}" if p.path else path_prefix, p.message)
            for p in problems_from_validation(e, file, PriceOverrides)
        ]
    if vocabulary is not None:
        problems += price_problems(data, file, path_prefix, vocabulary)
    if problems:
        raise InputError(
            [MoreProblems(p.file, "", "", 1) if p.message == NOT_LISTED else p for p in problems]
        )
    assert result is not None
    return result


def load_price_overrides(path: str | Path, vocabulary: Vocabulary | None = None) -> PriceOverrides:
    """Read and validate a prices file (YAML or JSON). Raises InputError (exit 2) on any problem."""
    file = str(path)
    return parse_price_overrides(parse_text(read_file(path), file), file, vocabulary=vocabulary)


def apply_overrides(
    catalog: Catalog, prices: PriceOverrides | None, file: str = "<prices>", path_prefix: str = "prices"
) -> Catalog:
    """A copy of ``catalog`` with the user's prices and discounts applied (keys and services checked).

    The catalog figure each override replaces is kept in the override note, so the trace can show
    "your price from FILE (catalog: $1.212 per instance-hours)".
    """
    if prices is None or (not prices.overrides and not prices.discount_pct):
        return catalog
    return catalog.with_overrides(
        dict(prices.overrides), dict(prices.discount_pct), file=file, path_prefix=path_prefix
    )
