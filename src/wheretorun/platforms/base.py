"""The contract every platform module keeps, and the helpers they all use.

A platform module (``platforms/<id>.py``, registered in ``platforms.PLATFORMS``) declares
(``PlatformModule``):

- ``ID``: its contract platform id, and ``TRAITS``: what kind of platform it is (``Traits``: hosts
  weights, self-hosted, managed model, GPU-capable, batch, its patterns), which the decision reads
  instead of lists of platform ids;
- ``limits(ctx) -> list[Blocker]``: the hard limits this workload breaks, each with its number;
- ``price(ctx) -> Priced``: itemised cost components (names price keys, never holds a price), and
  its latency profile (``Priced.latency``).

Its engineering profile is its id (``<id>:gpu`` on a GPU when ``Traits.gpu_ops_profile``).
``assess(module, ctx)`` turns those answers into one ``Option`` of the report. Adding a platform is
its module, its data (catalog prices, limits, ``engineering.yml``) and its tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, Protocol, TypeVar

from .._perf import Bounded
from ..catalog.store import Catalog, PriceRef

# the invoice helpers live below the platforms (importers build lines too); re-exported for the
# platform modules, which build every line through them
from ..invoice import amount as amount
from ..invoice import construct as construct
from ..invoice import line as line
from ..invoice import tiered_lines as tiered_lines
from ..results import (
    BedrockFacts,
    Blocker,
    CostComponent,
    CustomImportFacts,
    FleetFacts,
    LambdaFacts,
    LambdaThrottling,
    LatencyProfile,
    MonthlyCost,
    OpsProfile,
    Option,
    QuotaHeadroom,
    TokenQuotaCheck,
)
from ..spec.models import Preferences, Workload, WorkloadFile
from ..units import money
from .network import network_lines
from .usage import ModelInfo, Usage

T = TypeVar("T")


@dataclass(frozen=True)
class Traits:
    """What kind of platform a module is: the facts the decision reads, declared once per platform.

    ``model_pattern`` names the pattern when the platform serves the model layer (``role_patterns``
    by workload role and ``gpu_pattern`` on a GPU refine it); ``orchestration_pattern`` when it runs
    the orchestration layer (a ``workflow`` engine's pattern wins over the model it calls).
    """

    hosts_weights: bool  # runs model weights you deploy (so proprietary weights cannot run on it)
    self_hosted: bool  # your team runs the model servers (ECS/EKS instances, SageMaker endpoints)
    managed_model: bool  # a model behind AWS's API (Bedrock), no servers of yours
    gpu_capable: bool  # offers accelerators
    batch: bool  # runs queued jobs, not a request/response service
    containers: bool  # runs containers of any duration (takes the long tail Lambda's timeout leaves)
    model_pattern: str
    orchestration_pattern: str = "orchestration-on-containers"
    gpu_pattern: str | None = None
    role_patterns: dict[str, str] = field(default_factory=dict)
    workflow: bool = False
    gpu_ops_profile: bool = False  # a separate engineering profile when it runs GPUs (``<id>:gpu``)
    #: AWS runs the instances that serve your weights (SageMaker endpoints): the way to GPUs for a
    #: team without GPU operations (the playbook, question 6)
    managed_instances: bool = False
    #: Where it runs (``network.py``): "yours" (tasks and instances in your subnets), "when-required"
    #: (attached to your VPC when the data must stay there: Lambda), "managed" (AWS's network).
    vpc: Literal["yours", "when-required", "managed"] = "managed"
    #: The interface endpoint service a caller inside your VPC reaches it through (PrivateLink).
    vpc_endpoint: str | None = None


class PlatformModule(Protocol):
    """The contract of a platform module (see the module docstring)."""

    ID: str
    TRAITS: Traits

    def limits(self, ctx: Context) -> list[Blocker]: ...

    def price(self, ctx: Context) -> Priced: ...


@dataclass
class Context:
    """Everything a platform may look at for one workload layer.

    ``memo`` holds what depends only on the catalog and the workload file, never on the workload:
    price references, the priced instance candidates, one replica-hour's invoice lines. The engine
    gives every Context of one ``recommend`` call the same dict (one catalog, one file), so an
    inventory of thousands of workloads computes each once; it lives as long as that call. Keys
    name everything else the value depends on. Values are shared: never mutate them.
    """

    usage: Usage
    wf: WorkloadFile
    catalog: Catalog
    layer: str  # "orchestration" | "model"
    file: str = "<input>"
    memo: dict[tuple, Any] = field(default_factory=dict, repr=False)
    #: What several platforms of this one workload layer share (ECS and EKS run the same fleet); one
    #: Context serves all the platforms of a layer (``decide.assemble.assess_all``). Shared: never mutate.
    local: dict[tuple, Any] = field(default_factory=dict, repr=False)

    def shared(self, key: tuple, compute: Callable[[], T]) -> T:
        """``compute()``, once per ``recommend`` call for ``key`` (see ``memo``)."""
        try:
            return self.memo[key]
        except KeyError:
            value = self.memo[key] = compute()
            return value

    def per_layer(self, key: tuple, compute: Callable[[], T]) -> T:
        """``compute()``, once for this workload layer (see ``local``)."""
        try:
            return self.local[key]
        except KeyError:
            value = self.local[key] = compute()
            return value

    def price(self, key: str) -> PriceRef:
        """``catalog.price(key)``, looked up once per ``recommend`` call."""
        return self.shared(("price", key), lambda: self.catalog.price(key))

    @property
    def workload(self) -> Workload:
        return self.usage.workload

    @property
    def prefs(self) -> Preferences:
        return self.wf.preferences

    @property
    def model(self) -> ModelInfo | None:
        return self.usage.model

    @property
    def is_model_layer(self) -> bool:
        return self.layer == "model"


@dataclass
class Priced:
    components: list[CostComponent]
    instance_type: str | None = None
    instances: float | None = None
    notes: list[str] = field(default_factory=list)
    soft_warnings: list[str] = field(default_factory=list)
    uses_gpu: bool = False
    latency: LatencyProfile | None = None
    # what pricing found, by kind of platform (``Option`` documents each)
    fleet: FleetFacts | None = None
    function: LambdaFacts | None = None
    bedrock: BedrockFacts | None = None
    custom_import: CustomImportFacts | None = None
    workflow_type: Literal["Standard", "Express"] | None = None
    token_quota: TokenQuotaCheck | None = None
    quota: QuotaHeadroom | None = None


class Infeasible(Exception):
    """Raised by ``price`` when pricing discovers a hard limit (e.g. no instance holds the model)."""

    def __init__(
        self,
        blockers: list[Blocker],
        *,
        throttling: LambdaThrottling | None = None,
        token_quota: TokenQuotaCheck | None = None,
        quota: QuotaHeadroom | None = None,
    ):
        self.blockers = blockers
        #: what pricing found before the limit (e.g. the requests a quota would throttle), kept on
        #: the infeasible option so that the JSON reports the counts, not only the blocker's text
        self.throttling = throttling
        self.token_quota = token_quota
        self.quota = quota
        super().__init__("; ".join(str(b) for b in blockers))


# ---- shared judgements ----------------------------------------------------------------------
def gpu_need(usage: Usage, wf: WorkloadFile) -> tuple[bool, str]:
    """Does the model layer need an accelerator? The playbook, question 2: generative models above 1B do."""
    w = usage.workload
    m = usage.model
    if w.gpu == "required":
        return True, "gpu: required in the workload file"
    if w.gpu == "none":
        return False, "gpu: none in the workload file"
    if m is None:
        return False, "no model is served in this layer"
    threshold = wf.preferences.gpu_params_threshold_b
    if m.weights == "proprietary":
        return (
            True,
            f"{m.label} is a proprietary model: it runs on its provider's accelerators, behind an API",
        )
    if m.params_b is None:
        return m.kind == "generative", f"{m.label}: size unknown; generative models are assumed to need a GPU"
    if m.kind == "generative":
        if m.params_b > threshold:
            return True, (
                f"{m.label} is a generative model of {m.params_b:g}B parameters, above the "
                f"{threshold:g}B threshold (preference gpu_params_threshold_b; the playbook: '>1B params needs GPU')"
            )
        return (
            False,
            f"{m.label} is a generative model of {m.params_b:g}B parameters, at or below {threshold:g}B",
        )
    cpu_max = wf.preferences.cpu_model_max_params_b
    if m.params_b < cpu_max:
        return (
            False,
            f"{m.label} is {_article(m.kind)} {m.kind} of {m.params_b * 1000:g}M parameters "
            f"(< {cpu_max * 1000:g}M run fine on CPU, the playbook)",
        )
    return (
        True,
        f"{m.label} is {_article(m.kind)} {m.kind} of {m.params_b:g}B parameters "
        f"(>= {cpu_max * 1000:g}M: GPU for production latency)",
    )


def is_batch(ctx: Context) -> bool:
    """Is the work a batch of jobs rather than requests to answer? Batch traffic, batch inference,
    fine-tuning or scheduled runs: jobs that run to completion and stop, billed for their work-hours
    (no standing replicas, no load balancer kept between them), and that can run as queued jobs
    (AWS Batch, Bedrock batch inference)."""
    w = ctx.workload
    return w.traffic == "batch" or w.role in ("batch-inference", "fine-tuning") or w.trigger == "schedule"


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def blocker(ctx: Context, limit_key: str, needs: str, *, label: str | None = None) -> Blocker:
    """A Blocker citing a catalog limit."""
    lim = ctx.catalog.limit(limit_key)
    return construct(
        Blocker,
        limit=label or f"{lim.description[:1].upper()}{lim.description[1:]} [{limit_key}]",
        value=f"{lim.value:,g} {lim.unit}",
        workload_needs=needs,
        source=f"{lim.source}, checked {lim.as_of.isoformat()}",
    )


def fact_blocker(limit: str, value: str, needs: str, source: str | None = None) -> Blocker:
    """A Blocker for a structural fact (no GPU, does not host weights) rather than a numeric quota."""
    return construct(Blocker, limit=limit, value=value, workload_needs=needs, source=source)


#: keyed by value (the catalog digest, never ``id()``): a few entries per team and catalog version
_OPS_CACHE: Bounded[tuple, tuple[list[CostComponent], OpsProfile]] = Bounded(1024)

#: ``price_key`` prefix of the engineering lines paid once per file (``decide.portfolio``).
FIXED_ENGINEERING_KEY = "engineering-fixed/"


def ops_lines(ctx: Context, profile_key: str) -> tuple[list[CostComponent], OpsProfile]:
    """Engineering cost lines as if the workload were alone on the platform: the platform's fixed
    work (one line per fixed part, ``price_key`` ``engineering-fixed/<profile>``: counted once per
    file by ``decide.portfolio``) and this workload's marginal setup, upkeep and on-call; hours x
    the team's hourly rate x its capacity factor (docs/engineering-cost.md).

    The same for every workload of a team, so computed once per (profile, team, overrides): the
    returned lines are shared and must not be mutated.
    """
    override = ctx.wf.engineering.get(profile_key.split(":")[0])  # type: ignore[call-overload]  # a platform id
    key = (
        ctx.catalog.digest,
        profile_key,
        override.model_dump_json() if override else None,
        ctx.wf.team.ops_capacity,
        ctx.wf.team.engineer_hourly_usd,
        tuple(ctx.wf.team.runs_today),
        ctx.prefs.setup_amortisation_months,
    )
    return _OPS_CACHE.get(key, lambda: _ops_lines(ctx, profile_key))


def _hours(part: Any, over: Any) -> tuple[float, float, float]:
    """(setup, upkeep, on-call) hours of a catalog part, each replaced where ``over`` gives it."""
    values = []
    for k in ("setup_hours", "upkeep_hours_per_month", "oncall_hours_per_month"):
        v = getattr(over, k, None) if over is not None else None
        values.append(getattr(part, k) if v is None else v)
    return values[0], values[1], values[2]


def _ops_lines(ctx: Context, profile_key: str) -> tuple[list[CostComponent], OpsProfile]:
    cat = ctx.catalog
    platform_id = profile_key.split(":")[0]
    prof = cat.engineering_profile(profile_key)
    override = ctx.wf.engineering.get(platform_id)  # type: ignore[call-overload]  # a platform id
    # the fixed parts an option on this profile opens: the base platform's, then a GPU variant's own
    parts = [cat.engineering_profile(platform_id), prof] if profile_key != platform_id else [prof]
    source = f"engineering profile '{profile_key}': {prof.source}"
    fixed: list[tuple[str, tuple[float, float, float], str]] = []  # (profile key, hours, what)
    if override is not None and override.flat and override.model_fields_set:
        # the flat form of earlier versions: hours for this workload as if alone, nothing shared;
        # what it leaves out is the catalog's one-workload figure (all fixed parts + marginal)
        alone = [
            sum(h)
            for h in zip(*(_hours(p.fixed, None) for p in parts), _hours(prof.marginal, None), strict=True)
        ]
        given = (override.setup_hours, override.upkeep_hours_per_month, override.oncall_hours_per_month)
        setup, upkeep, oncall = (a if v is None else v for a, v in zip(alone, given, strict=True))
        marginal = (setup, upkeep, oncall)
        source = f"your engineering.{platform_id} override, flat: charged to every workload as if alone (catalog default: {prof.source})"
    else:
        marginal = _hours(prof.marginal, override.marginal if override else None)
        for p in parts:
            if p.platform in ctx.wf.team.runs_today:
                continue  # sunk: the team already operates it (team.runs_today)
            over = override.fixed if override is not None and p.platform == platform_id else None
            fixed.append((p.platform, _hours(p.fixed, over), p.fixed.what))
        if override is not None and (override.fixed or override.marginal):
            source = f"your engineering.{platform_id} override (catalog default: {prof.source})"
    capacity = ctx.wf.team.ops_capacity
    factor = cat.engineering.capacity_factor[capacity]
    months = ctx.prefs.setup_amortisation_months
    rate = money(ctx.wf.team.engineer_hourly_usd)
    as_of = prof.as_of.isoformat()

    def ref(key: str, src: str) -> PriceRef:
        return PriceRef(
            key=key,
            description="Engineering time",
            unit="hours",
            value=rate,
            source=src,
            as_of=prof.as_of,
            verified=prof.verified,
        )

    team_note = f"x{factor:g} for ops_capacity '{capacity}'"
    lines = []
    for part_key, (setup, upkeep, oncall), what in fixed:
        lines.append(
            line(
                f"Platform fixed engineering: {part_key} (shared by the file's workloads on it)",
                ref(
                    FIXED_ENGINEERING_KEY + part_key,
                    f"engineering profile '{part_key}' (fixed part): {cat.engineering_profile(part_key).fixed.source}",
                ),
                (money(setup) / months + money(upkeep) + money(oncall)) * money(factor),
                kind="ops",
                scales_with=["engineer_rate"],
                driver="engineer_rate",
                purchase="n/a",
                note=f"{what}: {setup:g} h setup / {months} months + {upkeep:g} h/month upkeep + {oncall:g} h/month "
                f"on-call rota, {team_note}; paid once per file, not at all for a platform in team.runs_today",
            )
        )
    setup, upkeep, oncall = marginal
    mref = ref(f"engineering/{profile_key}", source)
    lines += [
        line(
            f"Engineering setup (amortised over {months} months)",
            mref,
            money(setup) * money(factor) / months,
            kind="ops",
            scales_with=["engineer_rate"],
            driver="engineer_rate",
            purchase="n/a",
            note=f"{setup:g} h one-off for this workload / {months} months, {team_note}; rate = team.engineer_hourly_usd",
        ),
        line(
            "Engineering upkeep",
            mref,
            money(upkeep) * money(factor),
            kind="ops",
            scales_with=["engineer_rate"],
            driver="engineer_rate",
            purchase="n/a",
            note=f"{upkeep:g} h/month for this workload, {team_note}",
        ),
        line(
            "On-call and incidents",
            mref,
            money(oncall) * money(factor),
            kind="ops",
            scales_with=["engineer_rate"],
            driver="engineer_rate",
            purchase="n/a",
            note=f"{oncall:g} h/month for this workload, {team_note}",
        ),
    ]
    for c in lines:
        c.as_of = as_of
    profile = OpsProfile(
        setup_hours=setup + sum(h[0] for _, h, _ in fixed),
        upkeep_hours_per_month=upkeep + sum(h[1] for _, h, _ in fixed),
        oncall_hours_per_month=oncall + sum(h[2] for _, h, _ in fixed),
        capacity_factor=factor,
        monthly_hours=float(sum(c.quantity for c in lines)),
        why=prof.why,
    )
    return lines, profile


def context_blocker(ctx: Context) -> Blocker:
    """Rule 'context': the blocker of every platform when a request is longer than the model's
    context window (the model card's ``max_context_tokens``)."""
    m = ctx.model
    return fact_blocker(
        f"Context window of {m.label if m else 'the model'}",
        f"{m.max_context_tokens:,} tokens" if m and m.max_context_tokens else "the model card's",
        str(ctx.usage.context_problem),
        "catalog models.yml (model card)",
    )


def ops_key(module: PlatformModule, priced: Priced) -> str:
    """The engineering profile of an option: the platform's, its GPU variant when it runs GPUs."""
    return f"{module.ID}:gpu" if module.TRAITS.gpu_ops_profile and priced.uses_gpu else module.ID


def proprietary_weights(ctx: Context, hint: str = "") -> Blocker | None:
    """The blocker of every platform that hosts weights: a proprietary model's are not available
    to deploy (None when the model layer's model is not proprietary)."""
    m = ctx.model
    if not ctx.is_model_layer or m is None or m.weights != "proprietary":
        return None
    return fact_blocker(
        "Weights available to deploy", "proprietary models are API-only", f"{m.label} weights{hint}"
    )


def assess(module: PlatformModule, ctx: Context) -> Option:
    """Ask a platform module its questions and assemble the report's Option."""
    pid: str = module.ID
    blockers = module.limits(ctx)
    # what pricing found before a limit; the exception itself is not kept (its traceback's frames
    # would hold it: a reference cycle per infeasible option)
    throttling: LambdaThrottling | None = None
    token_quota: TokenQuotaCheck | None = None
    quota: QuotaHeadroom | None = None
    if ctx.is_model_layer and ctx.usage.context_problem:
        # no platform serves a request longer than the model's context window (rule 'context')
        blockers = [context_blocker(ctx), *blockers]
    if not blockers:
        try:
            priced: Priced = module.price(ctx)
        except Infeasible as e:
            blockers, throttling, token_quota, quota = e.blockers, e.throttling, e.token_quota, e.quota
        else:
            # the network it is reached through and sends from (NAT, endpoints, data transfer out)
            lines, notes = network_lines(module.TRAITS, ctx)
            priced.components = [*priced.components, *lines]
            priced.notes = [*priced.notes, *notes]
    if blockers:
        return construct(
            Option,
            platform=pid,
            feasible=False,
            instance_type=None,
            instances=None,
            monthly_cost_usd=None,
            cost_components=[],
            notes=[],
            ops_profile=None,
            latency=None,
            soft_warnings=[],
            fleet=None,
            function=None,
            throttling=throttling,
            bedrock=None,
            custom_import=None,
            workflow_type=None,
            token_quota=token_quota,
            quota=quota,
            uses_gpu=None,
            usd_per_million_tokens=None,
            blocked_by=[str(b) for b in blockers],
            blockers=blockers,
            layer=ctx.layer,
        )
    ops, profile = ops_lines(ctx, ops_key(module, priced))
    infra = sum((c.monthly_usd for c in priced.components), Decimal(0))
    ops_total = sum((c.monthly_usd for c in ops), Decimal(0))
    # constructed without re-validation: every field is built above from validated parts (hot path)
    return construct(
        Option,
        platform=pid,
        feasible=True,
        blocked_by=[],
        blockers=[],
        instance_type=priced.instance_type,
        instances=priced.instances,
        monthly_cost_usd=construct(MonthlyCost, infra=infra, ops=ops_total, total=infra + ops_total),
        cost_components=[*priced.components, *ops],
        notes=priced.notes,
        layer=ctx.layer,
        ops_profile=profile,
        latency=priced.latency or LatencyProfile(),
        soft_warnings=priced.soft_warnings,
        fleet=priced.fleet,
        function=priced.function,
        throttling=None,
        bedrock=priced.bedrock,
        custom_import=priced.custom_import,
        workflow_type=priced.workflow_type,
        token_quota=priced.token_quota,
        quota=priced.quota,
        uses_gpu=priced.uses_gpu,
        usd_per_million_tokens=None,
    )


def ceil_ms(seconds: float) -> int:
    """Lambda bills duration rounded up to the millisecond."""
    return max(1, math.ceil(round(seconds * 1000, 6)))
