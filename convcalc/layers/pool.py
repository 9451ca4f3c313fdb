"""Pooling: ``maxpool`` / ``avgpool`` (windowed) and ``global_avgpool`` / ``global_maxpool``.

Pooling has no parameters and counts 0 MACs: a max is comparisons, an average is additions and
one scale per output, neither a multiply-accumulate of weights.
"""

from __future__ import annotations

from typing import Any

from ..errors import ShapeError
from .base import (
    Arg,
    Ctx,
    LayerType,
    Node,
    Result,
    Shape,
    boolean,
    ints,
    padding,
    per_axis,
    pos_int,
    register,
    spatial_rank,
)
from .window import axis_pads, slide, window_rf


def compact_kernel(value: Any) -> dict[str, Any]:
    return {"kernel": ints(pos_int)(list(value) if isinstance(value, tuple) else value)}


def infer_pool(node: Node, inputs: list[Shape], ctx: Ctx) -> Result:
    (shape,) = inputs
    rank = spatial_rank(shape, node.type)
    kernel = per_axis(node.args["kernel"], rank, "kernel")
    stride = per_axis(node.args.get("stride") or node.args["kernel"], rank, "stride")
    dilation = per_axis(node.args.get("dilation", 1), rank, "dilation")
    axes = []
    for i in range(rank):
        eff = dilation[i] * (kernel[i] - 1) + 1
        pads = axis_pads(node.args["padding"], rank, i, eff)
        if pads != "same" and max(pads) > kernel[i] // 2:  # PyTorch's rule: the kernel, not the dilated window
            raise ShapeError(
                f"padding {max(pads)} on spatial axis {i} is more than half of the kernel size {kernel[i]}",
                field="padding", hint="PyTorch requires pool padding <= kernel/2 (so no window lies in the padding alone)",
            )
        axes.append(
            slide(shape[i], kernel[i], stride[i], dilation[i], pads, ceil_mode=node.args["ceil_mode"], axis=i)
        )
    return Result(
        output=tuple(a.out for a in axes) + (shape[-1],),
        explain=[f"axis {i}: {a.explain}" for i, a in enumerate(axes)],
        constraints=[a.constraint for a in axes if a.constraint is not None],
        rf=window_rf(axes, kernel, stride, dilation),
    )


def _pool_args(with_dilation: bool) -> dict[str, Arg]:
    args = {
        "kernel": Arg(ints(pos_int), doc="window size: an int or one per spatial axis"),
        "stride": Arg(ints(pos_int), None, "stride (default: the kernel size)"),
        "padding": Arg(padding, "valid", "valid | same | int | list"),
        "ceil_mode": Arg(boolean, False, "round the output size up (PyTorch ceil_mode)"),
    }
    if with_dilation:
        args["dilation"] = Arg(ints(pos_int), 1, "dilation: an int or one per spatial axis")
    return args


for _name, _dil in (("maxpool", True), ("avgpool", False)):
    register(
        LayerType(
            name=_name,
            args=_pool_args(_dil),
            infer=infer_pool,
            doc=f"{'max' if _name == 'maxpool' else 'average'} pooling over a sliding window",
            compact=compact_kernel,
        )
    )


def infer_global(node: Node, inputs: list[Shape], ctx: Ctx) -> Result:
    (shape,) = inputs
    rank = spatial_rank(shape, node.type)
    out = (1,) * rank + (shape[-1],) if node.args["keepdims"] else (shape[-1],)
    return Result(output=out, explain=[f"pool over all {rank} spatial axes"])


for _name in ("global_avgpool", "global_maxpool"):
    register(
        LayerType(
            name=_name,
            args={"keepdims": Arg(boolean, False, "keep the spatial axes as size 1")},
            infer=infer_global,
            doc=f"global {'average' if 'avg' in _name else 'max'} pooling over all spatial axes",
        )
    )
