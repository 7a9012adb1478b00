"""Unit conversions are defined once (issue 3, item 8)."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from wheretorun import units


def test_month_is_730_hours():
    assert units.HOURS_PER_MONTH == 730
    assert units.SECONDS_PER_MONTH == 730 * 3600
    assert units.MINUTES_PER_MONTH == 730 * 60


@given(st.floats(min_value=0, max_value=1e12, allow_nan=False))
def test_money_from_float_round_trips_through_its_decimal_text(x):
    assert units.money(x) == Decimal(str(x))
    assert float(units.money(x)) == x


def test_lambda_bills_1024_mb_as_one_gb():
    assert units.MB_PER_GB == 1024
