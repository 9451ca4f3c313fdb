"""The compact layer grammar shared by YAML strings and CLI flags.

    3x3x32,padding=same,s=2      size first (its meaning is the layer type's), then key=value
    kernel=3x5,stride=1x2        'AxB' values are per-axis lists
    TYPE ARGS                    the --layer form: a type name, a space, then the above

Values: integers, per-axis lists (``3x5``), ``true``/``false``, decimals (``0.25``) or words.
Short keys: s=stride, p=padding, d=dilation, g=groups, k=kernel, f=filters.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import SpecError
from ..input_limits import int_from_text

SHORT_KEYS = {"s": "stride", "p": "padding", "d": "dilation", "g": "groups", "k": "kernel", "f": "filters"}

_INT = re.compile(r"[+-]?\d+", re.ASCII)
_DIMS = re.compile(r"\d+(x\d+)+", re.ASCII)
_FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?", re.ASCII)


def parse_value(text: str) -> Any:
    text = text.strip()
    if _INT.fullmatch(text):
        return int_from_text(text)
    if _DIMS.fullmatch(text):
        return tuple(int_from_text(p) for p in text.split("x"))
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if _FLOAT.fullmatch(text):
        return float(text)
    return text


def parse_compact(text: str, short_keys: bool = True) -> tuple[Any, dict[str, Any]]:
    """Split ``3x3x16,stride=2`` into the leading size (or None) and the keyword arguments;
    ``short_keys``: read ``s=2`` as ``stride=2`` (layer arguments, not a block's own)."""
    size: Any = None
    kwargs: dict[str, Any] = {}
    parts = [p.strip() for p in text.split(",")] if text.strip() else []
    for i, part in enumerate(parts):
        if "=" not in part:
            if i != 0 or not part:
                raise SpecError(
                    f"'{part}' in '{text}' is not key=value",
                    hint="only the first item may be a bare size, e.g. 3x3x16,stride=2",
                )
            size = parse_value(part)
            continue
        key, _, value = part.partition("=")
        key = key.strip()
        key = SHORT_KEYS.get(key, key) if short_keys else key
        if key in kwargs:
            raise SpecError(f"'{key}' is given twice in '{text}'")
        kwargs[key] = parse_value(value)
    return size, kwargs


def split_type(text: str) -> tuple[str, str]:
    """``'conv 3x3x16,s=2'`` -> ``('conv', '3x3x16,s=2')``."""
    name, _, rest = text.strip().partition(" ")
    if not name:
        raise SpecError(f"--layer needs 'TYPE ARGS', e.g. --layer 'conv 3x3x16,stride=2'; got {text!r}")
    return name, rest.strip()
