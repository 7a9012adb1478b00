"""The throughput model against published measurements (``sizing/data/measurements.yml``).

Each row is predicted with exactly the code the rest of wheretorun uses (``serving_cycle_s``,
``decode_step``, ``prefill_s``, ``max_batch``); nothing is tuned per row. ``validate()`` returns the
table with each row's error; docs/sizing.md reports it and tests/sizing fails when the median absolute
percentage error exceeds 25 %.
"""

from __future__ import annotations

import datetime as dt
import functools
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from ..catalog.store import Catalog
from .efficiency import DATA_DIR, EfficiencyFile, load_efficiency
from .memory import PRECISIONS, architecture_from_card
from .placement import USABLE_MEMORY_FRACTION, max_batch
from .throughput import decode_step, prefill_s, serving_cycle_s

Metric = Literal["output_tokens_per_s", "per_sequence_tokens_per_s", "ttft_s"]
MAX_MEDIAN_APE = 0.25


class Measurement(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    id: str
    model: str
    precision: Literal[PRECISIONS]  # type: ignore[valid-type]
    accelerator: str
    tensor_parallel: Annotated[int, Field(ge=1)]
    instance_family: str | None = None
    engine: str
    concurrency: Annotated[int, Field(ge=1)]
    input_tokens: Annotated[int, Field(ge=0)]
    output_tokens: Annotated[int, Field(ge=0)]
    metric: Metric
    measured: Annotated[float, Field(gt=0)]
    source: str = Field(..., min_length=8)
    published: str
    as_of: dt.date
    note: str | None = None


class MeasurementFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    as_of: dt.date
    measurements: list[Measurement]


@dataclass(frozen=True)
class Validation:
    row: Measurement
    batch: int  # concurrency the model ran (the request's, or what the KV cache holds)
    predicted: float

    @property
    def error(self) -> float:
        """Signed relative error (predicted - measured) / measured."""
        return (self.predicted - self.row.measured) / self.row.measured


@functools.cache
def load_measurements(path: str | None = None) -> MeasurementFile:
    file = Path(path) if path else DATA_DIR / "measurements.yml"
    with file.open(encoding="utf-8") as fh:
        return MeasurementFile.model_validate(yaml.safe_load(fh))


def predict(row: Measurement, catalog: Catalog, eff: EfficiencyFile | None = None) -> Validation:
    eff = eff or load_efficiency()
    card = catalog.find_model(row.model)
    if card is None or not hasattr(card, "layers"):
        raise KeyError(f"measurement {row.id}: model '{row.model}' has no architecture in the catalog")
    arch = architecture_from_card(card)  # type: ignore[arg-type]
    accel = catalog.accelerators[row.accelerator]
    link = eff.families.get(row.instance_family or "", None)
    tp = row.tensor_parallel
    seq = row.input_tokens + row.output_tokens
    usable = accel.memory_gb * tp * USABLE_MEMORY_FRACTION
    batch = max(1, max_batch(arch, row.precision, usable, seq, row.concurrency, seq, tp))
    if row.metric == "ttft_s":
        value = prefill_s(arch, row.precision, accel, tp, row.input_tokens, link, eff)
    elif row.metric == "per_sequence_tokens_per_s":
        kv = row.input_tokens + row.output_tokens // 2
        value = 1 / decode_step(arch, row.precision, accel, tp, batch, kv, link, eff)[0]
    else:
        cycle = serving_cycle_s(
            arch, row.precision, accel, tp, batch, row.input_tokens, row.output_tokens, link, eff
        )
        value = batch * row.output_tokens / cycle
    return Validation(row, batch, value)


def validate(catalog: Catalog, eff: EfficiencyFile | None = None) -> list[Validation]:
    return [predict(r, catalog, eff) for r in load_measurements().measurements]


def median_ape(results: list[Validation]) -> float:
    return statistics.median(abs(v.error) for v in results)


def render_table(results: list[Validation]) -> str:
    """A Markdown table of every row with its error, for docs/sizing.md and test output."""
    lines = [
        "| id | accelerator x TP | model, precision | batch | in/out | metric | measured | model | error |",
        "|---|---|---|---:|---|---|---:|---:|---:|",
    ]
    for v in results:
        r = v.row
        lines.append(
            f"| {r.id} | {r.accelerator} x{r.tensor_parallel} | {r.model} {r.precision} | {v.batch} "
            f"| {r.input_tokens}/{r.output_tokens} | {r.metric} | {r.measured:,.3g} | {v.predicted:,.3g} "
            f"| {v.error:+.0%} |"
        )
    lines.append(f"\nMedian absolute percentage error: {median_ape(results):.1%} over {len(results)} rows.")
    return "\n".join(lines)
