"""Quantities with unit suffixes, read exactly: ``5M``, ``1.2G``, ``512MiB``, ``2_000``.

SI suffixes are powers of 1000 (``k``/``K``, ``M``, ``G``, ``T``), binary ones powers of 1024
(``Ki``, ``Mi``, ``Gi``, ``Ti``); a trailing ``B`` is allowed where bytes are meant
(``512MiB``, ``2GB``). Decimals are exact (``1.2G`` is 1,200,000,000, computed with fractions,
never floats) and must come out whole: ``1.5`` alone, or ``1.0000001k``, is refused.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from .errors import SpecError

SI = {"": 1, "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
BINARY = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40}
SUFFIXES = {**SI, **BINARY}
_QUANTITY = re.compile(r"(\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d{1,2})?) ?([A-Za-z]*)", re.ASCII)
_EXAMPLES = "e.g. 5000000, 5M, 1.2G, 512MiB"


def _multiplier(suffix: str, text: str, unit_bytes: bool) -> int:
    core = suffix[:-1] if unit_bytes and suffix.endswith("B") else suffix
    if core in SUFFIXES:
        return SUFFIXES[core]
    known = "k, M, G, T, Ki, Mi, Gi, Ti" + (" (a trailing B is allowed)" if unit_bytes else "")
    raise SpecError(f"unknown unit suffix {suffix!r} in {text!r}", hint=f"use one of {known}: {_EXAMPLES}")


def parse_quantity(value: Any, *, unit_bytes: bool = False) -> int:
    """A non-negative whole number from an int, an exact float or a string with a suffix."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise SpecError(f"expected a number such as 5M or 512MiB, got {value!r}", hint=_EXAMPLES)
    if isinstance(value, int):
        exact = Fraction(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise SpecError(f"expected a finite number, got {value!r}", hint=_EXAMPLES)
        exact = Fraction(repr(value))
    else:
        text = value.strip()
        match = _QUANTITY.fullmatch(text)
        if not match or len(text) > 40:
            raise SpecError(f"expected a number with an optional unit suffix, got {value!r}", hint=_EXAMPLES)
        exact = Fraction(match.group(1).replace("_", "")) * _multiplier(match.group(2), text, unit_bytes)
    if exact < 0:
        raise SpecError(f"expected a number >= 0, got {value!r}")
    if exact.denominator != 1:
        raise SpecError(f"{value!r} is not a whole number", hint="a count or a byte size is a whole number")
    return int(exact)


def format_bytes(n: int) -> str:
    """Exact bytes with a binary-unit reading: ``19,200 B (18.75 KiB)``."""
    text = f"{n:,} B"
    for unit, size in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            hundredths = round(Fraction(n * 100, size))  # exact, half to even (floats overflow)
            return f"{text} ({hundredths // 100:,}.{hundredths % 100:02d} {unit})"
    return text
