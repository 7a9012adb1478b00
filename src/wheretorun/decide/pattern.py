"""The pattern of an answer, as data: facts read from the picked platforms' declared traits
(``platforms.base.Traits``) and the workload, and an ordered table of facts -> pattern.

No row names a platform: a platform brings its own patterns in its traits (``model_pattern``,
``orchestration_pattern``, ``gpu_pattern``, ``role_patterns``), which the rows ``FromTraits`` read.
The first row whose facts all hold wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..platforms import traits
from ..platforms.base import Traits
from ..platforms.usage import Usage
from ..results import Option
from ..spec.models import ORCHESTRATION_ROLES


@dataclass(frozen=True)
class FromTraits:
    """The pattern the picked platform declares: ``orchestration_pattern``, ``gpu_pattern``, or
    ``role_pattern`` (its ``role_patterns`` entry for the workload's role, else its ``model_pattern``)."""

    field: Literal["orchestration_pattern", "gpu_pattern", "role_pattern"]


#: (facts that must all hold, pattern); the facts are those of ``facts``.
Row = tuple[dict[str, bool], str | FromTraits]

#: The orchestration layer (roles ``orchestration`` and ``glue``): a long tail goes to a queue, a
#: workflow engine's pattern wins over the model it calls, then the model layer's kind names it.
ORCHESTRATION: tuple[Row, ...] = (
    ({"picked": True, "long_tail": True}, "hybrid-queue"),
    ({"workflow": True}, FromTraits("orchestration_pattern")),
    ({"model_managed": True}, "agent-with-bedrock"),
    ({"model_self_hosted": True}, "agent-with-self-hosted-model"),
    ({"event_trigger": True}, "event-driven-glue"),
    ({"picked": True}, FromTraits("orchestration_pattern")),
    ({}, "orchestration-on-containers"),
)

#: The model layer: compliance first (the playbook: compliance-driven, not cost-driven), then the
#: workload's role, the long tail, the GPU, and the platform's own pattern for the role.
MODEL: tuple[Row, ...] = (
    ({"picked": False}, "none"),
    ({"compliance": True, "self_hosted": True}, "in-vpc-self-hosted"),
    ({"fine_tuning": True}, "gpu-training-job"),
    ({"long_tail": True, "containers": True}, "hybrid-queue"),
    ({"on_gpu": True}, FromTraits("gpu_pattern")),
    ({}, FromTraits("role_pattern")),
)


def facts(
    usage: Usage,
    layer_pick: Option | None,
    model_pick: Option | None,
    compliance: bool,
    lambda_timeout_s: float,
) -> dict[str, bool]:
    """What the pattern rows test, read from the picks' traits and the workload. ``lambda_timeout_s``
    (catalog ``lambda/timeout``) tells a long tail (typical work within it, the p99 past it)."""
    w = usage.workload
    p = traits(layer_pick.platform) if layer_pick else None
    m = traits(model_pick.platform) if model_pick else None
    return {
        "picked": p is not None,
        "long_tail": usage.duration_p99_s > lambda_timeout_s >= usage.duration_s,
        "workflow": bool(p and p.workflow),
        "self_hosted": bool(p and p.self_hosted),
        "containers": bool(p and p.containers),
        "on_gpu": bool(p and p.gpu_pattern is not None and layer_pick is not None and layer_pick.uses_gpu),
        "model_managed": bool(m and m.managed_model),
        "model_self_hosted": bool(m and m.self_hosted),
        "event_trigger": w.trigger in ("event", "queue", "schedule"),
        "compliance": compliance,
        "fine_tuning": w.role == "fine-tuning",
    }


def pattern_for(
    usage: Usage,
    layer_pick: Option | None,
    model_pick: Option | None,
    compliance: bool,
    lambda_timeout_s: float,
) -> str:
    """The pattern of the answer: the first row of the layer's table whose facts hold."""
    known = facts(usage, layer_pick, model_pick, compliance, lambda_timeout_s)
    table = ORCHESTRATION if usage.workload.role in ORCHESTRATION_ROLES else MODEL
    _, pattern = next(row for row in table if all(known[k] == v for k, v in row[0].items()))
    if isinstance(pattern, str):
        return pattern
    assert layer_pick is not None  # every FromTraits row follows a row for 'nothing picked'
    return _declared(traits(layer_pick.platform), pattern, usage.workload.role)


def _declared(t: Traits, source: FromTraits, role: str) -> str:
    if source.field == "role_pattern":
        return t.role_patterns.get(role, t.model_pattern)
    value = getattr(t, source.field)
    assert value is not None  # gpu_pattern rows require on_gpu, which requires one
    return value
