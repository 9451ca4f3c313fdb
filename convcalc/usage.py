"""Command-line usage errors in convcalc's own format, and the size option type.

click reports an unknown option or a bad option value with its usage text. convcalc reports
every exit-2 problem the same way instead: one ``error: <cli>: ...`` line on stderr with a
hint, and, when ``--format json`` is among the arguments, the error document where the command
would have written its own: the ``--output`` file the arguments seem to name (an existing file
only if it holds a convcalc JSON document), else stdout unless ``--quiet``. A bad ``--format`` value itself is text only: no format was chosen.
"""

from __future__ import annotations

from typing import Any, NoReturn

import click

from .errors import EXIT_USAGE, Loc, SpecError, UsageError
from .units import parse_quantity

_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


def wants_json(args: list[str]) -> bool:
    """True if the raw arguments ask for ``--format json`` (either spelling), before ``--``."""
    for i, arg in enumerate(args):
        if arg == "--":
            return False
        if arg == "--format=json" or (arg == "--format" and args[i + 1 : i + 2] == ["json"]):
            return True
    return False


def output_path(args: list[str]) -> str | None:
    """The ``--output``/``-o`` file the raw arguments seem to name (the last one, before ``--``).
    click could not parse them, so this is a guess (in ``--input -o net.yaml``, net.yaml is the
    spec): an existing file is overwritten only if it holds a convcalc JSON document already."""
    path = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg in ("--output", "-o") and i + 1 < len(args):
            path = args[i + 1]
        elif arg.startswith("--output="):
            path = arg.split("=", 1)[1]
    if path:
        try:
            with open(path, "rb") as f:
                head = f.read(64)
        except FileNotFoundError:
            return path
        except OSError:
            return None
        if not (head.lstrip().startswith(b"{") and b'"schema_version"' in head):
            return None
    return path


def fail_usage(ctx: click.Context, exc: click.UsageError, args: list[str]) -> NoReturn:
    """Report a click usage error as convcalc reports any error, then exit 2."""
    param = getattr(exc, "param", None)
    message = exc.format_message()
    field = param.opts[0] if isinstance(param, click.Option) else None
    error = UsageError(
        message,
        loc=Loc("<cli>"),
        field=None if field is None or f"'{field}'" in message else field,
        hint=f"try '{(exc.ctx or ctx).command_path} --help'",
    )
    quiet = "--quiet" in args or "-q" in args
    if wants_json(args):  # the error document where the command would have written its own
        from .output import Sink, emit_error

        emit_error(Sink("json", quiet=quiet, path=output_path(args)), error)
    else:
        click.echo(f"error: {error.format()}", err=True)
    ctx.exit(EXIT_USAGE)


class UniformErrors:
    """Mixin for click commands: usage errors reported by :func:`fail_usage`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, list(args))  # type: ignore[misc]
        except _NO_ARGS_IS_HELP:  # `convcalc` alone prints the help, as click does
            raise
        except click.UsageError as exc:
            fail_usage(ctx, exc, args)


class UniformCommand(UniformErrors, click.Command):
    pass


class UniformGroup(UniformErrors, click.Group):
    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            fail_usage(ctx, exc, args)


class Quantity(click.ParamType):
    """A whole number with an optional SI or binary suffix: 5M, 1.2G, 512MiB (see units.py)."""

    name = "quantity"

    def __init__(self, unit_bytes: bool = False) -> None:
        self.unit_bytes = unit_bytes

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_quantity(value, unit_bytes=self.unit_bytes)
        except SpecError as exc:
            self.fail(exc.message + (f" ({exc.hint})" if exc.hint else ""), param, ctx)
