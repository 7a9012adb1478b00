"""The workload file: what a team tells wheretorun about its AI system.

Field names are the interface contract (../shared/DESIGN.md, "Workload file"): users' files depend
on them. Units are in every description so the JSON Schema (``wheretorun schema``) documents them
for editor completion. This module knows nothing of prices or platforms.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Role = Literal[
    "orchestration",
    "inference",
    "embedding",
    "reranking",
    "classification",
    "batch-inference",
    "fine-tuning",
    "rag",
    "glue",
]
MODEL_ROLES: frozenset[str] = frozenset(
    {"inference", "embedding", "reranking", "classification", "batch-inference", "fine-tuning", "rag"}
)
ORCHESTRATION_ROLES: frozenset[str] = frozenset({"orchestration", "glue"})
OpsCapacity = Literal["none", "limited", "platform"]
Weights = Literal["open", "proprietary"]
Precision = Literal["fp32", "bf16", "fp16", "fp8", "int8", "int4"]
Traffic = Literal["spiky", "steady", "diurnal", "batch"]
GpuNeed = Literal["auto", "required", "none"]
Trigger = Literal["api", "event", "queue", "schedule"]
Commitment = Literal["on-demand", "spot", "savings-plan-1yr", "savings-plan-3yr"]

PositiveFloat = Annotated[float, Field(gt=0)]
NonNegativeFloat = Annotated[float, Field(ge=0)]


class _Strict(BaseModel):
    """Unknown keys are errors (typos must not be silently ignored); NaN and infinity are refused."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_default=True)


class Team(_Strict):
    ops_capacity: OpsCapacity = Field(
        "none",
        description="Can the team run GPU clusters at 3 a.m.? none: no one; limited: some Kubernetes/"
        "container skills, no on-call for GPUs; platform: a platform team with on-call.",
    )
    engineer_hourly_usd: PositiveFloat = Field(
        120, description="Fully loaded cost of one engineering hour, USD/hour.", le=10_000
    )


class Model(_Strict):
    id: str | None = Field(
        None,
        description="A catalog model id (e.g. llama-3.1-8b-instruct, claude-3-5-haiku); "
        "`wheretorun prices show --service models` lists them. Or describe the model with params_b.",
        max_length=200,
    )
    params_b: PositiveFloat | None = Field(
        None, description="Parameters, in billions (8 for an 8B model).", le=10_000
    )
    bedrock_id: str | None = Field(
        None,
        description="A Bedrock model id (e.g. anthropic.claude-3-5-haiku-20241022-v1:0) for a model the catalog "
        "has no card for; priced on Bedrock through genai-prices. `wheretorun import` writes it.",
        max_length=300,
    )
    weights: Weights | None = Field(
        None, description="open: downloadable weights you may self-host; proprietary: API-only."
    )
    precision: Precision = Field("bf16", description="Numeric precision the weights are served in.")
    context_tokens: Annotated[int, Field(gt=0, le=10_000_000)] | None = Field(
        None, description="Context window to provision per sequence, tokens."
    )
    custom: bool = Field(
        False,
        description="true: your own fine-tuned weights (not in Bedrock's on-demand catalog; Bedrock "
        "serves them only through Custom Model Import).",
    )

    @model_validator(mode="after")
    def _described(self) -> Model:
        if self.id is None and self.params_b is None and self.bedrock_id is None:
            raise ValueError(
                "give the model's catalog `id`, its size `params_b` (billions of parameters) or its `bedrock_id`"
            )
        return self


class PriceOverrides(_Strict):
    """Negotiated prices, merged over the catalog and shown in the trace."""

    overrides: dict[str, Annotated[float, Field(ge=0)]] = Field(
        default_factory=dict,
        description="Catalog price key -> your unit price in USD, in the catalog entry's unit "
        "(e.g. 'ec2/g5.2xlarge': 0.95). `wheretorun prices show` lists the keys.",
    )
    discount_pct: dict[str, Annotated[float, Field(ge=0, lt=100)]] = Field(
        default_factory=dict,
        description="Service -> percent off every catalog price of that service (enterprise discount), "
        "e.g. {ec2: 12, bedrock: 5}.",
    )
    ec2_commitment: Commitment = Field(
        "on-demand",
        description="How GPU/EC2 instance hours are bought: on-demand, spot, or a Compute Savings Plan.",
    )


class Preferences(_Strict):
    """Soft preferences: named, configurable, and never confused with AWS hard limits."""

    lambda_comfort_memory_gb: PositiveFloat = Field(
        3.0,
        description="Seed 2's comfort zone: Lambda 'fits' up to this memory (GB). The AWS limit is "
        "10,240 MB regardless.",
        le=10.24,
    )
    lambda_comfort_duration_s: PositiveFloat = Field(
        600.0,
        description="Seed 2's comfort zone: Lambda 'fits' below this duration (s). The AWS limit is 900 s.",
        le=900,
    )
    gpu_params_threshold_b: PositiveFloat = Field(
        1.0,
        description="Generative models above this size (billions of parameters) need a GPU for "
        "production latency (seed 1, question 2).",
    )
    target_utilisation: Annotated[float, Field(gt=0, le=1)] = Field(
        0.7, description="Fraction of an instance's throughput to plan for at peak (headroom)."
    )
    setup_amortisation_months: Annotated[int, Field(ge=1, le=120)] = Field(
        12, description="Months over which one-off setup engineering is spread."
    )
    free_tier: bool = Field(False, description="Apply AWS free tiers (off by default).")


class Workload(_Strict):
    name: str = Field(..., min_length=1, max_length=200, description="A name for this part of the system.")
    role: Role = Field(..., description="What the part does.")
    model: Model | None = Field(None, description="The model it serves or calls; omit for pure glue.")
    requests_per_month: NonNegativeFloat | None = Field(
        None, description="Requests (or jobs) per month. Give this or requests_per_second.", le=1e15
    )
    requests_per_second: NonNegativeFloat | None = Field(
        None, description="Mean requests per second over the month (steady mean).", le=1e9
    )
    traffic: Traffic = Field("steady", description="Shape of the traffic over time.")
    peak_to_mean: Annotated[float, Field(ge=1, le=10_000)] | None = Field(
        None, description="Peak request rate divided by the mean (>= 1); a default per traffic shape."
    )
    traffic_profile: str | None = Field(
        None,
        description="CSV of measured requests over time (columns timestamp,requests), relative to the "
        "workload file; replaces the preset shape.",
        max_length=4096,
    )
    input_tokens: Annotated[int, Field(ge=0, le=10_000_000)] | None = Field(
        None, description="Input (prompt) tokens per request."
    )
    output_tokens: Annotated[int, Field(ge=0, le=10_000_000)] | None = Field(
        None, description="Output (generated) tokens per request."
    )
    duration_s: PositiveFloat | None = Field(
        None, description="Typical wall time of one request or task, seconds.", le=31_536_000
    )
    duration_p99_s: PositiveFloat | None = Field(
        None,
        description="99th-percentile wall time, seconds; a tail past 15 minutes calls for a queue.",
        le=31_536_000,
    )
    active_compute_s: PositiveFloat | None = Field(
        None,
        description="Seconds of actual compute within duration_s (the rest waits on tools, models or people). "
        "Step Functions bills only this; default: all of duration_s (an upper bound).",
        le=31_536_000,
    )
    memory_gb: PositiveFloat | None = Field(
        None,
        description="Memory one request/task needs, GB; derived from the model when omitted.",
        le=100_000,
    )
    gpu: GpuNeed = Field("auto", description="auto: decided from the model; required; none.")
    trigger: Trigger = Field("api", description="What starts the work.")
    p99_latency_ms: PositiveFloat | None = Field(None, description="Latency target at p99, milliseconds.")
    data_must_stay_in_vpc: bool = Field(False, description="Compliance: data may not leave your VPC.")
    privatelink_ok: bool = Field(
        True, description="Compliance accepts Bedrock reached through a VPC endpoint (PrivateLink)."
    )
    batch_per_replica: Annotated[int, Field(ge=1, le=100_000)] | None = Field(
        None,
        description="Requests one replica (one GPU copy of the model, one task) serves at once when "
        "throughput cannot be derived from tokens (a non-generative model, or no token counts): "
        "replica-hours = requests x duration_s / batch_per_replica. Default 1.",
    )
    measured_tokens_per_s: PositiveFloat | None = Field(
        None,
        description="Your measured decode throughput per instance (output tokens/s, summed over the "
        "batch); replaces the roofline estimate.",
    )

    @model_validator(mode="after")
    def _one_volume(self) -> Workload:
        if (self.requests_per_month is None) == (self.requests_per_second is None):
            which = "both were given" if self.requests_per_month is not None else "neither was given"
            raise ValueError(f"give exactly one of requests_per_month or requests_per_second ({which})")
        if (
            self.active_compute_s is not None
            and self.duration_s is not None
            and self.active_compute_s > self.duration_s
        ):
            raise ValueError(
                f"active_compute_s ({self.active_compute_s:g}) is above duration_s ({self.duration_s:g}); "
                "active compute is part of the duration"
            )
        if (
            self.duration_p99_s is not None
            and self.duration_s is not None
            and self.duration_p99_s < self.duration_s
        ):
            raise ValueError(
                f"duration_p99_s ({self.duration_p99_s:g}) is below duration_s ({self.duration_s:g}); "
                "the 99th percentile cannot be below the typical duration"
            )
        return self

    @property
    def monthly_requests(self) -> float:
        from ..units import SECONDS_PER_MONTH

        if self.requests_per_month is not None:
            return self.requests_per_month
        return float(self.requests_per_second or 0) * SECONDS_PER_MONTH


_GROWTH = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*%\s*(?:/\s*(?:month|mo))?\s*$")


def parse_growth(value: str | float | int) -> float:
    """'15%/month' or '15%' or 0.15 -> 0.15 (fraction per month)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value) or value <= -1 or value > 10:
            raise ValueError("growth must be a finite fraction per month above -1 (e.g. 0.15 or '15%/month')")
        return float(value)
    if isinstance(value, str):
        m = _GROWTH.match(value)
        if m:
            return parse_growth(float(m.group(1)) / 100)
    raise ValueError("growth must look like '15%/month' or a fraction such as 0.15")


class Uncertainty(_Strict):
    """Ranges [low, high] for uncertain inputs, as multipliers unless named otherwise."""

    volume: tuple[PositiveFloat, PositiveFloat] | None = Field(
        None, description="Multiplier range on request volume, e.g. [0.5, 2]."
    )
    tokens_per_request: tuple[PositiveFloat, PositiveFloat] | None = Field(
        None, description="Multiplier range on input and output tokens per request."
    )
    spot_discount_pct: tuple[NonNegativeFloat, NonNegativeFloat] | None = Field(
        None, description="Range of Spot discount, percent off on-demand."
    )
    engineer_hourly_usd: tuple[PositiveFloat, PositiveFloat] | None = Field(
        None, description="Range of the engineering hourly rate, USD/hour."
    )
    throughput: tuple[PositiveFloat, PositiveFloat] | None = Field(
        None, description="Multiplier range on self-hosted throughput."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Uncertainty:
        for name in type(self).model_fields:
            rng = getattr(self, name)
            if rng is not None and rng[0] > rng[1]:
                raise ValueError(f"{name}: low ({rng[0]:g}) is above high ({rng[1]:g})")
        return self


class EngineeringOverride(_Strict):
    setup_hours: NonNegativeFloat | None = Field(None, description="One-off setup, hours.")
    upkeep_hours_per_month: NonNegativeFloat | None = Field(None, description="Routine upkeep, hours/month.")
    oncall_hours_per_month: NonNegativeFloat | None = Field(
        None, description="On-call and incidents, hours/month."
    )


#: Workloads in one file: an organisation's inventory of thousands answers in seconds; far more would
#: take minutes and gigabytes of memory (the reports of 10,000 hold about 1.7 GB while written as
#: JSON), so a bigger inventory is split (by team, account or product) rather than refused midway.
MAX_WORKLOADS = 20_000


class WorkloadFile(_Strict):
    region: str = Field("us-east-1", description="AWS region to price in.", max_length=40)
    team: Team = Field(default_factory=Team)
    workloads: list[Workload] = Field(
        ..., min_length=1, max_length=MAX_WORKLOADS, description="The parts of the system."
    )
    prices: PriceOverrides | None = Field(None, description="Your negotiated prices and discounts.")
    preferences: Preferences = Field(default_factory=Preferences)
    engineering: dict[str, EngineeringOverride] = Field(
        default_factory=dict,
        description="Platform id -> engineering hours replacing the catalog defaults.",
    )
    growth: str | float | None = Field(
        None, description="Monthly growth of volume, e.g. '15%/month'; enables the 24-month projection."
    )
    uncertainty: Uncertainty | None = Field(None, description="Ranges for a Monte Carlo of the cost.")

    @field_validator("workloads", mode="before")
    @classmethod
    def _not_too_many(cls, v: object) -> object:
        """Refused before each workload is validated (a 64 MB file can hold 400,000)."""
        if isinstance(v, list) and len(v) > MAX_WORKLOADS:
            raise ValueError(
                f"{len(v):,} workloads; at most {MAX_WORKLOADS:,} in one file: split the inventory "
                "(by team, account or product) and run each file"
            )
        return v

    @field_validator("growth")
    @classmethod
    def _growth(cls, v: str | float | None) -> str | float | None:
        if v is not None:
            parse_growth(v)
        return v

    @model_validator(mode="after")
    def _unique_names(self) -> WorkloadFile:
        seen: set[str] = set()
        for w in self.workloads:
            if w.name in seen:
                raise ValueError(f"workload name '{w.name}' appears twice; names must be unique")
            seen.add(w.name)
        return self

    @property
    def growth_per_month(self) -> float | None:
        return None if self.growth is None else parse_growth(self.growth)
