"""Command-line shell: thin Typer commands over the library (one module per command group)."""

from __future__ import annotations

from .app import app, main

# Each module registers its commands on `app` when imported.
from . import recommend as _recommend  # noqa: E402,F401  isort: skip
from . import diff as _diff  # noqa: E402,F401  isort: skip
from . import prices as _prices  # noqa: E402,F401  isort: skip
from . import serve as _serve  # noqa: E402,F401  isort: skip
from . import size as _size  # noqa: E402,F401  isort: skip
from . import imports as _imports  # noqa: E402,F401  isort: skip
from . import prices_update as _prices_update  # noqa: E402,F401  isort: skip

__all__ = ["app", "main"]
