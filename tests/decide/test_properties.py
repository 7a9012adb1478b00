"""Hypothesis: any valid workload file yields a recommendation with consistent costs."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wheretorun import load_workloads, recommend
from wheretorun.decide.portfolio import line_key

MODELS = [
    None,
    {"id": "llama-3.1-8b"},
    {"id": "claude-3-5-haiku"},
    {"id": "bge-small-en-v1.5"},
    {"params_b": 3, "weights": "open"},
    {"id": "mistral-7b", "precision": "int4"},
]

workload = st.fixed_dictionaries(
    {
        "name": st.just("w"),
        "role": st.sampled_from(
            ["orchestration", "inference", "embedding", "glue", "batch-inference", "rag"]
        ),
        "requests_per_month": st.floats(min_value=1, max_value=1e9),
        "traffic": st.sampled_from(["spiky", "steady", "diurnal", "batch"]),
        "trigger": st.sampled_from(["api", "event", "queue", "schedule"]),
        "duration_s": st.floats(min_value=0.01, max_value=3000),
        "input_tokens": st.integers(min_value=1, max_value=20_000),
        "output_tokens": st.integers(min_value=0, max_value=4000),
    },
    optional={"model": st.sampled_from(MODELS), "peak_to_mean": st.floats(min_value=1, max_value=50)},
).filter(
    lambda w: w.get("model") is not None or w["role"] in ("orchestration", "glue")
)  # a model role names its model


def clean(w: dict) -> dict:
    return {k: v for k, v in w.items() if v is not None}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workload, st.sampled_from(["none", "limited", "platform"]))
def test_any_valid_file_gets_a_consistent_answer(w, ops):
    report = recommend(load_workloads({"team": {"ops_capacity": ops}, "workloads": [clean(w)]}))
    wr = report.workloads[0]
    for o in wr.options + wr.model_options:
        if not o.feasible:
            assert o.blocked_by
            continue
        lines = sum((c.monthly_usd for c in o.cost_components), Decimal(0))
        assert lines == o.monthly_cost_usd.total
        assert o.monthly_cost_usd.infra >= 0 and o.monthly_cost_usd.ops >= 0
        for c in o.cost_components:  # exact to the 1e-12 USD an invoice amount keeps
            assert abs(c.monthly_usd - c.quantity * c.unit_price_usd) <= Decimal("1e-12")
    if wr.recommendation.platform != "none":
        assert wr.chosen is not None
        shared = sum((c.monthly_usd for c in report.shared_costs), Decimal(0))
        assert report.total_monthly_cost_usd == wr.recommendation.monthly_cost_usd.total + shared
        # one workload alone pays its platforms' shared lines in full: the file costs its picks' totals,
        # less a shared line both layers carry (both on lambda: one lambda platform; both in the VPC:
        # one set of NAT gateways), counted once, plus what only the account sees: both layers' Lambda
        # GB-s of one architecture (Step Functions steps and a Lambda model) through the account's
        # duration tiers together, a line on no single option
        picks = [o for o in (wr.chosen, wr.chosen_model) if o is not None]
        lines = [(key, c) for o in picks for c in o.cost_components if (key := line_key(c)) is not None]
        twice = sum((c.monthly_usd for _, c in lines), Decimal(0)) - sum(
            {key: c.monthly_usd for key, c in lines}.values(), Decimal(0)
        )
        account = sum(
            (
                s.monthly_usd
                for s in report.shared_costs
                if all(line_key(c) is None for c in s.cost_components)
            ),
            Decimal(0),
        )
        total = sum((o.monthly_cost_usd.total for o in picks), Decimal(0)) - twice + account
        assert report.total_monthly_cost_usd == total


@settings(max_examples=25, deadline=None)
@given(st.floats(min_value=1, max_value=1e8), st.floats(min_value=1.01, max_value=100))
def test_cost_never_falls_as_volume_rises(volume, factor):
    def total(v: float) -> dict[str, Decimal]:
        wf = load_workloads(
            {
                "workloads": [
                    {
                        "name": "a",
                        "role": "orchestration",
                        "model": {"id": "claude-3-haiku"},
                        "requests_per_month": v,
                        "duration_s": 2,
                        "input_tokens": 500,
                        "output_tokens": 100,
                    }
                ]
            }
        )
        wr = recommend(wf).workloads[0]
        return {
            o.platform + o.layer: o.monthly_cost_usd.total
            for o in wr.options + wr.model_options
            if o.feasible
        }

    low, high = total(volume), total(volume * factor)
    for key, cost in low.items():
        if key in high:
            assert high[key] >= cost, key
