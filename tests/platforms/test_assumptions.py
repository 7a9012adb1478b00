"""Quantities wheretorun supplies are shown beside the workload's other assumptions, so a reader
can see and override them: here the team section's defaults, which weigh and price every
engineering line (team.ops_capacity: none -> x1.5 in engineering.yml; $120 an hour)."""

from __future__ import annotations

import pytest

from platform_cases import context, workload_file

CAPACITY = "team.ops_capacity = none"
RATE = "team.engineer_hourly_usd = 120 USD per engineering hour"


def team_notes(team: dict | None) -> list[str]:
    data = workload_file()
    if team is not None:
        data["team"] = team
    return [a for a in context(data).usage.assumptions if a.startswith("team.")]


@pytest.mark.parametrize(
    ("team", "shown"),
    [
        (None, [CAPACITY, RATE]),
        ({}, [CAPACITY, RATE]),
        ({"ops_capacity": "limited"}, [RATE]),
        ({"engineer_hourly_usd": 150}, [CAPACITY]),
        # stated, even at the default values: the file says so, nothing is assumed
        ({"ops_capacity": "none", "engineer_hourly_usd": 120}, []),
    ],
)
def test_team_defaults_are_assumptions_until_the_file_states_them(team, shown) -> None:
    notes = team_notes(team)
    assert [next(n for n in notes if n.startswith(s)) for s in shown] == notes


def test_the_capacity_note_gives_the_catalogs_factor() -> None:
    (note,) = [n for n in team_notes(None) if n.startswith(CAPACITY)]
    factor = context(workload_file()).catalog.engineering.capacity_factor["none"]
    assert f"engineering hours x{factor:g}" in note and factor == 1.5


@pytest.mark.parametrize(("params_b", "refused"), [(400, True), (4, True), (8.03, False), (10, False)])
def test_params_b_that_contradicts_the_models_id_is_refused(params_b: float, refused: bool) -> None:
    """llama-3.1-8b with params_b 400 priced Bedrock as the 8B and sized servers for 400B; within x1.5
    of the catalog's 8.03B, params_b adjusts the id's model (a fine-tune with extra layers)."""
    from wheretorun.errors import InputError

    data = workload_file(
        role="inference",
        model={"id": "llama-3.1-8b-instruct", "params_b": params_b},
        input_tokens=100,
        output_tokens=10,
        memory_gb=None,
        duration_s=None,
    )
    if refused:
        with pytest.raises(InputError) as caught:
            context(data)
        (problem,) = caught.value.problems
        assert problem.path == "workloads[0].model.params_b" and "contradicts llama-3.1-8b" in problem.message
    else:
        assert context(data).usage.model.params_b == params_b
