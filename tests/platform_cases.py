"""What the platform tests share: one workload as a platform module sees it, built the way
``recommend`` builds it (catalog for the file, usage derived, the layer its role calls for).

A plain module on pytest's ``pythonpath`` (pyproject.toml): the tests run with
``--import-mode=importlib``, where test modules cannot import each other or a conftest.
"""

from __future__ import annotations

from wheretorun.decide.catalog_merge import catalog_for
from wheretorun.platforms import PLATFORMS, Context, assess
from wheretorun.platforms.usage import derive_usage
from wheretorun.results import Option
from wheretorun.spec import ORCHESTRATION_ROLES, load_workloads

#: One API glue workload: 1M requests a month of 200 ms at 0.5 GB.
GLUE = {"name": "w", "role": "glue", "requests_per_month": 1_000_000, "duration_s": 0.2, "memory_gb": 0.5}


def workload_file(**workload: object) -> dict:
    """A file of one workload: ``GLUE`` changed by ``workload``."""
    return {"workloads": [{**GLUE, **workload}]}


def context(data: dict, layer: str | None = None) -> Context:
    """The first workload of ``data`` as a platform sees it; the layer follows its role unless given
    (glue and orchestration: the orchestration layer; every other role: the model layer)."""
    wf = load_workloads(data)
    cat = catalog_for(wf, "<t>")
    layer = layer or ("orchestration" if wf.workloads[0].role in ORCHESTRATION_ROLES else "model")
    return Context(usage=derive_usage(wf, 0, cat, "<t>", None), wf=wf, catalog=cat, layer=layer)


def option(data: dict, platform: str, layer: str | None = None) -> Option:
    """``platform``'s answer (feasible or not, with its invoice) for the first workload of ``data``."""
    return assess(PLATFORMS[platform], context(data, layer))
