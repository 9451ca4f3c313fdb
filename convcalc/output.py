"""Where the CLI's output goes: the terminal, a file (``--output``) or nowhere (``--quiet``).

Rules (README "Output"):
- stdout carries the rendered document only; errors and failures go to stderr as text.
- Colour only on a terminal, and never when NO_COLOR is set (to anything but ""): then the text
  is plain, without bold either. Piped output is plain too.
- A table fits the width: ``COLUMNS`` if set, else the terminal's; piped or written to a file
  it keeps its natural width. Columns are dropped to fit (render/fit.py); numbers are never cut.
- ``--output FILE`` writes the document to FILE (plain text) instead of stdout; ``--quiet``
  prints nothing on stdout. In both cases, and for json and csv, failure lines (check
  mismatches, exceeded budgets) are echoed to stderr so the verdict always reaches the user.
"""

from __future__ import annotations

import io
import os
import sys
import traceback
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import click

from .errors import EXIT_INTERNAL, ConvCalcError, InternalError, Loc, UsageError
from .input_limits import too_long_to_print

NATURAL = 1 << 16  # "no width limit" for rich


def plain_requested() -> bool:
    return os.environ.get("NO_COLOR", "") != ""


def terminal_console() -> Any:
    """A rich Console for stdout: plain when NO_COLOR is set or stdout is not a terminal."""
    from rich.console import Console

    console = Console(soft_wrap=False, highlight=False, emoji=False,
                      color_system=None if plain_requested() else "auto")
    if not console.is_terminal and not os.environ.get("COLUMNS", "").isdigit():
        console.width = NATURAL
    return console


def print_what_the_console_can() -> None:
    """On a console whose encoding is not UTF-8 (cp1252, latin-1, ascii), print a character it
    cannot show (a check mark, a layer id in another script) as '?' instead of failing."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        if encoding not in ("utf8", "utf8sig") and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")


class Sink:
    """The destination of one command's output, from --format, --quiet and --output."""

    def __init__(self, fmt: str, *, quiet: bool = False, path: str | None = None) -> None:
        self.fmt = fmt
        self.quiet = quiet
        self.path = path

    @property
    def shows_verdicts(self) -> bool:
        """True when the rendered text (with its verdict lines) reaches the terminal."""
        return self.fmt in ("table", "markdown") and not self.quiet and self.path is None

    def text(self, text: str) -> None:
        """A rendered document (json, markdown, csv): to the file, or stdout unless quiet."""
        if self.path is not None:
            self._write(text)
        elif not self.quiet:
            click.echo(text, nl=False)

    def rich(self, build: Callable[[int | None], Any]) -> None:
        """A rich renderable built for a width (None: natural width), printed or written plain."""
        from rich.console import Console

        if self.path is not None:
            buffer = io.StringIO()
            Console(file=buffer, width=NATURAL, color_system=None, soft_wrap=False, emoji=False).print(build(None), crop=False)
            self._write("\n".join(line.rstrip() for line in buffer.getvalue().split("\n")))
        elif not self.quiet:
            console = terminal_console()
            width = None if console.width == NATURAL else console.width
            console.print(build(width), crop=False)

    def failures(self, lines: list[str]) -> None:
        """Failure lines on stderr, unless the rendered text already showed them."""
        if not self.shows_verdicts:
            for line in lines:
                click.echo(line, err=True)

    def refuse_overwriting(self, spec_file: str | None) -> None:
        """UsageError if --output names the spec file itself (it would be lost)."""
        if self.path and spec_file and os.path.exists(self.path) and os.path.exists(spec_file) \
                and os.path.samefile(self.path, spec_file):
            path, self.path = self.path, None  # the error document goes to stdout, not over the spec
            raise UsageError(f"--output {path} is the spec file itself; it would be overwritten",
                             loc=Loc("<cli>"), hint="write the output to another file")

    def _write(self, text: str) -> None:
        try:
            with open(self.path, "w", encoding="utf-8") as f:  # type: ignore[arg-type]
                f.write(text)
        except OSError as exc:
            raise UsageError(f"cannot write the output file: {exc.strerror}", loc=Loc(self.path), field="--output") from None


def emit_result(sink: Sink, plan: Any, report: Any, outcomes: list[Any], explain: bool,
                depth: int | None = None, chosen: tuple[str, ...] | None = None) -> list[str]:
    """Render the plan (and check report, budgets) in the sink's format; return the failure lines."""
    from .render.summary import check_lines

    budget_lines = [o.line() for o in outcomes]
    failures = (check_lines(plan, report) if report is not None and not report.passed else [])
    failures += [o.line() for o in outcomes if not o.ok]
    if sink.fmt == "json":
        from .render.json_out import dumps, plan_dict

        sink.text(dumps(plan_dict(plan, report, outcomes)) + "\n")
    elif sink.fmt == "csv":
        from .render.csv_out import render as csv_render

        sink.text(csv_render(plan, report))
    elif sink.fmt == "markdown":
        from .render.markdown import render as markdown

        sink.text(markdown(plan, report, explain=explain, depth=depth, chosen=chosen)
                  + "".join(f"{line}  \n" for line in budget_lines))
    else:
        from rich.console import Group
        from rich.text import Text

        from .render.table import render as table

        sink.rich(lambda width: Group(table(plan, report, explain=explain, depth=depth, chosen=chosen, width=width),
                                      *(Text(o.line(), style="green" if o.ok else "bold red") for o in outcomes)))
    sink.failures(failures)
    return failures


def emit_error(sink: Sink, exc: Any) -> None:
    """An error: its JSON document on the sink (json format), its text on stderr. When the
    ``--output`` file cannot be written, the document goes to stdout instead (unless --quiet)."""
    if sink.fmt == "json":
        from .render.json_out import dumps, error_dict

        document = dumps(error_dict(exc)) + "\n"
        try:
            sink.text(document)
        except UsageError as write_error:
            if write_error.format() != exc.format():  # the error was not this very failure: say both
                click.echo(f"error: {write_error.format()}", err=True)
            if not sink.quiet:
                click.echo(document, nl=False)
    click.echo(f"error: {exc.format()}", err=True)


@contextmanager
def reported(ctx: click.Context, sink: Any, *, debug: bool) -> Iterator[None]:
    """Every failure inside as convcalc reports it: ConvCalcError -> its message and exit code
    (2); anything else -> "internal error, please report it" and exit 3 (the traceback only
    with --debug); never a bare traceback."""
    try:
        yield
    except ConvCalcError as exc:
        emit_error(sink, exc)
        ctx.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        ctx.exit(130)
    except Exception as exc:  # last resort
        error = too_long_to_print(exc) if isinstance(exc, ValueError) else None
        emit_error(sink, error or InternalError("internal error, please report it (run with --debug for the traceback)"))
        if error is None and debug:
            click.echo(traceback.format_exc(), err=True)
        ctx.exit(error.exit_code if error else EXIT_INTERNAL)
