"""The result types: invoice lines, options, blockers, trace steps, workload and file results.

They sit below the platforms (which build options and invoice lines) and the simulators (which
re-price them), so neither imports the report layer; ``wheretorun.report.model`` re-exports them.
The ``Report`` is the one object every output format is a pure function of.

Its JSON form is the interface contract of ``recommend --format json`` and ``POST /v1/recommend``
(../shared/DESIGN.md). Money is Decimal here; ``to_json_dict`` renders it as JSON numbers at full
double precision (never rounded to cents: a unit price like $0.0000166667 per GB-second must
survive), so an invoice line's quantity x unit price matches its amount and lines add up.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, BinaryIO, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from ._perf import splice_list

#: Money: exact Decimal in the library, a JSON number (the nearest double) in the contract JSON.
Money = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


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
    extras: dict[str, Any] = Field(default_factory=dict)


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
    usage: dict[str, Any] = Field(default_factory=dict)
    extras: dict[str, Any] = Field(default_factory=dict)

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
    team: dict[str, Any] = Field(default_factory=dict)
    source_file: str | None = None
    generated_by: str = "wheretorun"
    extras: dict[str, Any] = Field(default_factory=dict)

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
