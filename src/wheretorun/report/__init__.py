"""Output formats, each a pure function of one Report object."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..results import Report

FORMATS = ("table", "json", "markdown", "html")


def render_json(report: Report) -> str:
    """The contract JSON of ``recommend --format json`` (and ``POST /v1/recommend``)."""
    return report.to_json()


def render(report: Report, fmt: str = "json", **options: object) -> str:
    """Render a report as ``table``, ``json``, ``markdown`` or ``html``."""
    if fmt == "json":
        return render_json(report)
    if fmt == "table":
        from .table import render_table

        return render_table(report, **options)  # type: ignore[arg-type]
    if fmt == "markdown":
        from .markdown import render_markdown

        return render_markdown(report)
    if fmt == "html":
        from .html import render_html

        return render_html(report)
    raise ValueError(f"unknown format '{fmt}'; allowed: {', '.join(FORMATS)}")


def __getattr__(name: str) -> Any:
    """``Report`` on first use: the CLI reads ``FORMATS`` for its help without loading pydantic."""
    if name == "Report":
        from ..results import Report

        return Report
    raise AttributeError(f"module 'wheretorun.report' has no attribute '{name}'")


__all__ = ["FORMATS", "Report", "render", "render_json"]
