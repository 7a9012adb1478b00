"""The server bench (bench/server_bench.py) runs end to end with tiny counts: a real `wheretorun
serve` on a loopback port answers every request, and each row names its target."""

from __future__ import annotations

from bench import server_bench


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert server_bench.percentile(values, 50) == 50.0  # the 50th of 100
    assert server_bench.percentile(values, 99) == 99.0
    assert server_bench.percentile([3.0, 1.0, 2.0], 99) == 3.0  # ceil(0.99 * 3) = 3rd smallest


def test_quick_server_bench_serves_every_request() -> None:
    rows = server_bench.run(quick=True)
    assert [r[0].split(",")[0] for r in rows] == [
        "1 clients",
        "2 clients",
        "2 clients of small documents while 1 HTML renders (charts) run",
        "server memory (RSS) after the load",
    ]
    for what, load, latency, _target, _met in rows[:3]:
        assert "all 200" in load, (what, load)
        assert "p99" in latency
    assert [r[3] for r in rows] == ["-", "-", "p99 < 2 s", "within 20 %"]
    assert {r[4] for r in rows} <= {"-", "n/a (quick)"}
