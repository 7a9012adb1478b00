"""Strict shapes of the catalog data files (``catalog/data/*.yml``).

Every figure carries a source URL and the date it was checked (genai-prices' habit of
``pricing_urls`` + ``prices_checked``). A missing date, a negative price or an unknown unit fails
validation when the catalog loads (and in the test-suite), never in front of a user.
"""

# Annotations are objects, not strings (no `from __future__ import annotations`): pydantic would
# compile and evaluate each string when the model class is built, at every command's start-up.

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

Unit = Literal[
    "1M requests",
    "requests",
    "GB-seconds",
    "vCPU-hours",
    "GB-hours",
    "instance-hours",
    "cluster-hours",
    "LCU-hours",
    "ALB-hours",
    "1K state transitions",
    "GB-month",
    "GB",
    "1M tokens",
    "model-unit-hours",
    "percent",
    "hours",
    "NAT-hours",
    "endpoint-hours",
    "CMU-minutes",
    "CMU-months",
    "minutes",
]

NonNegativeDecimal = Annotated[Decimal, Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, defer_build=True)


class Provenance(_Strict):
    source: str = Field(..., min_length=8, description="URL or citation the figure was read from.")
    as_of: dt.date = Field(..., description="Date the figure was checked.")
    verified: bool = Field(
        True, description="false when the figure could not be confirmed from a primary source (UNVERIFIED)."
    )
    note: str | None = None


class Tier(_Strict):
    """A usage tier: the price applies to usage up to ``up_to`` (units per month); None = no upper bound."""

    up_to: Annotated[Decimal, Field(gt=0)] | None = None
    price: NonNegativeDecimal


class PriceEntry(Provenance):
    """One price, per region. Either a flat ``regions`` price or ``tiers`` per region.

    Every supported region needs a figure, or an entry in ``unavailable`` saying why there is none
    (the service or instance is not offered there, or no public price exists). A figure that is
    sourced for some regions only lists the others in ``unverified_regions``.
    """

    key: str = Field(..., pattern=r"^[a-z0-9-]+(/[A-Za-z0-9.\-]+)+$")
    description: str
    unit: Unit
    regions: dict[str, NonNegativeDecimal] = Field(default_factory=dict)
    tiers: dict[str, list[Tier]] = Field(default_factory=dict)
    unavailable: dict[str, Annotated[str, Field(min_length=10)]] = Field(
        default_factory=dict,
        description="Region -> why there is no figure there (not offered, no public price).",
    )
    unverified_regions: list[str] = Field(
        default_factory=list, description="Regions whose figure was not confirmed from a source (UNVERIFIED)."
    )

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        if bool(self.regions) == bool(self.tiers):
            raise ValueError(f"{self.key}: give exactly one of `regions` (flat price) or `tiers`")
        both = set(self.unavailable) & self.region_names
        if both:
            raise ValueError(f"{self.key}: {', '.join(sorted(both))} both priced and marked unavailable")
        stray = set(self.unverified_regions) - self.region_names
        if stray:
            raise ValueError(f"{self.key}: unverified_regions {', '.join(sorted(stray))} have no figure")
        for region, tiers in self.tiers.items():
            if not tiers:
                raise ValueError(f"{self.key}: {region} has no tiers")
            bounds = [t.up_to for t in tiers[:-1]]
            if any(b is None for b in bounds) or tiers[-1].up_to is not None:
                raise ValueError(f"{self.key}: {region}: only the last tier is unbounded")
            if any(a >= b for a, b in zip(bounds, bounds[1:], strict=False)):  # type: ignore[operator]
                raise ValueError(f"{self.key}: {region}: tier bounds must strictly increase (got {bounds})")
        return self

    @property
    def region_names(self) -> set[str]:
        return set(self.regions) | set(self.tiers)

    def verified_in(self, region: str) -> bool:
        return self.verified and region not in self.unverified_regions


class PriceFile(_Strict):
    service: str
    title: str
    prices: list[PriceEntry]


Accelerator = Literal[
    "T4", "A10G", "L4", "L40S", "A100-40GB", "A100-80GB", "H100", "H200", "Inferentia2", "Trainium"
]


class AcceleratorSpec(Provenance):
    name: Accelerator
    memory_gb: Annotated[float, Field(gt=0)] = Field(..., description="Memory per accelerator, decimal GB.")
    bandwidth_gb_s: Annotated[float, Field(gt=0)] = Field(..., description="Peak memory bandwidth, GB/s.")
    bf16_tflops: Annotated[float, Field(gt=0)] = Field(..., description="Dense BF16/FP16 tensor TFLOPS.")
    fp8_tflops: Annotated[float, Field(gt=0)] | None = Field(
        None, description="Dense FP8 TFLOPS, if supported."
    )
    int8_tops: Annotated[float, Field(gt=0)] | None = None
    supports_bf16: bool = True


class InstanceSpec(Provenance):
    """An EC2 (or SageMaker ml.*) instance type; its hourly price lives in a PriceEntry."""

    type: str = Field(..., pattern=r"^(ml\.)?[a-z0-9]+\.[a-z0-9]+$")
    accelerator: Accelerator | None = None
    accelerator_count: Annotated[int, Field(ge=0)] = 0
    accelerator_memory_gb: Annotated[float, Field(ge=0)] = Field(
        0, description="Per accelerator, decimal GB."
    )
    vcpu: Annotated[int, Field(gt=0)]
    memory_gib: Annotated[float, Field(gt=0)]
    arch: Literal["x86_64", "arm64"] = Field(
        "x86_64",
        description="CPU architecture (arm64: Graviton); a workload's ``arch`` picks among CPU instances.",
    )
    price_key: str = Field(..., description="Key of the on-demand hourly PriceEntry.")
    spot_discount_pct: Annotated[float, Field(ge=0, lt=100)] | None = Field(
        None, description="Typical Spot discount, percent off on-demand (point in time)."
    )
    savings_plan_1yr_pct: Annotated[float, Field(ge=0, lt=100)] | None = Field(
        None, description="1-year Compute Savings Plan discount, percent off on-demand (see commitment_note)."
    )
    savings_plan_3yr_pct: Annotated[float, Field(ge=0, lt=100)] | None = Field(
        None, description="3-year Compute Savings Plan discount, percent off on-demand (see commitment_note)."
    )
    reserved_1yr_pct: Annotated[float, Field(ge=0, lt=100)] | None = Field(
        None, description="1-year reserved (no upfront) discount, percent off on-demand, us-east-1."
    )
    commitment_note: str | None = Field(None, description="Where the commitment discounts come from.")
    commitment_verified: bool = Field(
        False, description="false when the Savings Plan/reserved percentages are estimates (UNVERIFIED)."
    )

    @model_validator(mode="after")
    def _accelerators_consistent(self) -> Self:
        if (self.accelerator is None) != (self.accelerator_count == 0):
            raise ValueError(f"{self.type}: accelerator and accelerator_count must be given together")
        if self.accelerator is not None and self.accelerator_memory_gb <= 0:
            raise ValueError(f"{self.type}: accelerator_memory_gb must be > 0 for an accelerated instance")
        return self

    @property
    def family(self) -> str:
        return self.type.removeprefix("ml.").split(".")[0]

    @property
    def total_accelerator_memory_gb(self) -> float:
        return self.accelerator_count * self.accelerator_memory_gb


class InstanceFile(_Strict):
    instances: list[InstanceSpec]


class ArchitectureCard(Provenance):
    """Architecture of an open model, enough for memory (weights, KV cache) and throughput."""

    id: str
    aliases: list[str] = Field(default_factory=list)
    params_b: Annotated[float, Field(gt=0)]
    active_params_b: Annotated[float, Field(gt=0)] | None = Field(
        None, description="MoE: parameters used per token."
    )
    layers: Annotated[int, Field(gt=0)]
    hidden_size: Annotated[int, Field(gt=0)]
    attention_heads: Annotated[int, Field(gt=0)]
    kv_heads: Annotated[int, Field(gt=0)]
    head_dim: Annotated[int, Field(gt=0)]
    max_context_tokens: Annotated[int, Field(gt=0)]
    weights: Literal["open", "proprietary"] = "open"
    kind: Literal["generative", "embedding", "reranker", "classifier"] = "generative"
    bedrock_model_id: str | None = Field(
        None, description="The Bedrock on-demand model this architecture is served as, when Bedrock hosts it."
    )


class ProprietaryCard(Provenance):
    """An API-only model; served on Bedrock."""

    id: str
    aliases: list[str] = Field(default_factory=list)
    weights: Literal["proprietary"] = "proprietary"
    kind: Literal["generative", "embedding", "reranker", "classifier"] = "generative"
    bedrock_model_id: str
    params_b: Annotated[float, Field(gt=0)] | None = None
    max_context_tokens: Annotated[int, Field(gt=0)] | None = Field(
        None, description="Context window (input + output tokens) the provider serves."
    )
    context_note: str | None = Field(None, description="Where max_context_tokens comes from.")


class ModelFile(_Strict):
    open_models: list[ArchitectureCard]
    proprietary_models: list[ProprietaryCard]


class EngineeringHours(_Strict):
    """One part of a platform's engineering time (fixed or marginal), with its own provenance."""

    setup_hours: Annotated[float, Field(ge=0)]
    upkeep_hours_per_month: Annotated[float, Field(ge=0)]
    oncall_hours_per_month: Annotated[float, Field(ge=0)]
    what: str
    source: str
    verified: bool = False


class EngineeringProfile(Provenance):
    """Engineering hours on a platform, before the team's capacity factor: ``fixed`` is paid once
    per file for the platform (a ``:gpu`` profile's fixed part is on top of its base platform's),
    ``marginal`` by each workload on it (docs/engineering-cost.md)."""

    platform: str
    fixed: EngineeringHours
    marginal: EngineeringHours
    why: str


class EngineeringFile(_Strict):
    capacity_factor: dict[Literal["none", "limited", "platform"], Annotated[float, Field(gt=0)]]
    capacity_factor_source: Provenance
    profiles: list[EngineeringProfile]


class LimitEntry(Provenance):
    key: str
    value: float
    unit: str
    description: str


class LimitFile(_Strict):
    limits: list[LimitEntry]


class GuidelineEntry(LimitEntry):
    """A soft threshold a source article states (a rule of thumb, not an AWS limit): the decision
    quotes it and compares it with the computed totals; it never rules a platform out."""


class GuidelineFile(_Strict):
    guidelines: list[GuidelineEntry]
