"""The Typer application and the error boundary every command shares.

Exit codes (interface contract): 0 success; 1 internal error; 2 invalid input, one line per
problem naming the file and field path, no traceback; 3 a budget given with ``--fail-above`` is
exceeded; 141 the reader closed the pipe.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from .._perf import memo
from ..errors import InputError, Problem

if TYPE_CHECKING:
    from rich.console import Console

#: ``--fail-above``: the answer is printed, then the command exits with this status (a CI budget guardrail).
EXIT_BUDGET = 3


def _flags_take_no_value() -> None:
    """Typer (0.2x) prints a ``<bool>`` placeholder beside every on/off flag in ``--help``, as if the
    flag took a value; a flag takes none, so its type column stays empty."""
    from typer.core import TyperOption

    shown = TyperOption.display_type_rich

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        return None if self.is_flag else shown(self, ctx)

    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_flags_take_no_value()


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("wheretorun")
        except PackageNotFoundError:  # run from a source tree that was never installed
            number = "unknown (not installed)"
        typer.echo(f"wheretorun {number}")
        raise typer.Exit(0)


app = typer.Typer(
    name="wheretorun",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Click's own help layout: Typer's Rich help imports rich.markdown and rich.traceback (~0.2 s of
    # the 0.3 s start-up budget, bench row `start-up`) for boxes around the same text
    rich_markup_mode=None,
)
prices_app = typer.Typer(
    rich_markup_mode=None, help="The price catalog in use: show it, or refresh it from the AWS Price List."
)
app.add_typer(prices_app, name="prices")


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Where should each part of your AI system run on AWS, and what will it really cost
    (engineering time included)?

    Example: wheretorun recommend examples/ai-product.yml
    """


def out_console(**options: Any) -> Console:
    """A Rich console on standard output whose closed pipe (``| head``) ends the command with status
    141 through ``guarded``: Rich's own handler exits with status 1, the internal-error status.

    Text is printed as written (``markup`` and ``emoji`` off unless asked for): tables quote the
    user's names and ids, and a workload named "[/]" or ":x:" is a name, not Rich markup."""
    from rich.console import Console

    options = {"markup": False, "emoji": False, **options}

    class _StdoutConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError

    return _StdoutConsole(**options)


@memo(maxsize=1)
def err_console() -> Console:
    """Where messages and errors go (standard error). Built on first use: importing Rich is ~40 ms
    of a one-workload ``recommend`` answered as JSON, which prints nothing on standard error."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


T = TypeVar("T")


def parse_budget(text: str | None) -> Decimal | None:
    """``--fail-above``: US dollars a month, as "5000", "$5,000" or "5000.50"; exit 2 otherwise."""
    if text is None:
        return None
    from ..results import MONEY_LIMIT  # here, not at import: every command's start-up would pay for it

    cleaned = text.strip().removeprefix("$").replace(",", "").replace("_", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value < 0 or value > MONEY_LIMIT:
        raise InputError(
            [
                Problem(
                    "--fail-above",
                    "",
                    f"'{text}' is not an amount; allowed: US dollars a month, 0 to {MONEY_LIMIT:,}, e.g. 5000",
                )
            ]
        )
    return value


def over_budget(
    amount: Decimal, budget: Decimal | None, what: str, unpriced: list[str] | None = None
) -> None:
    """After the output is written: exit 3 when ``amount`` exceeds the ``--fail-above`` budget, or
    when it leaves out workloads no platform prices (``Report.unpriced``): a guardrail fails closed."""
    if budget is not None and unpriced:
        shown = ", ".join(unpriced[:5]) + (f" and {len(unpriced) - 5:,} more" if len(unpriced) > 5 else "")
        err_console().print(
            f"budget not checked: no platform prices {len(unpriced):,} workload(s) as described ({shown}), so "
            "the figure leaves them out; see their warnings",
            markup=False,
        )
        raise typer.Exit(EXIT_BUDGET)
    if budget is not None and amount > budget:
        err_console().print(
            f"budget exceeded: {what} ${amount:,.2f}/month is above --fail-above ${budget:,.2f}", markup=False
        )
        raise typer.Exit(EXIT_BUDGET)


def fail_input(error: InputError) -> typer.Exit:
    for problem in error.problems:
        err_console().print(f"error: {problem}", markup=False)
    return typer.Exit(2)


def guarded(fn: Callable[[], T]) -> T:
    """Run ``fn``; user-input problems exit 2 with one line each, anything else exits 1 without a traceback."""
    try:
        return fn()
    except InputError as e:
        raise fail_input(e) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except BrokenPipeError:
        # the reader stopped reading (`| head`): stop quietly, with the status of a process ended by
        # SIGPIPE (128 + 13, as git and other Unix tools end), and keep Python from complaining
        # about the closed stdout when it flushes it at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(141) from None
    except Exception as e:  # the internal-error boundary: say what broke, no traceback
        err_console().print(f"internal error: {type(e).__name__}: {e}", markup=False)
        err_console().print(
            "please report it with the input that caused it (set WHERETORUN_DEBUG=1 for a traceback)"
        )
        if os.environ.get("WHERETORUN_DEBUG"):
            raise
        raise typer.Exit(1) from None


def main() -> None:
    with _only_the_invoked_command(sys.argv[1:]):
        try:
            app()
        except SystemExit as e:
            sys.exit(e.code)


@contextmanager
def _only_the_invoked_command(args: list[str]) -> Iterator[None]:
    """Typer turns every registered command into a Click command before it parses the command line
    (about 30 ms of start-up for eight commands, of which one runs). When the first argument names a
    command or a group, only that one is registered while it runs: its parsing, help and errors are
    the same (Click documents this lazy loading of subcommands). Anything else (``--help``,
    ``--version``, a mistyped name whose did-you-mean needs every name) keeps them all."""
    whole = app.registered_commands, app.registered_groups
    if args and not args[0].startswith("-"):
        commands = [c for c in app.registered_commands if c.name == args[0]]
        groups = [g for g in app.registered_groups if g.name == args[0]]
        if commands or groups:
            app.registered_commands, app.registered_groups = commands, groups
    try:
        yield
    finally:
        app.registered_commands, app.registered_groups = whole
