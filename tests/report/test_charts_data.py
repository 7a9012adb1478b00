"""A chart's data rows bypass Altair (report/charts.py ``_Rows``): the specs are the ones Altair
builds with the rows inside, and they stay valid Vega-Lite (issue 10: validating the rows row by
row cost a second of CPU and a 12 MB peak per capacity chart in the server)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from wheretorun.report import charts
from wheretorun.report.model import Report

FIXTURES = Path(__file__).parent / "fixtures"
KINDS = ("cost-per-option", "cost-vs-volume", "capacity-week", "growth", "uncertainty")


def specs() -> dict[str, dict[str, Any]]:
    report = Report.model_validate(json.loads((FIXTURES / "ai-product-extras.json").read_text("utf-8")))
    return {c.slug: c.spec for c in charts.charts_for(report) if c.spec is not None}


class _Inline(charts._Rows):
    """Altair's own way: the rows inside the chart from the start."""

    def __call__(self, values: list[dict[str, Any]]) -> Any:
        return charts._alt().Data(values=values)

    def fill(self, spec: Any) -> Any:
        return spec


def test_specs_are_the_ones_altair_builds_with_the_rows_inside(monkeypatch: pytest.MonkeyPatch) -> None:
    ours = specs()
    assert {slug.split("-", 1)[1].split("-", 1)[1] for slug in ours} >= set(KINDS)  # every kind drawn
    monkeypatch.setattr(charts, "_Rows", _Inline)
    altairs = specs()
    assert ours.keys() == altairs.keys()
    for slug, spec in ours.items():
        assert json.dumps(spec) == json.dumps(altairs[slug]), slug  # same content, same key order
        assert charts._SLOT not in json.dumps(spec), slug  # no placeholder left


def test_the_specs_with_their_rows_are_valid_vega_lite() -> None:
    from altair.utils.schemapi import validate_jsonschema
    from altair.vegalite.v6.schema import SCHEMA_VERSION, core

    for spec in specs().values():
        assert spec["$schema"].endswith(f"{SCHEMA_VERSION}.json")
        validate_jsonschema(spec, core.load_schema())  # raises on an invalid spec, rows included


def test_fill_puts_each_table_where_its_placeholder_is() -> None:
    rows = charts._Rows()
    a, b = [{"x": 1}, {"x": 2}], [{"y": 3}]
    spec = {"layer": [{"data": rows(a).to_dict()}, {"data": rows(b).to_dict(), "mark": "rule"}]}
    assert rows.fill(spec) == {"layer": [{"data": {"values": a}}, {"data": {"values": b}, "mark": "rule"}]}
