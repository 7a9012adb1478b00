"""Start-up: the CLI (``--help`` included) loads the engine, the catalog and numpy only inside the
commands that need them (timed by ``make bench``; here, what is imported, which does not vary with
the machine's load)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

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


@pytest.mark.parametrize(
    "args",
    [
        ["recommend", "examples/ai-product.yml", "-f", "json"],
        ["recommend", "--help"],
        ["recommend", "examples/no-such-file.yml"],
        ["recommend", "examples/ai-product.yml", "--format", "pdf"],
        ["prices", "show", "--service", "lambda"],
        ["prices", "--help"],
        ["size", "--model", "llama-3.1-8b-instruct"],
        ["recomend", "x"],  # the did-you-mean needs every command's name
        ["--help"],
        ["--version"],
        [],
    ],
    ids=lambda a: " ".join(a) or "no-arguments",
)
def test_the_console_script_answers_as_the_whole_app_does(args):
    """The console script registers only the command it runs (cli.app.main): what it prints and
    its exit status are the whole app's (both run as processes, as a user runs them)."""
    env = {**os.environ, "COLUMNS": "100", "TERM": "dumb"}
    script = Path(sys.executable).with_name("wheretorun")
    whole_app = "import sys; from wheretorun.cli import app; app(sys.argv[1:], prog_name='wheretorun')"
    runs = [
        subprocess.run(cmd + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        for cmd in ([str(script)], [sys.executable, "-c", whole_app])
    ]
    script_run, app_run = runs
    assert (script_run.returncode, script_run.stdout, script_run.stderr) == (
        app_run.returncode,
        app_run.stdout,
        app_run.stderr,
    )
