"""Borders: ``zeropad`` (Keras ZeroPaddingND) and ``crop`` (Keras CroppingND). No parameters,
0 MACs.

``padding`` / ``cropping``: an int (both sides of every axis), one int per spatial axis (both
sides of that axis), or one ``[before, after]`` pair per axis. Output per axis:
``n + before + after`` (zeropad) or ``n - before - after`` (crop, which must leave at least one
element). The receptive field is unchanged in size and jump; only the first unit's centre moves:
a 1-wide window with padding ``before`` (zeropad) or ``-before`` (crop).
"""

from __future__ import annotations

from typing import Any

from ..dims import is_concrete
from ..errors import ShapeError, SpecError, show
from .base import Arg, Ctx, LayerType, Node, Result, Shape, compact_as, describe, fmt, padding, register, spatial_rank
from .window import axis_pads


@describe({"anyOf": [s for s in padding.json_schema["anyOf"] if "enum" not in s]})  # type: ignore[attr-defined]
def amounts(v: Any) -> Any:
    """An int, one int per axis, or [before, after] pairs: ``padding`` without its words."""
    if isinstance(v, str):
        raise SpecError(f"expected an int, a list of ints or of [before, after] pairs, got {show(v)}",
                        hint="valid/same/full are conv paddings; here give the sizes")
    return padding(v)


def _pairs(node: Node, shape: Shape, name: str) -> list[tuple[int, int]]:
    rank = spatial_rank(shape, node.type)
    return [axis_pads(node.args[name], rank, i, 1) for i in range(rank)]  # type: ignore[misc]


def infer_zeropad(node: Node, inputs: list[Shape], ctx: Ctx) -> Result:
    (shape,) = inputs
    pairs = _pairs(node, shape, "padding")
    out = tuple(n + b + a for n, (b, a) in zip(shape, pairs))
    explain = [f"axis {i}: {fmt(n)}+{b}+{a} = {fmt(o)}" for i, (n, (b, a), o) in enumerate(zip(shape, pairs, out))]
    return Result(output=out + (shape[-1],), explain=explain, rf=tuple((1, 1, b) for b, _ in pairs))


def infer_crop(node: Node, inputs: list[Shape], ctx: Ctx) -> Result:
    (shape,) = inputs
    pairs = _pairs(node, shape, "cropping")
    out = tuple(n - b - a for n, (b, a) in zip(shape, pairs))
    constraints = []
    for i, (n, (b, a)) in enumerate(zip(shape, pairs)):
        if not is_concrete(n):
            constraints.append((n, b + a + 1, f"size on axis {i} >= {b + a + 1}"))
        elif n - b - a < 1:
            raise ShapeError(f"cropping {b}+{a} from {n} on spatial axis {i} leaves nothing", field="cropping")
    explain = [f"axis {i}: {fmt(n)}-{b}-{a} = {fmt(o)}" for i, (n, (b, a), o) in enumerate(zip(shape, pairs, out))]
    return Result(output=out + (shape[-1],), explain=explain, constraints=constraints,
                  rf=tuple((1, 1, -b) for b, _ in pairs))


register(LayerType(
    name="zeropad",
    args={"padding": Arg(amounts, 1, "int | one int per axis | [before, after] per axis (Keras' default 1)")},
    infer=infer_zeropad,
    doc="pad the spatial axes with zeros (Keras ZeroPaddingND)",
    compact=compact_as("padding"),
))
register(LayerType(
    name="crop",
    args={"cropping": Arg(amounts, 0, "int | one int per axis | [before, after] per axis")},
    infer=infer_crop,
    doc="cut the borders of the spatial axes (Keras CroppingND)",
    compact=compact_as("cropping"),
))
