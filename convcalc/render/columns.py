"""The table's columns, by name: ``--columns output,params,macs,rf,memory`` chooses them.

``#`` and ``layer`` always come first (they name the row) and ``check`` last when checking; the
names choose everything in between, in the order given. ``all`` shows every column.
"""

from __future__ import annotations

from typing import Any

from ..errors import SpecError, did_you_mean

# name -> (header, right-aligned, what it shows)
COLUMNS: dict[str, tuple[str, bool, str]] = {
    "index": ("#", True, "position in execution order"),
    "layer": ("layer", False, "the layer id"),
    "type": ("type", False, "the layer type"),
    "input": ("input", False, "input shape (first input)"),
    "output": ("output", False, "output shape"),
    "kernel": ("kernel", False, "kernel shape in the kernel layout"),
    "params": ("params", True, "parameters, trainable and not"),
    "non_trainable": ("non-train.", True, "non-trainable parameters (batchnorm statistics)"),
    "macs": ("MACs", True, "multiply-accumulates"),
    "flops": ("FLOPs", True, "2 x MACs"),
    "rf": ("RF", False, "receptive field: size per axis, then /jump (effective stride)"),
    "activations": ("act. elements", True, "output elements of one sample"),
    "memory": ("act. bytes", True, "output bytes: elements x batch x dtype size"),
}
ROW_NAMES = ("index", "layer")
RIGHT = {header for header, right, _ in COLUMNS.values() if right}


def parse(text: str) -> tuple[str, ...]:
    """``output,params,rf`` -> the column names; unknown names are errors with a did-you-mean."""
    names = [part.strip().lower() for part in text.split(",") if part.strip()]
    if not names:
        raise SpecError("--columns is empty", field="columns", hint="e.g. --columns output,params,macs,rf,memory")
    if names == ["all"]:
        return tuple(COLUMNS)
    if "all" in names:
        raise SpecError("'all' means every column and stands alone", field="columns",
                        hint="--columns all, or name the columns: " + ",".join(COLUMNS))
    for i, name in enumerate(names):
        if name not in COLUMNS:
            raise SpecError(f"unknown column '{name}'", field="columns",
                            hint=did_you_mean(name, list(COLUMNS) + ["all"]))
        if name in names[:i]:
            raise SpecError(f"column '{name}' is given twice", field="columns")
    return tuple(names)


def default(plan: Any) -> tuple[str, ...]:
    split = ("non_trainable",) if plan.non_trainable != 0 else ()
    return ("type", "output", "kernel", "params", *split, "macs")


def headers(plan: Any, report: Any, chosen: tuple[str, ...] | None = None) -> list[str]:
    names = [n for n in (chosen or default(plan)) if n not in ROW_NAMES]
    return [COLUMNS[n][0] for n in (*ROW_NAMES, *names)] + (["check"] if report else [])
