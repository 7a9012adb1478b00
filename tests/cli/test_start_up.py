"""Start-up: the CLI (``--help`` included) loads the engine, the catalog and numpy only inside the
commands that need them (timed by ``make bench``; here, what is imported, which does not vary with
the machine's load)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = [
    "numpy",
    "genai_prices",
    "yaml",
    "wheretorun.decide",
    "wheretorun.catalog.store",
    "wheretorun.platforms",
    "wheretorun.spec.models",
    "wheretorun.results",
]


def imported_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()[-1]
    return set(json.loads(out))


@pytest.mark.parametrize(
    "code",
    [
        "import wheretorun",  # the library's root: its API is loaded on first use
        "import wheretorun.cli",  # every command registered, as `wheretorun --help` needs
    ],
)
def test_nothing_heavy_is_imported_before_a_command_runs(code):
    loaded = imported_after(code)
    assert [m for m in HEAVY if m in loaded] == []


def test_the_public_api_still_loads_on_first_use():
    loaded = imported_after("import wheretorun; wheretorun.recommend")
    assert "wheretorun.decide" in loaded
