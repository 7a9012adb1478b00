"""Requests per minute over time: preset shapes and measured profiles.

A traffic series is a float64 array of expected requests in each minute (a fluid model: 0.3 means
"one request every ~3 minutes"). Its sum is the volume of the horizon exactly (up to float
rounding): ``requests_per_month x horizon / 730 h``. A month is 43,800 minutes (730 h, as AWS bills
it; ``units.HOURS_PER_MONTH``); a horizon may run up to a year (525,600 minutes).

Presets (``spiky``, ``steady``, ``diurnal``, ``batch``) are shaped so that the busiest minute over
the mean equals ``peak_to_mean`` as closely as the shape allows. They are deterministic: the same
workload always gets the same series (the seed comes from the shape and the workload's name).

A measured profile (``traffic_profile``: CSV ``timestamp,requests`` at any regular interval from 1
minute to 1 hour, e.g. a CloudWatch ``Sum`` export) replaces the preset's *shape*; its *volume* is
scaled to the workload's ``requests_per_month``, so every platform is priced on the same number of
requests the file declares (the measured volume is reported in the notes). A profile shorter than
the horizon is repeated; a longer one is simulated in full (up to a year) and its costs are
reported per 730-hour month.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from .._perf import Bounded, memo
from ..errors import InputError, Problem
from ..spec.bounds import shown
from ..spec.files import open_regular
from ..units import HOURS_PER_MONTH, MINUTES_PER_MONTH

MINUTES_PER_DAY = 1440
MINUTES_PER_YEAR = 365 * MINUTES_PER_DAY  # 525,600 (8,760 h)
#: A profile may cover at most a leap year at 1-minute resolution (plus its header).
MAX_PROFILE_ROWS = 366 * MINUTES_PER_DAY
#: 527,040 rows of "2026-01-01T00:00:00Z,123456.5" are ~17 MB; anything far above is not a profile.
MAX_PROFILE_BYTES = 64 * 1024 * 1024
PRESETS = ("spiky", "steady", "diurnal", "batch")


class Shape:
    """A normalised traffic series shared by every workload of one shape: each workload's arrivals are
    ``values * scale`` (one float64 multiplication per minute, so bit for bit the same series).

    Window statistics of the shape are computed once and reused for every volume (``stat``). Why
    that is exact: a rolling maximum or minimum only *selects* values, and what the simulators derive
    from a minute's arrivals -- concurrency, execution environments, desired replicas -- is a
    non-decreasing function of the shape's value in that minute (x -> x * scale, then products,
    square roots, ceilings and clamps; IEEE 754 rounding is monotone). The maximum of f(x) over a
    window is f(maximum of x), bit for bit. Rolling *sums* scale linearly: ``sum * scale`` equals the
    sum of the scaled minutes up to float rounding (about 1e-16 relative).

    The statistics live as long as the shape: a preset's shape sits in ``_shape``'s LRU cache, a
    measured profile's in ``platforms.capacity``'s, and each shape holds at most ``MAX_STATS``
    (``_perf.Bounded``: the simulators ask for a handful per window length).
    """

    MAX_STATS = 16

    def __init__(self, values: np.ndarray):
        self.values = np.asarray(values, dtype=np.float64)  # not to be modified while the shape is in use
        self._stats: Bounded[tuple, np.ndarray] = Bounded(self.MAX_STATS)

    @cached_property
    def total(self) -> float:
        return self.values.sum()

    @cached_property
    def peak(self) -> float:
        return float(self.values.max())

    def stat(self, key: tuple, compute: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """``compute(values)`` cached under ``key`` (which must name everything ``compute`` depends on);
        read-only, as it is shared by every workload of the shape."""

        def computed() -> np.ndarray:
            got = compute(self.values)
            got.setflags(write=False)
            return got

        return self._stats.get(key, computed)


@dataclass(frozen=True)
class Traffic:
    """Expected requests in each minute of the horizon, and where the shape came from.

    When ``shape`` is set, ``per_minute`` is exactly ``shape.values * scale`` and the simulators reuse
    the shape's window statistics (``Shape``); without it they compute them from ``per_minute``.
    """

    per_minute: np.ndarray = field(repr=False)
    source: str  # "preset spiky (peak/mean 8)" or "profile load.csv (5-minute interval)"
    notes: tuple[str, ...] = ()
    shape: Shape | None = field(default=None, repr=False, compare=False)
    scale: float = 1.0
    known_total: float | None = field(default=None, repr=False, compare=False)  # per_minute.sum(), when known

    @property
    def minutes(self) -> int:
        return int(self.per_minute.size)

    @property
    def hours(self) -> float:
        return self.minutes / 60

    @property
    def months(self) -> float:
        """Horizon in 730-hour months (monthly figures = totals / months)."""
        return self.minutes / MINUTES_PER_MONTH

    @property
    def total(self) -> float:
        return self.known_total if self.known_total is not None else float(self.per_minute.sum())

    @cached_property
    def peak(self) -> float:
        """Requests in the busiest minute (from the shape's peak when there is one: x -> x * scale is
        non-decreasing, so that is the series' maximum exactly)."""
        if self.shape is not None and self.per_minute.size:
            return float(self.shape.peak * self.scale)
        return float(self.per_minute.max(initial=0.0))

    @property
    def peak_to_mean(self) -> float:
        mean = self.per_minute.mean()
        return float(self.per_minute.max() / mean) if mean > 0 else 1.0

    def scaled(self, factor: float) -> Traffic:
        return Traffic(self.per_minute * factor, self.source, self.notes)


def horizon_minutes(hours: float = HOURS_PER_MONTH) -> int:
    if not 1 <= hours <= MINUTES_PER_YEAR / 60:
        raise ValueError(f"horizon must be 1 h to 8,760 h (a year), got {hours:g} h")
    return round(hours * 60)


def seed_for(*parts: object) -> int:
    """A stable seed (not Python's salted hash) so a workload always gets the same series."""
    return zlib.crc32("|".join(str(p) for p in parts).encode())


# ---- presets --------------------------------------------------------------------------------------
def _smooth_noise(rng: np.random.Generator, n: int, window: int) -> np.ndarray:
    """White noise averaged over ``window`` minutes (a moving average via cumulative sums), unit std."""
    w = rng.standard_normal(n + window)
    c = np.cumsum(w)
    out = (c[window:] - c[:-window]) / math.sqrt(window)
    return out[:n]


def _daily(t: np.ndarray, peak_hour: float) -> np.ndarray:
    return np.cos(2 * np.pi * (t / MINUTES_PER_DAY - peak_hour / 24))


def _log_shape(kind: str, n: int, seed: int) -> np.ndarray:
    """log of a positive base shape; the preset is exp(p x this) with p fitted to peak_to_mean."""
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=np.float64)
    if kind == "steady":
        # flat with a gentle daily swell and slow noise: peaks are broad, not bursts
        return 0.3 * _daily(t, 14) + 0.3 * _smooth_noise(rng, n, 60)
    if kind == "diurnal":
        # business-hours hump (peak 14:00 UTC), quiet nights, weekends at about half
        day = np.clip(_daily(t, 14), -0.2, None)
        weekend = ((t // MINUTES_PER_DAY) % 7 >= 5) * -0.7
        return 2.0 * day + weekend + 0.1 * _smooth_noise(rng, n, 30)
    if kind == "spiky":
        # a low floor with bursts: ~4 a day at random minutes, rising at once and decaying over
        # ~20 minutes (launches, batch callers, retries); burst heights vary by 10x
        bursts = np.zeros(n)
        count = max(1, rng.poisson(4 * n / MINUTES_PER_DAY))
        starts = rng.integers(0, n, count)
        np.add.at(bursts, starts, rng.lognormal(0.0, 0.8, count))
        kernel = np.exp(-np.arange(120) / 20.0)
        spikes = np.convolve(bursts, kernel)[:n]
        return np.log(0.05 + spikes) + 0.05 * _smooth_noise(rng, n, 10)
    raise ValueError(f"unknown traffic preset '{kind}' (allowed: {', '.join(PRESETS)})")


def _fit_power(log_s: np.ndarray, peak_to_mean: float) -> tuple[np.ndarray, float]:
    """exp(p x log_s) normalised to mean 1, with p such that max/mean = peak_to_mean.

    max/mean of exp(pL) rises monotonically with p (from 1 at p = 0), so Newton's method on the
    convex, decreasing mean(exp(p(L - max L))) converges from p = 0 without overshooting.
    """
    L = log_s - log_s.max()
    target = 1.0 / peak_to_mean
    p = 0.0
    for _ in range(60):
        e = np.exp(p * L)
        f = e.mean()
        if f <= target * (1 + 1e-9):
            break
        slope = (L * e).mean()
        if slope >= -1e-300:
            break
        step = (f - target) / -slope
        p += step
        if step < 1e-12 * max(p, 1.0) or p > 1e6:
            break
    e = np.exp(p * L)
    return e / e.mean(), p


def _batch(n: int, peak_to_mean: float) -> np.ndarray:
    """Work submitted in one window a day starting 01:00 UTC, about 24 h / peak_to_mean long.

    The window is sized over the windows the horizon holds (a 730-hour month has 31 starts), so
    max/mean = peak_to_mean to within a minute's rounding.
    """
    starts = max(1, -(-(n - 60) // MINUTES_PER_DAY)) if n > 60 else 1
    window = max(1, min(MINUTES_PER_DAY, round(n / (peak_to_mean * starts))))
    minute_of_day = np.arange(n) % MINUTES_PER_DAY
    on = ((minute_of_day - 60) % MINUTES_PER_DAY) < window
    return on.astype(np.float64)


@memo(maxsize=32)
def _shape(kind: str, peak_to_mean: float, minutes: int, seed: int) -> Shape:
    """The preset's shape (mean 1), cached: workloads with the same shape and peak share it."""
    if kind == "batch":
        values = _batch(minutes, peak_to_mean)
    elif peak_to_mean == 1:
        values = np.ones(minutes)
    else:
        values, _ = _fit_power(_log_shape(kind, minutes, seed), peak_to_mean)
    values.setflags(write=False)
    return Shape(values)


def preset(
    kind: str, volume: float, peak_to_mean: float, *, minutes: int = MINUTES_PER_MONTH, seed: int = 0
) -> Traffic:
    """``volume`` requests spread over ``minutes`` in the ``kind`` shape, busiest minute ~ ``peak_to_mean`` x mean."""
    if kind not in PRESETS:
        raise ValueError(f"unknown traffic preset '{kind}' (allowed: {', '.join(PRESETS)})")
    if not (1 <= minutes <= MINUTES_PER_YEAR):
        raise ValueError("minutes must be 1 to 525,600 (a year)")
    if volume < 0 or not math.isfinite(volume):
        raise ValueError("volume must be a finite number >= 0")
    if peak_to_mean < 1:
        raise ValueError("peak_to_mean must be >= 1")
    notes: list[str] = []
    shape = _shape(kind, float(peak_to_mean), minutes, seed)
    scale = volume / shape.total
    series = shape.values * scale
    total = series.sum()
    mean = total / minutes  # series.mean(), summed once
    got = peak_to_mean
    if volume > 0:
        # series.max() is the shape's peak times the scale (x -> x * scale is non-decreasing)
        got = float(shape.peak * scale / mean) if mean > 0 else 1.0
    if volume > 0 and abs(got - peak_to_mean) > 0.01 * peak_to_mean:
        notes.append(
            f"the {kind} shape reaches peak/mean {got:,.3g} at 1-minute resolution, not the {peak_to_mean:g} asked for"
        )
    return Traffic(series, f"preset {kind} (peak/mean {got:,.3g})", tuple(notes), shape, scale, float(total))


# ---- measured profiles -----------------------------------------------------------------------------
def _parse_time(text: str) -> float:
    """ISO 8601 (``2026-01-01T00:00:00Z``, ``2026-01-01 00:00``) or Unix epoch seconds -> epoch seconds."""
    s = text.strip()
    if s.replace(".", "", 1).isdigit():
        return float(s)
    t = dt.datetime.fromisoformat(s)
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.timestamp()


def load_profile(path: Path, *, field_path: str, label: str | None = None) -> tuple[np.ndarray, int]:
    """(requests per row, interval in minutes) of a ``timestamp,requests`` CSV, or InputError.

    Every rejection names the file, ``field_path`` and, where it applies, the CSV line. Only a
    regular file is read (``spec.files.open_regular``; where it may be is the caller's check,
    ``spec.files.FileAccess``). Memory is bounded: the file size and row count are checked before
    and while reading. Nothing of a file without the ``timestamp,requests`` header is quoted.
    """
    name = label or str(path)

    def fail(message: str) -> InputError:
        return InputError([Problem(name, field_path, message)])

    times: list[float] = []
    values: list[float] = []
    lines: list[int] = []
    fh = open_regular(path, max_bytes=MAX_PROFILE_BYTES, file=name, field_path=field_path)
    try:
        with fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                raise fail("the file is empty; expected a header line 'timestamp,requests' and data rows")
            cols = [h.strip().lower() for h in header]
            if "timestamp" not in cols or "requests" not in cols:
                # the line is not quoted: a file that is no profile may hold anything (a secret)
                raise fail(
                    f"line 1: columns must include timestamp and requests (found {len(cols)} columns, "
                    "not those); the first line must be the header 'timestamp,requests'"
                )
            ti, ri = cols.index("timestamp"), cols.index("requests")
            need = max(ti, ri)
            for row in reader:
                line_no = reader.line_num
                if not row or all(not c.strip() for c in row):
                    continue
                if len(row) <= need:
                    raise fail(f"line {line_no}: expected {len(cols)} columns, found {len(row)}")
                if len(times) >= MAX_PROFILE_ROWS:
                    raise fail(
                        f"line {line_no}: more than {MAX_PROFILE_ROWS:,} rows (a year at 1-minute intervals); "
                        "give at most a year"
                    )
                try:
                    t = _parse_time(row[ti])
                except (ValueError, OverflowError, OSError):
                    raise fail(
                        f"line {line_no}: timestamp '{shown(row[ti], 40)}' is not ISO 8601 (2026-01-01T00:00:00Z) "
                        "or Unix epoch seconds"
                    ) from None
                try:
                    v = float(row[ri])
                except ValueError:
                    raise fail(f"line {line_no}: requests '{shown(row[ri], 40)}' is not a number") from None
                if not math.isfinite(v) or v < 0:
                    raise fail(
                        f"line {line_no}: requests must be a finite number >= 0, got '{shown(row[ri], 40)}'"
                    )
                times.append(t)
                values.append(v)
                lines.append(line_no)
    except csv.Error as e:
        raise fail(f"line {reader.line_num}: not a valid CSV ({e})") from None
    except UnicodeDecodeError:
        raise fail("not UTF-8 text; export the profile as a UTF-8 CSV") from None
    if not times:
        raise fail("no data rows after the header; expected lines like '2026-01-01T00:00:00Z,120'")
    if len(times) == 1:
        interval = 60.0
    else:
        tt = np.asarray(times)
        d = np.diff(tt)
        back = np.flatnonzero(d <= 0)
        if back.size:
            i = int(back[0])
            raise fail(
                f"line {lines[i + 1]}: timestamps are not sorted ascending (or repeat): "
                f"{_iso(tt[i + 1])} comes after {_iso(tt[i])}"
            )
        interval = float(d[0])
        if interval % 60 or not 60 <= interval <= 3600:
            raise fail(
                f"line {lines[1]}: interval of {interval:g} s; allowed: a whole number of minutes from 1 minute to 1 hour"
            )
        off = np.flatnonzero(d != interval)
        if off.size:
            i = int(off[0])
            gap = d[i]
            kind = "a gap" if gap % interval == 0 else "an irregular interval"
            raise fail(
                f"line {lines[i + 1]}: {kind}: {gap / 60:g} minutes between {_iso(tt[i])} and {_iso(tt[i + 1])} "
                f"where the file's interval is {interval / 60:g} minutes; fill missing intervals with 0"
            )
    step = int(interval // 60)
    if len(values) * step > MAX_PROFILE_ROWS:
        raise fail(f"covers {len(values) * step / MINUTES_PER_DAY:,.0f} days; give at most a year")
    return np.asarray(values, dtype=np.float64), step


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_profile(
    values: np.ndarray,
    step_min: int,
    volume_per_month: float,
    *,
    minutes: int = MINUTES_PER_MONTH,
    label: str = "",
) -> Traffic:
    """A measured profile resampled to 1 minute and scaled to ``volume_per_month``.

    Each interval's requests are spread evenly over its minutes, so an hourly profile cannot show
    a burst shorter than an hour (said in the notes). A profile shorter than ``minutes`` is
    repeated to fill it; a longer one is kept whole (up to a year).
    """
    per_min = np.repeat(values / step_min, step_min)
    measured_minutes = per_min.size
    measured = float(values.sum())
    notes = []
    if measured_minutes < minutes:
        reps = math.ceil(minutes / measured_minutes)
        per_min = np.tile(per_min, reps)[:minutes]
        notes.append(
            f"the profile covers {measured_minutes / 60:,.1f} h; repeated to fill the {minutes / 60:,.0f}-hour horizon"
        )
    horizon = per_min.size
    target = volume_per_month * horizon / MINUTES_PER_MONTH
    measured_monthly = measured * MINUTES_PER_MONTH / measured_minutes
    peak = float(per_min.max(initial=0.0))
    shape = None
    scale = 1.0
    if peak > 0:
        shape = Shape(per_min / peak)  # >= 1 in total: no overflow scaling a profile of subnormal counts
        scale = target / shape.total
        per_min = shape.values * scale
    else:
        per_min = np.full(horizon, target / horizon)
        notes.append("the profile has no requests at all: spread the declared volume evenly")
    notes.append(
        f"traffic shape from {label or 'the profile'} ({step_min}-minute interval), scaled to the declared "
        f"{volume_per_month:,.0f} requests/month (the profile itself measures {measured_monthly:,.0f} per 730 h)"
    )
    if step_min > 1:
        notes.append(
            f"a {step_min}-minute profile is spread evenly within each interval: bursts shorter than {step_min} minutes are not seen"
        )
    return Traffic(per_min, f"profile {label} ({step_min}-minute interval)", tuple(notes), shape, scale)
