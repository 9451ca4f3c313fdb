"""Documented limits on what convcalc reads, so hostile input gets a clear error, not a hang.

Sizes and counts are exact Python integers, so ``plan`` answers for a 200000x200000x3 input;
the limits below only refuse input no network has: integers of more than 100 digits, YAML
aliases that multiply, absurd nesting, and spec files larger than 16 MiB. A size or count of
more than 4300 digits (Python will not print it) is an error too.
"""

from __future__ import annotations

from typing import Any

from .errors import ShapeError, SpecError

MAX_INT_DIGITS = 100  # an integer written in a spec (YAML, compact strings, CLI flags)
MAX_FILE_BYTES = 16 << 20  # a spec file
MAX_DEPTH = 100  # nesting of YAML lists and mappings
MAX_ALIAS_VALUES = 10_000  # values produced by following YAML aliases (*name)


def digits_error(digits: str) -> SpecError:
    """The error for an integer written with too many digits (the value shown by its start)."""
    return SpecError(
        f"the integer {digits[:12]}... has {len(digits)} digits; convcalc reads at most {MAX_INT_DIGITS}"
    )


def int_from_text(text: str) -> int:
    """``int(text)`` for a string of digits (with an optional sign), refusing absurd lengths."""
    digits = text.strip().lstrip("+-")
    if len(digits) > MAX_INT_DIGITS:
        raise digits_error(digits)
    return int(text)


def check_int(value: Any) -> Any:
    """A parsed value, refused if it is an integer of more than MAX_INT_DIGITS digits."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**MAX_INT_DIGITS:
        raise digits_error(str(abs(value)))
    return value


def too_long_to_print(exc: ValueError) -> ShapeError | None:
    """The error for a ValueError raised by printing an int of more than 4300 digits, else None.

    Sizes are exact Python ints and may grow as far as the layers take them, but Python refuses
    to turn an int of more than 4300 digits into text (a guard against quadratic-time
    conversions), so such a plan cannot be shown. Only the CLI translates this."""
    if "integer string conversion" not in str(exc):
        return None
    return ShapeError(
        "a size or count has more than 4300 digits, too long to print exactly",
        hint="the sizes multiply to an absurd number: check the input shape and the layer arguments",
    )
