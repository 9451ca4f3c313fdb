"""What every output format shares: display shapes, numbers and the per-layer row data."""

from __future__ import annotations

from typing import Any

from ..dims import Dim, is_concrete, symbols, to_str
from ..layers.base import fmt
from ..engine import DTYPE_BYTES, LayerPlan, Plan, display_kernel, display_shape
from ..memory import layer_line
from ..units import format_bytes

MACS_NOTE = "MACs: multiply-accumulates of conv and dense weights only. FLOPs = 2 x MACs."


def dim_json(x: Dim) -> int | str:
    if type(x) is int:  # the common case first: a plan's numbers are mostly plain ints
        return x
    return int(x) if is_concrete(x) else to_str(x)


def shape_json(shape: Any) -> list[int | str] | None:
    return None if shape is None else [dim_json(s) for s in shape]


_MARKUP = str.maketrans({ch: "\\" + ch for ch in "\\`*_[]<|"})


def md(text: str) -> str:
    """``text`` with Markdown's inline markup characters escaped, so that ``34560*ceil(T/2)*2``
    reads as written instead of turning into italics (and ``|`` does not end a table cell)."""
    return text.translate(_MARKUP)


def md_code(text: str) -> str:
    """``text`` as a Markdown code span, fenced by one more backtick than its longest run (an id
    may hold backticks), padded when it starts or ends with one."""
    import re

    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def check_cell(issues: list[str]) -> str:
    """The check column: a check mark, or a cross and what disagrees. ASCII ("ok", "x") when
    stdout's encoding has no check mark (a cp1252 console), where the mark could not be printed."""
    import sys

    try:
        ok, bad = "✓", "✗ "
        (ok + bad).encode(getattr(sys.stdout, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        ok, bad = "ok", "x "
    return bad + ", ".join(issues) if issues else ok


def num(x: Dim) -> str:
    """An int with thousands separators, or a symbolic expression."""
    return f"{int(x):,}" if is_concrete(x) else to_str(x)


def shape_text(shape: Any) -> str:
    if shape is None:
        return "-"
    return "(" + ", ".join(num(s).replace(",", "") for s in shape) + ("," if len(shape) == 1 else "") + ")"


def size_text(shape: Any) -> str:
    """Shapes the way the user writes them: 26x26x16, (ceil(T/4)-8)x18x8."""
    return "x".join(fmt(s) for s in shape)


def out_shape(plan: Plan, lp: LayerPlan) -> Any:
    return display_shape(lp.output, plan.layout)


def kernel_shape(plan: Plan, lp: LayerPlan) -> Any:
    return display_kernel(lp.result.kernel, plan.kernel_layout, lp.result.oihw)


def nbytes(n: Dim) -> str:
    """Exact bytes with a binary-unit reading: ``19,200 B (18.75 KiB)``."""
    if not is_concrete(n):
        return f"{to_str(n)} B"
    return format_bytes(int(n))


MAX_TERMS = 4  # a symbolic peak of more totals than this is reported as null


def peak_bytes(plan: Plan) -> tuple[Dim | str | None, str | None]:
    """Peak activation bytes (an int, an expression, a "max(a, b)" string of expressions, or
    None when more than MAX_TERMS totals may be the largest) and a note on where it is."""
    terms, where = plan.peak_activation()
    scale = DTYPE_BYTES[plan.dtype] * plan.batch
    unset = ", ".join(name for name, value in plan.symbols.items() if value is None)
    names = ["the input" if i is None else plan.layers[i].node.id for i in where]
    if len(terms) == 1:
        note = f"the largest total is at {names[0]} for every valid {unset}" if unset else None
        return terms[0] * scale, note
    if len(terms) > MAX_TERMS:
        return None, (f"the largest of {len(terms)} layers' totals, which one depends on {unset}; "
                      "give values with --set")
    text = "max(" + ", ".join(to_str(t * scale) for t in terms) + ")"
    at = ", ".join(names[:-1]) + " and " + names[-1]
    return text, f"the largest of the totals at {at}; which one depends on {unset}"


def rf_json(lp: LayerPlan) -> dict[str, Any] | None:
    return rf_dict(lp.rf)


def rf_dict(rf: Any) -> dict[str, Any] | None:
    if rf is None:
        return None
    return {
        "size": list(rf.size),
        "jump": list(rf.jump),
        "start": [s.numerator / s.denominator for s in rf.start],  # float(Fraction), without its 1.5 us dispatch
    }


def explain_lines(plan: Plan, lp: LayerPlan) -> list[str]:
    r = lp.result
    lines = list(r.explain) + requirement_lines(plan, lp)
    if lp.params != 0 or r.kernel is not None:
        lines.append(f"params: {r.params_formula} = {num(lp.params)}")
    if r.macs != 0:
        lines.append(f"MACs: {r.macs_formula} = {num(r.macs)}")
    return lines + lp.rf_explain + [layer_line(plan, lp)]


def mismatch_text(plan: Plan, quantity: str, value: Any) -> str:
    """A planned or observed value as one line of text (a receptive field as ``size 5x5, ...``)."""
    value = mismatch_value(plan, quantity, value)
    if not isinstance(value, dict):
        return str(value)
    text = ", ".join(f"{key} {_axes(v)}" for key, v in value.items() if key != "unit")
    unit = value.get("unit")
    if unit:
        seen = "nothing" if unit["probed"] is None else "pixels {:g}..{:g}".format(*unit["probed"])
        text += (f" (unit at {unit['position']}, axis {unit['axis']}: {seen}, "
                 "planned {:g}..{:g})".format(*unit["planned"]))
    return text


def _axes(values: list[Any]) -> str:
    """Per-axis numbers as ``5x9`` (``?`` where the probe could not measure one)."""
    return "x".join("?" if x is None else f"{x:g}" for x in values)


def requirement_lines(plan: Plan, lp: LayerPlan) -> list[str]:
    """The layer's requirements on symbols without a value, each with the values meeting it."""
    lines = []
    for req in plan.requirements:
        if req.index == lp.node.index and not symbols(req.expr) & {
                name for name, value in plan.symbols.items() if value is not None}:
            (name, *more) = sorted(symbols(req.expr))
            fits = f": {name} >= {req.least}" if req.least is not None else ""
            lines.append(f"needs {req.text} ({req.name}){fits}")
    return lines


def mismatch_value(plan: Plan, quantity: str, value: Any) -> Any:
    """A planned or observed value as the user sees it (layout and kernel layout applied)."""
    if isinstance(value, tuple) and quantity == "output_shape":
        value = display_shape(value, plan.layout)
    elif isinstance(value, tuple) and quantity == "kernel_shape":
        value = display_kernel(value, plan.kernel_layout)
    if isinstance(value, tuple):
        return [dim_json(v) for v in value]
    if isinstance(value, dict):
        return value
    return dim_json(value) if isinstance(value, int) or not isinstance(value, (str, float, type(None))) else value
