"""The result types are typed all the way down: no field holds an untyped dict (issue 11: chart data,
fleet sizes and quota figures travelled in ``extras: dict[str, Any]``, read by key and unchecked)."""

from __future__ import annotations

import typing

import pytest
from pydantic import BaseModel

from wheretorun import results

MODELS = sorted(
    (
        v
        for v in vars(results).values()
        if isinstance(v, type) and issubclass(v, BaseModel) and v.__module__ == results.__name__
    ),
    key=lambda m: m.__name__,
)


def untyped(annotation: object) -> bool:
    """Does the annotation contain ``Any`` anywhere (``dict[str, Any]``, ``list[Any]``, ``Any``)?"""
    if annotation is typing.Any:
        return True
    return any(untyped(arg) for arg in typing.get_args(annotation))


def test_the_walk_finds_an_untyped_dict():
    assert untyped(dict[str, typing.Any]) and untyped(list[dict[str, typing.Any]] | None)
    assert not untyped(dict[str, results.UncertainInput]) and not untyped(list[float | None])


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_no_result_field_is_an_untyped_dict(model: type[BaseModel]):
    assert len(MODELS) > 20  # every result type is found, not just a few
    bad = [
        f"{model.__name__}.{name}: {info.annotation}"
        for name, info in model.model_fields.items()
        if untyped(info.annotation)
    ]
    assert bad == []


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_typed_fact_of_an_option_and_a_workload_is_documented(model: type[BaseModel]):
    """The typed replacements of ``extras`` say what they hold (a description or a docstring)."""
    if model.__name__ not in ("Option", "WorkloadReport"):
        return
    hidden = [n for n, f in model.model_fields.items() if f.exclude]
    assert hidden  # the facts are typed fields, written under 'extras' only in the JSON
    for name in hidden:
        info = model.model_fields[name]
        typed = typing.get_args(info.annotation) or (info.annotation,)
        documented = info.description or any(
            isinstance(t, type) and issubclass(t, BaseModel) and t.__doc__ for t in typed
        )
        assert documented, f"{model.__name__}.{name}"
