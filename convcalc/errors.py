"""One error family for convcalc.

Every error the user can cause is a :class:`ConvCalcError`. It carries where the problem is
(file, line, column, the layer path such as ``layers[3]`` and the field) and a hint. Only the
CLI turns it into a message and an exit code; the library just raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches
from typing import Iterable

EXIT_OK = 0
EXIT_CHECK_FAILED = 1  # a check mismatch or an exceeded budget
EXIT_USAGE = 2  # invalid spec, usage or input; the check refused to run
EXIT_INTERNAL = 3  # a bug in convcalc: "internal error, please report it"


@dataclass(frozen=True)
class Loc:
    """A position in the user's input: a file (or ``<cli>``), a 1-based line and column."""

    file: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


class ConvCalcError(Exception):
    """Base class: a message plus where it happened and what to do about it."""

    exit_code = EXIT_USAGE
    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        loc: Loc | None = None,
        layer: str | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc
        self.layer = layer
        self.field = field
        self.hint = hint

    def located(self, *, loc: Loc | None = None, layer: str | None = None) -> "ConvCalcError":
        """Fill in location details the raiser did not know (the innermost wins)."""
        if self.loc is None or (self.loc.line is None and loc is not None and loc.line is not None):
            self.loc = loc
        if self.layer is None:
            self.layer = layer
        return self

    def format(self) -> str:
        """One line (plus an optional hint line) as the CLI prints it."""
        where = []
        if self.loc is not None:
            where.append(str(self.loc))
        subject = self.layer or ""
        if self.field:
            subject = f"{subject}, field '{self.field}'" if subject else f"field '{self.field}'"
        if subject:
            where.append(subject)
        head = ": ".join(where)
        text = f"{head}: {self.message}" if head else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "message": self.message,
            "file": self.loc.file if self.loc else None,
            "line": self.loc.line if self.loc else None,
            "column": self.loc.column if self.loc else None,
            "layer": self.layer,
            "field": self.field,
            "hint": self.hint,
        }


class SpecError(ConvCalcError):
    """The spec (YAML or CLI flags) is malformed or names something unknown."""

    kind = "spec"


class ShapeError(ConvCalcError):
    """A layer does not fit the shape it is given (kernel larger than input, ...)."""

    kind = "shape"


class CheckError(ConvCalcError):
    """The reference executor cannot run (for example it would not fit in memory)."""

    kind = "check"


class UsageError(ConvCalcError):
    """The command line itself is wrong (an unknown option, a bad option value)."""

    kind = "usage"


class InternalError(ConvCalcError):
    """A bug in convcalc, reported by the CLI's last-resort handler (exit 3)."""

    kind = "internal"
    exit_code = EXIT_INTERNAL


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A hint naming the closest known choice, or listing them all when nothing is close."""
    choices = sorted(set(choices))
    close = get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    if len(choices) <= 60:  # every layer type fits: better a list than no hint at all
        return "expected one of: " + ", ".join(choices)
    return None


def show(value: object, limit: int = 60) -> str:
    """The offending value for a message: its repr, cut to ``limit`` characters if it is long
    (a message must name the value, not reproduce a megabyte of it)."""
    try:
        text = repr(value)
    except ValueError:  # an int beyond Python's str conversion limit
        return f"an integer of {value.bit_length()} bits"  # type: ignore[attr-defined]
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"
