"""The playbook as explicit, ordered, named rules, each returning an answer, a reason and an effect.

The playbook ("Playbook: Where to Run AI on AWS") asks seven questions in order; the Serverless vs.
Containers guide ("Serverless vs. Containers for AI Workloads") adds a framework of duration, memory,
GPU, trigger and frequency. Each rule is a small function of the ``Decision`` (usage + priced
options, and the effects of the rules before it) that returns a ``RuleOutcome``: its question, its
answer, the numbers behind it and its effect on the pick, as data (``Exclude``, ``Demote``,
``Require``, ``Warn``, or none). It never changes the decision itself: ``choose.decide`` applies the
outcomes in order, renders the trace from them and makes the pick.

Hard limits are the platforms' (their modules rule options infeasible); the rules only exclude what
those limits ruled out, and demote (never exclude) for preferences. Rules read platforms' declared
traits (``platforms.traits``), never platform ids, so a new platform needs no change here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Literal

from ..catalog.store import Catalog
from ..platforms import traits
from ..platforms.base import gpu_need
from ..platforms.usage import Usage
from ..results import Option, TraceStep
from ..spec.models import WorkloadFile
from ..units import tokens_text


# ---- what a rule returns ----------------------------------------------------------------------
@dataclass(frozen=True)
class Exclude:
    """Rule these platforms out of the ranking, each with its reason (``(platform, reason)`` pairs)."""

    reasons: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Demote:
    """Do not recommend these platforms while another is feasible (``(platform, reason)`` pairs):
    they stay ranked, noted 'not recommended', and win only when nothing else is feasible."""

    reasons: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Require:
    """A constraint on the answer that later rules and the pattern read.

    ``self-hosting``: the data may not leave the VPC and PrivateLink is not enough, so the model is
    self-hosted inside it. The platforms enforce it (Bedrock's limits block it, ``bedrock.vpc_blocker``);
    the ops rule keeps self-managed GPUs allowed when nothing else serves the model, and the
    pattern reads ``in-vpc-self-hosted``.
    """

    constraint: Literal["self-hosting"]


@dataclass(frozen=True)
class Warn:
    """A warning for the report, the decision unchanged."""

    text: str


Effect = Exclude | Demote | Require | Warn | None


@dataclass(frozen=True)
class RuleOutcome:
    """A rule's answer to its question, the reason (the numbers behind it) and its effect as data."""

    question: str
    answer: str
    reason: str
    effect: Effect = None


@dataclass(frozen=True)
class Guideline:
    """The playbook's token-volume rule of thumb (question 4), from the catalog (``guidelines.yml``,
    each figure with its source): quoted in the trace and checked against the computed totals,
    never deciding."""

    managed_wins_below: float
    self_hosting_pays_above: float
    managed_wins_with_ops_up_to: float

    @classmethod
    def of(cls, catalog: Catalog) -> Guideline:
        return cls(
            managed_wins_below=catalog.guideline("playbook/tokens-managed-wins-below").value,
            self_hosting_pays_above=catalog.guideline("playbook/tokens-self-hosting-pays-above").value,
            managed_wins_with_ops_up_to=catalog.guideline(
                "playbook/tokens-managed-wins-with-ops-up-to"
            ).value,
        )

    def summary(self) -> str:
        """The guideline in one sentence (the break-even's ``guideline``)."""
        low, high, mid = (
            tokens_text(v)
            for v in (self.managed_wins_below, self.self_hosting_pays_above, self.managed_wins_with_ops_up_to)
        )
        return (
            f"the playbook's guideline: < {low} tokens/month Bedrock wins, {low}-{high} do the math, "
            f"> {high} self-hosting starts to pay (and 'up to {mid} tokens/month Bedrock wins with ops "
            "included')"
        )


@dataclass
class Decision:
    """One layer of one workload being decided: what the rules read, and the effects applied so far
    (only ``choose`` writes ``excluded``, ``not_preferred``, ``constraints``, ``warnings`` and
    ``trace``)."""

    usage: Usage
    wf: WorkloadFile
    layer: str
    options: list[Option]
    #: Lambda's hard timeout (catalog limit ``lambda/timeout``): past it, work goes to a queue.
    lambda_timeout_s: float
    #: Lambda's largest memory (catalog limit ``lambda/memory-max``), quoted beside the preference.
    lambda_memory_max_mb: float
    guideline: Guideline
    trace: list[TraceStep] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    excluded: dict[str, str] = field(default_factory=dict)  # platform -> reason
    not_preferred: dict[str, str] = field(default_factory=dict)  # platform -> reason
    constraints: set[str] = field(default_factory=set)
    #: the option chosen as if alone, when the file's joint placement moved this layer (choose.choose)
    standalone: Option | None = None
    #: Put before every question: "[model] " where a workload's report holds two layers' traces.
    trace_prefix: str = ""

    @property
    def compliance_forces_self_hosting(self) -> bool:
        return "self-hosting" in self.constraints

    @cached_property
    def feasible(self) -> list[Option]:
        """The feasible options not excluded, in ``options`` order (listed once per exclusion:
        every rule asks; ``choose.apply`` forgets it when a rule excludes)."""
        return [o for o in self.options if o.feasible and o.platform not in self.excluded]

    def cheapest(self, **wanted: bool) -> Option | None:
        """The cheapest feasible option whose platform has these traits (``platforms.traits``)."""
        pool = [o for o in self.feasible if has(o, **wanted)]
        return min(pool, key=_total, default=None)


def has(option: Option, **wanted: bool) -> bool:
    """Does the option's platform have these declared traits? Read at decision time, so a platform
    registered after import (a test's, a plug-in's) is judged like the others."""
    t = traits(option.platform)
    return all(getattr(t, k) == v for k, v in wanted.items())


def _total(o: Option) -> Decimal:
    """An option's monthly total (only feasible options are compared, and they are priced)."""
    assert o.monthly_cost_usd is not None
    return o.monthly_cost_usd.total


def usd(option: Option | None) -> str:
    if option is None or option.monthly_cost_usd is None:
        return "n/a"
    return f"${option.monthly_cost_usd.total:,.2f}/month"


# ---- the rules --------------------------------------------------------------------------------
Q1 = "1. Are you serving a model or orchestrating calls?"
Q2 = "2. Does the model need a GPU?"
Q3 = "3. Is the model proprietary/frontier or open-weights?"
Q4 = "4. What is your monthly token volume?"
Q5 = "5. What is the traffic pattern?"
Q6 = "6. Does your team have operational capacity for GPUs?"
Q7 = "7. Does the work take more than 15 minutes?"
Q_VPC = "Must the data stay in your VPC?"
Q_LIMITS = "Which platforms break a hard limit?"
Q_CODE = (
    "Does the code suit Lambda by duration, memory, trigger and frequency (the Serverless vs. "
    "Containers guide)?"
)
#: The reason a team without GPU operations is not steered to self-managed GPU fleets.
NO_GPU_OPS = "ops_capacity: none -- nobody runs GPU clusters at 3 a.m. (the playbook, question 6)"


def q1_serving_or_orchestrating(d: Decision) -> RuleOutcome:
    w = d.usage.workload
    if d.layer == "orchestration":
        calls = (
            f"; it calls {d.usage.model.label}, placed separately as the model layer" if d.usage.model else ""
        )
        return RuleOutcome(
            Q1,
            "orchestrating",
            f"role '{w.role}' is code that builds prompts, calls tools and models and returns{calls}. "
            "The playbook: Lambda or Step Functions orchestrate; the model lives elsewhere.",
        )
    return RuleOutcome(
        Q1,
        "serving a model",
        f"role '{w.role}' runs {d.usage.model.label if d.usage.model else 'a model'}: the model layer.",
    )


def q2_needs_gpu(d: Decision) -> RuleOutcome | None:
    if d.layer != "model":
        return None
    needs, why = gpu_need(d.usage, d.wf)
    # the platforms without accelerators that run your model or code (Lambda, Fargate, SageMaker
    # Serverless): their own limits rule them out when a GPU is needed
    cpu_ok = [o.platform for o in d.feasible if has(o, gpu_capable=False, hosts_weights=True, workflow=False)]
    return RuleOutcome(
        Q2,
        "yes" if needs else "no",
        why
        + (
            "; Lambda and Fargate have no GPU, so they are out"
            if needs
            else f"; CPU platforms stay in: {', '.join(cpu_ok) or 'none fit its memory'}"
        ),
    )


def q3_open_or_proprietary(d: Decision) -> RuleOutcome | None:
    m = d.usage.model
    if d.layer != "model" or m is None:
        return None
    if m.weights == "proprietary":
        return RuleOutcome(
            Q3,
            "proprietary",
            f"{m.label} is API-only: Bedrock (or the provider's API) serves it; self-hosting is impossible.",
        )
    if m.custom:
        return RuleOutcome(
            Q3,
            "open weights, your own fine-tune",
            f"custom weights of {m.label}: Bedrock on-demand cannot serve them (only Custom Model Import); "
            "self-hosting or SageMaker can.",
        )
    where = (
        f"Bedrock offers it as {m.bedrock_model_id}" if m.bedrock_model_id else "Bedrock does not offer it"
    )
    return RuleOutcome(Q3, "open weights", f"{m.label} can be self-hosted; {where}.")


def compliance(d: Decision) -> RuleOutcome | None:
    w = d.usage.workload
    if not w.data_must_stay_in_vpc:
        return None
    if w.privatelink_ok:
        return RuleOutcome(
            Q_VPC,
            "yes, PrivateLink is acceptable",
            "Bedrock stays allowed through a VPC interface endpoint (the playbook: consider PrivateLink).",
        )
    return RuleOutcome(
        Q_VPC,
        "yes, and PrivateLink is not enough",
        "requests may not reach the Bedrock endpoint: open weights are self-hosted inside the VPC. "
        "The playbook: this decision is compliance-driven, not cost-driven.",
        Require("self-hosting") if d.layer == "model" else None,
    )


def hard_limits(d: Decision) -> RuleOutcome:
    blocked = tuple((o.platform, o.blocked_by[0]) for o in d.options if not o.feasible)
    if not blocked:
        return RuleOutcome(Q_LIMITS, "none", "every platform's limits hold for this workload.")
    return RuleOutcome(
        Q_LIMITS,
        ", ".join(pid for pid, _ in blocked),
        "; ".join(f"{pid}: {why}" for pid, why in blocked),
        Exclude(blocked),
    )


def q7_longer_than_15_minutes(d: Decision) -> RuleOutcome:
    u = d.usage
    timeout = d.lambda_timeout_s
    if u.duration_p99_s > timeout:
        return RuleOutcome(
            Q7,
            "yes" if u.duration_s > timeout else "the tail does",
            f"duration_s {u.duration_s:,g} s, p99 {u.duration_p99_s:,g} s vs Lambda's {timeout:g} s limit: "
            + (
                "use a queue and a container or batch job, or Step Functions with callbacks."
                if d.layer == "orchestration" or u.duration_s > timeout
                else "queue the long jobs (SQS) to a worker, answer the short ones directly."
            ),
        )
    return RuleOutcome(
        Q7,
        "no",
        f"duration_s {u.duration_s:,g} s (p99 {u.duration_p99_s:,g} s) is within Lambda's {timeout:g} s limit.",
    )


def q5_traffic_pattern(d: Decision) -> RuleOutcome:
    u = d.usage
    w = u.workload
    fleets = [o for o in d.feasible if o.fleet is not None]
    idle = ""
    if fleets:
        o = min(fleets, key=_total)
        ex = o.fleet
        assert ex is not None
        idle = (
            f"; on {o.platform} ({o.instance_type}) {ex.idle_replica_hours:,.0f} of {ex.replica_hours:,.0f} "
            f"replica-hours are idle (utilisation {ex.utilisation:.0%}), ${ex.idle_cost_usd:,.2f} of idle capacity"
        )
    shape = {
        "spiky": "spiky: pay-per-use (Lambda, Bedrock) absorbs bursts without idle servers",
        "steady": "steady: always-on servers stay busy, so per-hour pricing can win",
        "diurnal": "diurnal: servers idle at night unless they scale down",
        "batch": "batch: run jobs to completion (AWS Batch, Bedrock batch) with nothing idle",
    }[w.traffic]
    return RuleOutcome(
        Q5,
        w.traffic,
        f"{shape}. Mean {u.mean_rps:,.3g} requests/s, peak {u.peak_rps:,.3g}/s (peak_to_mean {u.peak_to_mean:g}){idle}.",
    )


def q6_ops_capacity(d: Decision) -> RuleOutcome:
    """A team without GPU operations is steered away from the GPU fleets it would run itself
    (``Traits.self_hosted`` with a GPU engineering profile) towards Bedrock or instances AWS runs
    (``Traits.managed_instances``: SageMaker endpoints), unless compliance leaves only the fleets."""
    team = d.wf.team
    gpu_fleets = [o for o in d.feasible if has(o, self_hosted=True, gpu_ops_profile=True) and _uses_gpu(o)]
    if team.ops_capacity != "none" or not gpu_fleets:
        return RuleOutcome(
            Q6,
            team.ops_capacity,
            f"ops_capacity: {team.ops_capacity}; engineering time is priced at ${team.engineer_hourly_usd:g}/h "
            f"(x{_factor(d):g} for this capacity) in every option's total.",
        )
    aws_runs_instances = any(has(o, managed_instances=True) for o in d.feasible)
    if d.compliance_forces_self_hosting and not aws_runs_instances:
        o = min(gpu_fleets, key=_total)
        prof = o.ops_profile
        assert prof is not None and o.monthly_cost_usd is not None
        return RuleOutcome(
            Q6,
            "no, but compliance forces self-hosting",
            "ops_capacity: none, and the data may not leave the VPC: self-managed GPUs stay allowed, with a warning.",
            Warn(
                f"COMPLIANCE FORCES SELF-MANAGED GPUS FOR A TEAM WITHOUT GPU OPS: expect {prof.setup_hours * prof.capacity_factor:,.0f} h "
                f"of setup and {prof.monthly_hours - prof.setup_hours * prof.capacity_factor / d.wf.preferences.setup_amortisation_months:,.0f} h "
                f"a month of upkeep and on-call (${o.monthly_cost_usd.ops:,.2f}/month at ${team.engineer_hourly_usd:g}/h); "
                "hire or train for it, or consider SageMaker endpoints"
            ),
        )
    return RuleOutcome(
        Q6,
        "no",
        f"ops_capacity: none: {', '.join(o.platform for o in gpu_fleets)} are not recommended even where cheaper; "
        "Bedrock or SageMaker endpoints are the way (the playbook)"
        + (
            " -- and SageMaker endpoints also keep the data in your VPC."
            if d.compliance_forces_self_hosting
            else "."
        ),
        Demote(tuple((o.platform, NO_GPU_OPS) for o in gpu_fleets)),
    )


def _factor(d: Decision) -> float:
    opt = next((o for o in d.feasible if o.ops_profile), None)
    return opt.ops_profile.capacity_factor if opt and opt.ops_profile else 1.0


def _uses_gpu(o: Option) -> bool:
    return bool(o.uses_gpu)


def q4_token_volume(d: Decision) -> RuleOutcome | None:
    u = d.usage
    if d.layer != "model" or u.model is None or u.model.kind != "generative":
        return None
    if u.missing_token_fields:
        # never quote a volume from token counts nobody gave (rule 'time on a replica')
        missing = " and ".join(u.missing_token_fields)
        return RuleOutcome(
            Q4,
            "unknown: no token counts per request",
            f"the workload gives no {missing}, so the playbook's token-volume guideline cannot be applied "
            "and per-token services are left unpriced; self-hosted options are sized from duration_s. "
            f"Give {missing} to compare by tokens.",
        )
    g = d.guideline
    low, high = g.managed_wins_below, g.self_hosting_pays_above
    tokens = u.tokens_per_month
    if tokens < low:
        band = f"< {tokens_text(low)} tokens/month: Bedrock almost always wins on total cost"
    elif tokens < high:
        band = (
            f"{tokens_text(low)}-{tokens_text(high)} tokens/month: do the math, ops included "
            f"(the playbook's other figure: {tokens_text(g.managed_wins_with_ops_up_to)})"
        )
    else:
        band = f"> {tokens_text(high)} tokens/month with stable traffic: self-hosting starts to make financial sense"
    managed = d.cheapest(managed_model=True)
    self_hosted = d.cheapest(self_hosted=True)
    if managed and self_hosted and managed.monthly_cost_usd and self_hosted.monthly_cost_usd:
        cheaper = (
            managed if managed.monthly_cost_usd.total <= self_hosted.monthly_cost_usd.total else self_hosted
        )
        guideline_says_managed = tokens < high
        agree = (cheaper is managed) == guideline_says_managed
        verdict = (
            f"computed totals: {managed.platform} {usd(managed)} vs {self_hosted.platform} {usd(self_hosted)} "
            f"(infrastructure + engineering): {cheaper.platform} is cheaper"
        )
        verdict += (
            " -- the guideline agrees."
            if agree
            else " -- the numbers DISAGREE with the guideline, and the choice follows the numbers."
        )
    elif u.model.weights == "proprietary":
        verdict = (
            f"{u.model.label} is proprietary: only Bedrock can serve it, so the guideline does not decide."
        )
    else:
        verdict = "Only one of managed and self-hosted is feasible here, so the guideline does not decide."
    return RuleOutcome(
        Q4,
        f"{tokens / 1e6:,.1f}M tokens/month",
        f"{u.requests_per_month:,.0f} requests x ({u.input_tokens:,} in + {u.output_tokens:,} out). "
        f"The playbook's guideline: {band}. {verdict}",
    )


def seed2_framework(d: Decision) -> RuleOutcome | None:
    """The Serverless vs. Containers guide's questions for code (not models): duration, memory,
    trigger, frequency."""
    if d.layer != "orchestration":
        return None
    u = d.usage
    p = d.wf.preferences
    per_min = u.mean_rps * 60
    few, many = p.lambda_favoured_below_per_minute, p.containers_favoured_above_rps
    frequency = (
        f"< {few:g}/min favours Lambda"
        if per_min < few
        else f"> {many:g}/s favours always-on containers"
        if u.mean_rps > many
        else "between the thresholds: cost decides"
    )
    fits_comfort = u.duration_s < p.lambda_comfort_duration_s and u.memory_gb <= p.lambda_comfort_memory_gb
    return RuleOutcome(
        Q_CODE,
        "Lambda's comfort zone" if fits_comfort else "outside Lambda's comfort zone",
        f"duration {u.duration_s:g} s vs preference {p.lambda_comfort_duration_s:g} s (hard limit {d.lambda_timeout_s:g} s); memory "
        f"{u.memory_gb:g} GB vs preference {p.lambda_comfort_memory_gb:g} GB (hard limit {d.lambda_memory_max_mb:,g} MB); trigger "
        f"'{u.workload.trigger}'; {per_min:,.3g} requests/minute on average "
        f"({frequency}). "
        "The preferences are soft; only the AWS limits exclude.",
    )


Rule = Callable[[Decision], RuleOutcome | None]

#: The order the rules are asked in (and their steps appear in the trace): hard limits before the
#: preferences, the compliance constraint before the ops rule that reads it.
RULES: tuple[Rule, ...] = (
    q1_serving_or_orchestrating,
    q2_needs_gpu,
    q3_open_or_proprietary,
    compliance,
    hard_limits,
    q7_longer_than_15_minutes,
    q5_traffic_pattern,
    q6_ops_capacity,
    q4_token_volume,
    seed2_framework,
)
