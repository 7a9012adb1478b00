"""Unit conversions, defined once.

AWS bills a month of always-on capacity as 730 hours (8,760 h / 12); the AWS Pricing Calculator
uses the same figure (https://docs.aws.amazon.com/pricing-calculator/latest/userguide/advanced-estimate.html).
Every monthly figure in wheretorun assumes this month length.
"""

from __future__ import annotations

from decimal import Decimal

HOURS_PER_MONTH = 730

#: The numeric formats model weights are served in (bytes per parameter: ``sizing.memory``).
PRECISIONS = ("fp32", "bf16", "fp16", "fp8", "int8", "int4")
SECONDS_PER_HOUR = 3600
SECONDS_PER_MONTH = HOURS_PER_MONTH * SECONDS_PER_HOUR  # 2,628,000 s
MINUTES_PER_MONTH = HOURS_PER_MONTH * 60

MB_PER_GB = 1024  # Lambda memory settings are MB where 1,024 MB bill as 1 GB (AWS Lambda pricing page)

MILLION = Decimal(1_000_000)


def money(value: Decimal | float | int) -> Decimal:
    """Exact Decimal of a number; floats go through str() so 0.1 stays 0.1."""
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def tokens_text(n: float) -> str:
    """A token count in the unit its size calls for, three significant figures: 25.5B, 237B, 940M.

    One function for every token volume in a report, so one block never says "237B" beside
    "236,520.0M" for the same kind of figure.
    """
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= div:
            return f"{n / div:,.3g}{suffix}"
    return f"{n:,.0f}"
