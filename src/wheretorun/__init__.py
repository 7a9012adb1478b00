"""wheretorun: where each part of an AI system should run on AWS, and what it really costs.

The public API is small; everything else is implementation::

    from wheretorun import load_workloads, recommend, render
    report = recommend(load_workloads("system.yml"), file="system.yml")
    print(render(report, "markdown"))
"""

from __future__ import annotations

from .decide import recommend
from .errors import InputError, Problem
from .report import render
from .results import Report
from .spec import json_schema, load_workloads

__version__ = "0.1.0"

__all__ = ["InputError", "Problem", "Report", "json_schema", "load_workloads", "recommend", "render"]
