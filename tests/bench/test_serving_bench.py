"""`python -m bench.serving --quick` prints the per-source MdAPE table with every source and the targets."""

from __future__ import annotations

from bench.serving import main

from wheretorun.sizing.calibration import load_measurements


def test_quick_serving_bench_prints_every_source_and_meets_the_targets(capsys):
    assert main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "| source | rows | throughput MdAPE | TPOT MdAPE | TTFT within 2x |" in out
    for group in {r.group for r in load_measurements().measurements}:
        assert f"| {group} |" in out, group
    assert "targets met: {'throughput': True, 'tpot': True, 'ttft': True}" in out
