"""Charts of a Report: Vega-Lite specs built with Altair, rendered offline by vl-convert.

Why Vega-Lite: one declarative spec renders to SVG (inlined in the HTML report and the web page),
to PNG (slides) and stays inspectable as JSON; ``vl-convert-python`` embeds the Vega runtime in a
wheel, so nothing is fetched at render or view time (https://github.com/vega/vl-convert).

Every chart is a pure function of the Report. A chart whose data the run did not compute (the
traffic simulation, the growth projection and the Monte Carlo are optional analyses) is returned
with ``spec=None`` and the reason, so every format can say "not computed for this run" instead of
drawing nothing. The data are the typed analyses of ``WorkloadReport`` (``breakeven_curve``,
``capacity_week``, ``growth``, ``uncertainty``; their JSON shapes are in docs/web.md, "Chart data").

vl-convert is native code (Rust, with a V8 runtime inside): a control character in a label made it
panic and abort the whole process (issue 10; exit 134 from the CLI, a dead server from the web
app). So every string of a spec is made safe before rendering (``safe_text``), and the rendering
itself runs in worker processes that a crash or a hang costs one chart (a ``ChartError`` that says
which and why), never the process that asked for it.

The workers are plain ``python -c`` subprocesses that import vl-convert and nothing else, speaking
length-prefixed JSON on stdin and stdout. Not ``multiprocessing`` (nor pebble or concurrent.futures,
which build on it): its spawn and forkserver starts re-run the caller's main script in every
worker (a script without an ``if __name__ == "__main__"`` guard would run again, side effects and
all), and its fork start copies a threaded server's locks mid-flight.
"""

from __future__ import annotations

import atexit
import functools
import importlib.util
import json
import os
import re
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import missing_extra
from .model import DETAILED_UP_TO, Option, Report, WorkloadReport

NOT_COMPUTED = "not computed for this run"
WIDTH = 560
INFRA, ENGINEERING = "infrastructure", "engineering"
# d3's SI prefix says G for 10^9; token volumes are spoken of in billions (B).
SI_BILLIONS = "replace(format(datum.value, '~s'), 'G', 'B')"
PALETTE = {"domain": [INFRA, ENGINEERING], "range": ["#2b6cb0", "#dd8a2b"]}


def _write_bytes(fh: BinaryIO, data: bytes) -> None:
    fh.write(data)


@dataclass(frozen=True)
class Chart:
    """One chart of one workload: its Vega-Lite spec, or why there is none."""

    key: str
    title: str
    workload: str
    spec: dict[str, Any] | None
    reason: str | None = None
    index: int = 0  # the workload's position: keeps file names unique when two names slug alike

    @property
    def slug(self) -> str:
        return f"{self.index + 1:02d}-{_slug(self.workload)}-{self.key}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "workload"


def _alt():
    try:
        import altair as alt
    except ImportError as e:  # exercised only without the charts extra (tests/cli: a blocked import)
        raise missing_extra("charts", "charts", e.name) from None
    return alt


_charts_extra = False  # set once vl-convert is known to be installed


def _require_charts_extra() -> None:
    """vl-convert draws in a worker process, where a missing package would be one more failed
    chart; say it here, once, as the install hint it is (exit 2, never 'internal error')."""
    global _charts_extra
    if _charts_extra:
        return
    try:
        found = importlib.util.find_spec("vl_convert") is not None
    except ValueError:  # sys.modules holds None for it: blocked
        found = False
    if not found:
        raise missing_extra("charts", "charts", "vl_convert")
    _charts_extra = True


_SLOT = "__wheretorun_rows__"


class _Rows:
    """A chart's data tables, kept out of Altair until its spec is built.

    Altair checks inline data against the Vega-Lite schema row by row when a chart is built and
    again in ``to_dict``, copying it as it goes: for the week of capacity (1,344 rows) that was
    a second of CPU and a 12 MB peak of short-lived objects in the process drawing the report (a
    server's, where it raised the memory it kept after a burst of HTML renders: issue 10), for
    rows the schema allows anything in. So each table enters the chart as a one-row placeholder
    (``rows_in(values)``), and ``fill`` puts the rows in the finished spec: the same spec as before,
    every part but the rows checked by Altair.
    """

    def __init__(self) -> None:
        self.tables: list[list[dict[str, Any]]] = []

    def __call__(self, values: list[dict[str, Any]]) -> Any:
        self.tables.append(values)
        return _alt().Data(values=[{_SLOT: len(self.tables) - 1}])

    def fill(self, spec: Any) -> Any:
        if isinstance(spec, list):
            return [self.fill(v) for v in spec]
        if not isinstance(spec, dict):
            return spec
        values = spec.get("values")
        if (
            isinstance(values, list)
            and len(values) == 1
            and isinstance(values[0], dict)
            and _SLOT in values[0]
        ):
            return {**spec, "values": self.tables[values[0][_SLOT]]}
        return {k: self.fill(v) for k, v in spec.items()}


def _label(o: Option) -> str:
    where = o.platform + (f" ({o.instance_type})" if o.instance_type else "")
    return f"{o.layer}: {where}"


def cost_per_option(w: WorkloadReport) -> dict[str, Any] | None:
    """Stacked bars: monthly infrastructure + engineering cost of every feasible option, both layers."""
    alt = _alt()
    rows_in = _Rows()
    chosen = {id(o) for o in (w.chosen, w.chosen_model) if o is not None}
    rows = []
    for o in [*w.options, *w.model_options]:
        if not o.feasible or o.monthly_cost_usd is None:
            continue
        label = _label(o) + ("  [chosen]" if id(o) in chosen else "")
        mc = o.monthly_cost_usd
        rows += [
            {"option": label, "part": INFRA, "usd": float(mc.infra), "total": float(mc.total)},
            {"option": label, "part": ENGINEERING, "usd": float(mc.ops), "total": float(mc.total)},
        ]
    if not rows:
        return None
    order = [r["option"] for r in sorted(rows[::2], key=lambda r: float(r["total"]))]  # type: ignore[arg-type]
    chart = (
        alt.Chart(rows_in(rows))
        .mark_bar()
        .encode(
            y=alt.Y("option:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X("sum(usd):Q", title="USD per month", axis=alt.Axis(format="$,.0f")),
            color=alt.Color("part:N", scale=alt.Scale(**PALETTE), title="cost"),
            order=alt.Order("part:N", sort="descending"),
            tooltip=[
                alt.Tooltip("option:N"),
                alt.Tooltip("part:N"),
                alt.Tooltip("usd:Q", format="$,.2f"),
                alt.Tooltip("total:Q", format="$,.2f"),
            ],
        )
        .properties(width=WIDTH, title=f"{w.name}: monthly cost per option (infrastructure + engineering)")
    )
    return rows_in.fill(chart.to_dict())


def cost_vs_volume(w: WorkloadReport) -> dict[str, Any] | None:
    """Total monthly cost against monthly token volume, with the break-even and today's volume marked."""
    alt = _alt()
    rows_in = _Rows()
    rows = [
        {"tokens": p.tokens_per_month, "platform": p.platform, "usd": p.monthly_usd}
        for p in w.breakeven_curve
        if p.tokens_per_month > 0
    ]
    if not rows:
        return None
    lines = (
        alt.Chart(rows_in(rows))
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "tokens:Q",
                scale=alt.Scale(type="log"),
                title="tokens per month (log scale; M = million, B = billion)",
                axis=alt.Axis(labelExpr=SI_BILLIONS),
            ),
            y=alt.Y(
                "usd:Q",
                scale=alt.Scale(type="log"),
                title="USD per month, total (log scale)",
                axis=alt.Axis(format="$,.0f"),
            ),
            color=alt.Color("platform:N", title="platform"),
            tooltip=[
                alt.Tooltip("platform:N"),
                alt.Tooltip("tokens:Q", format=",.0f"),
                alt.Tooltip("usd:Q", format="$,.2f"),
            ],
        )
    )
    marks = []
    be = w.breakeven
    if be is not None and be.current_tokens_per_month:
        marks.append({"tokens": float(be.current_tokens_per_month), "what": "your volume"})
    if be is not None and be.tokens_per_month:
        marks.append({"tokens": float(be.tokens_per_month), "what": "break-even"})
    layers = [lines]
    if marks:
        base = alt.Chart(rows_in(marks))
        layers.append(
            base.mark_rule(strokeDash=[6, 4], strokeWidth=2).encode(
                x="tokens:Q",
                color=alt.value("#444"),
                tooltip=[alt.Tooltip("what:N"), alt.Tooltip("tokens:Q", format=",.0f")],
            )
        )
        layers.append(
            base.mark_text(align="left", dx=4, dy=-4, baseline="bottom", angle=0).encode(
                x="tokens:Q", y=alt.value(12), text="what:N", color=alt.value("#444")
            )
        )
    chart = alt.layer(*layers).properties(
        width=WIDTH, height=300, title=f"{w.name}: monthly cost against token volume"
    )
    return rows_in.fill(chart.to_dict())


def capacity_week(w: WorkloadReport) -> dict[str, Any] | None:
    """Request rate against provisioned capacity over a representative week."""
    alt = _alt()
    rows_in = _Rows()
    data = w.capacity_week
    if data is None or not data.minutes:
        return None
    unit = data.unit
    rows = []
    for minute, req, cap in zip(data.minutes, data.requests, data.capacity, strict=True):
        day = minute / 1440.0
        rows.append({"day": day, "series": "traffic", "value": req})
        rows.append({"day": day, "series": "provisioned capacity", "value": cap})
    title = f"{w.name}: traffic against provisioned capacity over a week"
    if data.platform:
        title += f" ({data.platform})"
    chart = (
        alt.Chart(rows_in(rows))
        .mark_line(interpolate="step-after", strokeWidth=1.5)
        .encode(
            x=alt.X("day:Q", title="day of the week", scale=alt.Scale(domain=[0, 7], nice=False)),
            y=alt.Y("value:Q", title=unit),
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=["traffic", "provisioned capacity"], range=["#2b6cb0", "#c53030"]),
                title=None,
            ),
        )
        .properties(width=WIDTH, height=260, title=title)
    )
    return rows_in.fill(chart.to_dict())


def _per_layer(alt: Any, rows_in: _Rows, charts: list, title: str, shared: str) -> dict[str, Any]:
    """One chart, or one per layer stacked with their own axes: the model layer ($13k-$120k a month)
    on the axis of the orchestration options ($0.5k-$3k) would flatten both."""
    if len(charts) == 1:
        return rows_in.fill(charts[0].properties(title=title).to_dict())
    both = alt.vconcat(*charts).properties(title=title)
    return rows_in.fill(both.resolve_scale(**{shared: "independent"}, color="independent").to_dict())


def growth(w: WorkloadReport) -> dict[str, Any] | None:
    """Monthly total of each option over the growth projection, a chart per layer; the months the
    cheapest changes marked."""
    alt = _alt()
    rows_in = _Rows()
    data = w.growth
    if data is None or not data.layers:
        return None
    several = len(data.layers) > 1
    charts = []
    for layer in data.layers:
        # a month in which an option is over its quota in force has no total (null): no point
        rows = [
            {"month": i + 1, "option": o.key, "usd": v}
            for o in layer.options
            for i, v in enumerate(o.monthly_total_usd)
            if v is not None
        ]
        if not rows:
            continue
        marks = [{"month": c.month, "what": f"month {c.month}: {c.from_} -> {c.to}"} for c in layer.changes]
        parts = [
            alt.Chart(rows_in(rows))
            .mark_line(point=True)
            .encode(
                x=alt.X("month:Q", title="month (1 = today's volume)", scale=alt.Scale(nice=False)),
                y=alt.Y(
                    "usd:Q",
                    title=f"{layer.layer} layer, USD per month" if several else "USD per month, total",
                    axis=alt.Axis(format="$,.0f"),
                ),
                color=alt.Color("option:N", title="option", legend=alt.Legend(labelLimit=260)),
                tooltip=[
                    alt.Tooltip("option:N"),
                    alt.Tooltip("month:Q"),
                    alt.Tooltip("usd:Q", format="$,.2f"),
                ],
            )
        ]
        if marks:
            mark = alt.Chart(rows_in(marks))
            parts.append(
                mark.mark_rule(strokeDash=[6, 4], strokeWidth=2, color="#444").encode(
                    x="month:Q", tooltip=[alt.Tooltip("what:N")]
                )
            )
            first = alt.Chart(
                rows_in(
                    [{"month": marks[0]["month"], "what": f"month {marks[0]['month']}: cheapest changes"}]
                )
            )
            parts.append(  # one label: every change is a rule with its own tooltip
                first.mark_text(align="right", dx=-4, baseline="top", color="#444").encode(
                    x="month:Q", y=alt.value(4), text="what:N"
                )
            )
        charts.append(alt.layer(*parts).properties(width=WIDTH, height=240 if several else 280))
    if not charts:
        return None
    title = f"{w.name}: monthly cost under {data.rate_per_month * 100:g}%/month growth"
    return _per_layer(alt, rows_in, charts, title, "y")


def uncertainty(w: WorkloadReport) -> dict[str, Any] | None:
    """Monte Carlo spread: P10-P90 of each option's monthly total, P50 marked, P(cheapest)
    labelled; a chart per layer, each on its own dollar axis."""
    alt = _alt()
    rows_in = _Rows()
    data = w.uncertainty
    if data is None or not data.layers:
        return None
    several = len(data.layers) > 1
    charts = []
    for layer in data.layers:
        rows = [
            {
                "option": o.key,
                "p10": o.p10_usd,
                "p50": o.p50_usd,
                "p90": o.p90_usd,
                "label": f"P(cheapest) {o.p_cheapest * 100:.0f}%",
            }
            for o in layer.options
        ]
        if not rows:
            continue
        base = alt.Chart(rows_in(rows)).encode(
            y=alt.Y(
                "option:N",
                title=f"{layer.layer} layer" if several else None,
                sort=alt.EncodingSortField("p50", order="ascending"),
                axis=alt.Axis(labelLimit=260),
            )
        )
        charts.append(
            alt.layer(
                base.mark_rule(strokeWidth=6, color="#90cdf4").encode(
                    x=alt.X("p10:Q", title="USD per month, total", axis=alt.Axis(format="$,.0f")), x2="p90:Q"
                ),
                base.mark_tick(thickness=3, size=18, color="#2b6cb0").encode(
                    x="p50:Q",
                    tooltip=[
                        alt.Tooltip("option:N"),
                        alt.Tooltip("p10:Q", format="$,.2f"),
                        alt.Tooltip("p50:Q", format="$,.2f"),
                        alt.Tooltip("p90:Q", format="$,.2f"),
                    ],
                ),
                base.mark_text(align="left", dx=8, color="#333").encode(x="p90:Q", text="label:N"),
            ).properties(width=WIDTH - 120)
        )
    if not charts:
        return None
    title = f"{w.name}: monthly cost spread (P10-P90, P50 marked), {data.draws:,} draws"
    return _per_layer(alt, rows_in, charts, title, "x")


CHARTS: tuple[tuple[str, str, Callable[[WorkloadReport], dict[str, Any] | None]], ...] = (
    ("cost-per-option", "Cost per option (infrastructure + engineering)", cost_per_option),
    ("cost-vs-volume", "Cost against monthly volume, break-even marked", cost_vs_volume),
    ("capacity-week", "Traffic against provisioned capacity over a week", capacity_week),
    ("growth", "24-month growth and the crossover month", growth),
    ("uncertainty", "Monte Carlo cost spread", uncertainty),
)


def charts_for(report: Report) -> list[Chart]:
    """Every chart of every workload, in a fixed order; missing data gives ``spec=None`` with the
    reason. An inventory (more than ``DETAILED_UP_TO`` workloads) gets charts for its costliest only:
    five charts take vl-convert about a quarter of a second a workload (40 minutes for 10,000), and
    nobody reads fifty thousand charts; each other workload gets one ``spec=None`` saying so."""
    out = []
    drawn = set(report.costliest(DETAILED_UP_TO))
    skipped = (
        f"charts are drawn for the {DETAILED_UP_TO} costliest of the {len(report.workloads):,} workloads; "
        "this one's figures are in its tables"
    )
    for i, w in enumerate(report.workloads):
        if i not in drawn:
            out.append(Chart("charts", "Charts", w.name, None, skipped, i))
            continue
        for key, title, build in CHARTS:
            spec = build(w)
            out.append(Chart(key, title, w.name, spec, None if spec is not None else NOT_COMPUTED, i))
    return out


class ChartError(RuntimeError):
    """A chart could not be drawn: the chart library crashed, overran its time, or refused the spec."""


#: Worker processes drawing charts. One by default: the CLI draws its charts one after another,
#: and a server's HTML renders must leave the other core of a two-core machine to its small
#: requests (issue 10: 44 chart renders made a 20 ms request wait 25 s); ``wheretorun serve
#: --chart-workers N`` raises it. Charts beyond this wait for a worker.
CHART_WORKERS = 1
#: Seconds one chart may take in its worker (a chart takes about 50 ms; the first one in a fresh
#: worker a second or two while vl-convert starts its JavaScript runtime).
CHART_TIMEOUT_S = 30.0

# Every character XML 1.0 forbids, plus the C1 controls: each became a panic, or an invalid SVG, in
# vl-convert. C0 controls become their visible Control Pictures (U+2400 block, so "a\x07b" reads
# "a\u2407b"), DEL U+2421, the rest U+FFFD.
_UNSAFE = {c: 0x2400 + c for c in range(0x20)} | {0x7F: 0x2421}
_UNSAFE |= {c: 0xFFFD for c in (*range(0x80, 0xA0), *range(0xD800, 0xE000), 0xFFFE, 0xFFFF)}


def safe_text(text: str) -> str:
    """``text`` with every control character, surrogate and non-character replaced by a visible one."""
    return text.translate(_UNSAFE)


def safe_spec(value: Any) -> Any:
    """A copy of a Vega-Lite spec (or any part of one) whose strings are all ``safe_text``."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dict):
        return {safe_text(k) if isinstance(k, str) else k: safe_spec(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [safe_spec(v) for v in value]
    return value


# The worker: reads {"fmt", "spec", "options"} frames (4-byte big-endian length, then JSON) from
# stdin, answers each with a status byte (0 done, 1 refused), a 4-byte length and the SVG, PNG or
# error text. It ends at the end of stdin, or when its parent is gone (checked every second, so a
# worker stuck in native code does not outlive a killed parent).
_WORKER_SOURCE = r"""
import json, os, struct, sys, threading, time
parent = int(sys.argv[1])
def orphaned():
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)
threading.Thread(target=orphaned, daemon=True).start()
import vl_convert
inp, out = sys.stdin.buffer, sys.stdout.buffer
while True:
    head = inp.read(4)
    if len(head) < 4:
        break
    job = json.loads(inp.read(struct.unpack(">I", head)[0]))
    try:
        data = getattr(vl_convert, "vegalite_to_" + job["fmt"])(job["spec"], **job["options"])
        status, data = 0, data.encode() if isinstance(data, str) else bytes(data)
    except Exception as e:
        status, data = 1, f"{type(e).__name__}: {e}".encode()
    out.write(struct.pack(">BI", status, len(data)) + data)
    out.flush()
"""


class _Gone(Exception):
    """The worker died or overran its time."""


class _Worker:
    """One chart worker process."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _WORKER_SOURCE, str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # a panic's backtrace: the exit status says enough
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def ask(self, job: bytes, timeout_s: float) -> tuple[int, bytes]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        deadline = time.monotonic() + timeout_s
        self._write(struct.pack(">I", len(job)) + job, deadline)
        head = self._read(5, deadline)
        status, size = struct.unpack(">BI", head)
        return status, self._read(size, deadline)

    def _write(self, data: bytes, deadline: float) -> None:
        """Send ``data`` by the deadline (a spec is up to a few MB: more than a pipe holds, so a
        worker that stopped reading would block a plain write for good)."""
        assert self.proc.stdin is not None
        fd, view = self.proc.stdin.fileno(), memoryview(data)
        os.set_blocking(fd, False)
        while view:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [fd], [], left)[1]:
                raise _Gone(f"the chart library took more than {CHART_TIMEOUT_S:g} s and was stopped")
            try:
                view = view[os.write(fd, view) :]
            except BlockingIOError:
                continue
            except OSError:  # a broken pipe: it died
                raise _Gone(self._death()) from None

    def _read(self, size: int, deadline: float) -> bytes:
        assert self.proc.stdout is not None
        fd, chunks, got = self.proc.stdout.fileno(), [], 0
        while got < size:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise _Gone(f"the chart library took more than {CHART_TIMEOUT_S:g} s and was stopped")
            chunk = os.read(fd, min(size - got, 1 << 20))
            if not chunk:
                raise _Gone(self._death())
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _death(self) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            return "the chart library stopped answering and was stopped"
        if code < 0:
            try:
                return f"the chart library crashed ({signal.Signals(-code).name})"
            except ValueError:
                pass
        return f"the chart library crashed (exit status {code})"

    def kill(self) -> None:
        """Kill it (if still running) and close its pipes."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()

    def close(self) -> None:
        """Ask it to end (end of its stdin); kill it if it does not within a second."""
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            self.proc.wait(timeout=1)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()


_lock = threading.Lock()
_idle: list[_Worker] = []
_slots = threading.BoundedSemaphore(CHART_WORKERS)


def _take() -> _Worker:
    with _lock:
        while _idle:
            worker = _idle.pop()
            if worker.alive():
                return worker
            worker.kill()
    return _Worker()


def start_chart_workers(workers: int | None = None, timeout_s: float | None = None) -> None:
    """Start a worker now (a server does, so that its first page does not wait for one), optionally
    with another number of workers or another timeout."""
    global CHART_WORKERS, CHART_TIMEOUT_S, _slots
    if timeout_s is not None:
        CHART_TIMEOUT_S = timeout_s
    if workers is not None and workers != CHART_WORKERS:
        CHART_WORKERS = workers
        _slots = threading.BoundedSemaphore(workers)
    worker = _take()
    with _lock:
        _idle.append(worker)


@atexit.register
def stop_chart_workers() -> None:
    """End the idle chart workers (at exit; a server at shutdown; tests, for fresh ones)."""
    with _lock:
        workers = list(_idle)
        _idle.clear()
    for worker in workers:
        worker.close()


def _render(fmt: str, spec: dict[str, Any], **options: Any) -> Any:
    """vl-convert's ``vegalite_to_<fmt>`` on the safe spec, in a chart worker."""
    _require_charts_extra()
    job = json.dumps({"fmt": fmt, "spec": safe_spec(spec), "options": options}).encode()
    with _slots:  # at most CHART_WORKERS charts at once
        worker = _take()
        try:
            status, data = worker.ask(job, CHART_TIMEOUT_S)
        except _Gone as e:
            worker.kill()
            raise ChartError(str(e)) from None
        with _lock:
            _idle.append(worker)
    if status:
        raise ChartError(f"the chart library refused the chart ({data.decode(errors='replace')})")
    return data.decode() if fmt == "svg" else data


def to_svg(spec: dict[str, Any]) -> str:
    """SVG text of a Vega-Lite spec, rendered offline in a chart worker, scalable (a viewBox is
    ensured). Raises ``ChartError`` when the chart cannot be drawn."""
    svg = str(_render("svg", spec))
    m = re.match(r'<svg[^>]*?width="([\d.]+)"[^>]*?height="([\d.]+)"', svg)
    if m and "viewBox" not in svg[: svg.index(">")]:
        svg = svg.replace("<svg", f'<svg viewBox="0 0 {m.group(1)} {m.group(2)}"', 1)
    return svg


def to_png(spec: dict[str, Any], scale: float = 2.0) -> bytes:
    """PNG bytes of a Vega-Lite spec, rendered in a chart worker. Raises ``ChartError``."""
    return bytes(_render("png", spec, scale=scale))


def write_charts(report: Report, directory: str | Path) -> list[Path]:
    """Write each computed chart as ``<workload>-<chart>.svg`` and ``.png``; returns the paths written.

    Each file is written whole or not at all (``files.write_atomically``): a full or read-only disk
    raises OSError and leaves no truncated PNG.
    """
    from ..files import write_atomically

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for chart in charts_for(report):
        if chart.spec is None:
            continue
        try:
            svg, png = to_svg(chart.spec).encode("utf-8"), to_png(chart.spec)
        except ChartError as e:
            raise ChartError(f"chart {chart.slug} ({chart.workload!r}): {e}") from None
        for path, data in ((out / f"{chart.slug}.svg", svg), (out / f"{chart.slug}.png", png)):
            write_atomically(path, functools.partial(_write_bytes, data=data))
            written.append(path)
    return written


__all__ = [
    "CHARTS",
    "NOT_COMPUTED",
    "Chart",
    "ChartError",
    "charts_for",
    "safe_spec",
    "safe_text",
    "start_chart_workers",
    "stop_chart_workers",
    "to_png",
    "to_svg",
    "write_charts",
]
