"""``wheretorun`` run from the shell: the console script, and ``python -m wheretorun``.

Its own module, outside ``cli``, so that the first thing a command does, before it imports Typer,
pydantic and NumPy, is to pause the garbage collector for start-up (``_perf.start_up_paused``).
"""

from __future__ import annotations

import os

from ._perf import start_up_paused


def main() -> None:
    start_up_paused()
    # pydantic looks for plugins (observability hooks) in every installed package's metadata when it
    # builds its first model: about 20 ms of start-up spent on importlib.metadata, for
    # models that are wheretorun's own. Set PYDANTIC_DISABLE_PLUGINS (even empty) to choose otherwise.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    # NumPy's OpenBLAS starts a thread per core at import, which spins on a core another process
    # could use: 0.1 s of CPU per command on two cores. wheretorun's arrays are element-wise work
    # and short dot products; no BLAS call here gains from threads.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from .cli import main as run_command

    run_command()


if __name__ == "__main__":
    main()
