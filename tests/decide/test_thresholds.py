"""The decision's thresholds are named preferences or catalog limits, not literals: changing one
changes the answer (or the trace) the way it says."""

from __future__ import annotations

import pytest

from wheretorun import load_workloads, recommend
from wheretorun.decide.catalog_merge import catalog_for
from wheretorun.platforms import Context
from wheretorun.platforms.base import gpu_need, is_batch
from wheretorun.platforms.usage import derive_usage


def usage_of(workload: dict, preferences: dict | None = None):
    wf = load_workloads({"workloads": [workload], **({"preferences": preferences} if preferences else {})})
    return derive_usage(wf, 0, catalog_for(wf, "<t>"), "<t>", None), wf


EMBEDDER = {
    "name": "e",
    "role": "embedding",
    "model": {"id": "bge-small-en-v1.5"},
    "requests_per_month": 1000,
}


@pytest.mark.parametrize(
    ("cpu_max", "needs_gpu"),
    [
        (None, False),  # bge-small (0.033B) is below the default 0.5B: CPU
        (0.01, True),  # a stricter team: 33M parameters is at or above 10M, so a GPU
    ],
)
def test_the_cpu_model_size_is_a_preference(cpu_max, needs_gpu):
    usage, wf = usage_of(EMBEDDER, {"cpu_model_max_params_b": cpu_max} if cpu_max else None)
    needs, why = gpu_need(usage, wf)
    assert needs is needs_gpu
    assert ("< 500M run fine on CPU" in why) if cpu_max is None else (">= 10M: GPU" in why)


@pytest.mark.parametrize(
    ("prefs", "expected"),
    [
        # 1,000,000 requests a month = 1,000,000 / 43,800 min = 22.8/min, 0.38/s
        ({}, "between the thresholds: cost decides"),
        ({"lambda_favoured_below_per_minute": 30}, "< 30/min favours Lambda"),
        ({"containers_favoured_above_rps": 0.1}, "> 0.1/s favours always-on containers"),
    ],
)
def test_the_frequency_thresholds_are_preferences(prefs, expected):
    wf = load_workloads(
        {
            "preferences": prefs,
            "workloads": [{"name": "g", "role": "glue", "requests_per_month": 1_000_000, "duration_s": 0.2}],
        }
    )
    trace = recommend(wf, file="<t>").workloads[0].trace
    guide = next(t for t in trace if "Serverless vs. Containers guide" in t.question)
    assert f"({expected})" in guide.because


@pytest.mark.parametrize(
    ("fields", "batch"),
    [
        ({"traffic": "batch"}, True),  # a batch of work
        ({"role": "batch-inference"}, True),
        ({"role": "fine-tuning"}, True),
        ({"trigger": "schedule"}, True),  # scheduled runs: jobs that run to completion and stop
        ({"trigger": "api"}, False),  # answered as they arrive
    ],
)
def test_is_this_a_batch_workload_is_answered_once(fields, batch):
    w = {"name": "w", "role": "glue", "requests_per_month": 1000, **fields}
    if w["role"] in ("batch-inference", "fine-tuning"):
        w["model"] = {"id": "llama-3.1-8b"}
    usage, wf = usage_of(w)
    layer = "orchestration" if w["role"] == "glue" else "model"
    ctx = Context(usage=usage, wf=wf, catalog=catalog_for(wf, "<t>"), layer=layer)
    assert is_batch(ctx) == batch
