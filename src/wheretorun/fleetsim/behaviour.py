"""The simulator's constants, read from ``data/behaviour.yml`` (each with its source and date).

Loaded lazily and validated strictly: a missing source, a wrong unit or a negative value fails
the test suite, not a user.
"""

# Annotations are objects, not strings (no `from __future__ import annotations`): pydantic would
# compile and evaluate each string when the model class is built, at every command's start-up.

import datetime as dt
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from .._perf import memo, read_yaml

DATA = Path(__file__).parent / "data" / "behaviour.yml"


class BehaviourEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str
    value: float = Field(ge=0)
    unit: str = Field(min_length=1)
    description: str = Field(min_length=1)
    source: str = Field(min_length=1)
    as_of: dt.date
    verified: bool = True


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    behaviour: list[BehaviourEntry]


@memo(maxsize=1)  # the shipped behaviour.yml: fixed for the process, read by every simulation
def behaviours() -> dict[str, BehaviourEntry]:
    data = _File.model_validate(read_yaml(DATA.read_text(encoding="utf-8")))
    out = {e.key: e for e in data.behaviour}
    if len(out) != len(data.behaviour):
        raise ValueError(f"{DATA}: duplicate keys")
    return out


def value(key: str) -> float:
    """The figure of ``key`` (KeyError names the file when it is missing)."""
    try:
        return behaviours()[key].value
    except KeyError:
        raise KeyError(f"{key} is not in {DATA}") from None
