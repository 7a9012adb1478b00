"""What a workload's total leaves out must be said where the total is read: an orchestration whose
model no platform can serve as described (here Bedrock's default token quota rules Claude Sonnet 4
out) is priced for its code only, and the summary, the warnings and the "why" say so."""

from __future__ import annotations

import pytest

from wheretorun import load_workloads, recommend
from wheretorun.decide.choose import NO_PLATFORM_FITS
from wheretorun.report.adr import why_sentence

#: examples/saas-platform.yml's assistant-api: 2 requests/s of 3,000 + 500 tokens, diurnal; its
#: peak needs ~1.26M tokens/min against Bedrock's 200,000 default for claude-sonnet-4.
ASSISTANT = {
    "name": "assistant-api",
    "role": "orchestration",
    "model": {"id": "claude-sonnet-4"},
    "requests_per_second": 2,
    "traffic": "diurnal",
    "input_tokens": 3000,
    "output_tokens": 500,
    "duration_s": 12,
    "memory_gb": 1,
    "trigger": "api",
}


@pytest.fixture(scope="module")
def over_quota():
    return recommend(load_workloads({"workloads": [ASSISTANT]}), file="<t>").workloads[0]


def test_the_code_is_priced_and_the_model_is_not(over_quota) -> None:
    r = over_quota.recommendation
    assert r.platform != "none" and r.model_platform is None
    assert not any(o.feasible for o in over_quota.model_options)
    assert "Its model calls are not priced" in r.summary


def test_the_warning_names_the_model_and_the_quota_that_rules_bedrock_out(over_quota) -> None:
    (warning,) = [w for w in over_quota.warnings if "not in this workload's total" in w]
    assert "claude-sonnet-4" in warning
    assert "bedrock is ruled out by a quota" in warning
    assert "preferences.quota_increase.bedrock-tokens-per-minute" in warning
    # the layer-level "no platform can run this workload" would contradict the priced code
    assert NO_PLATFORM_FITS not in over_quota.warnings


def test_why_labels_the_layer_that_runs_nowhere(over_quota) -> None:
    why = why_sentence(over_quota)
    assert "model: nowhere" in why and "code: nowhere" not in why


def test_a_quota_increase_prices_the_model_and_drops_the_warning() -> None:
    data = {
        "preferences": {"quota_increase": {"bedrock-tokens-per-minute": 2_000_000}},
        "workloads": [ASSISTANT],
    }
    w = recommend(load_workloads(data), file="<t>").workloads[0]
    assert w.recommendation.model_platform == "bedrock"
    assert not any("not in this workload's total" in x for x in w.warnings)
    assert "not priced" not in w.recommendation.summary


def test_a_model_workload_no_platform_runs_keeps_the_plain_warning() -> None:
    # the same model called directly (one layer): nothing is priced, and the summary says so
    direct = {**ASSISTANT, "role": "inference"}
    w = recommend(load_workloads({"workloads": [direct]}), file="<t>").workloads[0]
    assert w.recommendation.platform == "none"
    assert NO_PLATFORM_FITS in w.warnings
    assert "no AWS platform fits" in w.recommendation.summary
