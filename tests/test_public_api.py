"""The package root's public API stays small and stable (httpx's habit)."""

import wheretorun


def test_public_api_is_exactly_this():
    assert sorted(wheretorun.__all__) == sorted(
        ["InputError", "Problem", "Report", "json_schema", "load_workloads", "recommend", "render"]
    )
    for name in wheretorun.__all__:
        assert getattr(wheretorun, name) is not None
