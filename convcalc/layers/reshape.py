"""Layers that rearrange axes: ``permute`` and ``reshape``. No parameters, 0 MACs.

Both are written in the *displayed* layout, the one the user gave the input in: in ``chw``,
``permute: [1, 0, 2]`` swaps C and H of a ``C x H x W`` tensor, exactly as PyTorch's
``x.permute(0, 2, 1, 3)`` does, and ``reshape`` reads and writes elements in the displayed
row-major order (``x.reshape``/``view``), not in the engine's channels-last order.

Afterwards the engine's canonical shape is again "channels last", obtained from the displayed
result by the layout's fixed rule: in ``chw`` the *first* displayed axis is the channel axis.
This is what the next layer in PyTorch sees: after ``(16, 3, 1920, 1080).permute(0, 2, 1, 3)`` a
Conv2d reads 1920 channels over a 3 x 1080 map. In ``hwc`` (Keras) the last axis is the channel
axis before and after. Both layers drop the receptive field, which no longer follows the axes.
"""

from __future__ import annotations

import re
from typing import Any

from ..dims import Dim, is_concrete
from ..errors import ShapeError, SpecError
from .base import Arg, Ctx, LayerType, Node, Result, Shape, compact_as, describe, fmt, int_list, product, register


def displayed(shape: Shape, layout: str) -> Shape:
    """Canonical (channels last) -> the user's layout (the engine's display rule)."""
    return (shape[-1],) + tuple(shape[:-1]) if layout == "chw" and len(shape) > 1 else shape


def canonical(shape: Shape, layout: str) -> Shape:
    """The inverse of :func:`displayed`."""
    return tuple(shape[1:]) + (shape[0],) if layout == "chw" and len(shape) > 1 else shape


def _text(shape: Shape) -> str:
    return "x".join(fmt(s) for s in shape)


def infer_permute(node: Node, inputs: list[Shape], ctx: Ctx) -> Result:
    (shape,) = inputs
    order = node.args["order"]
    if sorted(order) != list(range(len(shape))):
        raise ShapeError(
            f"order {list(order)} is not a permutation of the {len(shape)} axes 0..{len(shape) - 1}",
            field="order", hint="list every non-batch axis once, 0-based, in the displayed layout",
        )
    shown = displayed(shape, ctx.layout)
    out = tuple(shown[i] for i in order)
    return Result(output=canonical(out, ctx.layout), explain=[f"{_text(shown)} -> {_text(out)}"])


def _fill(total: Dim, target: tuple[int, ...]) -> tuple[Dim, ...]:
    """The target with its -1 (if any) resolved so that the element count is ``total``."""
    known = product(t for t in target if t != -1)
    if -1 not in target:
        if not (is_concrete(total) and total == known):
            raise ShapeError(f"reshape to {list(target)} needs {known} elements, the input has {fmt(total)}",
                             field="shape", hint="write -1 for the one size to infer")
        return target
    size = total // known
    if size * known != total or (is_concrete(size) and size < 1):  # type: ignore[operator]
        raise ShapeError(f"{fmt(total)} elements do not divide into {list(target)}", field="shape")
    return tuple(size if t == -1 else t for t in target)


def infer_reshape(node: Node, inputs: list[Shape], ctx: Ctx) -> Result:
    (shape,) = inputs
    total = product(shape)
    out = _fill(total, node.args["shape"])
    text = f"{_text(displayed(shape, ctx.layout))} ({fmt(total)} elements) -> {_text(out)}"
    return Result(output=canonical(out, ctx.layout), explain=[text])


_SIZES = re.compile(r"-?\d+(x-?\d+)*")


@describe({"anyOf": [{"type": "integer"}, {"type": "string", "pattern": f"^{_SIZES.pattern}$"},
                     {"type": "array", "items": {"type": "integer"}, "minItems": 1}]})
def target_shape(v: Any) -> tuple[int, ...]:
    """``[7, -1, 32]``, ``7x-1x32`` or one int: positive sizes and at most one -1."""
    if isinstance(v, str) and _SIZES.fullmatch(v.strip()):
        v = [int(p) for p in v.strip().split("x")]
    elif isinstance(v, int) and not isinstance(v, bool):
        v = [v]
    sizes = int_list(v)
    if not sizes or any(s == 0 or s < -1 for s in sizes) or sizes.count(-1) > 1:
        raise SpecError(f"a target shape has positive sizes and at most one -1, got {list(sizes)}")
    return sizes


register(LayerType(
    name="permute",
    args={"order": Arg(int_list, doc="a permutation of the non-batch axes, 0-based, in the displayed layout")},
    infer=infer_permute,
    doc="reorder the axes (PyTorch permute without the batch axis; Keras Permute counts from 1)",
    compact=compact_as("order"),
))
register(LayerType(
    name="reshape",
    args={"shape": Arg(target_shape, doc="the new shape in the displayed layout; one size may be -1")},
    infer=infer_reshape,
    doc="reshape without the batch axis, in the displayed layout's element order",
    compact=compact_as("shape"),
))
