"""The result types: invoice lines, options, blockers, trace steps, workload and file results.

They sit below the platforms (which build options and invoice lines) and the simulators (which
re-price them), so neither imports the report layer; ``wheretorun.report.model`` re-exports them.
The ``Report`` is the one object every output format is a pure function of.

Its JSON form is the interface contract of ``recommend --format json`` and ``POST /v1/recommend``
(../shared/DESIGN.md). Money is Decimal here; ``to_json_dict`` renders it as JSON numbers at full
double precision (never rounded to cents: a unit price like $0.0000166667 per GB-second must
survive), so an invoice line's quantity x unit price matches its amount and lines add up.
"""

# Annotations are objects, not strings (no `from __future__ import annotations`): pydantic would
# compile and evaluate each string when the model class is built, at every command's start-up.

from decimal import Decimal
from typing import Annotated, Any, BinaryIO, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, computed_field, model_validator

from ._perf import splice_list
from .spec.models import Team

#: Money: exact Decimal in the library, a JSON number (the nearest double) in the contract JSON.
#: No bill comes near a quadrillion US dollars a month; a result file (``diff``) claiming more is
#: refused on reading rather than carried into arithmetic that cannot hold it.
MONEY_LIMIT = Decimal(10**15)
Money = Annotated[
    Decimal,
    Field(ge=-MONEY_LIMIT, le=MONEY_LIMIT),
    PlainSerializer(float, return_type=float, when_used="json"),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


#: What an invoice line's quantity follows: the workload's traffic (requests, tokens, GB-seconds,
#: a batch fleet's instance-hours), the hours a resource runs (an autoscaled or always-on fleet's
#: replica-hours, provisioned concurrency), nothing modelled (a load balancer's hours, a cluster's
#: control plane, a free-tier allowance), or engineering hours times the team's rate.
Driver = Literal["volume", "time", "fixed", "engineer_rate"]

#: How the line is bought: what was actually charged, never what was asked for (a Spot request for
#: an instance Spot does not apply to is charged, and labelled, on-demand). ``n/a`` for lines that
#: have no purchase option (engineering time).
Purchase = Literal["on-demand", "spot", "savings-plan-1yr", "savings-plan-3yr", "free-tier", "n/a"]


class CostComponent(_Model):
    """One invoice line: name, unit, quantity, unit price, monthly amount, and where the price came from.

    ``driver`` and ``purchase`` say what the line charges for and how it is bought, so re-pricing
    (``simulate.reprice``) and labels read fields, never the line's name.
    """

    name: str
    unit: str
    quantity: Money
    unit_price_usd: Money
    monthly_usd: Money
    price_key: str | None = None
    source: str | None = None
    as_of: str | None = None
    verified: bool = True
    note: str | None = None
    kind: str = "infra"  # infra | ops
    scales_with: list[str] = Field(
        default_factory=list,
        description="Inputs the quantity is proportional to: volume, tokens, engineer_rate (for growth and Monte Carlo).",
    )
    driver: Driver
    purchase: Purchase
    shared_key: str | None = Field(
        None,
        description="Set on a line one resource bills whoever uses it (a VPC's NAT gateways, an interface "
        "endpoint): lines with the same key are one resource, to be counted once per file (issue 15).",
    )


class MonthlyCost(_Model):
    infra: Money
    ops: Money
    total: Money


class Blocker(_Model):
    """A hard limit that rules a platform out, with the number it used."""

    limit: str
    value: str
    workload_needs: str
    source: str | None = None

    def __str__(self) -> str:
        return f"{self.limit}: {self.value}; needs {self.workload_needs}"


class OpsProfile(_Model):
    setup_hours: float
    upkeep_hours_per_month: float
    oncall_hours_per_month: float
    capacity_factor: float
    monthly_hours: float
    why: str


class LatencyProfile(_Model):
    cold_start_s: float | None = None
    scale_out_s: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    note: str | None = None


# ---- what pricing found, per kind of platform ---------------------------------------------------
# Typed on the Option; in the contract JSON flattened into the option's ``extras`` object, in the
# order it has always had (``Option.extras``).


class FleetFacts(_Model):
    """A self-hosted fleet as sized and simulated (``platforms.selfhost.fleet_facts``): what growth,
    Monte Carlo and the capacity chart re-price, and what the trace says about idle capacity."""

    per_replica_rps: float = Field(description="Requests per second one replica sustains.")
    min_replicas: int = Field(description="The floor the fleet never scales below (0: scales to zero).")
    hourly_usd: float = Field(
        description="One replica's price per hour as bought (Spot or commitment applied)."
    )
    spot_discount_pct: float | None = Field(
        description="The instance's Spot discount, when Spot applies to it."
    )
    replica_hours: float = Field(description="Replica-hours a month.")
    peak_replicas: int
    utilisation: float = Field(description="Mean share of the replicas' capacity in use.")
    idle_replica_hours: float
    idle_cost_usd: float = Field(description="hourly_usd x idle_replica_hours, per month.")
    scale_out_s: float = Field(description="Seconds a new replica takes to serve.")
    warm_floor: int = Field(description="Replicas kept warm to absorb bursts while new ones start.")
    method: str = Field(description="How the fleet was sized (simulated minutes or closed form).")
    queued_requests: float
    throttled_requests: float


class LambdaFacts(_Model):
    """A Lambda function's configuration and simulated month (``platforms.lambda_``)."""

    memory_mb: int
    arch: str
    billed_ms: int = Field(description="Billed duration per invocation, rounded up to the millisecond.")
    gb_seconds: float
    cold_starts: float
    cold_start_s: float
    peak_concurrency: float
    concurrency_quota: float = Field(description="The account's concurrency quota in force.")
    throttled: float = Field(description="Synchronous requests refused with HTTP 429 (not billed).")
    dropped: float = Field(description="Asynchronous events past the maximum event age (not billed).")
    provisioned_concurrency: int
    method: str


class LambdaThrottling(_Model):
    """What Lambda's simulation found before its concurrency quota ruled it out (an infeasible option)."""

    invocations: float
    throttled: float = Field(description="Synchronous requests refused with HTTP 429 (not billed).")
    dropped: float = Field(description="Asynchronous events past the maximum event age (not billed).")
    billed_invocations: float
    failed_share: float
    peak_concurrency: float
    concurrency_quota: float


class QuotaHeadroom(_Model):
    """The quota growth and Monte Carlo re-check: traffic may grow by ``quota_headroom`` before it
    passes the quota in force, by ``quota_default_headroom`` before it needs an increase."""

    quota_name: str = Field(description="lambda-concurrency or bedrock-tokens-per-minute.")
    quota_headroom: float
    quota_default_headroom: float
    quota_counts_tokens: bool = Field(
        default=False, description="The quota counts tokens (it grows with tokens per request too)."
    )


class BedrockFacts(_Model):
    """The Bedrock model that priced the option."""

    bedrock_model_id: str
    tokens_per_month: float | None = Field(default=None, description="On-demand only.")


class TokenQuotaCheck(_Model):
    """A Bedrock model's on-demand token quotas against the simulated traffic (``bedrock.quota_check``)."""

    quota_tokens_per_minute: float
    quota_tokens_per_day: float
    peak_tokens_per_minute: float
    peak_tokens_per_day: float
    throttled_requests: float
    requests: float | None = Field(default=None, description="Only when the quota rules the option out.")
    throttled_share: float | None = Field(
        default=None, description="Only when the quota rules the option out."
    )


class CustomImportFacts(_Model):
    """Bedrock Custom Model Import: copies billed per 5-minute window while active."""

    cmus_per_copy: int
    active_windows: float = Field(description="5-minute windows a month with a copy active.")
    cold_starts: float


class UnitCost(_Model):
    """Cost per 1M tokens of a generative model's option: the TCO yardstick."""

    infra: float
    total: float


#: A value of an option's contract ``extras`` object.
OptionExtra = bool | int | float | str | dict[str, float] | None


class Option(_Model):
    platform: str
    feasible: bool
    blocked_by: list[str] = Field(default_factory=list)
    instance_type: str | None = None
    instances: float | None = None
    monthly_cost_usd: MonthlyCost | None = None
    cost_components: list[CostComponent] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    layer: str = "model"  # orchestration | model
    blockers: list[Blocker] = Field(default_factory=list)
    ops_profile: OpsProfile | None = None
    latency: LatencyProfile | None = None
    soft_warnings: list[str] = Field(default_factory=list)
    # what pricing found: typed here, flattened into ``extras`` in the contract JSON (``extras``)
    fleet: FleetFacts | None = Field(default=None, exclude=True, description="A self-hosted fleet's sizing.")
    function: LambdaFacts | None = Field(default=None, exclude=True, description="Lambda's configuration.")
    throttling: LambdaThrottling | None = Field(
        default=None, exclude=True, description="Lambda ruled out by its concurrency quota: what it found."
    )
    bedrock: BedrockFacts | None = Field(default=None, exclude=True, description="Bedrock's model.")
    custom_import: CustomImportFacts | None = Field(default=None, exclude=True)
    workflow_type: Literal["Standard", "Express"] | None = Field(
        default=None, exclude=True, description="Step Functions' workflow type."
    )
    token_quota: TokenQuotaCheck | None = Field(
        default=None, exclude=True, description="Bedrock's token quotas."
    )
    quota: QuotaHeadroom | None = Field(default=None, exclude=True, description="The quota growth re-checks.")
    uses_gpu: bool | None = Field(
        default=None, exclude=True, description="The option runs on accelerators (None: not priced)."
    )
    usd_per_million_tokens: UnitCost | None = Field(
        default=None, exclude=True, description="Priced options serving a generative model with tokens."
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def extras(self) -> dict[str, OptionExtra]:
        """The contract JSON's ``extras`` object: the facts above flattened, in the order the
        contract has always had. Derived from the typed fields (read those)."""
        out: dict[str, OptionExtra] = {}
        for part in (self.function, self.throttling, self.fleet, self.custom_import):
            if part is not None:
                out |= part.model_dump()
        if self.bedrock is not None:
            out |= self.bedrock.model_dump(exclude_none=True)
        if self.workflow_type is not None:
            out["workflow_type"] = self.workflow_type
        tq = self.token_quota
        if tq is not None:
            out |= tq.model_dump(exclude={"requests", "throttled_share"})
        if self.quota is not None:
            out |= self.quota.model_dump(exclude_defaults=True)
        if tq is not None and tq.requests is not None:
            out |= {"requests": tq.requests, "throttled_share": tq.throttled_share}
        if self.uses_gpu is not None:
            out["uses_gpu"] = self.uses_gpu
        if self.usd_per_million_tokens is not None:
            out["usd_per_million_tokens"] = self.usd_per_million_tokens.model_dump()
        return out

    @model_validator(mode="before")
    @classmethod
    def _from_contract(cls, data: Any) -> Any:
        """An option read back from its JSON (``diff``, the tests): ``extras`` fills the typed fields."""
        if not (isinstance(data, dict) and "extras" in data):
            return data
        data = dict(data)
        ex = dict(data.pop("extras") or {})

        def take(model: type[BaseModel]) -> dict[str, Any]:
            return {k: ex.pop(k) for k in model.model_fields if k in ex}

        # one kind per option, told apart by a key only it has (several share 'cold_starts', 'throttled')
        for field, model, marker in _OPTION_FACTS:
            if marker in ex:
                data[field] = take(model)
        if "workflow_type" in ex:
            data["workflow_type"] = ex.pop("workflow_type")
        for field in ("uses_gpu", "usd_per_million_tokens"):
            if field in ex:
                data[field] = ex.pop(field)
        if ex:
            raise ValueError(f"unknown extras {sorted(ex)}")
        return data


#: (Option field, its type, a key of its contract form that only it has), in the order read back.
_OPTION_FACTS: tuple[tuple[str, type[BaseModel], str], ...] = (
    ("function", LambdaFacts, "memory_mb"),
    ("throttling", LambdaThrottling, "invocations"),
    ("fleet", FleetFacts, "per_replica_rps"),
    ("custom_import", CustomImportFacts, "cmus_per_copy"),
    ("bedrock", BedrockFacts, "bedrock_model_id"),
    ("token_quota", TokenQuotaCheck, "quota_tokens_per_minute"),
    ("quota", QuotaHeadroom, "quota_name"),
)


class TraceStep(_Model):
    question: str
    answer: str
    because: str


class Recommendation(_Model):
    platform: str
    pattern: str
    summary: str
    instance_type: str | None = None
    model_platform: str | None = None
    model_instance_type: str | None = None
    monthly_cost_usd: MonthlyCost | None = None
    #: Set when the file's joint placement differs from this workload's best alone (decide.portfolio).
    standalone_platform: str | None = None
    standalone_model_platform: str | None = None


class BreakEven(_Model):
    """Monthly token volume at which self-hosting equals Bedrock for this workload."""

    tokens_per_month: float | None
    self_hosted_platform: str | None = None
    managed_platform: str | None = None
    current_tokens_per_month: float | None = None
    guideline: str = ""
    note: str = ""


# ---- the optional analyses of a workload ------------------------------------------------------
# Each is computed by ``simulate`` or ``decide`` and drawn by ``report.charts``; in the contract JSON
# they sit, unchanged in shape, under the workload's ``extras`` object (docs/web.md, "Chart data").


class UsageSummary(_Model):
    """The volumes one layer of a workload was priced at (``platforms.usage.Usage``), as stated."""

    requests_per_month: float
    mean_requests_per_s: float
    peak_requests_per_s: float
    tokens_per_month: float = Field(description="0 when the layer serves no generative model.")
    duration_s: float
    memory_gb: float


class CapacityWeek(_Model):
    """Offered load against provisioned capacity over the busiest simulated week (``simulate.week``),
    in 15-minute means; the three lists have one length."""

    minutes: list[int] = Field(description="Start of each bucket, minutes since the week's start.")
    requests: list[float] = Field(description="Offered load, in ``unit``.")
    capacity: list[float] = Field(description="What the serving replicas take at 100%, in ``unit``.")
    unit: str
    platform: str = Field(description="Whose capacity: the option's key, 'platform (instance type)'.")
    week_starts_at_minute: int = Field(description="Where the week starts in the simulated horizon.")
    traffic: str = Field(description="Where the minute-by-minute traffic came from.")
    method: str


class BreakEvenPoint(_Model):
    """One side of the break-even chart at one token volume (``decide.engine.breakeven``)."""

    tokens_per_month: float
    platform: str = Field(description="bedrock, or the cheapest self-hosted option's key at that volume.")
    monthly_usd: float


class GrowthOption(_Model):
    """One option's monthly total over the projection; null where it is over its quota in force."""

    key: str
    platform: str
    instance_type: str | None
    monthly_total_usd: list[float | None] = Field(description="Month 1 (today's volume) onwards.")


class CheapestChange(_Model):
    """A month in which the cheapest option changes."""

    model_config = ConfigDict(
        extra="forbid", validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )

    month: int
    from_: str = Field(alias="from")
    to: str


class QuotaCrossing(_Model):
    """The month an option's traffic first needs more than its default quota, or passes its quota in force."""

    option: str
    quota: str
    month: int
    kind: Literal["over quota", "needs increase"]
    text: str


class GrowthLayer(_Model):
    """The projection of one layer's options and when to revisit the choice."""

    layer: str
    recommended: str | None
    options: list[GrowthOption]
    cheapest_by_month: list[str] = Field(
        description="The cheapest option's key each month ('none': all over quota)."
    )
    changes: list[CheapestChange]
    recommended_overtaken_month: int | None
    runner_up_within_10pct_month: int | None
    revisit_by_month: int | None
    quota_crossings: list[QuotaCrossing]
    summary: str


class GrowthProjection(_Model):
    """Every feasible option re-priced month by month under volume growth (``simulate.growth``)."""

    rate_per_month: float
    months: int
    volume_multiplier_by_month: list[float]
    method: str
    layers: list[GrowthLayer]


class UncertainInput(_Model):
    """A triangular range of one uncertain input (the file's ``uncertainty:``)."""

    low: float
    mode: float
    high: float


class UncertainOption(_Model):
    """One option's spread of monthly totals over the Monte Carlo draws."""

    key: str
    platform: str
    instance_type: str | None
    today_usd: float
    p_cheapest: float
    p10_usd: float
    p50_usd: float
    p90_usd: float
    p_over_quota: float = Field(description="Share of draws in which the option is over its quota in force.")


class Sensitivity(_Model):
    """How far one input, alone at the ends of its range, moves the recommended option's total."""

    input: str
    low: float
    high: float
    total_at_low_usd: float
    total_at_high_usd: float
    swing_usd: float
    rank_correlation: float = Field(description="Spearman rank correlation of the input with the total.")


class UncertaintyLayer(_Model):
    layer: str
    recommended: str | None
    options: list[UncertainOption]
    sensitivity_for: str = Field(description="The option the sensitivities are of (the recommended one).")
    sensitivity: list[Sensitivity] = Field(description="Largest swing first.")
    summary: str


class Uncertainty(_Model):
    """The Monte Carlo of a workload's monthly cost over the file's ``uncertainty:`` ranges (``simulate.montecarlo``)."""

    draws: int
    seed: int
    distribution: str
    inputs: dict[str, UncertainInput]
    layers: list[UncertaintyLayer]


#: The values of a workload's contract ``extras`` object.
WorkloadExtra = UsageSummary | CapacityWeek | list[BreakEvenPoint] | GrowthProjection | Uncertainty
#: Its keys, in the order the contract JSON has always written them: the typed fields they come from.
WORKLOAD_EXTRAS = ("model_layer_usage", "capacity_week", "breakeven_curve", "growth", "uncertainty")


class WorkloadReport(_Model):
    name: str
    role: str
    recommendation: Recommendation
    options: list[Option]
    trace: list[TraceStep]
    warnings: list[str] = Field(default_factory=list)
    model_options: list[Option] = Field(default_factory=list)
    assumptions: list[str] = Field(default_factory=list)
    breakeven: BreakEven | None = None
    usage: UsageSummary
    # the optional analyses: typed here, written under ``extras`` in the contract JSON (``extras``)
    model_layer_usage: UsageSummary | None = Field(
        default=None, exclude=True, description="The model layer's volumes, when the workload has one."
    )
    capacity_week: CapacityWeek | None = Field(
        default=None, exclude=True, description="Only when charts are asked for (``breakeven_curve=True``)."
    )
    breakeven_curve: list[BreakEvenPoint] = Field(
        default_factory=list,
        exclude=True,
        description="Bedrock's and self-hosting's cost, pairwise at each volume; only when charts are asked for.",
    )
    growth: GrowthProjection | None = Field(
        default=None, exclude=True, description="With the file's ``growth:`` or ``--growth``."
    )
    uncertainty: Uncertainty | None = Field(
        default=None, exclude=True, description="With the file's ``uncertainty:`` ranges."
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def extras(self) -> dict[str, WorkloadExtra]:
        """The contract JSON's ``extras`` object: the analyses that were computed, by field name.

        Derived from the typed fields (read those); it exists so that the JSON keeps its shape.
        """
        out: dict[str, WorkloadExtra] = {}
        for name in WORKLOAD_EXTRAS:
            value = getattr(self, name)
            if value:
                out[name] = value
        return out

    @model_validator(mode="before")
    @classmethod
    def _from_contract(cls, data: Any) -> Any:
        """A report read back from its JSON (``diff``, the tests): ``extras`` fills the typed fields."""
        if isinstance(data, dict) and "extras" in data:
            data = dict(data)
            extras = data.pop("extras") or {}
            unknown = set(extras) - set(WORKLOAD_EXTRAS)
            if unknown:
                raise ValueError(f"unknown extras {sorted(unknown)}; allowed: {', '.join(WORKLOAD_EXTRAS)}")
            data.update(extras)
        return data

    @property
    def chosen(self) -> Option | None:
        return next(
            (o for o in self.options if o.platform == self.recommendation.platform and o.feasible), None
        )

    @property
    def chosen_model(self) -> Option | None:
        if not self.recommendation.model_platform:
            return None
        return next(
            (
                o
                for o in self.model_options
                if o.platform == self.recommendation.model_platform and o.feasible
            ),
            None,
        )


class CatalogInfo(_Model):
    as_of: str
    region: str
    oldest: str | None = None
    bedrock_prices: str | None = None
    month_hours: int = 730
    overrides: list[str] = Field(default_factory=list)


#: A file of more workloads than this is an inventory: its table and its charts detail only its
#: costliest workloads (``Report.costliest``); the other formats hold every one.
DETAILED_UP_TO = 20


class SharedCost(_Model):
    """A cost counted once per file: a platform's fixed engineering, an EKS control plane."""

    name: str
    platform: str
    kind: str  # infra | ops
    monthly_usd: Money
    cost_components: list[CostComponent] = Field(default_factory=list)


class Portfolio(_Model):
    """The file's total with every workload placed as if alone, and placed jointly."""

    standalone_total_usd: Money
    joint_total_usd: Money
    moved: list[str] = Field(default_factory=list)


class Report(_Model):
    version: int = 1
    catalog: CatalogInfo
    workloads: list[WorkloadReport]
    #: the workloads' own totals + shared_costs
    total_monthly_cost_usd: Money
    shared_costs: list[SharedCost] = Field(default_factory=list)
    portfolio: Portfolio | None = None
    team: Team | None = Field(default=None, description="The workload file's team section, as validated.")
    source_file: str | None = None
    generated_by: str = "wheretorun"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def extras(self) -> dict[str, None]:
        """Always empty: kept so that the contract JSON keeps its shape (nothing was ever put in it)."""
        return {}

    @model_validator(mode="before")
    @classmethod
    def _from_contract(cls, data: Any) -> Any:
        if isinstance(data, dict) and "extras" in data:
            data = dict(data)
            if data.pop("extras"):
                raise ValueError("a report's extras is always empty")
        return data

    def unpriced(self) -> list[str]:
        """Names of the workloads whose cost the total leaves out, whole or in part: no platform runs
        them as described, or none serves the model their orchestration calls."""
        return [
            w.name
            for w in self.workloads
            if w.recommendation.platform == "none"
            or (w.model_options and not w.recommendation.model_platform)
        ]

    def costliest(self, n: int) -> list[int]:
        """Indices of the ``n`` workloads of highest monthly total, costliest first (ties in file order)."""

        def total(i: int) -> Decimal:
            mc = self.workloads[i].recommendation.monthly_cost_usd
            return mc.total if mc else Decimal(0)

        return sorted(range(len(self.workloads)), key=total, reverse=True)[:n]

    def to_json_dict(self) -> dict[str, Any]:
        """The contract JSON as Python data: money as numbers (``Money``)."""
        return self.model_dump(mode="json")

    def to_json(self) -> str:
        """The contract JSON text (pydantic's serializer: a tenth of the time of ``json.dumps`` over
        ``to_json_dict``, which counts for an inventory of thousands of workloads)."""
        return self.to_json_bytes().decode()

    def to_json_bytes(self) -> bytes:
        """``to_json`` as UTF-8, without building the text first (hundreds of MB for an inventory)."""
        return self.__pydantic_serializer__.to_json(self, indent=2) + b"\n"

    def write_json(self, out: BinaryIO) -> None:
        """``to_json_bytes()`` written workload by workload, the same bytes: an inventory's JSON
        (433 MB for 10,000 workloads) is never held whole in memory.

        The report without its workloads is serialised once and each workload is spliced in
        (``_perf.splice_list``).
        """
        if not self.workloads:
            out.write(self.to_json_bytes())
            return
        skeleton = self.model_copy(update={"workloads": []}).to_json_bytes()
        items = (w.__pydantic_serializer__.to_json(w, indent=2) for w in self.workloads)
        if not splice_list(out, skeleton, b"workloads", items):  # not where the contract puts it
            out.write(self.to_json_bytes())
