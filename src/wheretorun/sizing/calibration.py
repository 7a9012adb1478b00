"""The serving model against published measurements (``sizing/data/measurements.yml``).

Each row is predicted with exactly the code ``size`` and ``recommend`` use (``serving.at_concurrency``
on a ``ServingSetup`` whose batch limit comes from ``placement.max_batch``); nothing is tuned per row.
``validate()`` returns every row with its error; ``fit()`` re-fits the factors of ``efficiency.yml``
(coordinate descent on log errors, bounded), and ``leave_one_source_out()`` re-fits without each
source and predicts it -- the honest error for a configuration no source measured. ``python -m bench``
prints both per source; docs/sizing.md reports them; tests/sizing asserts the targets:
throughput and TPOT median absolute percentage error <= 20 %, TTFT within 2x on 80 % of the rows
at or below saturation.
"""

# Annotations are objects, not strings (no `from __future__ import annotations`): pydantic would
# compile and evaluate each string when the model class is built, at every command's start-up.

import datetime as dt
import math
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from .._perf import memo, read_yaml
from ..catalog.store import Catalog
from .efficiency import DATA_DIR, EfficiencyFile, Engine, load_efficiency
from .memory import PRECISIONS, architecture_from_card
from .placement import USABLE_MEMORY_FRACTION, max_batch
from .serving import ServingSetup, at_concurrency

Metric = Literal[
    "output_tokens_per_s", "per_sequence_tokens_per_s", "ttft_s", "tpot_s", "latency_per_output_token_s"
]
#: Which targets a metric counts towards: throughput, time per output token, time to first token.
KIND: dict[str, str] = {
    "output_tokens_per_s": "throughput",
    "per_sequence_tokens_per_s": "tpot",
    "tpot_s": "tpot",
    "latency_per_output_token_s": "tpot",
    "ttft_s": "ttft",
}
MAX_MDAPE = {"throughput": 0.20, "tpot": 0.20}
#: TTFT target: this share of rows at or below saturation within a factor of TTFT_FACTOR.
TTFT_FACTOR, TTFT_SHARE = 2.0, 0.80


class Measurement(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, defer_build=True)

    id: str
    model: str
    precision: Literal[PRECISIONS]  # type: ignore[valid-type]
    accelerator: str
    tensor_parallel: Annotated[int, Field(ge=1)]
    instance_family: str | None = None
    engine: str
    engine_kind: Engine
    harness: Literal["http", "offline"]
    group: str = Field(..., min_length=3)
    concurrency: Annotated[int, Field(ge=1)]
    input_tokens: Annotated[int, Field(ge=0)]
    output_tokens: Annotated[int, Field(ge=0)]
    compiled_batch: Annotated[int, Field(ge=1)] | None = None
    compiled_sequence_tokens: Annotated[int, Field(ge=1)] | None = None
    metric: Metric
    measured: Annotated[float, Field(gt=0)]
    source: str = Field(..., min_length=8)
    published: str
    as_of: dt.date
    note: str | None = None


class MeasurementFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    source: str
    as_of: dt.date
    measurements: list[Measurement]


@dataclass(frozen=True)
class Validation:
    row: Measurement
    batch: int  # sequences the model ran together (the concurrency, or what KV cache / engine hold)
    predicted: float
    saturated: bool  # the concurrency reaches the batch limit: requests queue

    @property
    def error(self) -> float:
        """Signed relative error (predicted - measured) / measured."""
        return (self.predicted - self.row.measured) / self.row.measured

    @property
    def kind(self) -> str:
        return KIND[self.row.metric]


@memo(maxsize=8)
def load_measurements(path: str | None = None) -> MeasurementFile:
    """The shipped measurements, or those of ``path`` (tests). Cached by path: the shipped file is
    fixed for the process, and validity checks read it for every sized replica."""
    file = Path(path) if path else DATA_DIR / "measurements.yml"
    with file.open(encoding="utf-8") as fh:
        return MeasurementFile.model_validate(read_yaml(fh))


def setup_for(row: Measurement, catalog: Catalog, eff: EfficiencyFile | None = None) -> ServingSetup:
    """The replica a row measured, as the serving model sees it."""
    eff = eff or load_efficiency()
    card = catalog.find_model(row.model)
    if card is None or not hasattr(card, "layers"):
        raise KeyError(f"measurement {row.id}: model '{row.model}' has no architecture in the catalog")
    arch = architecture_from_card(card)  # type: ignore[arg-type]
    accel = catalog.accelerators[row.accelerator]
    tp = row.tensor_parallel
    seq = max(1, row.input_tokens + row.output_tokens)
    usable = accel.memory_gb * tp * USABLE_MEMORY_FRACTION
    kv_batch = max(1, max_batch(arch, row.precision, usable, seq, 1_000_000, seq, tp))
    return ServingSetup(
        arch,
        row.precision,
        accel,
        tp,
        row.input_tokens,
        row.output_tokens,
        kv_batch,
        engine=row.engine_kind,
        interconnect=eff.families.get(row.instance_family or "", None),
        compiled_batch=row.compiled_batch,
        compiled_sequence_tokens=row.compiled_sequence_tokens,
        through_api=row.harness == "http",
        eff=eff,
    )


def predict(row: Measurement, catalog: Catalog, eff: EfficiencyFile | None = None) -> Validation:
    s = setup_for(row, catalog, eff)
    pt = at_concurrency(s, row.concurrency)
    value = {
        "output_tokens_per_s": pt.output_tokens_per_s,
        "per_sequence_tokens_per_s": 1 / pt.tpot_s if pt.tpot_s > 0 else math.inf,
        "ttft_s": pt.ttft_s,
        "tpot_s": pt.tpot_s,
        "latency_per_output_token_s": pt.request_latency_s / max(1, row.output_tokens),
    }[row.metric]
    return Validation(row, round(pt.batch), value, row.concurrency > s.batch_limit)


def validate(
    catalog: Catalog, eff: EfficiencyFile | None = None, rows: Iterable[Measurement] | None = None
) -> list[Validation]:
    rows = load_measurements().measurements if rows is None else rows
    return [predict(r, catalog, eff) for r in rows]


def mdape(results: list[Validation], kind: str | None = None) -> float:
    """Median absolute percentage error (of one kind of metric when given); NaN without rows."""
    errs = [abs(v.error) for v in results if kind is None or v.kind == kind]
    return statistics.median(errs) if errs else math.nan


def ttft_within(results: list[Validation]) -> float:
    """Share of TTFT rows at or below saturation predicted within a factor of TTFT_FACTOR; NaN if none."""
    rows = [v for v in results if v.kind == "ttft" and not v.saturated]
    if not rows:
        return math.nan
    ok = sum(1 for v in rows if 1 / TTFT_FACTOR <= v.predicted / v.row.measured <= TTFT_FACTOR)
    return ok / len(rows)


def targets_met(results: list[Validation]) -> dict[str, bool]:
    return {
        "throughput": mdape(results, "throughput") <= MAX_MDAPE["throughput"],
        "tpot": mdape(results, "tpot") <= MAX_MDAPE["tpot"],
        "ttft": ttft_within(results) >= TTFT_SHARE,
    }


def summary_by_source(results: list[Validation]) -> list[dict]:
    """Per source: rows, MdAPE of throughput and TPOT, TTFT rows within 2x (NaN where it has none)."""
    out = []
    for group in sorted({v.row.group for v in results}):
        rs = [v for v in results if v.row.group == group]
        out.append(
            {
                "source": group,
                "rows": len(rs),
                "throughput_mdape": mdape(rs, "throughput"),
                "tpot_mdape": mdape(rs, "tpot"),
                "ttft_within_2x": ttft_within(rs),
            }
        )
    return out


def render_summary(results: list[Validation], title: str) -> str:
    def pct(x: float) -> str:
        return "-" if math.isnan(x) else f"{x:.0%}"

    lines = [
        f"{title}",
        "| source | rows | throughput MdAPE | TPOT MdAPE | TTFT within 2x |",
        "|---|---:|---:|---:|---:|",
    ]
    for s in summary_by_source(results):
        lines.append(
            f"| {s['source']} | {s['rows']} | {pct(s['throughput_mdape'])} | {pct(s['tpot_mdape'])} "
            f"| {pct(s['ttft_within_2x'])} |"
        )
    lines.append(
        f"| **all** | {len(results)} | {pct(mdape(results, 'throughput'))} | {pct(mdape(results, 'tpot'))} "
        f"| {pct(ttft_within(results))} |"
    )
    return "\n".join(lines)


def render_table(results: list[Validation]) -> str:
    """A Markdown table of every row with its error, for docs/sizing.md and test output."""
    lines = [
        "| id | source | accelerator x TP | engine | model, precision | conc. | batch | in/out | metric | measured | model | error |",
        "|---|---|---|---|---|---:|---:|---|---|---:|---:|---:|",
    ]
    for v in results:
        r = v.row
        lines.append(
            f"| {r.id} | {r.group} | {r.accelerator} x{r.tensor_parallel} | {r.engine_kind} | {r.model} {r.precision} "
            f"| {r.concurrency} | {v.batch}{' (sat.)' if v.saturated else ''} | {r.input_tokens}/{r.output_tokens} "
            f"| {r.metric} | {r.measured:,.4g} | {v.predicted:,.4g} | {v.error:+.0%} |"
        )
    return "\n".join(lines)


# --- fitting -----------------------------------------------------------------------------------

#: Accelerators that share silicon share factors (fitted as one group; the first names the group).
GROUPS: tuple[tuple[str, ...], ...] = (
    ("A10G", "T4"),
    ("L40S", "L4"),
    ("A100-80GB", "A100-40GB"),
    ("H100", "H200"),
    ("Inferentia2", "Trainium"),
)
#: MBU bounds: the published ranges (accelerators-and-sizing.md rule 3); L40S none published.
MBU_BOUNDS = {
    "A10G": (0.73, 0.90),
    "L40S": (0.50, 0.90),
    "A100-80GB": (0.62, 0.77),
    "H100": (0.53, 0.63),
    "Inferentia2": (0.27, 0.38),
}
#: Per-layer all-reduce latency: NVLink 45-125 us (the gaps between TP degrees in the measurements,
#: issue 14); PCIe and NeuronLink are bounded wider.
LINK_BOUNDS = {
    "nvlink3": (45e-6, 125e-6),
    "nvlink4": (45e-6, 125e-6),
    "pcie4": (45e-6, 400e-6),
    "neuronlink2": (0.0, 300e-6),
}
#: Engines fitted (vLLM is the reference: its scales stay 1; SGLang has no rows and copies vLLM).
FITTED_ENGINES = ("vllm", "trt-llm", "tgi", "neuron")

Param = tuple[str, Callable[[dict, float], None], Callable[[dict], float], float, float]


def _params() -> list[Param]:
    out: list[Param] = []

    def acc(key: str, group: tuple[str, ...], lo: float, hi: float) -> Param:
        def set_(d: dict, v: float) -> None:
            for a in group:
                if a in d["accelerators"]:
                    d["accelerators"][a][key] = v

        return (f"{group[0]}.{key}", set_, lambda d: d["accelerators"][group[0]][key], lo, hi)

    for g in GROUPS:
        out.append(acc("mbu", g, *MBU_BOUNDS[g[0]]))
        out.append(acc("mfu", g, 0.05, 1.0))
        out.append(acc("prefill_mfu", g, 0.03, 1.0))

    def eng(key: str, name: str, lo: float, hi: float) -> Param:
        def set_(d: dict, v: float) -> None:
            d["engines"][name][key] = v
            if name == "vllm":
                d["engines"]["sglang"][key] = v

        return (f"{name}.{key}", set_, lambda d: d["engines"][name][key], lo, hi)

    for name in FITTED_ENGINES:
        if name != "vllm":
            out.append(eng("decode_scale", name, 0.5, 1.5))
            out.append(eng("prefill_scale", name, 0.3, 2.0))
        out.append(eng("step_overhead_s", name, 0.0, 0.03))
        out.append(eng("request_overhead_s", name, 0.0, 0.5))
    for link, (lo, hi) in LINK_BOUNDS.items():

        def set_link(d: dict, v: float, link: str = link) -> None:
            d["interconnects"][link]["tp_layer_s"] = v

        out.append(
            (
                f"{link}.tp_layer_s",
                set_link,
                lambda d, link=link: d["interconnects"][link]["tp_layer_s"],  # type: ignore[misc]  # a default-bound lambda
                lo,
                hi,
            )
        )
    return out


def loss(results: list[Validation]) -> float:
    """Median + 0.2 x mean absolute log error, per kind of metric, summed (TTFT counts half)."""
    total = 0.0
    for kind, weight in (("throughput", 1.0), ("tpot", 1.0), ("ttft", 0.5)):
        errs = [abs(math.log(v.predicted / v.row.measured)) for v in results if v.kind == kind]
        if errs:
            total += weight * (statistics.median(errs) + 0.2 * statistics.fmean(errs))
    return total


def fit(
    catalog: Catalog, rows: list[Measurement], start: EfficiencyFile | None = None, sweeps: int = 3
) -> EfficiencyFile:
    """Coordinate descent over the factors (``_params``), each within its bounds, minimising ``loss``
    on ``rows``. Deterministic: a grid of candidates around each current value."""
    d = (start or load_efficiency()).model_dump(mode="json")

    def evaluate(doc: dict) -> float:
        try:
            return loss(validate(catalog, EfficiencyFile.model_validate(doc), rows))
        except (ValueError, ZeroDivisionError, OverflowError):
            return math.inf

    best = evaluate(d)
    for _ in range(sweeps):
        for _name, set_, get, lo, hi in _params():
            current = get(d)
            candidates = {lo, hi, *(lo + (hi - lo) * i / 12 for i in range(13))}
            candidates |= {min(hi, max(lo, current * f)) for f in (0.8, 0.9, 0.95, 1.05, 1.1, 1.25)}
            for v in sorted(candidates):
                set_(d, v)
                score = evaluate(d)
                if score < best - 1e-12:
                    best, current = score, v
            set_(d, current)
    return EfficiencyFile.model_validate(d)


def leave_one_source_out(catalog: Catalog, sweeps: int = 2) -> list[Validation]:
    """Each source predicted by factors fitted without it (starting from the shipped factors)."""
    rows = load_measurements().measurements
    out: list[Validation] = []
    for group in sorted({r.group for r in rows}):
        train = [r for r in rows if r.group != group]
        eff = fit(catalog, train, sweeps=sweeps)
        out += validate(catalog, eff, [r for r in rows if r.group == group])
    return out
