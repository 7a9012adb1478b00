"""The checks the schema cannot make alone, run on the raw document so they join its problems.

pydantic reports every field error of a document in one pass, but skips a model's own cross-field
checks when one of its fields is wrong, and knows nothing of the catalog (regions, model ids,
price keys). A user who fixed ``role`` was then told about ``region``, then about a missing file,
one run at a time (issue 16). These checks read the raw mapping best-effort (a value of the wrong
type is left to the schema) and the loader reports their problems with the schema's.

The spec layer knows nothing of prices or platforms: what the catalog knows comes in as a
:class:`Vocabulary` of small functions (``catalog.vocabulary`` builds it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import MAX_PROBLEMS, Problem
from .bounds import forbidden_character, shown
from .files import FileAccess
from .loader import NOT_LISTED
from .models import MAX_WORKLOADS, cross_field_problems, duplicate_names


@dataclass(frozen=True)
class Names:
    """One kind of name the catalog knows: a cheap membership test, and the problem of an unknown
    name (with its did-you-mean, a search over every known name: only made for listed problems)."""

    known: Callable[[str], bool]
    problem: Callable[[str], str]

    def check(self, name: str, listed: bool) -> str | None:
        if self.known(name):
            return None
        return self.problem(name) if listed else NOT_LISTED


@dataclass(frozen=True)
class Vocabulary:
    """What the catalog knows: regions, model ids, price keys and services."""

    region: Names
    model_id: Names
    price_key: Names
    service: Names


def _name(value: Any, limit: int) -> str | None:
    """``value`` when it is a string the schema accepts as a name (else the schema reports it)."""
    if isinstance(value, str) and 0 < len(value) <= limit and forbidden_character(value) is None:
        return value
    return None


def raw_problems(
    data: Mapping[str, Any],
    file: str,
    *,
    vocabulary: Vocabulary | None = None,
    files: FileAccess | None = None,
) -> list[Problem]:
    """The cross-field, catalog and file problems of a raw workload document (the schema is
    validated with ``models.LOADER_CHECKS`` set, so its own cross-field checks leave them to this)."""
    problems: list[Problem] = []
    workloads = data.get("workloads")
    workloads = workloads if isinstance(workloads, list) and len(workloads) <= MAX_WORKLOADS else []
    region = _name(data.get("region"), 40)
    if vocabulary is not None and region is not None:
        msg = vocabulary.region.check(region, True)
        if msg:
            problems.append(Problem(file, "region", msg))
    if vocabulary is not None:
        problems += price_problems(data.get("prices"), file, "prices", vocabulary)
    names = [w.get("name") if isinstance(w, Mapping) else None for w in workloads]
    problems += [Problem(file, f"workloads[{i}].name", msg) for i, msg in duplicate_names(names)]
    seen_models: dict[str, str | None] = {}
    for i, w in enumerate(workloads):
        if not isinstance(w, Mapping):
            continue
        problems += [Problem(file, f"workloads[{i}]", msg) for msg in cross_field_problems(w)]
        model = w.get("model")
        if vocabulary is not None and isinstance(model, Mapping) and model.get("params_b") is None:
            model_id = _name(model.get("id"), 200)
            if model_id is not None:
                if model_id not in seen_models:
                    listed = len(problems) < MAX_PROBLEMS
                    seen_models[model_id] = vocabulary.model_id.check(model_id, listed)
                msg = seen_models[model_id]
                if msg:
                    problems.append(Problem(file, f"workloads[{i}].model.id", msg))
        profile = _name(w.get("traffic_profile"), 4096)
        if files is not None and profile is not None:
            msg = files.problem(profile)
            if msg:
                problems.append(Problem(file, f"workloads[{i}].traffic_profile", f"refused: {msg}"))
    return problems


def price_problems(prices: Any, file: str, prefix: str, vocabulary: Vocabulary) -> list[Problem]:
    """Unknown price keys and services of a raw ``prices:`` mapping (counts are bounded by the schema)."""
    from .bounds import MAX_DISCOUNT_ENTRIES, MAX_PRICE_OVERRIDES

    problems: list[Problem] = []
    if not isinstance(prices, Mapping):
        return problems
    for section, names, limit in (
        ("overrides", vocabulary.price_key, MAX_PRICE_OVERRIDES),
        ("discount_pct", vocabulary.service, MAX_DISCOUNT_ENTRIES),
    ):
        entries = prices.get(section)
        if not isinstance(entries, Mapping) or len(entries) > limit:
            continue  # the schema says how many are allowed
        for key in entries:
            name = _name(key, 300)
            if name is None:
                continue
            msg = names.check(name, len(problems) < MAX_PROBLEMS)
            if msg:
                problems.append(Problem(file, f"{prefix}.{section}.{shown(name, 80)}", msg))
    return problems
