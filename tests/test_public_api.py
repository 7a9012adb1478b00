"""The package root's public API stays small and stable (httpx's habit)."""

from __future__ import annotations
import __future__

import inspect
import types

import pytest

import wheretorun

PUBLIC = {
    # name: what it must be
    "InputError": type,
    "Problem": type,
    "Report": type,
    "json_schema": "function",
    "load_workloads": "function",
    "recommend": "function",
    "render": "function",
}


def check_public_api(module: types.ModuleType) -> None:
    """``__all__`` is exactly ``PUBLIC``, each name is what it says, and no other public name (one
    not starting with ``_``) is defined at the root but a subpackage."""
    assert sorted(module.__all__) == sorted(PUBLIC)
    for name, kind in PUBLIC.items():
        value = getattr(module, name)
        if kind is type:
            assert inspect.isclass(value), name
        else:
            assert inspect.isfunction(value), name
        assert value.__module__.startswith("wheretorun."), name
    stray = [
        k
        for k, v in vars(module).items()
        if not k.startswith("_")
        and k not in PUBLIC
        and not isinstance(v, (types.ModuleType, __future__._Feature))
    ]
    assert stray == [], f"public names outside __all__: {stray}"


def test_public_api_is_exactly_this():
    check_public_api(wheretorun)


def test_the_api_answers_end_to_end(one_workload):
    report = wheretorun.recommend(wheretorun.load_workloads(one_workload()), file="<t>")
    assert isinstance(report, wheretorun.Report)
    assert wheretorun.render(report, "json").startswith("{")
    assert "workloads" in wheretorun.json_schema()["properties"]


@pytest.mark.parametrize(
    "mutate",
    [
        # a name added to __all__
        lambda m: setattr(m, "__all__", [*m.__all__, "extra"]) or setattr(m, "extra", len),
        # a public name defined at the root but left out of __all__
        lambda m: setattr(m, "helper", lambda: None),
        # a name of __all__ that is no longer a function
        lambda m: setattr(m, "recommend", None),
    ],
    ids=["added-to-all", "public-outside-all", "wrong-kind"],
)
def test_the_public_api_check_can_fail(mutate):
    """The check above catches each way the API could drift (it is run on a copy of the root)."""
    copy = types.ModuleType("wheretorun")
    copy.__dict__.update({k: v for k, v in vars(wheretorun).items() if k not in ("__name__",)})
    copy.__all__ = list(wheretorun.__all__)
    mutate(copy)
    with pytest.raises((AssertionError, AttributeError)):
        check_public_api(copy)
