"""Each rule's outcome (answer, reason, effect) on small hand-built decisions, the effects applied
by ``choose``, and the pattern table: table-driven, a comment on each row naming the case."""

from __future__ import annotations

import types
from dataclasses import replace
from decimal import Decimal
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wheretorun import load_workloads
from wheretorun.catalog.store import load_catalog
from wheretorun.decide import rules
from wheretorun.decide.assemble import decide_layer
from wheretorun.decide.catalog_merge import catalog_for
from wheretorun.decide.choose import apply, choose
from wheretorun.decide.pattern import pattern_for
from wheretorun.decide.rules import (
    NO_GPU_OPS,
    Decision,
    Demote,
    Exclude,
    Guideline,
    Require,
    RuleOutcome,
    Warn,
)
from wheretorun.platforms import PLATFORMS, Traits
from wheretorun.platforms.base import Priced
from wheretorun.platforms.usage import derive_usage
from wheretorun.results import CostComponent, FleetFacts, MonthlyCost, OpsProfile, Option

PLAYBOOK = Guideline(managed_wins_below=100e6, self_hosting_pays_above=1e9, managed_wins_with_ops_up_to=500e6)


def decision(
    workload: dict,
    options: list[Option] = (),  # type: ignore[assignment]
    *,
    layer: str = "model",
    team: dict | None = None,
    guideline: Guideline = PLAYBOOK,
    constraints: tuple[str, ...] = (),
) -> Decision:
    data: dict = {"workloads": [{"name": "w", "requests_per_month": 1000, **workload}]}
    if team:
        data["team"] = team
    wf = load_workloads(data)
    usage = derive_usage(wf, 0, catalog_for(wf, "<t>"), "<t>", None)
    return Decision(
        usage=usage,
        wf=wf,
        layer=layer,
        options=list(options),
        lambda_timeout_s=900,
        lambda_memory_max_mb=10240,
        guideline=guideline,
        constraints=set(constraints),
    )


def opt(
    pid: str,
    total: str = "100",
    *,
    blocked: str | None = None,
    gpu: bool = False,
    fleet: dict | None = None,
    ops: OpsProfile | None = None,
    ops_usd: str = "0",
) -> Option:
    if blocked:
        return Option(platform=pid, feasible=False, blocked_by=[blocked])
    cost = MonthlyCost(infra=Decimal(total) - Decimal(ops_usd), ops=Decimal(ops_usd), total=Decimal(total))
    return Option(
        platform=pid,
        feasible=True,
        monthly_cost_usd=cost,
        uses_gpu=gpu,
        # the fleet facts a rule reads, the rest neutral
        fleet=FleetFacts(**(NEUTRAL_FLEET | fleet)) if fleet else None,
        ops_profile=ops,
    )


NEUTRAL_FLEET = {
    "per_replica_rps": 1.0,
    "min_replicas": 1,
    "hourly_usd": 1.0,
    "spot_discount_pct": None,
    "replica_hours": 730.0,
    "peak_replicas": 1,
    "utilisation": 0.5,
    "idle_replica_hours": 0.0,
    "idle_cost_usd": 0.0,
    "scale_out_s": 60.0,
    "warm_floor": 0,
    "method": "given by the test",
    "queued_requests": 0.0,
    "throttled_requests": 0.0,
}
GLUE = {"role": "glue", "duration_s": 1}
EMBED = {"role": "embedding", "model": {"id": "bge-small-en-v1.5"}}
LLM = {"role": "inference", "model": {"id": "llama-3.1-8b"}, "input_tokens": 500, "output_tokens": 100}
VPC = {"data_must_stay_in_vpc": True, "privatelink_ok": False}
#: 80 h setup, 20 h upkeep and 10 h on-call a month, x1.5 for ops_capacity none: 80 x 1.5 / 12 = 10 h
#: of setup a month + (20 + 10) x 1.5 = 45 h of upkeep and on-call = 55 h; 55 h x $120 = $6,600.00
ECS_OPS = OpsProfile(
    setup_hours=80,
    upkeep_hours_per_month=20,
    oncall_hours_per_month=10,
    capacity_factor=1.5,
    monthly_hours=55,
    why="test",
)
NO_OPS = {"ops_capacity": "none", "engineer_hourly_usd": 120}

CASES = [
    # q1: code that calls a model is the orchestration layer
    ("q1 orchestration", rules.q1_serving_or_orchestrating, GLUE, {"layer": "orchestration"}, [],
     "orchestrating", "role 'glue' is code that builds prompts", None),
    # q1: a model role is the model layer
    ("q1 model", rules.q1_serving_or_orchestrating, EMBED, {}, [],
     "serving a model", "the model layer.", None),
    # q2 asks nothing of the orchestration layer
    ("q2 orchestration", rules.q2_needs_gpu, GLUE, {"layer": "orchestration"}, [], None, None, None),
    # q2: the file says a GPU is required: the CPU platforms are out
    ("q2 gpu required", rules.q2_needs_gpu, {**EMBED, "gpu": "required"}, {}, [],
     "yes", "gpu: required in the workload file; Lambda and Fargate have no GPU, so they are out", None),
    # q2: no GPU: the feasible CPU-only platforms (traits: no GPU, hosts weights) are listed; ECS is
    # not CPU-only and the blocked Fargate is not feasible
    ("q2 cpu", rules.q2_needs_gpu, {**EMBED, "gpu": "none"}, {},
     [opt("lambda"), opt("fargate", blocked="too big"), opt("ecs-ec2")],
     "no", "gpu: none in the workload file; CPU platforms stay in: lambda", None),
    # q3: a proprietary model is API-only
    ("q3 proprietary", rules.q3_open_or_proprietary, {"role": "inference", "model": {"id": "claude-3-5-haiku"}},
     {}, [], "proprietary", "self-hosting is impossible", None),
    # q3: your own fine-tune of open weights
    ("q3 custom", rules.q3_open_or_proprietary, {**LLM, "model": {"id": "llama-3.1-8b", "custom": True}},
     {}, [], "open weights, your own fine-tune", "only Custom Model Import", None),
    # q3: open weights Bedrock does not offer
    ("q3 open", rules.q3_open_or_proprietary, {"role": "inference", "model": {"id": "qwen2.5-7b"}},
     {}, [], "open weights", "Bedrock does not offer it", None),
    # compliance: nothing asked when the data may leave the VPC
    ("vpc no", rules.compliance, EMBED, {}, [], None, None, None),
    # compliance: PrivateLink keeps Bedrock allowed: no constraint
    ("vpc privatelink", rules.compliance, {**EMBED, "data_must_stay_in_vpc": True, "privatelink_ok": True},
     {}, [], "yes, PrivateLink is acceptable", "VPC interface endpoint", None),
    # compliance: the model layer must be self-hosted in the VPC
    ("vpc model", rules.compliance, {**EMBED, **VPC}, {}, [],
     "yes, and PrivateLink is not enough", "compliance-driven, not cost-driven", Require("self-hosting")),
    # compliance: the orchestration layer's code runs in the VPC anyway: no constraint on it
    ("vpc orchestration", rules.compliance, {**GLUE, **VPC}, {"layer": "orchestration"}, [],
     "yes, and PrivateLink is not enough", "compliance-driven", None),
    # hard limits: nothing blocked
    ("limits none", rules.hard_limits, EMBED, {}, [opt("lambda")], "none", "every platform's limits hold", None),
    # hard limits: the blocked platforms are excluded with their first blocker
    ("limits blocked", rules.hard_limits, EMBED, {},
     [opt("lambda", blocked="timeout: 900 s"), opt("fargate"), opt("bedrock", blocked="not offered")],
     "lambda, bedrock", "lambda: timeout: 900 s; bedrock: not offered",
     Exclude((("lambda", "timeout: 900 s"), ("bedrock", "not offered")))),
    # q7: typical work past Lambda's 900 s
    ("q7 long", rules.q7_longer_than_15_minutes, {**GLUE, "duration_s": 1000}, {"layer": "orchestration"}, [],
     "yes", "duration_s 1,000 s, p99 1,000 s vs Lambda's 900 s limit: use a queue", None),
    # q7: a model layer whose p99 alone is past it: queue the long jobs
    ("q7 tail", rules.q7_longer_than_15_minutes, {**EMBED, "duration_s": 30, "duration_p99_s": 1800}, {}, [],
     "the tail does", "queue the long jobs (SQS) to a worker", None),
    # q7: within the limit
    ("q7 short", rules.q7_longer_than_15_minutes, GLUE, {"layer": "orchestration"}, [],
     "no", "within Lambda's 900 s limit", None),
    # q5: the cheapest fleet's idle hours are quoted: 365 of 730 idle at 50 % utilisation
    ("q5 idle", rules.q5_traffic_pattern, {**EMBED, "traffic": "steady"}, {},
     [opt("ecs-ec2", "300", fleet={"idle_replica_hours": 365, "replica_hours": 730, "utilisation": 0.5,
                                    "idle_cost_usd": 100})],
     "steady", "365 of 730 replica-hours are idle (utilisation 50%), $100.00 of idle capacity", None),
    # q6: a team with capacity: engineering is priced, nothing demoted
    ("q6 limited", rules.q6_ops_capacity, LLM, {"team": {"ops_capacity": "limited"}},
     [opt("ecs-ec2", gpu=True, ops=ECS_OPS)], "limited", "engineering time is priced at $120/h (x1.5", None),
    # q6: no GPU ops: the GPU fleets the team would run are demoted, not excluded
    ("q6 none", rules.q6_ops_capacity, LLM, {"team": NO_OPS},
     [opt("ecs-ec2", gpu=True), opt("eks-ec2", gpu=True), opt("bedrock")],
     "no", "ecs-ec2, eks-ec2 are not recommended even where cheaper",
     Demote((("ecs-ec2", NO_GPU_OPS), ("eks-ec2", NO_GPU_OPS)))),
    # q6: no GPU ops, but the fleet runs on CPU: nothing to demote
    ("q6 none cpu", rules.q6_ops_capacity, LLM, {"team": NO_OPS}, [opt("ecs-ec2", ops=ECS_OPS)],
     "none", "ops_capacity: none;", None),
    # q6: compliance leaves only self-managed GPUs: allowed, with the cost of running them
    ("q6 compliance", rules.q6_ops_capacity, {**LLM, **VPC}, {"team": NO_OPS, "constraints": ("self-hosting",)},
     [opt("ecs-ec2", "7000", gpu=True, ops=ECS_OPS, ops_usd="6600")],
     "no, but compliance forces self-hosting", "self-managed GPUs stay allowed",
     Warn("COMPLIANCE FORCES SELF-MANAGED GPUS FOR A TEAM WITHOUT GPU OPS: expect 120 h of setup and 45 h "
          "a month of upkeep and on-call ($6,600.00/month at $120/h); hire or train for it, or consider "
          "SageMaker endpoints")),
    # q6, defect fixed: compliance, but a SageMaker asynchronous endpoint (AWS runs its instances:
    # Traits.managed_instances) serves the model in the VPC: the fleets are demoted. Before, only a
    # real-time sagemaker-endpoint counted, and the warning told the team to consider SageMaker
    # endpoints while one was feasible.
    ("q6 compliance async", rules.q6_ops_capacity, {**LLM, **VPC},
     {"team": NO_OPS, "constraints": ("self-hosting",)},
     [opt("ecs-ec2", gpu=True, ops=ECS_OPS), opt("sagemaker-async", "9000")],
     "no", "and SageMaker endpoints also keep the data in your VPC.", Demote((("ecs-ec2", NO_GPU_OPS),))),
    # q4 asks nothing of a non-generative model
    ("q4 embedding", rules.q4_token_volume, EMBED, {}, [], None, None, None),
    # q4: no token counts given: no volume is quoted
    ("q4 unknown", rules.q4_token_volume, {"role": "inference", "model": {"id": "llama-3.1-8b"}}, {}, [],
     "unknown: no token counts per request", "gives no input_tokens and output_tokens", None),
    # q4: 100,000 x (500 + 100) = 60M tokens < 100M: the guideline says Bedrock, and Bedrock's $100
    # is below ECS's $500
    ("q4 agrees", rules.q4_token_volume, {**LLM, "requests_per_month": 100_000}, {},
     [opt("bedrock", "100"), opt("ecs-ec2", "500")],
     "60.0M tokens/month", "< 100M tokens/month: Bedrock almost always wins on total cost. computed totals: "
     "bedrock $100.00/month vs ecs-ec2 $500.00/month (infrastructure + engineering): bedrock is cheaper -- "
     "the guideline agrees.", None),
    # q4: the thresholds are the Guideline's (the catalog's), not literals: with 10M/50M/20M the same
    # 60M tokens are above the self-hosting figure, and the cheaper Bedrock disagrees
    ("q4 catalog thresholds", rules.q4_token_volume, {**LLM, "requests_per_month": 100_000},
     {"guideline": Guideline(10e6, 50e6, 20e6)}, [opt("bedrock", "100"), opt("ecs-ec2", "500")],
     "60.0M tokens/month", "> 50M tokens/month with stable traffic: self-hosting starts to make financial "
     "sense. computed totals: bedrock $100.00/month vs ecs-ec2 $500.00/month (infrastructure + engineering): "
     "bedrock is cheaper -- the numbers DISAGREE", None),
    # the Serverless vs. Containers framework asks nothing of the model layer
    ("code model", rules.seed2_framework, EMBED, {}, [], None, None, None),
    # 1 s and the default memory are inside the 600 s / 3 GB comfort zone; 1,000 a month is
    # 1,000 / 730 h / 60 = 0.0228 a minute, below 10/min
    ("code comfort", rules.seed2_framework, GLUE, {"layer": "orchestration"}, [],
     "Lambda's comfort zone", "0.0228 requests/minute on average (< 10/min favours Lambda)", None),
    # 700 s is past the 600 s preference (not the 900 s limit)
    ("code long", rules.seed2_framework, {**GLUE, "duration_s": 700}, {"layer": "orchestration"}, [],
     "outside Lambda's comfort zone", "duration 700 s vs preference 600 s (hard limit 900 s)", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "rule", "workload", "kw", "options", "answer", "reason", "effect"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_each_rule_returns_its_answer_reason_and_effect(
    case, rule, workload, kw, options, answer, reason, effect
):
    kw = dict(kw)
    team = kw.pop("team", None)
    d = decision(workload, options, team=team, **kw)
    out = rule(d)
    if answer is None:
        assert out is None
        return
    assert isinstance(out, RuleOutcome)
    assert out.answer == answer
    assert reason in out.reason
    assert out.effect == effect
    # a rule reads the decision, never changes it
    assert (d.trace, d.warnings, d.excluded, d.not_preferred) == ([], [], {}, {})


def test_apply_renders_the_trace_step_and_records_each_effect():
    d = decision(EMBED, [opt("lambda"), opt("fargate")])
    d.trace_prefix = "[model] "
    assert [o.platform for o in d.feasible] == ["lambda", "fargate"]  # listed (and kept) before
    apply(d, RuleOutcome("Q?", "A", "because", Exclude((("lambda", "why"),))))
    apply(d, RuleOutcome("Q2?", "B", "so", Demote((("fargate", "not ready"),))))
    apply(d, RuleOutcome("Q3?", "C", "hence", Require("self-hosting")))
    apply(d, RuleOutcome("Q4?", "D", "thus", Warn("careful")))
    assert [(t.question, t.answer, t.because) for t in d.trace] == [
        ("[model] Q?", "A", "because"),
        ("[model] Q2?", "B", "so"),
        ("[model] Q3?", "C", "hence"),
        ("[model] Q4?", "D", "thus"),
    ]
    assert [o.platform for o in d.feasible] == ["fargate"]  # excluded: gone from what later rules see
    assert d.not_preferred == {"fargate": "not ready"}
    assert d.compliance_forces_self_hosting
    assert d.warnings == ["careful"]


@pytest.mark.parametrize(
    ("case", "options", "demoted", "pick", "warning"),
    [
        # the cheapest wins
        ("cheapest", [opt("lambda", "30"), opt("fargate", "20")], {}, "fargate", None),
        # equal totals: the platform registered first
        ("tie", [opt("fargate", "20"), opt("lambda", "20")], {}, "lambda", None),
        # a demoted option loses to a dearer eligible one
        ("demoted", [opt("ecs-ec2", "10"), opt("bedrock", "50")], {"ecs-ec2": "no ops"}, "bedrock", None),
        # only demoted options are feasible: the cheapest is recommended anyway, with a warning
        ("only demoted", [opt("ecs-ec2", "10"), opt("eks-ec2", "20")], {"ecs-ec2": "x", "eks-ec2": "x"},
         "ecs-ec2", "only platforms the team is not ready for are feasible"),
        # nothing feasible: no pick
        ("none", [opt("lambda", blocked="limit")], {}, None, "no platform can run this workload as described"),
    ],
)  # fmt: skip
def test_choose(case, options, demoted, pick, warning):
    d = decision(EMBED, options)
    d.not_preferred.update(demoted)
    chosen = choose(d)
    assert (chosen.platform if chosen else None) == pick
    if warning is None:
        assert d.warnings == []
    else:
        assert warning in d.warnings[-1]


def test_a_demoted_cheaper_runner_up_is_a_positive_difference():
    """Defect fixed: the pick dearer than a demoted runner-up read 'is $-40.00/month dearer than'."""
    d = decision(EMBED, [opt("ecs-ec2", "10"), opt("bedrock", "50")])
    d.not_preferred["ecs-ec2"] = "no ops"
    choose(d)
    # $50 - $10 = $40
    assert d.trace[-1].because.endswith("; bedrock is $40.00/month dearer than ecs-ec2.")


@pytest.mark.parametrize(
    ("case", "workload", "layer_pick", "model_pick", "compliance", "expected"),
    [
        # orchestration calling Bedrock
        ("agent bedrock", {"role": "orchestration"}, opt("lambda"), opt("bedrock"), False, "agent-with-bedrock"),
        # orchestration calling a model the team hosts
        ("agent hosted", {"role": "orchestration"}, opt("lambda"), opt("ecs-ec2"), False,
         "agent-with-self-hosted-model"),
        # a workflow engine's pattern wins over the model it calls
        ("workflow", {"role": "orchestration"}, opt("step-functions"), opt("bedrock"), False,
         "long-flow-on-step-functions"),
        # typical work within Lambda's timeout, the p99 past it: a queue
        ("orchestration tail", {"role": "orchestration", "duration_s": 30, "duration_p99_s": 1800},
         opt("fargate"), None, False, "hybrid-queue"),
        # glue on events
        ("event glue", {"role": "glue", "trigger": "event"}, opt("lambda"), None, False, "event-driven-glue"),
        # glue behind an API: the platform's orchestration pattern
        ("api glue", {"role": "glue", "trigger": "api"}, opt("lambda"), None, False, "serverless-orchestration"),
        # nothing picked for the model layer
        ("none", EMBED, None, None, False, "none"),
        # compliance on a self-hosted platform
        ("in vpc", EMBED, opt("ecs-ec2"), None, True, "in-vpc-self-hosted"),
        # fine-tuning
        ("training", {"role": "fine-tuning", "model": {"id": "llama-3.1-8b"}}, opt("aws-batch"), None, False,
         "gpu-training-job"),
        # a model with a long tail on containers
        ("model tail", {**EMBED, "duration_s": 30, "duration_p99_s": 1800}, opt("ecs-ec2"), None, False,
         "hybrid-queue"),
        # on a GPU: the platform's GPU pattern
        ("gpu", LLM, opt("ecs-ec2", gpu=True), None, False, "self-hosted-llm-on-gpu"),
        # on CPU: its model pattern
        ("cpu", EMBED, opt("ecs-ec2"), None, False, "cpu-model-on-containers"),
        # the platform's pattern for the role
        ("rag on bedrock", {"role": "rag", "model": {"id": "claude-3-5-haiku"}}, opt("bedrock"), None, False,
         "rag-with-bedrock"),
    ],
)  # fmt: skip
def test_the_pattern_table(case, workload, layer_pick, model_pick, compliance, expected):
    d = decision(workload)
    assert pattern_for(d.usage, layer_pick, model_pick, compliance, 900) == expected


def test_a_new_platform_with_traits_needs_no_change_in_decide(monkeypatch):
    """A platform registered with its traits, prices and engineering profile is assessed, judged by
    the rules and picked, and its pattern read from its traits, with nothing in decide/ naming it."""
    component = CostComponent(
        name="Endpoint hours",
        unit="months",
        quantity=Decimal(1),
        unit_price_usd=Decimal(1),
        monthly_usd=Decimal(1),
        driver="fixed",
        purchase="on-demand",
    )
    fake = types.SimpleNamespace(
        ID="fake-endpoint",
        TRAITS=Traits(
            hosts_weights=True,
            self_hosted=True,
            managed_model=False,
            gpu_capable=True,
            batch=False,
            containers=False,
            model_pattern="model-on-fake-endpoint",
            managed_instances=True,
        ),
        limits=lambda ctx: [],
        price=lambda ctx: Priced(components=[component], uses_gpu=True),
    )
    monkeypatch.setitem(PLATFORMS, "fake-endpoint", fake)
    wf = load_workloads({"team": NO_OPS, "workloads": [{"name": "w", "requests_per_month": 100_000, **LLM}]})
    catalog = catalog_for(wf, "<t>")
    profile = catalog.engineering_profile("bedrock").model_copy(update={"platform": "fake-endpoint"})
    engineering = catalog.engineering.model_copy(
        update={"profiles": [*catalog.engineering.profiles, profile]}
    )
    catalog = replace(catalog, engineering=engineering)
    usage = derive_usage(wf, 0, catalog, "<t>", None)
    d, pick = decide_layer(usage, wf, catalog, "model", "<t>")
    assert [o.platform for o in d.options][-1] == "fake-endpoint"
    assert pick is not None and pick.platform == "fake-endpoint"
    # $1 of infrastructure plus Bedrock's engineering profile: below Bedrock's token bill plus the
    # same engineering; and as the cheapest self-hosted total the token-volume rule compares it
    q4 = next(t for t in d.trace if t.question.startswith("4."))
    assert "vs fake-endpoint $" in q4.because
    assert pattern_for(usage, pick, None, False, 900) == "model-on-fake-endpoint"


def test_the_token_guideline_is_the_catalogs_with_its_source():
    """The playbook's thresholds live in catalog guidelines.yml, each citing the seed article."""
    catalog = load_catalog()
    assert Guideline.of(catalog) == PLAYBOOK
    for key in (
        "playbook/tokens-managed-wins-below",
        "playbook/tokens-self-hosting-pays-above",
        "playbook/tokens-managed-wins-with-ops-up-to",
    ):
        assert "seeds/playbook-lambda-fargate-eks-bedrock.txt" in catalog.guideline(key).source
    assert PLAYBOOK.summary() == (
        "the playbook's guideline: < 100M tokens/month Bedrock wins, 100M-1B do the math, > 1B "
        "self-hosting starts to pay (and 'up to 500M tokens/month Bedrock wins with ops included')"
    )
    with pytest.raises(KeyError, match="did you mean 'playbook/tokens-managed-wins-below'"):
        catalog.guideline("playbook/tokens-managed-wins-belw")


@cache
def _embedding_decision() -> Decision:
    return decision(EMBED)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(list(PLATFORMS)),
        st.tuples(st.integers(1, 50), st.booleans()),  # (monthly total in dollars, demoted)
        max_size=6,
    )
)
def test_choose_picks_the_cheapest_eligible_else_the_cheapest(picks):
    options = [opt(pid, str(total)) for pid, (total, _) in picks.items()]
    d = replace(_embedding_decision(), options=options, trace=[], warnings=[], not_preferred={}, excluded={})
    d.not_preferred.update({pid: "x" for pid, (_, demoted) in picks.items() if demoted})
    order = list(PLATFORMS)

    def key(pid: str) -> tuple[int, int]:
        return picks[pid][0], order.index(pid)

    eligible = [pid for pid, (_, demoted) in picks.items() if not demoted]
    expected = min(eligible or list(picks), key=key, default=None)
    chosen = choose(d)
    assert (chosen.platform if chosen else None) == expected
