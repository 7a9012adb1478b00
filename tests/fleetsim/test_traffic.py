"""Traffic presets and measured profiles: volume conserved, peak as asked, bad CSVs rejected with the line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wheretorun.errors import InputError
from wheretorun.fleetsim.traffic import MINUTES_PER_YEAR, from_profile, load_profile, preset
from wheretorun.units import MINUTES_PER_MONTH

FIELD = "workloads[0].traffic_profile"


@pytest.mark.parametrize(
    "kind, ptm",
    [("steady", 1.5), ("diurnal", 3.0), ("spiky", 8.0), ("spiky", 40.0), ("batch", 4.0), ("steady", 1.0)],
)
def test_preset_conserves_volume_and_reaches_the_peak(kind, ptm):
    tr = preset(kind, 2_000_000, ptm)
    assert tr.minutes == MINUTES_PER_MONTH == 43_800
    assert tr.total == pytest.approx(2_000_000, rel=1e-12)
    assert tr.peak_to_mean == pytest.approx(ptm, rel=1e-6 if kind != "batch" else 1e-2)
    assert (tr.per_minute >= 0).all()
    assert not tr.notes


def test_presets_are_deterministic_and_shapes_differ():
    a = preset("spiky", 1e6, 8, seed=3).per_minute
    assert np.array_equal(a, preset("spiky", 1e6, 8, seed=3).per_minute)
    assert not np.array_equal(a, preset("steady", 1e6, 8, seed=3).per_minute)


def test_a_year_horizon():
    tr = preset("diurnal", 12e6, 3, minutes=MINUTES_PER_YEAR)
    assert tr.minutes == 525_600 and tr.total == pytest.approx(12e6, rel=1e-12)


def test_batch_peak_is_limited_by_whole_minutes_and_says_so():
    tr = preset("batch", 1e6, 5000)  # a one-minute window a day is as peaked as a batch day gets
    assert tr.notes and "not the 5000" in tr.notes[0]


def write(tmp_path: Path, text: str, name: str = "load.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def rows(start_min: int, values: list[float], step: int = 5) -> str:
    return "".join(
        f"2026-01-01T{(start_min + i * step) // 60:02d}:{(start_min + i * step) % 60:02d}:00Z,{v}\n"
        for i, v in enumerate(values)
    )


def test_profile_is_resampled_to_minutes_and_scaled_to_the_declared_volume(tmp_path):
    p = write(tmp_path, "timestamp,requests\n" + rows(0, [10, 20, 30, 0]))
    values, step = load_profile(p, field_path=FIELD)
    assert step == 5 and values.tolist() == [10, 20, 30, 0]
    tr = from_profile(values, step, 1_000_000, label="load.csv")
    assert tr.minutes == MINUTES_PER_MONTH
    assert tr.total == pytest.approx(1_000_000, rel=1e-12)
    assert tr.per_minute[0] == tr.per_minute[4] and tr.per_minute[5] == 2 * tr.per_minute[0]
    assert any("scaled to the declared" in n for n in tr.notes)
    assert any("bursts shorter than 5 minutes" in n for n in tr.notes)


def test_epoch_seconds_and_extra_columns_are_accepted(tmp_path):
    p = write(tmp_path, "Timestamp,region,Requests\n1767225600,eu,5\n1767225660,eu,6\n")
    values, step = load_profile(p, field_path=FIELD)
    assert step == 1 and values.tolist() == [5, 6]


BAD = [
    ("missing file", None, "file not found"),
    ("empty", "", "empty"),
    ("header only", "timestamp,requests\n", "no data rows"),
    (
        "wrong columns",
        "time,count\n2026-01-01T00:00:00Z,1\n",
        "line 1: columns must include timestamp and requests",
    ),
    (
        "unsorted",
        "timestamp,requests\n" + rows(0, [1, 2]) + rows(0, [3]),
        "line 4: timestamps are not sorted",
    ),
    ("duplicate", "timestamp,requests\n" + rows(0, [1]) + rows(0, [3]), "line 3: timestamps are not sorted"),
    ("gap", "timestamp,requests\n" + rows(0, [1, 2]) + rows(20, [3]), "line 4: a gap: 15 minutes"),
    ("irregular", "timestamp,requests\n" + rows(0, [1, 2]) + rows(12, [3]), "line 4: an irregular interval"),
    (
        "sub-minute interval",
        "timestamp,requests\n2026-01-01T00:00:00Z,1\n2026-01-01T00:00:30Z,1\n",
        "line 3: interval of 30 s",
    ),
    (
        "over an hour",
        "timestamp,requests\n2026-01-01T00:00:00Z,1\n2026-01-01T02:00:00Z,1\n",
        "line 3: interval of 7200 s",
    ),
    ("negative", "timestamp,requests\n" + rows(0, [1, -2]), "line 3: requests must be a finite number >= 0"),
    (
        "NaN",
        "timestamp,requests\n" + rows(0, [1, float("nan")]),
        "line 3: requests must be a finite number >= 0",
    ),
    (
        "not a number",
        "timestamp,requests\n2026-01-01T00:00:00Z,lots\n",
        "line 2: requests 'lots' is not a number",
    ),
    ("bad timestamp", "timestamp,requests\nyesterday,1\n", "line 2: timestamp 'yesterday' is not ISO 8601"),
    ("short row", "timestamp,requests\n2026-01-01T00:00:00Z\n", "line 2: expected 2 columns"),
]


@pytest.mark.parametrize("case, text, message", BAD, ids=[b[0] for b in BAD])
def test_bad_profiles_name_the_field_and_line(tmp_path, case, text, message):
    p = tmp_path / "load.csv" if text is None else write(tmp_path, text)
    with pytest.raises(InputError) as e:
        load_profile(p, field_path=FIELD, label="load.csv")
    (problem,) = e.value.problems
    assert problem.path == FIELD and problem.file == "load.csv"
    assert message in problem.message


def test_a_huge_file_is_refused_before_reading(tmp_path, monkeypatch):
    import wheretorun.fleetsim.traffic as traffic

    p = write(tmp_path, "timestamp,requests\n" + rows(0, [1] * 10))
    monkeypatch.setattr(traffic, "MAX_PROFILE_BYTES", 100)
    with pytest.raises(InputError, match="too large"):
        load_profile(p, field_path=FIELD)


def test_more_than_a_year_of_rows_is_refused(tmp_path, monkeypatch):
    import wheretorun.fleetsim.traffic as traffic

    monkeypatch.setattr(traffic, "MAX_PROFILE_ROWS", 5)
    p = write(tmp_path, "timestamp,requests\n" + rows(0, [1] * 8))
    with pytest.raises(InputError, match="line 7: more than 5 rows"):
        load_profile(p, field_path=FIELD)


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=300),
    step=st.sampled_from([1, 5, 15, 60]),
    volume=st.floats(min_value=0, max_value=1e12),
)
def test_any_valid_profile_round_trips_and_conserves_volume(tmp_path_factory, values, step, volume):
    d = tmp_path_factory.mktemp("p")
    text = "timestamp,requests\n" + "".join(
        f"{1767225600 + i * step * 60},{v!r}\n" for i, v in enumerate(values)
    )
    p = write(d, text)
    got, got_step = load_profile(p, field_path=FIELD)
    assert got_step == (step if len(values) > 1 else 1)
    assert got.tolist() == values
    tr = from_profile(got, got_step, volume)
    assert tr.total == pytest.approx(volume, rel=1e-9, abs=1e-6)
    assert (tr.per_minute >= 0).all()
