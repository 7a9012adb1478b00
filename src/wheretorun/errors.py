"""Errors a user can act on.

Every problem with user input is a :class:`Problem` (file, field path, message). The CLI prints
one line per problem and exits 2; the web API answers 422 with the same lines. Nothing here
knows about the CLI: the shells decide how to show it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where (file and field path) and what is allowed."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"file": self.file, "path": self.path, "message": self.message}


class InputError(Exception):
    """Invalid user input: one or more problems, each naming its file and field path."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest choice, or '' when nothing is close."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def missing_extra(extra: str, what: str, module: str | None = None) -> InputError:
    """An optional package is not installed: the user's to install (exit 2), never an internal error."""
    missing = f" ({module} is not installed)" if module else ""
    return InputError(
        [Problem(what, "", f"needs the '{extra}' extra{missing}: pip install 'wheretorun[{extra}]'")]
    )
