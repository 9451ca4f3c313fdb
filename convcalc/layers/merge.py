"""Merge layers: ``add`` and ``multiply`` (numpy broadcasting) and ``concat`` (along one axis).

All three take two or more inputs (``from: [a, b]``), have no parameters and count 0 MACs: an
element-wise sum or product multiplies no weights. Shapes are compared in the *displayed*
layout (``chw`` shows channels first), the layout the user writes and reads, so broadcasting and
``concat``'s ``axis`` mean there what they mean in numpy and PyTorch; the result is converted
back to the engine's canonical channels-last order.

Broadcasting follows numpy: shapes are aligned on their last axes, a missing axis counts as 1,
and on each axis all sizes other than 1 must be equal. ``concat``'s inputs must have the same
rank and equal sizes except along ``axis`` (default: the channel axis; an explicit axis is an
index into the displayed shape, negative counts from the end).

Receptive field: where every input has the output's spatial sizes (no broadcasting over a
spatial axis, a concat over channels), output unit ``u`` reads unit ``u`` of every input, so the
window is the identity and the engine merges the inputs' fields (convcalc/fields.py);
otherwise the field ends.
"""

from __future__ import annotations

from typing import Any

from ..errors import ShapeError, SpecError, show
from .base import Arg, Ctx, LayerType, Node, Result, Shape, describe, fmt, register


def _chw(shape: Shape, ctx: Ctx) -> bool:
    return ctx.layout == "chw" and len(shape) > 1


def displayed(shape: Shape, ctx: Ctx) -> Shape:
    return (shape[-1],) + tuple(shape[:-1]) if _chw(shape, ctx) else tuple(shape)


def canonical(shape: Shape, ctx: Ctx) -> Shape:
    return tuple(shape[1:]) + (shape[0],) if _chw(shape, ctx) else tuple(shape)


def shape_str(shape: Shape) -> str:
    return "x".join(fmt(s) for s in shape) if shape else "()"


def _conflict(node: Node, shapes: list[Shape], i: int, j: int, what: str) -> ShapeError:
    a, b = node.inputs[i], node.inputs[j]
    return ShapeError(
        f"inputs {a} ({shape_str(shapes[i])}) and {b} ({shape_str(shapes[j])}) {what}",
        field="from",
        hint="shapes are compared in the displayed layout; check the layers that feed this merge",
    )


def broadcast(node: Node, shapes: list[Shape]) -> Shape:
    """numpy's rule over any number of shapes; the error names the first two that conflict."""
    rank = max(len(s) for s in shapes)
    out: list[Any] = []
    for back in range(rank, 0, -1):
        size, owner = 1, None
        for i, shape in enumerate(shapes):
            if back > len(shape) or shape[-back] == 1:
                continue
            if owner is None:
                size, owner = shape[-back], i
            elif shape[-back] != size:
                axis = len(shapes[owner]) - back
                raise _conflict(node, shapes, owner, i, f"do not broadcast: axis {axis} is "
                                f"{fmt(size)} vs {fmt(shape[-back])} (sizes must match or be 1)")
        out.append(size)
    return tuple(out)


def same_grid(inputs: list[Shape], out: Shape) -> tuple[tuple[int, int, int], ...] | None:
    """The identity window per spatial axis when every input has the output's spatial sizes."""
    if any(len(s) != len(out) or tuple(s[:-1]) != tuple(out[:-1]) for s in inputs) or len(out) < 2:
        return None
    return ((1, 1, 0),) * (len(out) - 1)


def infer_elementwise(node: Node, inputs: list[Shape], ctx: Ctx) -> Result:
    shapes = [displayed(s, ctx) for s in inputs]
    out = broadcast(node, shapes)
    sign = " * " if node.type == "multiply" else " + "
    explain = [f"{sign.join(shape_str(s) for s in shapes)} -> {shape_str(out)}"]
    output = canonical(out, ctx)
    return Result(output=output, explain=explain, rf=same_grid(inputs, output))


def _axis(node: Node, shapes: list[Shape], ctx: Ctx) -> int:
    rank = len(shapes[0])
    axis = node.args.get("axis")
    if axis is None:
        return 0 if ctx.layout == "chw" and rank > 1 else rank - 1
    if not -rank <= axis < rank:
        raise ShapeError(f"axis {axis} is out of range for inputs of rank {rank} "
                         f"(use {-rank}..{rank - 1})", field="axis")
    return axis % rank


def infer_concat(node: Node, inputs: list[Shape], ctx: Ctx) -> Result:
    shapes = [displayed(s, ctx) for s in inputs]
    for j, shape in enumerate(shapes[1:], 1):
        if len(shape) != len(shapes[0]):
            raise _conflict(node, shapes, 0, j, "have different ranks; concat needs equal ranks")
    axis = _axis(node, shapes, ctx)
    for j, shape in enumerate(shapes[1:], 1):
        for k, (a, b) in enumerate(zip(shapes[0], shape)):
            if k != axis and a != b:
                raise _conflict(node, shapes, 0, j, f"must match except on the concat axis {axis}: "
                                f"axis {k} is {fmt(a)} vs {fmt(b)}")
    total: Any = sum((s[axis] for s in shapes), 0)
    out = tuple(total if k == axis else size for k, size in enumerate(shapes[0]))
    explain = [f"axis {axis}: {' + '.join(fmt(s[axis]) for s in shapes)} = {fmt(total)}"]
    output = canonical(out, ctx)
    return Result(output=output, explain=explain, rf=same_grid(inputs, output))


@describe({"type": "integer"})
def integer(v: Any) -> int:
    if not isinstance(v, int) or isinstance(v, bool):
        raise SpecError(f"expected an integer, got {show(v)}")
    return v


for _name, _doc in (("add", "element-wise sum"), ("multiply", "element-wise product")):
    register(LayerType(name=_name, args={}, infer=infer_elementwise, inputs=0,
                       doc=f"{_doc} of two or more inputs (numpy broadcasting)"))

register(
    LayerType(
        name="concat",
        args={"axis": Arg(integer, None, "displayed axis index (negative from the end); default: channels")},
        infer=infer_concat,
        inputs=0,
        doc="concatenation of two or more inputs along one axis",
        compact=lambda v: {"axis": v},
    )
)
