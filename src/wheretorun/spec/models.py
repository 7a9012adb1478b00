"""The workload file: what a team tells wheretorun about its AI system.

Field names are the interface contract (../shared/DESIGN.md, "Workload file"): users' files depend
on them. Units are in every description so the JSON Schema (``wheretorun schema``) documents them
for editor completion. This module knows nothing of prices or platforms.
"""

# Annotations are objects, not strings (no `from __future__ import annotations`): pydantic would
# compile and evaluate each string when the model class is built, at every command's start-up.

import math
import re
import typing
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .._perf import memo
from ..errors import did_you_mean
from .bounds import (
    MAX_DISCOUNT_ENTRIES,
    MAX_EXTRA_KEYS,
    MAX_PRICE_OVERRIDES,
    MAX_PRICE_USD,
    MAX_REQUESTS_PER_MONTH,
    check_text,
)

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
LambdaRuntime = Literal["python", "nodejs", "java", "dotnet", "go"]
Commitment = Literal["on-demand", "spot", "savings-plan-1yr", "savings-plan-3yr"]
#: What a request/response workload is reached through (``platforms/network.py`` prices it).
FrontDoor = Literal["auto", "api-gateway-http", "api-gateway-rest", "alb", "function-url", "none"]
Arch = Literal["auto", "x86_64", "arm64"]
#: The contract's platform ids (../shared/DESIGN.md, "Platform ids"): the keys of ``engineering:``.
#: ``platforms.PLATFORM_IDS`` must list the same (tests/spec/test_hostile.py checks it).
PlatformId = Literal[
    "lambda",
    "step-functions",
    "fargate",
    "ecs-ec2",
    "eks-ec2",
    "aws-batch",
    "bedrock",
    "bedrock-batch",
    "bedrock-custom-import",
    "sagemaker-endpoint",
    "sagemaker-serverless",
    "sagemaker-async",
]
#: What ``team.runs_today`` may name: a platform id, or a GPU variant (its GPU fixed work is sunk too).
RunsTodayId = Literal[
    "lambda",
    "step-functions",
    "fargate",
    "ecs-ec2",
    "ecs-ec2:gpu",
    "eks-ec2",
    "eks-ec2:gpu",
    "aws-batch",
    "aws-batch:gpu",
    "bedrock",
    "bedrock-batch",
    "bedrock-custom-import",
    "sagemaker-endpoint",
    "sagemaker-serverless",
    "sagemaker-async",
]

#: Quotas ``preferences.quota_increase`` can raise (each names an AWS Service Quotas entry):
#: Lambda concurrent executions per Region; a Bedrock model's on-demand tokens per minute and per day.
QUOTAS: tuple[str, ...] = ("lambda-concurrency", "bedrock-tokens-per-minute", "bedrock-tokens-per-day")

PositiveFloat = Annotated[float, Field(gt=0)]
#: A duration: 1 ms (Lambda's billing granularity) to a year; smaller is a unit mistake, and a
#: divisor of 1e-300 s would overflow every rate computed from it.
Seconds = Annotated[float, Field(ge=0.001, le=31_536_000)]
NonNegativeFloat = Annotated[float, Field(ge=0)]
#: Hours of engineering (setup, or per month): up to 100,000 (about 50 engineer-years; any real
#: figure is far below, and a bound keeps 1e308 from overflowing the invoice's Decimal arithmetic).
Hours = Annotated[float, Field(ge=0, le=100_000)]
#: Multipliers of an uncertainty range: 1/1000 to 1000 times the declared value.
Multiplier = Annotated[float, Field(ge=0.001, le=1000)]


#: Names, ids and labels: printable text without control characters or bidi overrides
#: (``bounds.check_text``), 1 to 200 characters (300 for ids a provider writes, such as a Bedrock
#: model id or a price key; 4,096 for a file path).
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(check_text)]
LongId = Annotated[str, Field(min_length=1, max_length=300), AfterValidator(check_text)]
FilePath = Annotated[str, Field(min_length=1, max_length=4096), AfterValidator(check_text)]


def _at_most(value: Any, limit: int) -> Any:
    """Refuse a mapping of more than ``limit`` entries before any entry is validated (pydantic's
    ``max_length`` is checked after every key and value)."""
    if isinstance(value, Mapping) and len(value) > limit:
        raise ValueError(f"{len(value):,} entries; at most {limit:,} are allowed")
    return value


class _Strict(BaseModel):
    """Unknown keys are errors (typos must not be silently ignored); NaN and infinity are refused.

    A mapping with far more keys than the model has fields is refused whole, before any key is
    looked at: 200,000 unknown keys would otherwise cost a problem (and a did-you-mean) each.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_default=True, defer_build=True)

    @model_validator(mode="before")
    @classmethod
    def _not_too_many_keys(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        if len(data) > len(cls.model_fields) + MAX_EXTRA_KEYS:
            raise ValueError(
                f"{len(data):,} keys where at most {len(cls.model_fields)} fields are allowed: "
                f"{', '.join(cls.model_fields)}"
            )
        # `requests_per_month: yes` is YAML's true, which pydantic takes as the number 1: a number
        # field given true/false gets the text instead, refused at its own path as "not a number"
        numbers = _number_fields(cls)
        if any(isinstance(data.get(name), bool) for name in numbers):
            data = {
                k: (str(v).lower() if k in numbers and isinstance(v, bool) else v) for k, v in data.items()
            }
        return data


@memo(maxsize=64)  # one entry per model class (about 30)
def _number_fields(model: type[BaseModel]) -> frozenset[str]:
    """The fields of ``model`` that take a number (int or float, optional or not; never bool)."""

    def numeric(annotation: Any) -> bool:
        if annotation in (int, float):
            return True
        return any(numeric(arg) for arg in typing.get_args(annotation) if arg is not bool)

    return frozenset(
        name for name, f in model.model_fields.items() if f.annotation is not bool and numeric(f.annotation)
    )


class Team(_Strict):
    ops_capacity: OpsCapacity = Field(
        "none",
        description="Can the team run GPU clusters at 3 a.m.? none: no one; limited: some Kubernetes/"
        "container skills, no on-call for GPUs; platform: a platform team with on-call.",
    )
    engineer_hourly_usd: float = Field(
        120,
        description="Fully loaded cost of one engineering hour, USD/hour (0.01 to 10,000).",
        ge=0.01,
        le=10_000,
    )
    runs_today: list[RunsTodayId] = Field(
        default_factory=list,
        max_length=15,
        description="Platforms the team already operates (platform ids; 'eks-ec2:gpu' for GPU nodes too): "
        "their setup is sunk and their on-call rota exists, so their fixed engineering is not charged.",
    )


class Model(_Strict):
    id: Name | None = Field(
        None,
        description="A catalog model id (e.g. llama-3.1-8b-instruct, claude-3-5-haiku); "
        "`wheretorun prices show --service models` lists them. Or describe the model with params_b.",
    )
    params_b: float | None = Field(
        None,
        description="Parameters, in billions (8 for an 8B model; 0.000001 to 10,000).",
        ge=1e-6,
        le=10_000,
    )
    bedrock_id: LongId | None = Field(
        None,
        description="A Bedrock model id (e.g. anthropic.claude-3-5-haiku-20241022-v1:0) for a model the catalog "
        "has no card for; priced on Bedrock through genai-prices. `wheretorun import` writes it.",
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
    def _described(self) -> Self:
        if self.id is None and self.params_b is None and self.bedrock_id is None:
            raise ValueError(
                "give the model's catalog `id`, its size `params_b` (billions of parameters) or its `bedrock_id`"
            )
        return self


class PriceOverrides(_Strict):
    """Negotiated prices, merged over the catalog and shown in the trace."""

    overrides: dict[LongId, Annotated[float, Field(ge=0, le=MAX_PRICE_USD)]] = Field(
        default_factory=dict,
        description="Catalog price key -> your unit price in USD, in the catalog entry's unit "
        "(e.g. 'ec2/g5.2xlarge': 0.95; 0 to 1,000,000). `wheretorun prices show` lists the keys.",
    )
    discount_pct: dict[Name, Annotated[float, Field(ge=0, lt=100)]] = Field(
        default_factory=dict,
        description="Service -> percent off every catalog price of that service (enterprise discount), "
        "e.g. {ec2: 12, bedrock: 5}; 0 to below 100.",
    )
    commitment: Commitment | None = Field(
        None,
        description="How compute is bought, on every platform it covers: on-demand; spot (EC2 Spot and "
        "Fargate Spot, for interruptible work only); or a 1- or 3-year Savings Plan (Compute Savings Plans "
        "cover EC2, Fargate and Lambda; SageMaker Savings Plans cover SageMaker instances).",
    )
    ec2_commitment: Commitment | None = Field(
        None, description="Older name of `commitment` (same values and meaning); give one of the two."
    )

    @model_validator(mode="after")
    def _one_commitment(self) -> Self:
        if self.commitment and self.ec2_commitment and self.commitment != self.ec2_commitment:
            raise ValueError(
                f"commitment ({self.commitment}) and its older name ec2_commitment ({self.ec2_commitment}) "
                "disagree; give only commitment"
            )
        return self

    @property
    def purchase(self) -> Commitment:
        """The commitment asked for (``commitment``, else its alias ``ec2_commitment``, else on-demand)."""
        return self.commitment or self.ec2_commitment or "on-demand"

    @field_validator("overrides", "discount_pct", mode="before")
    @classmethod
    def _counted(cls, v: Any, info: ValidationInfo) -> Any:
        return _at_most(v, MAX_PRICE_OVERRIDES if info.field_name == "overrides" else MAX_DISCOUNT_ENTRIES)


class Preferences(_Strict):
    """Soft preferences: named, configurable, and never confused with AWS hard limits."""

    lambda_comfort_memory_gb: PositiveFloat = Field(
        3.0,
        description="Soft comfort zone of the Serverless vs. Containers guide: Lambda 'fits' up to this "
        "memory (GB). The AWS limit is "
        "10,240 MB regardless.",
        le=10.24,
    )
    lambda_comfort_duration_s: PositiveFloat = Field(
        600.0,
        description="Soft comfort zone of the Serverless vs. Containers guide: Lambda 'fits' below this "
        "duration (s). The AWS limit is 900 s.",
        le=900,
    )
    gpu_params_threshold_b: PositiveFloat = Field(
        1.0,
        description="Generative models above this size (billions of parameters) need a GPU for "
        "production latency (the playbook, question 2).",
        le=10_000,
    )
    cpu_model_max_params_b: PositiveFloat = Field(
        0.5,
        description="Non-generative models (embedding, reranking, classification) below this size "
        "(billions of parameters) run fine on CPU; at or above it they need a GPU for production "
        "latency (the playbook, question 2: '< 500M params run fine on CPU').",
        le=10_000,
    )
    lambda_favoured_below_per_minute: PositiveFloat = Field(
        10.0,
        description="Code called fewer times a minute than this favours Lambda (the Serverless vs. Containers guide, frequency); "
        "shown in the trace, cost decides.",
        le=1e9,
    )
    containers_favoured_above_rps: PositiveFloat = Field(
        100.0,
        description="Code called more times a second than this favours always-on containers (the Serverless vs. Containers guide, "
        "frequency); shown in the trace, cost decides.",
        le=1e9,
    )
    target_utilisation: Annotated[float, Field(ge=0.01, le=1)] = Field(
        0.7, description="Fraction of an instance's throughput to plan for at peak (headroom; 0.01 to 1)."
    )
    setup_amortisation_months: Annotated[int, Field(ge=1, le=120)] = Field(
        12, description="Months over which one-off setup engineering is spread."
    )
    free_tier: bool = Field(False, description="Apply AWS free tiers (off by default).")
    quota_increase: dict[Name, Annotated[float, Field(gt=0, le=1e13)]] = Field(
        default_factory=dict,
        description="Quotas AWS has raised (or will raise) for you: quota -> the granted value, e.g. "
        "{lambda-concurrency: 5000, bedrock-tokens-per-minute: 2000000}. Without one, an option whose "
        "traffic would be throttled or dropped above the default quota is infeasible; with one, it is "
        "feasible with a warning naming the quota to request. Quotas: " + ", ".join(QUOTAS) + ".",
    )
    lambda_max_event_age_s: Annotated[float, Field(ge=60, le=21_600)] = Field(
        21_600,
        description="Lambda's maximum event age for asynchronous invocations (60 s - 6 h, AWS default 6 h): "
        "events still queued after it are dropped (or sent to a failure destination).",
    )

    @field_validator("quota_increase", mode="before")
    @classmethod
    def _counted(cls, v: Any) -> Any:
        return _at_most(v, MAX_EXTRA_KEYS)

    @field_validator("quota_increase")
    @classmethod
    def _known_quotas(cls, v: dict[str, float]) -> dict[str, float]:
        for key in v:
            if key not in QUOTAS:
                raise ValueError(
                    f"unknown quota '{key}'{did_you_mean(key, QUOTAS)}; known: {', '.join(QUOTAS)}"
                )
        return v


class Vpc(_Strict):
    """The network a workload's traffic crosses: what ``platforms/network.py`` prices (NAT gateways,
    interface endpoints) and the assumptions it makes, each overridable here."""

    availability_zones: int = Field(
        2,
        ge=1,
        le=6,
        description="Availability Zones the workload's subnets span (1 to 6; default 2, the smallest highly "
        "available layout): one NAT gateway and one interface-endpoint attachment per zone.",
    )
    nat_gateway: bool = Field(
        True,
        description="Containers, instances and VPC-attached functions sit in private subnets and reach the "
        "internet and AWS APIs through NAT gateways, which are priced; false: no NAT gateway to price (public "
        "subnets, VPC endpoints only, or a NAT gateway paid for elsewhere).",
    )
    nat_gb_per_month: float | None = Field(
        None,
        ge=0,
        le=100_000_000,
        description="GB a month through the NAT gateways (calls the workload makes out: outside APIs, AWS APIs "
        "without an endpoint, image pulls; not the answers to your users, which leave through the front door). "
        "Omitted: the per-GB price is named in a note, not charged.",
    )
    endpoint_gb_per_month: float | None = Field(
        None,
        ge=0,
        le=100_000_000,
        description="GB a month through the interface endpoint to a managed model (Bedrock, SageMaker) reached "
        "from inside the VPC; default: the requests' and responses' text at 4 bytes per token.",
    )


class Workload(_Strict):
    name: Name = Field(..., description="A name for this part of the system (1 to 200 printable characters).")
    role: Role = Field(..., description="What the part does.")
    model: Model | None = Field(None, description="The model it serves or calls; omit for pure glue.")
    requests_per_month: NonNegativeFloat | None = Field(
        None,
        description="Requests (or jobs) per month (0 to 10 trillion). Give this or requests_per_second.",
        le=MAX_REQUESTS_PER_MONTH,
    )
    requests_per_second: NonNegativeFloat | None = Field(
        None,
        description="Mean requests per second over the month (steady mean; 0 to 3,000,000).",
        le=3_000_000,
    )
    traffic: Traffic = Field("steady", description="Shape of the traffic over time.")
    peak_to_mean: Annotated[float, Field(ge=1, le=10_000)] | None = Field(
        None, description="Peak request rate divided by the mean (1 to 10,000); a default per traffic shape."
    )
    traffic_profile: FilePath | None = Field(
        None,
        description="CSV of measured requests over time (columns timestamp,requests), relative to the "
        "workload file and inside its folder; replaces the preset shape.",
    )
    runtime: LambdaRuntime | None = Field(
        None,
        description="Language runtime of the code on Lambda (default python); sets its cold start "
        "(catalog cold_starts.yml). A model served on Lambda is a container image.",
    )
    package_mb: Annotated[float, Field(gt=0, le=10_240)] | None = Field(
        None, description="Deployment package size, MB (default 10); larger packages start colder on Lambda."
    )
    input_tokens: Annotated[int, Field(ge=0, le=10_000_000)] | None = Field(
        None, description="Input (prompt) tokens per request (0 to 10,000,000)."
    )
    output_tokens: Annotated[int, Field(ge=0, le=10_000_000)] | None = Field(
        None, description="Output (generated) tokens per request (0 to 10,000,000)."
    )
    duration_s: Seconds | None = Field(
        None, description="Typical wall time of one request or task, seconds (0.001 to a year)."
    )
    duration_p99_s: Seconds | None = Field(
        None,
        description="99th-percentile wall time, seconds (0.001 to a year); a tail past 15 minutes calls for a queue.",
    )
    active_compute_s: Seconds | None = Field(
        None,
        description="Seconds of actual compute within duration_s (the rest waits on tools, models or people). "
        "Step Functions bills only this; default: all of duration_s (an upper bound).",
    )
    memory_gb: float | None = Field(
        None,
        description="Memory one request/task needs, GB (0.001 to 100,000); derived from the model when omitted.",
        ge=0.001,
        le=100_000,
    )
    gpu: GpuNeed = Field("auto", description="auto: decided from the model; required; none.")
    trigger: Trigger = Field("api", description="What starts the work.")
    p99_latency_ms: float | None = Field(
        None,
        description="Latency target at p99, milliseconds (0.001 to a year).",
        ge=0.001,
        le=31_536_000_000,
    )
    ttft_ms: float | None = Field(
        None,
        description="Time-to-first-token target at p99, milliseconds (generative models; 0.001 to a day).",
        ge=0.001,
        le=86_400_000,
    )
    tpot_ms: float | None = Field(
        None,
        description="Time-per-output-token target (mean), milliseconds (generative models; 0.001 to a day).",
        ge=0.001,
        le=86_400_000,
    )
    interruptible: bool | None = Field(
        None,
        description="The work may be stopped and re-run (so it may run on EC2 Spot or Fargate Spot); "
        "default: true for queue and schedule triggers, false for api and event.",
    )
    front_door: FrontDoor = Field(
        "auto",
        description="What API requests come in through: auto (API Gateway HTTP API for Lambda, an ALB for "
        "containers and self-hosted fleets, the endpoint itself for SageMaker and Bedrock), "
        "api-gateway-http, api-gateway-rest, alb, function-url (Lambda only, free) or none.",
    )
    egress_gb_per_month: float | None = Field(
        None,
        description="Data sent from AWS to the internet each month, GB (0 to 100,000,000); priced at the "
        "data transfer out tiers.",
        ge=0,
        le=100_000_000,
    )
    arch: Arch = Field(
        "auto",
        description="CPU architecture the code runs on: auto (price x86_64 and arm64 where the platform "
        "offers both and take the cheaper; the code must then build for arm64), x86_64 or arm64.",
    )
    vpc: Vpc = Field(
        default_factory=Vpc,
        description="Network assumptions: availability zones, NAT gateway, GB through NAT and endpoints.",
    )
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
    measured_tokens_per_s: float | None = Field(
        None,
        description="Your measured decode throughput per instance (output tokens/s, summed over the "
        "batch; 0.01 to 100,000,000); replaces the roofline estimate.",
        ge=0.01,
        le=100_000_000,
    )

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Self:
        if _checked_by_loader(info):
            return self
        found = cross_field_problems(self.__dict__)
        if found:
            raise ValueError(found[0])
        return self

    @property
    def may_be_interrupted(self) -> bool:
        """``interruptible``, defaulting by trigger: queued and scheduled work can be re-run, an API
        caller is waiting (DESIGN.md, contract additions)."""
        if self.interruptible is not None:
            return self.interruptible
        return self.trigger in ("queue", "schedule")

    @property
    def monthly_requests(self) -> float:
        from ..units import SECONDS_PER_MONTH

        if self.requests_per_month is not None:
            return self.requests_per_month
        return float(self.requests_per_second or 0) * SECONDS_PER_MONTH


#: Validation context key: the loader makes the cross-field and unique-name checks itself, on the
#: raw document, so that they are reported even where a field failed (``spec.checks``).
LOADER_CHECKS = "wheretorun.loader_checks"


def _checked_by_loader(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get(LOADER_CHECKS))


def cross_field_problems(values: Mapping[str, Any]) -> list[str]:
    """What is inconsistent between one workload's fields, checked on validated or raw values.

    The loader also runs it on the raw mapping of a workload whose fields failed validation, so
    these problems are reported in the same pass as the others (pydantic skips a model's own
    checks when one of its fields is wrong). Values that are not numbers are left to the schema.
    """

    def number(key: str) -> float | None:
        v = values.get(key)
        return (
            float(v) if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) else None
        )

    found = []
    monthly, per_second = values.get("requests_per_month"), values.get("requests_per_second")
    if (monthly is None) == (per_second is None):
        which = "both were given" if monthly is not None else "neither was given"
        found.append(f"give exactly one of requests_per_month or requests_per_second ({which})")
    role = values.get("role")
    if isinstance(role, str) and role in MODEL_ROLES and values.get("model") is None:
        found.append(
            f"role {role} serves or trains a model: give model (its catalog id, params_b or bedrock_id); "
            "code that only calls a model is role glue or orchestration"
        )
    door, trigger = values.get("front_door"), values.get("trigger", "api")
    if (
        isinstance(door, str)
        and door not in ("auto", "none")
        and isinstance(trigger, str)
        and trigger != "api"
    ):
        found.append(
            f"front_door {door} is how API requests come in, and trigger {trigger} has none: "
            "set trigger: api, or leave front_door out"
        )
    duration, active, p99 = number("duration_s"), number("active_compute_s"), number("duration_p99_s")
    if active is not None and duration is not None and active > duration:
        found.append(
            f"active_compute_s ({active:g}) is above duration_s ({duration:g}); "
            "active compute is part of the duration"
        )
    if p99 is not None and duration is not None and p99 < duration:
        found.append(
            f"duration_p99_s ({p99:g}) is below duration_s ({duration:g}); "
            "the 99th percentile cannot be below the typical duration"
        )
    return found


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
    """Ranges [low, high] for uncertain inputs, as multipliers (0.001 to 1000) unless named otherwise."""

    volume: tuple[Multiplier, Multiplier] | None = Field(
        None, description="Multiplier range on request volume, e.g. [0.5, 2]."
    )
    tokens_per_request: tuple[Multiplier, Multiplier] | None = Field(
        None, description="Multiplier range on input and output tokens per request."
    )
    spot_discount_pct: (
        tuple[Annotated[float, Field(ge=0, lt=100)], Annotated[float, Field(ge=0, lt=100)]] | None
    ) = Field(None, description="Range of Spot discount, percent off on-demand (0 to below 100).")
    engineer_hourly_usd: (
        tuple[Annotated[float, Field(ge=0.01, le=10_000)], Annotated[float, Field(ge=0.01, le=10_000)]] | None
    ) = Field(None, description="Range of the engineering hourly rate, USD/hour (0.01 to 10,000).")
    throughput: tuple[Multiplier, Multiplier] | None = Field(
        None, description="Multiplier range on self-hosted throughput."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        for name in type(self).model_fields:
            rng = getattr(self, name)
            if rng is not None and rng[0] > rng[1]:
                raise ValueError(f"{name}: low ({rng[0]:g}) is above high ({rng[1]:g})")
        return self


class EngineeringHoursOverride(_Strict):
    setup_hours: Hours | None = Field(None, description="One-off setup, hours (0 to 100,000).")
    upkeep_hours_per_month: Hours | None = Field(
        None, description="Routine upkeep, hours/month (0 to 100,000)."
    )
    oncall_hours_per_month: Hours | None = Field(
        None, description="On-call and incidents, hours/month (0 to 100,000)."
    )


class EngineeringOverride(EngineeringHoursOverride):
    """Either both parts (``fixed``: once per file for the platform; ``marginal``: per workload), or
    the flat form of earlier versions (hours at the top level): read as "as if alone", i.e. charged
    in full to every workload and nothing shared (docs/engineering-cost.md)."""

    fixed: EngineeringHoursOverride | None = Field(
        None, description="The platform's fixed work, paid once per file (pipeline, cluster, on-call rota)."
    )
    marginal: EngineeringHoursOverride | None = Field(
        None, description="The work of one more workload on the platform."
    )

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        flat = [
            k
            for k in ("setup_hours", "upkeep_hours_per_month", "oncall_hours_per_month")
            if getattr(self, k) is not None
        ]
        if flat and (self.fixed is not None or self.marginal is not None):
            raise ValueError(
                f"give either the flat hours ({', '.join(flat)}: charged in full to every workload, as if "
                "alone) or fixed/marginal, not both; e.g. {fixed: {setup_hours: 60}, marginal: "
                "{upkeep_hours_per_month: 4}}"
            )
        return self

    @property
    def flat(self) -> bool:
        return self.fixed is None and self.marginal is None


#: Workloads in one file: an organisation's inventory of thousands answers in seconds; far more would
#: take minutes and gigabytes of memory (the reports of 10,000 hold about 1.7 GB while written as
#: JSON), so a bigger inventory is split (by team, account or product) rather than refused midway.
MAX_WORKLOADS = 20_000


def duplicate_names(names: list[Any]) -> list[tuple[int, str]]:
    """(index, message) for each workload whose name an earlier workload already has."""
    seen: set[str] = set()
    found = []
    for i, name in enumerate(names):
        if not isinstance(name, str):
            continue
        if name in seen:
            found.append((i, f"workload name {name!r} appears twice; names must be unique"))
        seen.add(name)
    return found


class WorkloadFile(_Strict):
    region: Annotated[str, Field(min_length=1, max_length=40), AfterValidator(check_text)] = Field(
        "us-east-1", description="AWS region to price in."
    )
    team: Team = Field(default_factory=Team)
    workloads: list[Workload] = Field(
        ..., min_length=1, max_length=MAX_WORKLOADS, description="The parts of the system."
    )
    prices: PriceOverrides | None = Field(None, description="Your negotiated prices and discounts.")
    preferences: Preferences = Field(default_factory=Preferences)
    engineering: dict[PlatformId, EngineeringOverride] = Field(
        default_factory=dict,
        description="Platform id -> engineering hours replacing the catalog defaults.",
    )
    growth: (
        Annotated[str, Field(max_length=40), AfterValidator(check_text)]
        | Annotated[float, Field(gt=-1, le=10)]
        | None
    ) = Field(
        None,
        description="Monthly growth of volume, e.g. '15%/month' (above -100% and at most 1000%); enables the "
        "24-month projection.",
    )
    uncertainty: Uncertainty | None = Field(None, description="Ranges for a Monte Carlo of the cost.")

    @field_validator("engineering", mode="before")
    @classmethod
    def _counted(cls, v: Any) -> Any:
        return _at_most(v, MAX_EXTRA_KEYS)

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
    def _unique_names(self, info: ValidationInfo) -> Self:
        if _checked_by_loader(info):
            return self
        found = duplicate_names([w.name for w in self.workloads])
        if found:
            raise ValueError(found[0][1])
        return self

    @property
    def growth_per_month(self) -> float | None:
        return None if self.growth is None else parse_growth(self.growth)
