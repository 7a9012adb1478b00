"""The serving model against published loaded measurements: the issue's targets on the recorded rows.

Targets (issue 14): throughput and time-per-output-token median absolute percentage error <= 20 %;
TTFT within 2x on at least 80 % of the rows at or below saturation. Every row is printed with its
error so a failure shows which source moved.
"""

from __future__ import annotations

import pytest

from wheretorun.catalog.store import load_catalog
from wheretorun.sizing.calibration import (
    KIND,
    MAX_MDAPE,
    TTFT_SHARE,
    Validation,
    load_measurements,
    mdape,
    render_summary,
    render_table,
    targets_met,
    ttft_within,
    validate,
)
from wheretorun.sizing.efficiency import load_efficiency


@pytest.fixture(scope="module")
def results() -> list[Validation]:
    return validate(load_catalog())


def test_throughput_and_tpot_within_20_percent_median(results, capsys) -> None:  # type: ignore[no-untyped-def]
    with capsys.disabled():
        print("\n" + render_summary(results, "in-sample") + "\n\n" + render_table(results))
    assert mdape(results, "throughput") <= MAX_MDAPE["throughput"] == 0.20
    assert mdape(results, "tpot") <= MAX_MDAPE["tpot"] == 0.20


def test_ttft_within_2x_on_80_percent_of_rows_at_or_below_saturation(results) -> None:  # type: ignore[no-untyped-def]
    share = ttft_within(results)
    assert share >= TTFT_SHARE == 0.80, render_table([v for v in results if v.kind == "ttft"])
    assert all(targets_met(results).values())


def test_the_table_has_loaded_rows_of_every_kind_from_several_sources() -> None:
    rows = load_measurements().measurements
    assert len({r.id for r in rows}) == len(rows)
    assert all(r.source and r.as_of and r.group for r in rows)
    loaded = [r for r in rows if r.concurrency >= 4]
    for kind in ("throughput", "tpot", "ttft"):
        assert sum(1 for r in loaded if KIND[r.metric] == kind) >= 5, kind
    assert len({r.group for r in rows}) >= 5
    assert {r.engine_kind for r in rows} >= {"vllm", "trt-llm", "tgi", "neuron"}
    assert {"A10G", "L4", "L40S", "A100-80GB", "H100", "H200", "Inferentia2"} <= {r.accelerator for r in rows}


def test_every_catalog_accelerator_and_engine_has_factors_with_a_basis() -> None:
    eff = load_efficiency()
    assert set(load_catalog().accelerators) <= set(eff.accelerators)
    for name, e in eff.accelerators.items():
        assert e.basis, name
        assert e.interconnect in eff.interconnects
    assert set(eff.engines) == {"vllm", "trt-llm", "tgi", "sglang", "neuron"}
    # the NVLink all-reduce floor is not free (issue 14: measured gaps imply 45-125 us per layer)
    for link in ("nvlink3", "nvlink4"):
        assert 45e-6 <= eff.interconnects[link].tp_layer_s <= 125e-6
    assert eff.interconnects["pcie4"].tp_layer_s > eff.interconnects["nvlink4"].tp_layer_s
