"""The report's types, re-exported from ``wheretorun.results`` (where they live, below the
platforms and simulators that build them) so report code and outside callers keep one import."""

from ..results import (
    DETAILED_UP_TO,
    Blocker,
    BreakEven,
    CatalogInfo,
    CostComponent,
    Driver,
    LatencyProfile,
    Money,
    MonthlyCost,
    OpsProfile,
    Option,
    Portfolio,
    Purchase,
    Recommendation,
    Report,
    SharedCost,
    TraceStep,
    WorkloadReport,
)

__all__ = [
    "DETAILED_UP_TO",
    "BreakEven",
    "Blocker",
    "CatalogInfo",
    "CostComponent",
    "Driver",
    "LatencyProfile",
    "Money",
    "MonthlyCost",
    "OpsProfile",
    "Option",
    "Portfolio",
    "Purchase",
    "Recommendation",
    "Report",
    "SharedCost",
    "TraceStep",
    "WorkloadReport",
]
