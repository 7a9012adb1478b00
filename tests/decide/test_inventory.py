"""An inventory answered by several processes gives the answers one process gives, byte for byte.

The parallel runs happen in a fresh interpreter (a test process may run other threads, and then
``decide.inventory`` rightly refuses to fork), with the threshold and chunk size lowered so that a
file of a few dozen workloads is shared out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from wheretorun.decide import inventory
from wheretorun.decide.inventory import _dumps
from wheretorun.report.model import CostComponent, TraceStep

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yml"))

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only")

# Runs in a fresh interpreter: recommend(FILE) with the inventory shared out in chunks of 3, JSON on
# stdout; the pids of the processes that answered chunks go to PIDS. MODE: "ok", "worker-raises"
# (every worker chunk fails), "worker-dies" (the worker process exits mid-run).
SCRIPT = """
import json, os, sys
from wheretorun import load_workloads, recommend
from wheretorun.decide import engine, inventory
from wheretorun.errors import InputError

inventory.PARALLEL_MIN_WORKLOADS = 0
inventory.CHUNK = 3
parent = os.getpid()
mode = os.environ["MODE"]
answer_chunk = inventory._answer_chunk

def recorded(start, stop):
    with open(os.environ["PIDS"], "a") as f:
        f.write(f"{os.getpid()}\\n")
    if mode == "worker-raises":
        raise RuntimeError("a worker failed")
    if mode == "worker-dies" and start >= 6:
        os._exit(3)
    return answer_chunk(start, stop)

inventory._answer_chunk = recorded
path = sys.argv[1]
try:
    report = recommend(load_workloads(path), file=path, base_dir=os.path.dirname(path), breakeven_curve=True)
except InputError as e:
    print(json.dumps({"problems": [str(p) for p in e.problems]}))
else:
    print(report.model_dump_json())
"""


@pytest.fixture(scope="module")
def inventory_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every workload of every example, renamed to be unique: a mixed inventory of a few dozen."""
    workloads = []
    for path in EXAMPLES:
        for w in yaml.safe_load(path.read_text())["workloads"]:
            workloads.append({**w, "name": f"{path.stem}/{w['name']}"})
    out = tmp_path_factory.mktemp("inventory") / "inventory.yml"
    out.write_text(yaml.safe_dump({"workloads": workloads}))
    return out


def run(path: Path, tmp_path: Path, *, workers: int, mode: str = "ok") -> tuple[dict, list[int]]:
    pids = tmp_path / f"pids-{workers}-{mode}"
    env = {**os.environ, "WHERETORUN_WORKERS": str(workers), "MODE": mode, "PIDS": str(pids)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path)], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    seen = [int(x) for x in pids.read_text().split()] if pids.exists() else []
    return json.loads(done.stdout), seen


def test_shared_out_inventory_gives_the_single_process_answers(inventory_file: Path, tmp_path: Path) -> None:
    alone, workers_seen = run(inventory_file, tmp_path, workers=1)
    assert workers_seen == []  # WHERETORUN_WORKERS=1: nothing forked
    shared, workers_seen = run(inventory_file, tmp_path, workers=2)
    assert workers_seen, "no chunk went to a worker"
    assert len(shared["workloads"]) >= 20
    assert [w["name"] for w in shared["workloads"]] == [w["name"] for w in alone["workloads"]]
    assert shared == alone


@pytest.mark.parametrize("mode", ["worker-raises", "worker-dies"])
def test_what_a_worker_does_not_deliver_is_answered_here(
    inventory_file: Path, tmp_path: Path, mode: str
) -> None:
    alone, _ = run(inventory_file, tmp_path, workers=1)
    shared, workers_seen = run(inventory_file, tmp_path, workers=2, mode=mode)
    assert workers_seen, "no chunk went to a worker"
    assert shared == alone


def test_input_errors_come_back_in_file_order(tmp_path: Path) -> None:
    """A bad traffic profile is found while pricing (not while loading): the problems of workloads
    answered by workers are reported like the others, in file order."""
    workloads = [
        {"name": f"w{i}", "role": "glue", "requests_per_month": 1000 * (i + 1)}
        | ({"traffic_profile": f"missing-{i}.csv"} if i % 7 == 3 else {})
        for i in range(30)
    ]
    path = tmp_path / "bad.yml"
    path.write_text(yaml.safe_dump({"workloads": workloads}))
    alone, _ = run(path, tmp_path, workers=1)
    shared, workers_seen = run(path, tmp_path, workers=2)
    assert workers_seen
    assert shared == alone
    assert [p.split(": ")[1] for p in shared["problems"]] == [
        f"workloads[{i}].traffic_profile" for i in (3, 10, 17, 24)
    ]


def test_one_process_where_forking_is_unsafe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHERETORUN_WORKERS", "1")
    assert inventory.processes() == 1
    monkeypatch.delenv("WHERETORUN_WORKERS")
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert inventory.processes() == 1  # another thread runs (a web server's, say)
    finally:
        stop.set()
        t.join()


def test_compact_pickling_keeps_models_whole() -> None:
    import pickle

    full = CostComponent(
        name="x",
        unit="hours",
        quantity=1,
        unit_price_usd="0.1",
        monthly_usd="0.1",
        driver="time",
        purchase="on-demand",
    )
    partial = TraceStep.model_validate({"question": "q", "answer": "a", "because": "b"})
    partial_set = partial.model_fields_set
    back_full, back_partial = pickle.loads(_dumps([full, partial]))
    assert back_full == full and back_full.model_dump() == full.model_dump()
    assert back_partial == partial and back_partial.model_fields_set == partial_set
    assert type(back_full.monthly_usd) is type(full.monthly_usd)


def test_an_answered_file_leaves_no_reference_cycles(inventory_file: Path) -> None:
    """What lets ``recommend`` freeze an inventory's objects instead of having the collector walk
    them (decide.engine._collector_paused): none of them is cyclic garbage. (The first call in a
    process also leaves the few classes its lazily imported libraries build.)"""
    import gc

    from wheretorun import load_workloads, recommend

    wf = load_workloads(inventory_file)
    recommend(wf, file=str(inventory_file), base_dir=inventory_file.parent)
    gc.collect()
    gc.disable()
    try:
        report = recommend(wf, file=str(inventory_file), base_dir=inventory_file.parent)
        del report
        found = gc.collect()
    finally:
        gc.enable()
    assert found == 0


def test_a_daemonic_process_answers_alone(inventory_file: Path) -> None:
    """A multiprocessing worker of the caller's own (daemonic: it may not have children) answers the
    file itself instead of failing to start a pool."""
    script = """
import json, multiprocessing, sys
from wheretorun import load_workloads, recommend
from wheretorun.decide import inventory

inventory.PARALLEL_MIN_WORKLOADS = 0

def job(path, q):
    q.put((inventory.processes(), len(recommend(load_workloads(path)).workloads)))

if __name__ == "__main__":
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=job, args=(sys.argv[1], q), daemon=True)
    p.start()
    print(json.dumps(q.get(timeout=120)))
    p.join()
"""
    done = subprocess.run(
        [sys.executable, "-c", script, str(inventory_file)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    processes, answered = json.loads(done.stdout)
    assert processes == 1 and answered >= 20


def test_growth_and_uncertainty_are_the_same_whoever_computes_them(
    inventory_file: Path, tmp_path: Path
) -> None:
    """The 24-month projection and the Monte Carlo run per workload, in the workers too (seeded: the
    same draws for a workload whichever process answers it)."""
    data = yaml.safe_load(inventory_file.read_text())
    data |= {"growth": "12%/month", "uncertainty": {"volume": [0.5, 3], "engineer_hourly_usd": [80, 200]}}
    path = tmp_path / "inventory-with-analyses.yml"
    path.write_text(yaml.safe_dump(data))
    alone, _ = run(path, tmp_path, workers=1)
    shared, workers_seen = run(path, tmp_path, workers=2)
    assert workers_seen
    assert shared == alone
    assert all("growth" in w["extras"] for w in shared["workloads"])
    assert sum("uncertainty" in w["extras"] for w in shared["workloads"]) >= 20


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc/<pid>/stat: field 4 is the parent's pid)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    """Running (a zombie awaiting its reaper has stopped running and holds no memory)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def test_kill_9_of_recommend_leaves_no_worker_and_no_temporary_file(tmp_path: Path) -> None:
    """`recommend` of 1,200 workloads with --out, killed with SIGKILL once its workers run: the
    workers die with it (within a few seconds) and the output folder holds no partial file."""
    import signal
    import time

    workloads = [
        {"name": f"w{i}", "role": "glue", "requests_per_month": 1_000_000 + i, "duration_s": 0.2}
        for i in range(1200)  # above PARALLEL_MIN_WORKLOADS (1,000): shared out to workers
    ]
    assert len(workloads) >= inventory.PARALLEL_MIN_WORKLOADS
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump({"workloads": workloads}))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    exe = Path(sys.executable).with_name("wheretorun")
    env = {**os.environ, "WHERETORUN_WORKERS": "2"}  # one worker beside the parent
    proc = subprocess.Popen(
        [str(exe), "recommend", str(path), "--format", "json", "--out", str(out_dir / "report.json")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        workers: list[int] = []
        while not workers and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
            workers = [p for p in _children(proc.pid) if _alive(p)]
        assert workers, "the inventory was not shared out to a worker"
        time.sleep(0.5)  # let them take chunks
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        gone_by = time.monotonic() + 5
        while any(_alive(p) for p in workers) and time.monotonic() < gone_by:
            time.sleep(0.05)
        assert not any(_alive(p) for p in workers), "workers outlived the killed recommend"
        assert list(out_dir.iterdir()) == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
