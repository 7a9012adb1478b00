"""``python -m bench``: wheretorun's timings beside pure-Python baselines, against the issue's targets.

Each row: best of N wall-clock runs (time.perf_counter). ``--quick`` shrinks every size (for the
smoke test); the targets apply to the full sizes only.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from decimal import Decimal

from . import baselines


def best_of(fn: Callable[[], object], n: int) -> float:
    best = float("inf")
    for _ in range(n):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def year_of_traffic(minutes: int, repeat: int):  # type: ignore[no-untyped-def]
    from wheretorun.fleetsim.fleet import simulate_fleet
    from wheretorun.fleetsim.lambda_ import simulate_lambda
    from wheretorun.fleetsim.quota import simulate_quota
    from wheretorun.fleetsim.traffic import preset

    a = preset("spiky", 24e6 * minutes / 43_800, 8, minutes=minutes).per_minute

    def ours() -> None:
        simulate_lambda(a, 2.0, cold_start_s=1.0, concurrency_limit=1000)  # Lambda
        simulate_fleet(a, 20.0, 60, 1, 0.7, service_s=2.0)  # Fargate tasks
        simulate_fleet(a, 0.5, 300, 1, 0.7, service_s=2.0)  # GPU nodes, on-demand
        simulate_fleet(a, 0.5, 300, 0, 0.7, service_s=2.0, spot_interruptions_per_month=0.05)  # Spot, to zero
        simulate_quota(a, 1500)  # Bedrock quotas

    lst = a.tolist()

    def base() -> None:
        baselines.lambda_loop(lst, 2.0, 1000)
        baselines.fleet_loop(lst, 20.0, 60, 1, 0.7)
        baselines.fleet_loop(lst, 0.5, 300, 1, 0.7)
        baselines.fleet_loop(lst, 0.5, 300, 0, 0.7)
        baselines.quota_loop(lst, 1500, 200, 200_000)

    # same answer: replica-hours of the GPU fleet
    ours_h = simulate_fleet(a, 0.5, 300, 1, 0.7, service_s=2.0).replica_hours
    base_h = baselines.fleet_loop(lst, 0.5, 300, 1, 0.7)[0]
    assert abs(ours_h - base_h) < 1e-6 * max(1.0, base_h), (ours_h, base_h)
    return best_of(ours, repeat), best_of(base, 1)


def monte_carlo(draws: int, repeat: int):  # type: ignore[no-untyped-def]
    from wheretorun.report.model import (
        CatalogInfo,
        CostComponent,
        MonthlyCost,
        Option,
        Recommendation,
        Report,
        UsageSummary,
        WorkloadReport,
    )
    from wheretorun.simulate.montecarlo import analyse
    from wheretorun.spec.models import WorkloadFile

    def comp(usd: float, scales: list[str], kind: str = "infra") -> CostComponent:
        d = Decimal(str(usd))
        return CostComponent(
            name="x",
            unit="x",
            quantity=Decimal(1),
            unit_price_usd=d,
            monthly_usd=d,
            kind=kind,
            scales_with=scales,
            driver="engineer_rate" if kind == "ops" else "volume" if scales else "fixed",
            purchase="n/a" if kind == "ops" else "on-demand",
        )

    specs = [(50.0 * i, 100.0 * (8 - i), 60.0 * i) for i in range(8)]  # 8 options: fixed, volume, ops
    opts = [
        Option(
            platform=f"p{i}",
            feasible=True,
            monthly_cost_usd=MonthlyCost(
                infra=Decimal(str(f + v)), ops=Decimal(str(o)), total=Decimal(str(f + v + o))
            ),
            cost_components=[comp(f, []), comp(v, ["volume"]), comp(o, ["engineer_rate"], "ops")],
        )
        for i, (f, v, o) in enumerate(specs)
    ]
    wr = WorkloadReport(
        name="w",
        role="glue",
        recommendation=Recommendation(platform="p0", pattern="p", summary="s"),
        options=opts,
        trace=[],
        usage=UsageSummary(
            requests_per_month=1,
            mean_requests_per_s=1,
            peak_requests_per_s=1,
            tokens_per_month=0,
            duration_s=1,
            memory_gb=1,
        ),
    )
    Report(
        catalog=CatalogInfo(as_of="2026-11-01", region="us-east-1"),
        workloads=[wr],
        total_monthly_cost_usd=Decimal(0),
    )
    wf = WorkloadFile.model_validate(
        {
            "workloads": [{"name": "w", "role": "glue", "requests_per_month": 1}],
            "uncertainty": {"volume": [0.5, 3], "engineer_hourly_usd": [80, 200]},
        }
    )
    ranges = {"volume": (0.5, 3, 1.0), "rate": (80 / 120, 200 / 120, 1.0)}
    seeds = iter(range(repeat))  # a new seed each run: draws are cached per seed (montecarlo._draws)
    ours = best_of(lambda: analyse(wr, wf, draws=draws, seed=next(seeds)), repeat)
    base = best_of(lambda: baselines.montecarlo_loop(specs, ranges, draws), 1)
    return ours, base


def fleet_of_workloads(n: int, inventory: str = "glue"):  # type: ignore[no-untyped-def]
    """``recommend`` over ``n`` workloads with distinct volumes (no cache hit across workloads),
    beside the baseline of one-workload calls (a sample of 50, scaled to ``n``).

    ``glue``: glue and orchestration code over steady, spiky and diurnal traffic. ``models``: a
    mixed model inventory: llama-3.1-8b inference, an agent calling claude-3-5-haiku, bge-small
    embeddings.
    """
    try:
        from wheretorun.decide import recommend
    except ImportError:
        return None
    from wheretorun.spec.models import WorkloadFile

    shapes = ("steady", "spiky", "diurnal")

    def glue(i: int) -> dict:
        return {
            "name": f"w{i}",
            "role": "glue" if i % 2 else "orchestration",
            "requests_per_month": 10_000 * (1 + i % 50) + i,  # distinct volumes
            "traffic": shapes[i % 3],
            "duration_s": 0.5,
            "memory_gb": 0.5,
        }

    def model(i: int) -> dict:
        w = {
            "name": f"m{i}",
            "traffic": shapes[i % 3],
            "requests_per_month": 10_000 * (1 + i % 50) * (1 + i % 7) + i,  # distinct volumes
        }
        kind = i % 3
        if kind == 0:
            w.update(role="inference", model={"id": "llama-3.1-8b"}, input_tokens=800, output_tokens=200)
        elif kind == 1:
            w.update(
                role="orchestration",
                model={"id": "claude-3-5-haiku"},
                input_tokens=1500,
                output_tokens=300,
                duration_s=8,
            )
        else:
            w.update(
                role="embedding",
                model={"id": "bge-small-en-v1.5"},
                input_tokens=200,
                duration_s=0.1,
                memory_gb=2,
            )
        return w

    workload = glue if inventory == "glue" else model
    if inventory == "cli":
        return cli_inventory(n, model)
    big = WorkloadFile.model_validate({"workloads": [workload(i) for i in range(n)]})
    ours = best_of(lambda: recommend(big, breakeven_curve=False), 2)  # best of two: this machine is shared
    sample = [WorkloadFile.model_validate({"workloads": [workload(n + i)]}) for i in range(min(n, 50))]
    t = time.perf_counter()
    for one in sample:
        recommend(one, breakeven_curve=False)
    single = (time.perf_counter() - t) / len(sample)
    return ours, single * n


def joint_placement(n: int):  # type: ignore[no-untyped-def]
    """``recommend`` over ``n`` workloads of a mixed inventory (glue, orchestration, model serving;
    ``team.runs_today: [lambda]``) as it runs, beside the same call with the file-level steps off
    (``portfolio.place_jointly`` and ``account.with_allowances`` replaced by the standalone answer):
    the ratio is what placing the file jointly costs over placing each workload independently
    (issue 15's target: under 2x)."""
    from contextlib import ExitStack
    from unittest import mock

    from wheretorun.decide import engine, recommend
    from wheretorun.results import Portfolio
    from wheretorun.spec.models import WorkloadFile

    shapes = ("steady", "spiky", "diurnal")

    def workload(i: int) -> dict:
        w: dict = {"name": f"w{i}", "traffic": shapes[i % 3], "requests_per_month": 10_000 * (1 + i % 50) + i}
        kind = i % 4
        if kind == 0:
            w.update(role="glue", duration_s=0.5, memory_gb=0.5)
        elif kind == 1:
            w.update(role="orchestration", duration_s=2, memory_gb=1)
        elif kind == 2:
            w.update(role="inference", model={"id": "llama-3.1-8b"}, input_tokens=800, output_tokens=200)
        else:
            w.update(role="embedding", model={"id": "bge-small-en-v1.5"}, input_tokens=200, duration_s=0.1)
        return w

    big = WorkloadFile.model_validate(
        {"team": {"runs_today": ["lambda"]}, "workloads": [workload(i) for i in range(n)]}
    )

    def alone(reports, _answer, _rank):  # type: ignore[no-untyped-def]
        return reports, [], Portfolio(standalone_total_usd=0, joint_total_usd=0)

    def independent() -> None:
        with ExitStack() as stack:
            stack.enter_context(mock.patch.object(engine.pf, "place_jointly", alone))
            stack.enter_context(
                mock.patch.object(engine.account, "with_allowances", lambda r, s, f, c, ft: (s, f))
            )
            recommend(big, breakeven_curve=False)

    joint = best_of(lambda: recommend(big, breakeven_curve=False), 1)
    return joint, best_of(independent, 1)


def cli_inventory(n: int, workload: Callable[[int], dict]):  # type: ignore[no-untyped-def]
    """``wheretorun recommend FILE --format json --out OUT`` as a user runs it (a new process: start,
    read the YAML, answer, write the JSON) over ``n`` workloads, beside ``n`` runs of one workload
    each (the median of three, times ``n``)."""
    import statistics
    import subprocess
    import tempfile
    from pathlib import Path

    import yaml

    exe = Path(sys.executable).with_name("wheretorun")
    with tempfile.TemporaryDirectory() as tmp:

        def cli(workloads: list[dict]) -> float:
            path = Path(tmp) / "inventory.yml"
            path.write_text(yaml.safe_dump({"workloads": workloads}))
            t = time.perf_counter()
            cmd = [str(exe), "recommend", str(path), "--format", "json", "--out", str(Path(tmp) / "out.json")]
            subprocess.run(cmd, check=True, capture_output=True)
            return time.perf_counter() - t

        ours = cli([workload(i) for i in range(n)])
        single = statistics.median(cli([workload(n + i)]) for i in range(3))
    return ours, single * n


#: What a one-workload ``recommend`` imports besides the standard library and wheretorun itself.
LIBRARIES = ("typer", "typer._adapters", "pydantic", "pydantic.types", "numpy", "yaml")


def start_up(repeat: int) -> list[tuple[str, float, float]]:
    """``wheretorun --help`` and a one-workload ``recommend`` as a user runs them (new processes),
    beside ``python -c pass`` timed in the same run: the ratio is what wheretorun adds to Python's
    own start, comparable across machines; the issue's targets (0.3 s, 0.5 s) are for a quiet one.

    As installed, not as checked out: the package's bytecode is compiled first (``pip install``
    does it for a regular install; an editable one run with PYTHONDONTWRITEBYTECODE, as in CI,
    would compile 80 modules in every run), and a first, untimed run fills the parsed-catalog
    cache (``_perf.parsed_yaml``) as a user's first command does."""
    import compileall
    import subprocess
    import tempfile
    from pathlib import Path

    import wheretorun

    compileall.compile_dir(str(Path(wheretorun.__file__).parent), quiet=1)
    exe = str(Path(sys.executable).with_name("wheretorun"))

    def run(cmd: list[str]) -> float:
        subprocess.run(cmd, check=True, capture_output=True)  # untimed: caches filled, files in memory
        return best_of(lambda: subprocess.run(cmd, check=True, capture_output=True), repeat)

    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp) / "one.yml"
        one.write_text(
            "workloads:\n  - {name: glue, role: glue, requests_per_month: 1000000, duration_s: 0.2, memory_gb: 0.5}\n"
        )
        python = run([sys.executable, "-c", "pass"])
        # what the libraries a recommend needs cost to import, GC paused as the console script
        # does: the part of the start-up wheretorun's own code cannot shorten
        libraries = run([sys.executable, "-c", f"import gc; gc.disable(); import {', '.join(LIBRARIES)}"])
        return [
            ("wheretorun --help", run([exe, "--help"]), python),
            (
                "wheretorun recommend (one workload) --format json",
                run([exe, "recommend", str(one), "-f", "json"]),
                python,
            ),
            (
                f"python -c 'import {', '.join(LIBRARIES)}' (no target: the libraries' share)",
                libraries,
                python,
            ),
        ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="tiny sizes (smoke test); targets are not judged")
    p.add_argument("--skip-fleet", action="store_true", help="skip the recommend-over-10,000-workloads row")
    p.add_argument(
        "--skip-server", action="store_true", help="skip the rows of `wheretorun serve` under load"
    )
    args = p.parse_args(argv)
    minutes = 1440 if args.quick else 525_600
    draws = 200 if args.quick else 10_000
    workloads = 5 if args.quick else 10_000
    rows: list[tuple[str, float | None, float | None, float | None, str]] = []
    ours, base = year_of_traffic(minutes, 1 if args.quick else 5)
    rows.append((f"{minutes:,} minutes of traffic, all platform behaviours", ours, base, 0.200, "< 200 ms"))
    ours, base = monte_carlo(draws, 1 if args.quick else 5)
    rows.append((f"Monte Carlo, {draws:,} draws x 8 options", ours, base, 1.0, "< 1 s"))
    for inventory, what in (
        ("glue", "glue/orchestration"),
        ("models", "model inventory"),
        ("cli", "model inventory, CLI run to JSON file"),
    ):
        baseline = "one-workload CLI runs" if inventory == "cli" else "one-workload calls"
        name = f"recommend over {workloads:,} workloads, {what} (baseline: {baseline})"
        if args.skip_fleet:
            rows.append((name, None, None, 10.0, "skipped"))
            continue
        res = fleet_of_workloads(workloads, inventory)
        if res is None:
            rows.append((name, None, None, 10.0, "not available yet"))
        else:
            # the target is recommend's; the CLI row shows what start, YAML and JSON add to it
            target = None if inventory == "cli" else 10.0
            rows.append((name, res[0], res[1], target, "< 10 s" if target else "none"))
    name = f"joint placement over {workloads:,} workloads (baseline: independent placement; ratio = ours / baseline)"
    if args.skip_fleet:
        joint_row: tuple[str, float, float] | None = None
    else:
        ours, base = joint_placement(workloads)
        joint_row = (name, ours, base)
    starts = [
        (
            f"{what} (baseline: python -c pass; ratio = ours / baseline)",
            o,
            b,
            target,
            f"< {target:g} s" if target else "-",
        )
        for (what, o, b), target in zip(start_up(1 if args.quick else 9), (0.3, 0.5, None), strict=True)
    ]
    print(f"{'benchmark':<96} {'wheretorun':>11} {'baseline':>11} {'ratio':>8} {'target':>10}  met?")
    for name, o, b, target, label in rows:
        if o is None:
            print(f"{name:<96} {'-':>11} {'-':>11} {'-':>8} {label:>10}  -")
            continue
        met = "n/a (quick)" if args.quick else ("-" if target is None else "yes" if o < target else "NO")
        ratio = f"{b / o:,.1f}x" if b and o else "-"
        print(f"{name:<96} {o * 1000:>9.1f}ms {b * 1000:>9.1f}ms {ratio:>8} {label:>10}  {met}")
    if joint_row is not None:
        name, o, b = joint_row
        met = "n/a (quick)" if args.quick else "yes" if o < 2 * b else "NO"
        print(f"{name:<96} {o * 1000:>9.1f}ms {b * 1000:>9.1f}ms {o / b:>7.2f}x {'< 2x':>10}  {met}")
    for name, o, b, target, label in starts:
        met = "n/a (quick)" if args.quick else "-" if target is None else "yes" if o < target else "NO"
        print(f"{name:<96} {o * 1000:>9.1f}ms {b * 1000:>9.1f}ms {o / b:>7.1f}x {label:>10}  {met}")
    if not args.skip_server:
        from . import server_bench

        server_bench.print_rows(server_bench.run(quick=args.quick))
    return 0


if __name__ == "__main__":
    sys.exit(main())
