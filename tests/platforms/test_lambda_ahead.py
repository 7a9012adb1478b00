"""Lambda simulations run ahead in a second process give the answers this process would compute."""

from __future__ import annotations

import sys
import threading

import pytest

from wheretorun.catalog.store import load_catalog
from wheretorun.decide import recommend
from wheretorun.platforms import capacity
from wheretorun.platforms.capacity import _ahead, _simulate_lambda, _traffic, lambda_ahead, lambda_key
from wheretorun.platforms.usage import derive_usage
from wheretorun.spec.models import WorkloadFile

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the worker is forked on Linux only")

SHAPES = ("steady", "spiky", "diurnal")


def inventory(n: int) -> WorkloadFile:
    workloads = []
    for i in range(n):
        w = {
            "name": f"w{i}",
            "role": ("glue", "orchestration")[i % 2],
            "requests_per_month": [20_000, 900_000, 40_000_000][i % 3] + 13 * i,
            "traffic": SHAPES[i % 3],
            "duration_s": [0.5, 3, 0.05][i % 3],
            "trigger": ("api", "queue")[i % 2],
        }
        if i % 5 == 0:
            w.update(role="embedding", model={"id": "bge-small-en-v1.5"}, input_tokens=200, memory_gb=2)
        workloads.append(w)
    return WorkloadFile.model_validate({"workloads": workloads})


def test_the_workers_simulations_are_the_ones_computed_here(monkeypatch):
    monkeypatch.setattr(capacity, "AHEAD_MIN_WORKLOADS", 0)
    wf = inventory(12)
    cat = load_catalog().in_region(wf.region)
    keys = [lambda_key(derive_usage(wf, i, cat, "<t>", None), 1.0, 1000) for i in range(12)]
    with lambda_ahead(keys):
        entries = [capacity._AHEAD[k] for k in keys]
        for future, _ in entries:
            future.result(timeout=60)
        for key in keys:
            assert _ahead(key) == _simulate_lambda(_traffic(*key[0]), key)
    assert not capacity._AHEAD  # nothing left behind


def test_an_inventory_answered_with_the_worker_equals_one_answered_without(monkeypatch):
    wf = inventory(40)
    alone = recommend(wf, breakeven_curve=False).to_json_dict()
    monkeypatch.setattr(capacity, "AHEAD_MIN_WORKLOADS", 0)
    assert recommend(wf, breakeven_curve=False).to_json_dict() == alone


def test_no_worker_is_forked_from_a_process_running_other_threads(monkeypatch):
    monkeypatch.setattr(capacity, "AHEAD_MIN_WORKLOADS", 0)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        wf = inventory(3)
        cat = load_catalog().in_region(wf.region)
        keys = [lambda_key(derive_usage(wf, i, cat, "<t>", None), 1.0, 1000) for i in range(3)]
        with lambda_ahead(keys):
            assert not capacity._AHEAD
    finally:
        stop.set()
        other.join()
