"""``wheretorun`` run from the shell: the console script, and ``python -m wheretorun``.

Its own module, outside ``cli``, so that the first thing a command does, before it imports Typer,
pydantic and NumPy, is to pause the garbage collector for start-up (``_perf.start_up_paused``).
"""

from __future__ import annotations

from ._perf import start_up_paused


def main() -> None:
    start_up_paused()
    from .cli import main as run_command

    run_command()


if __name__ == "__main__":
    main()
