"""The workload file: pydantic models, safe loading, JSON Schema."""

from .loader import load_text, load_workloads
from .models import MODEL_ROLES, ORCHESTRATION_ROLES, Model, Team, Workload, WorkloadFile


def json_schema() -> dict:
    """JSON Schema of the workload file (for editor completion and validation)."""
    schema = WorkloadFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "wheretorun workload file"
    return schema


__all__ = [
    "MODEL_ROLES",
    "ORCHESTRATION_ROLES",
    "Model",
    "Team",
    "Workload",
    "WorkloadFile",
    "json_schema",
    "load_text",
    "load_workloads",
]
