"""The throughput model against published measurements: report every row, fail above 25 % median error."""

from __future__ import annotations

from wheretorun.catalog.store import load_catalog
from wheretorun.sizing.calibration import (
    MAX_MEDIAN_APE,
    load_measurements,
    median_ape,
    render_table,
    validate,
)
from wheretorun.sizing.efficiency import load_efficiency


def test_median_absolute_percentage_error_within_bounds(capsys) -> None:  # type: ignore[no-untyped-def]
    results = validate(load_catalog())
    with capsys.disabled():
        print("\n" + render_table(results))
    assert median_ape(results) <= MAX_MEDIAN_APE, render_table(results)


def test_table_covers_the_accelerators_users_choose() -> None:
    rows = load_measurements().measurements
    assert len(rows) >= 15
    assert {"A10G", "L4", "L40S", "A100-40GB", "A100-80GB", "H100", "Inferentia2"} <= {
        r.accelerator for r in rows
    }
    assert all(r.source and r.as_of for r in rows)
    assert len({r.id for r in rows}) == len(rows)


def test_every_catalog_accelerator_has_efficiency_factors_with_a_basis() -> None:
    eff = load_efficiency()
    assert set(load_catalog().accelerators) <= set(eff.accelerators)
    for name, e in eff.accelerators.items():
        assert e.basis, name
        assert e.interconnect in eff.interconnects
