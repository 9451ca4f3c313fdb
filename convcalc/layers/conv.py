"""Convolution: ``conv`` (1D/2D/3D by the input's rank, groups, dilation, bias).

params = filters * (C_in/groups * prod(kernel) + 1 if bias)
macs   = prod(output spatial) * filters * (C_in/groups * prod(kernel))
The kernel is HWIO: (spatial..., C_in/groups, filters); fvcore's observation that the weight
carries C_in/groups means grouped convs need no special case.
"""

from __future__ import annotations

from typing import Any

from ..errors import ShapeError, SpecError
from .base import (
    Arg,
    Ctx,
    LayerType,
    Node,
    Result,
    Shape,
    boolean,
    channels,
    fmt,
    ints,
    padding,
    per_axis,
    pos_int,
    product,
    register,
    spatial_rank,
)
from .window import Axis, axis_pads, slide, window_rf


def compact_size(value: Any) -> dict[str, Any]:
    """``3x3x16``: the kernel's spatial sizes then the filter count (split once the rank is known)."""
    size = value if isinstance(value, tuple) else (value,)
    return {"size": tuple(pos_int(v) for v in size)}


def kernel_and_filters(node: Node, rank: int) -> tuple[tuple[int, ...], int]:
    args = node.args
    if "size" in args:
        size = args["size"] if isinstance(args["size"], tuple) else (args["size"],)  # `size: 16` written as a key
        if len(size) != rank + 1:
            form = "x".join(["k"] * rank + ["filters"])
            raise ShapeError(
                f"compact size {'x'.join(map(str, size))} has {len(size)} part"
                f"{'s' if len(size) != 1 else ''}; a {rank}D input needs {rank + 1}: {form} "
                f"(e.g. {'x'.join(['3'] * rank + ['16'])})",
                field="size",
            )
        for name in ("kernel", "filters"):
            if name in args:
                raise SpecError(
                    f"{name} is given twice: in the compact size {'x'.join(map(str, size))} and as {name}={args[name]!r}",
                    field=name,
                )
        return size[:-1], size[-1]
    for name in ("kernel", "filters"):
        if name not in args:
            raise SpecError(f"{node.type} needs '{name}'", field=name)
    return per_axis(args["kernel"], rank, "kernel"), args["filters"]


def conv_geometry(node: Node, shape: Shape) -> tuple[int, tuple[int, ...], int, tuple[int, ...], tuple[int, ...], int]:
    """C_in, kernel, filters, stride, dilation and groups of a conv-like node (transposed too)."""
    rank = spatial_rank(shape, node.type)
    cin = channels(shape, node.type)
    kernel, filters = kernel_and_filters(node, rank)
    stride = per_axis(node.args["stride"], rank, "stride")
    dilation = per_axis(node.args["dilation"], rank, "dilation")
    groups = node.args["groups"]
    for name, value in (("input channels", cin), ("filters", filters)):
        if value % groups:
            raise ShapeError(f"groups={groups} does not divide the {name} ({value})", field="groups")
    return cin, kernel, filters, stride, dilation, groups


def infer_conv(node: Node, inputs: list[Shape], ctx: Ctx) -> Result:
    (shape,) = inputs
    cin, kernel, filters, stride, dilation, groups = conv_geometry(node, shape)
    axes = slide_axes(shape, kernel, stride, dilation, node.args["padding"])
    out_spatial = tuple(a.out for a in axes)
    per_filter = cin // groups * product(kernel)
    bias = node.args["bias"]
    ktext = "*".join(map(str, kernel))
    params = filters * (per_filter + (1 if bias else 0))
    formula = f"{filters}*({cin // groups}*{ktext}{'+1' if bias else ''})"
    macs = product(out_spatial) * filters * per_filter
    macs_formula = "*".join(fmt(a) for a in out_spatial) + f"*{filters}*{cin // groups}*{ktext}"
    return Result(
        output=out_spatial + (filters,),
        kernel=tuple(kernel) + (cin // groups, filters),
        bias=(filters,) if bias else None,
        trainable=params,
        params_formula=formula,
        macs=macs,
        macs_formula=macs_formula,
        explain=[f"axis {i}: {a.explain}" for i, a in enumerate(axes)],
        constraints=[a.constraint for a in axes if a.constraint is not None],
        rf=window_rf(axes, kernel, stride, dilation),
    )


def slide_axes(shape: Shape, kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...],
               pad: Any) -> list[Axis]:
    """Every spatial axis of a conv-like sliding window (shared by the depthwise family)."""
    rank = len(kernel)
    axes = []
    for i in range(rank):
        eff = dilation[i] * (kernel[i] - 1) + 1
        axes.append(slide(shape[i], kernel[i], stride[i], dilation[i], axis_pads(pad, rank, i, eff), axis=i))
    return axes


CONV_ARGS = {
    "filters": Arg(pos_int, None, "number of output channels"),
    "kernel": Arg(ints(pos_int), None, "kernel size: an int or one per spatial axis"),
    "size": Arg(ints(pos_int), None, "the compact form's kernel sizes then filters (3x3x16)"),
    "stride": Arg(ints(pos_int), 1, "stride: an int or one per spatial axis"),
    "padding": Arg(padding, "valid", "valid | same | causal | full | int | list"),
    "dilation": Arg(ints(pos_int), 1, "dilation: an int or one per spatial axis"),
    "groups": Arg(pos_int, 1, "groups: C_in and filters must both be divisible by it"),
    "bias": Arg(boolean, True, "whether the layer has a bias"),
}

register(
    LayerType(
        name="conv",
        args=CONV_ARGS,
        infer=infer_conv,
        doc="convolution over 1, 2 or 3 spatial axes (Keras ConvND / PyTorch nn.ConvNd)",
        macs_doc="output positions x filters x (C_in/groups x kernel size)",
        compact=compact_size,
    )
)
