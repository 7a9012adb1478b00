"""The playbook as explicit, ordered, named rules.

The playbook ("Playbook: Where to Run AI on AWS") asks seven questions in order; the Serverless vs.
Containers guide ("Serverless vs. Containers for AI Workloads") adds a framework of duration, memory, GPU, trigger and frequency.
Each rule is a small function that reads the ``Decision`` (usage + priced options), answers its
question with the numbers behind it, and may mark options as not preferred (never infeasible:
only hard limits do that, in the platform modules). Hard limits come before preferences.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from ..platforms import having
from ..platforms.base import construct, gpu_need
from ..platforms.usage import Usage
from ..results import Option, TraceStep
from ..spec.models import WorkloadFile

#: Platform groups the rules name, read from the platforms' declared traits (``platforms.having``).
SELF_MANAGED_GPU = having(self_hosted=True, gpu_ops_profile=True)  # GPU fleets your team runs: ECS, EKS
MANAGED_MODEL = having(managed_model=True)  # Bedrock, on demand and batch
SELF_HOSTED = having(self_hosted=True)
CPU_ONLY = having(gpu_capable=False, hosts_weights=True, workflow=False)  # Lambda, Fargate
#: The playbook, question 4: guideline thresholds in tokens per month.
GUIDELINE_LOW = 100e6
GUIDELINE_MID = 500e6
GUIDELINE_HIGH = 1e9


@dataclass
class Decision:
    """One layer of one workload being decided."""

    usage: Usage
    wf: WorkloadFile
    layer: str
    options: list[Option]
    #: Lambda's hard timeout (catalog limit ``lambda/timeout``): past it, work goes to a queue.
    lambda_timeout_s: float
    trace: list[TraceStep] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    not_preferred: dict[str, str] = field(default_factory=dict)  # platform -> reason
    compliance_forces_self_hosting: bool = False
    #: Put before every question: "[model] " where a workload's report holds two layers' traces.
    trace_prefix: str = ""

    def ask(self, question: str, answer: str, because: str) -> None:
        # three strings built here: no validation needed (hot path for inventories of thousands)
        self.trace.append(
            construct(TraceStep, question=self.trace_prefix + question, answer=answer, because=because)
        )

    def option(self, platform: str) -> Option | None:
        return next((o for o in self.options if o.platform == platform), None)

    @cached_property
    def feasible(self) -> list[Option]:
        """The feasible options, in ``options`` order (listed once: every rule asks; ``options``
        does not change once assessed)."""
        return [o for o in self.options if o.feasible]

    def cheapest(self, platforms: tuple[str, ...] | None = None) -> Option | None:
        pool = [o for o in self.feasible if platforms is None or o.platform in platforms]
        return min(pool, key=lambda o: o.monthly_cost_usd.total, default=None) if pool else None  # type: ignore[union-attr]


def usd(option: Option | None) -> str:
    if option is None or option.monthly_cost_usd is None:
        return "n/a"
    return f"${option.monthly_cost_usd.total:,.2f}/month"


# ---- the rules --------------------------------------------------------------------------------
def q1_serving_or_orchestrating(d: Decision) -> None:
    w = d.usage.workload
    if d.layer == "orchestration":
        calls = (
            f"; it calls {d.usage.model.label}, placed separately as the model layer" if d.usage.model else ""
        )
        d.ask(
            "1. Are you serving a model or orchestrating calls?",
            "orchestrating",
            f"role '{w.role}' is code that builds prompts, calls tools and models and returns{calls}. "
            "The playbook: Lambda or Step Functions orchestrate; the model lives elsewhere.",
        )
    else:
        d.ask(
            "1. Are you serving a model or orchestrating calls?",
            "serving a model",
            f"role '{w.role}' runs {d.usage.model.label if d.usage.model else 'a model'}: the model layer.",
        )


def q2_needs_gpu(d: Decision) -> None:
    if d.layer != "model":
        return
    needs, why = gpu_need(d.usage, d.wf)
    cpu_ok = [o.platform for o in d.feasible if o.platform in CPU_ONLY]
    d.ask(
        "2. Does the model need a GPU?",
        "yes" if needs else "no",
        why
        + (
            "; Lambda and Fargate have no GPU, so they are out"
            if needs
            else f"; CPU platforms stay in: {', '.join(cpu_ok) or 'none fit its memory'}"
        ),
    )


def q3_open_or_proprietary(d: Decision) -> None:
    m = d.usage.model
    if d.layer != "model" or m is None:
        return
    if m.weights == "proprietary":
        d.ask(
            "3. Is the model proprietary/frontier or open-weights?",
            "proprietary",
            f"{m.label} is API-only: Bedrock (or the provider's API) serves it; self-hosting is impossible.",
        )
    elif m.custom:
        d.ask(
            "3. Is the model proprietary/frontier or open-weights?",
            "open weights, your own fine-tune",
            f"custom weights of {m.label}: Bedrock on-demand cannot serve them (only Custom Model Import); "
            "self-hosting or SageMaker can.",
        )
    else:
        where = (
            f"Bedrock offers it as {m.bedrock_model_id}"
            if m.bedrock_model_id
            else "Bedrock does not offer it"
        )
        d.ask(
            "3. Is the model proprietary/frontier or open-weights?",
            "open weights",
            f"{m.label} can be self-hosted; {where}.",
        )


def compliance(d: Decision) -> None:
    w = d.usage.workload
    if not w.data_must_stay_in_vpc:
        return
    if w.privatelink_ok:
        d.ask(
            "Must the data stay in your VPC?",
            "yes, PrivateLink is acceptable",
            "Bedrock stays allowed through a VPC interface endpoint (the playbook: consider PrivateLink).",
        )
        return
    d.compliance_forces_self_hosting = d.layer == "model"
    d.ask(
        "Must the data stay in your VPC?",
        "yes, and PrivateLink is not enough",
        "requests may not reach the Bedrock endpoint: open weights are self-hosted inside the VPC. "
        "The playbook: this decision is compliance-driven, not cost-driven.",
    )


def hard_limits(d: Decision) -> None:
    blocked = [o for o in d.options if not o.feasible]
    if not blocked:
        d.ask(
            "Which platforms break a hard limit?", "none", "every platform's limits hold for this workload."
        )
        return
    d.ask(
        "Which platforms break a hard limit?",
        ", ".join(o.platform for o in blocked),
        "; ".join(f"{o.platform}: {o.blocked_by[0]}" for o in blocked),
    )


def q7_longer_than_15_minutes(d: Decision) -> None:
    u = d.usage
    timeout = d.lambda_timeout_s
    if u.duration_p99_s > timeout:
        d.ask(
            "7. Does the work take more than 15 minutes?",
            "yes" if u.duration_s > timeout else "the tail does",
            f"duration_s {u.duration_s:,g} s, p99 {u.duration_p99_s:,g} s vs Lambda's {timeout:g} s limit: "
            + (
                "use a queue and a container or batch job, or Step Functions with callbacks."
                if d.layer == "orchestration" or u.duration_s > timeout
                else "queue the long jobs (SQS) to a worker, answer the short ones directly."
            ),
        )
    else:
        d.ask(
            "7. Does the work take more than 15 minutes?",
            "no",
            f"duration_s {u.duration_s:,g} s (p99 {u.duration_p99_s:,g} s) is within Lambda's {timeout:g} s limit.",
        )


def q5_traffic_pattern(d: Decision) -> None:
    u = d.usage
    w = u.workload
    self_hosted = [o for o in d.feasible if o.fleet is not None]
    idle = ""
    if self_hosted:
        o = min(self_hosted, key=lambda o: o.monthly_cost_usd.total)  # type: ignore[union-attr]
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
    d.ask(
        "5. What is the traffic pattern?",
        w.traffic,
        f"{shape}. Mean {u.mean_rps:,.3g} requests/s, peak {u.peak_rps:,.3g}/s (peak_to_mean {u.peak_to_mean:g}){idle}.",
    )


def q6_ops_capacity(d: Decision) -> None:
    team = d.wf.team
    gpu_opts = [o for o in d.feasible if o.platform in SELF_MANAGED_GPU and _uses_gpu(o)]
    managed_endpoint = d.option("sagemaker-endpoint")
    if team.ops_capacity == "none" and gpu_opts:
        if d.compliance_forces_self_hosting and not (managed_endpoint and managed_endpoint.feasible):
            o = min(gpu_opts, key=lambda o: o.monthly_cost_usd.total)  # type: ignore[union-attr]
            prof = o.ops_profile
            assert prof is not None
            d.warnings.append(
                f"COMPLIANCE FORCES SELF-MANAGED GPUS FOR A TEAM WITHOUT GPU OPS: expect {prof.setup_hours * prof.capacity_factor:,.0f} h "
                f"of setup and {prof.monthly_hours - prof.setup_hours * prof.capacity_factor / d.wf.preferences.setup_amortisation_months:,.0f} h "
                f"a month of upkeep and on-call (${o.monthly_cost_usd.ops:,.2f}/month at ${team.engineer_hourly_usd:g}/h); "  # type: ignore[union-attr]
                "hire or train for it, or consider SageMaker endpoints"
            )
            d.ask(
                "6. Does your team have operational capacity for GPUs?",
                "no, but compliance forces self-hosting",
                "ops_capacity: none, and the data may not leave the VPC: self-managed GPUs stay allowed, with a warning.",
            )
            return
        for o in gpu_opts:
            d.not_preferred[o.platform] = (
                "ops_capacity: none -- nobody runs GPU clusters at 3 a.m. (the playbook, question 6)"
            )
        d.ask(
            "6. Does your team have operational capacity for GPUs?",
            "no",
            f"ops_capacity: none: {', '.join(o.platform for o in gpu_opts)} are not recommended even where cheaper; "
            "Bedrock or SageMaker endpoints are the way (the playbook)"
            + (
                " -- and SageMaker endpoints also keep the data in your VPC."
                if d.compliance_forces_self_hosting
                else "."
            ),
        )
    else:
        d.ask(
            "6. Does your team have operational capacity for GPUs?",
            team.ops_capacity,
            f"ops_capacity: {team.ops_capacity}; engineering time is priced at ${team.engineer_hourly_usd:g}/h "
            f"(x{_factor(d):g} for this capacity) in every option's total.",
        )


def _factor(d: Decision) -> float:
    opt = next((o for o in d.feasible if o.ops_profile), None)
    return opt.ops_profile.capacity_factor if opt and opt.ops_profile else 1.0


def _uses_gpu(o: Option) -> bool:
    return bool(o.uses_gpu)


def q4_token_volume(d: Decision) -> None:
    u = d.usage
    if d.layer != "model" or u.model is None or u.model.kind != "generative":
        return
    if u.missing_token_fields:
        # never quote a volume from token counts nobody gave (rule 'time on a replica')
        missing = " and ".join(u.missing_token_fields)
        d.ask(
            "4. What is your monthly token volume?",
            "unknown: no token counts per request",
            f"the workload gives no {missing}, so the playbook's token-volume guideline cannot be applied "
            "and per-token services are left unpriced; self-hosted options are sized from duration_s. "
            f"Give {missing} to compare by tokens.",
        )
        return
    tokens = u.tokens_per_month
    if tokens < GUIDELINE_LOW:
        band = "< 100M tokens/month: Bedrock almost always wins on total cost"
    elif tokens < GUIDELINE_HIGH:
        band = "100M-1B tokens/month: do the math, ops included (the playbook's other figure: 500M)"
    else:
        band = "> 1B tokens/month with stable traffic: self-hosting starts to make financial sense"
    managed = d.cheapest(MANAGED_MODEL)
    self_hosted = d.cheapest(SELF_HOSTED)
    if managed and self_hosted and managed.monthly_cost_usd and self_hosted.monthly_cost_usd:
        cheaper = (
            managed if managed.monthly_cost_usd.total <= self_hosted.monthly_cost_usd.total else self_hosted
        )
        guideline_says_managed = tokens < GUIDELINE_HIGH
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
    d.ask(
        "4. What is your monthly token volume?",
        f"{tokens / 1e6:,.1f}M tokens/month",
        f"{u.requests_per_month:,.0f} requests x ({u.input_tokens:,} in + {u.output_tokens:,} out). "
        f"The playbook's guideline: {band}. {verdict}",
    )


def seed2_framework(d: Decision) -> None:
    """The Serverless vs. Containers guide's questions for code (not models): duration, memory,
    trigger, frequency."""
    if d.layer != "orchestration":
        return
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
    d.ask(
        "Does the code suit Lambda by duration, memory, trigger and frequency (the Serverless vs. "
        "Containers guide)?",
        "Lambda's comfort zone" if fits_comfort else "outside Lambda's comfort zone",
        f"duration {u.duration_s:g} s vs preference {p.lambda_comfort_duration_s:g} s (hard limit {d.lambda_timeout_s:g} s); memory "
        f"{u.memory_gb:g} GB vs preference {p.lambda_comfort_memory_gb:g} GB (hard limit 10,240 MB); trigger "
        f"'{u.workload.trigger}'; {per_min:,.3g} requests/minute on average "
        f"({frequency}). "
        "The preferences are soft; only the AWS limits exclude.",
    )


RULES: tuple[Callable[[Decision], None], ...] = (
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
