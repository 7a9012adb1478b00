"""Lambda simulations run ahead in a second process give the answers this process would compute.

The worker is forked only from a process running no other thread, and a test process may have
threads left by other tests, so the checks that need the worker run in a fresh interpreter.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest

from wheretorun.catalog.store import load_catalog
from wheretorun.platforms import capacity
from wheretorun.platforms.capacity import lambda_ahead, lambda_key
from wheretorun.platforms.usage import derive_usage
from wheretorun.spec.models import WorkloadFile

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the worker is forked on Linux only")

INVENTORY = """
def inventory(n):
    shapes = ("steady", "spiky", "diurnal")
    workloads = []
    for i in range(n):
        w = {
            "name": f"w{i}",
            "role": ("glue", "orchestration")[i % 2],
            "requests_per_month": [20_000, 900_000, 40_000_000][i % 3] + 13 * i,
            "traffic": shapes[i % 3],
            "duration_s": [0.5, 3, 0.05][i % 3],
            "trigger": ("api", "queue")[i % 2],
        }
        if i % 5 == 0:
            w.update(role="embedding", model={"id": "bge-small-en-v1.5"}, input_tokens=200, memory_gb=2)
        workloads.append(w)
    return WorkloadFile.model_validate({"workloads": workloads})
"""

CHECK = (
    """
from wheretorun.catalog.store import load_catalog
from wheretorun.decide import recommend
from wheretorun.platforms import capacity
from wheretorun.platforms.capacity import _ahead, _simulate_lambda, _traffic, lambda_ahead, lambda_key
from wheretorun.platforms.usage import derive_usage
from wheretorun.spec.models import WorkloadFile
"""
    + INVENTORY
    + """
wf = inventory(40)
alone = recommend(wf, breakeven_curve=False).to_json_dict()
capacity.AHEAD_MIN_WORKLOADS = 0

# every simulation the worker returns is the one computed here
cat = load_catalog().in_region(wf.region)
keys = [lambda_key(derive_usage(wf, i, cat, "<t>", None), 1.0, 1000) for i in range(12)]
with lambda_ahead(keys):
    for future, _ in [capacity._AHEAD[k] for k in keys]:
        future.result(timeout=60)
    for key in keys:
        assert _ahead(key) == _simulate_lambda(_traffic(*key[0]), key)
assert not capacity._AHEAD  # nothing left behind

# a whole inventory answered with the worker equals the one answered without it
assert recommend(wf, breakeven_curve=False).to_json_dict() == alone
print("same")
"""
)


def test_the_worker_gives_the_answers_computed_in_process():
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CHECK)], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "same"


def test_no_worker_is_forked_from_a_process_running_other_threads(monkeypatch):
    monkeypatch.setattr(capacity, "AHEAD_MIN_WORKLOADS", 0)
    wf = WorkloadFile.model_validate(
        {"workloads": [{"name": "a", "role": "glue", "requests_per_month": 1000}]}
    )
    keys = [lambda_key(derive_usage(wf, 0, load_catalog().in_region(wf.region), "<t>", None), 1.0, 1000)]
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        with lambda_ahead(keys):
            assert not capacity._AHEAD
    finally:
        stop.set()
        other.join()
