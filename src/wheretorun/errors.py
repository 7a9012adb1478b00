"""Errors a user can act on.

Every problem with user input is a :class:`Problem` (file, field path, message). The CLI prints
one line per problem and exits 2; the web API answers 422 with the same lines. Nothing here
knows about the CLI: the shells decide how to show it.

A hostile or badly broken file can hold hundreds of thousands of problems (200,000 unknown keys);
an :class:`InputError` keeps the first :data:`MAX_PROBLEMS` and one closing line saying how many
more there were, so an error costs a screenful and a few kilobytes however bad the input is.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

#: Problems reported in full; the rest are counted ("... and N more problems").
MAX_PROBLEMS = 50


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


@dataclass(frozen=True)
class MoreProblems(Problem):
    """The closing line of a capped list: how many problems were found but not listed."""

    count: int = 0

    @classmethod
    def of(cls, file: str, count: int) -> MoreProblems:
        return cls(file, "", f"... and {count:,} more problems (fix the ones above first)", count)


def capped(problems: Iterable[Problem], limit: int = MAX_PROBLEMS) -> list[Problem]:
    """The first ``limit`` problems, then one :class:`MoreProblems` line counting the rest.

    Capped lists may be capped again (the problems of an inventory's chunks are joined): their
    closing lines are added up into one.
    """
    shown: list[Problem] = []
    more = 0
    file = ""
    for p in problems:
        if isinstance(p, MoreProblems):
            more += p.count
            file = file or p.file
        elif len(shown) < limit:
            shown.append(p)
        else:
            more += 1
            file = file or p.file
    if more:
        shown.append(MoreProblems.of(file, more))
    return shown


class InputError(Exception):
    """Invalid user input: one or more problems, each naming its file and field path (at most
    :data:`MAX_PROBLEMS` listed, then a count of the rest)."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = capped(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest choice, or '' when nothing is close."""
    close = difflib.get_close_matches(str(word)[:200], list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def missing_extra(extra: str, what: str, module: str | None = None) -> InputError:
    """An optional package is not installed: the user's to install (exit 2), never an internal error."""
    missing = f" ({module} is not installed)" if module else ""
    return InputError(
        [Problem(what, "", f"needs the '{extra}' extra{missing}: pip install 'wheretorun[{extra}]'")]
    )
