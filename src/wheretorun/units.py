"""Unit conversions, defined once.

AWS bills a month of always-on capacity as 730 hours (8,760 h / 12); the AWS Pricing Calculator
uses the same figure (https://docs.aws.amazon.com/pricing-calculator/latest/userguide/advanced-estimate.html).
Every monthly figure in wheretorun assumes this month length.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

HOURS_PER_MONTH = 730
SECONDS_PER_HOUR = 3600
SECONDS_PER_MONTH = HOURS_PER_MONTH * SECONDS_PER_HOUR  # 2,628,000 s
MINUTES_PER_MONTH = HOURS_PER_MONTH * 60
MONTH_NOTE = "a month is 730 hours (8,760 h / 12), as AWS bills it"

#: decimal gigabyte, as AWS prices memory (Lambda GB-s, Fargate GB-hours) and as GPU memory is sold.
BYTES_PER_GB = 10**9
BYTES_PER_GIB = 2**30
MB_PER_GB = 1024  # Lambda memory settings are MB where 1,024 MB bill as 1 GB (AWS Lambda pricing page)

MILLION = Decimal(1_000_000)


def money(value: Decimal | float | int) -> Decimal:
    """Exact Decimal of a number; floats go through str() so 0.1 stays 0.1."""
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def round_cents(value: Decimal) -> Decimal:
    """Round to cents for display; invoices keep full precision until rendered."""
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def gib_to_gb(gib: float) -> float:
    return gib * BYTES_PER_GIB / BYTES_PER_GB


def per_second_from_month(per_month: float) -> float:
    return per_month / SECONDS_PER_MONTH
