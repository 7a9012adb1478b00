"""wheretorun: where each part of an AI system should run on AWS, and what it really costs.

The public API is small; everything else is implementation::

    from wheretorun import load_workloads, recommend, render
    report = recommend(load_workloads("system.yml"), file="system.yml")
    print(render(report, "markdown"))
"""

from __future__ import annotations

import typing

from .errors import InputError, Problem

if typing.TYPE_CHECKING:
    from .decide import recommend
    from .report import render
    from .results import Report
    from .spec import json_schema, load_workloads

#: Imported on first use (PEP 562): ``import wheretorun`` (and every CLI command, ``--help``
#: included) does not pay for the engine, the catalog, numpy and genai-prices until it needs them.
_LAZY = {
    "recommend": "wheretorun.decide",
    "render": "wheretorun.report",
    "Report": "wheretorun.results",
    "json_schema": "wheretorun.spec",
    "load_workloads": "wheretorun.spec",
}


def __getattr__(name: str) -> typing.Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'wheretorun' has no attribute '{name}'")
    import importlib

    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__version__ = "0.1.0"

__all__ = ["InputError", "Problem", "Report", "json_schema", "load_workloads", "recommend", "render"]
