"""Efficiency factors of the throughput roofline, read from ``sizing/data/efficiency.yml``.

The factors are data, not code: they were fitted to the published measurements in
``sizing/data/measurements.yml`` (method and error in docs/sizing.md) and each accelerator says
whether its factors were fitted or inherited from a sibling part that has measurements.
"""

# Annotations are objects, not strings (no `from __future__ import annotations`): pydantic would
# compile and evaluate each string when the model class is built, at every command's start-up.

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .._perf import memo, read_yaml

DATA_DIR = Path(__file__).parent / "data"

Fraction = Annotated[float, Field(gt=0, le=1)]
Interconnect = Literal["nvlink3", "nvlink4", "pcie4", "neuronlink2"]
Engine = Literal["vllm", "trt-llm", "tgi", "sglang", "neuron"]
ENGINES: tuple[str, ...] = ("vllm", "trt-llm", "tgi", "sglang", "neuron")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, defer_build=True)


class AcceleratorEfficiency(_Strict):
    mbu: Fraction = Field(..., description="Model bandwidth utilisation of a decode step.")
    mfu: Fraction = Field(..., description="Tensor-core utilisation of a compute-bound decode step.")
    prefill_mfu: Fraction = Field(..., description="Tensor-core utilisation while processing the prompt.")
    interconnect: Interconnect = Field(..., description="Default link between accelerators of one instance.")
    basis: str = Field(..., min_length=8, description="Fitted (which rows) or inherited (from which part).")


class InterconnectCost(_Strict):
    tp_layer_s: Annotated[float, Field(ge=0)] = Field(
        ..., description="Fixed seconds per transformer layer per forward pass for its two all-reduces."
    )
    bandwidth_gb_s: Annotated[float, Field(gt=0)] = Field(
        ..., description="Per-direction bandwidth between two accelerators of one instance, GB/s."
    )
    basis: str = Field(..., min_length=8)


class EngineEfficiency(_Strict):
    """What a serving engine adds to or takes from the hardware roofline, apart from the hardware.

    The hardware factors (MBU, MFU per accelerator) say how well the silicon can be used; these say
    how much of that one engine gets and what it costs per step and per request. Fitted jointly with
    the hardware factors on rows where several engines ran on one accelerator (docs/sizing.md).
    """

    decode_scale: Annotated[float, Field(gt=0, le=2)] = Field(
        ..., description="Multiplies the accelerator's MBU and decode MFU (1 = the reference engine)."
    )
    prefill_scale: Annotated[float, Field(gt=0, le=2)] = Field(
        ..., description="Multiplies the accelerator's prefill MFU."
    )
    step_overhead_s: Annotated[float, Field(ge=0)] = Field(
        ..., description="Fixed cost of one decode step: scheduler, sampling, kernel launches, detokenising."
    )
    request_overhead_s: Annotated[float, Field(ge=0)] = Field(
        ..., description="Per-request time outside the GPU (HTTP, tokenising, queue hand-off): a TTFT floor."
    )
    max_num_seqs: Annotated[int, Field(ge=1)] = Field(
        ..., description="Sequences the engine batches at most by default (vLLM max_num_seqs 256)."
    )
    compiled_batch: Annotated[int, Field(ge=1)] | None = Field(
        None,
        description="Neuron: the batch the model is compiled for; every decode step costs that batch, "
        "however many sequences are running.",
    )
    basis: str = Field(..., min_length=8)


class EfficiencyFile(_Strict):
    source: str = Field(..., min_length=8)
    as_of: dt.date
    accelerators: dict[str, AcceleratorEfficiency]
    engines: dict[Engine, EngineEfficiency]
    interconnects: dict[Interconnect, InterconnectCost]
    families: dict[str, Interconnect] = Field(..., description="Instance family -> accelerator link.")

    @model_validator(mode="after")
    def _links_defined(self) -> Self:
        used = {a.interconnect for a in self.accelerators.values()} | set(self.families.values())
        missing = used - set(self.interconnects)
        if missing:
            raise ValueError(f"interconnects {sorted(missing)} are used but have no cost")
        if set(self.engines) != set(ENGINES):
            raise ValueError(f"engines must be exactly {', '.join(ENGINES)}")
        return self


@memo(maxsize=8)
def load_efficiency(path: str | None = None) -> EfficiencyFile:
    """The shipped factors; ``path`` loads another file (tests, what-if fits). Cached by path: the
    shipped file is fixed for the process, and every sized replica reads the factors."""
    file = Path(path) if path else DATA_DIR / "efficiency.yml"
    with file.open(encoding="utf-8") as fh:
        return EfficiencyFile.model_validate(read_yaml(fh))
