"""Depthwise and depthwise-separable convolution, as Keras defines them.

``depthwise_conv`` (Keras DepthwiseConv2D; PyTorch ``Conv2d(C, C*m, k, groups=C)``): each of the
C input channels is convolved with its own ``m`` (``multiplier``) kernels, giving ``C*m``
channels; output channel ``c*m + j`` comes from input channel ``c``.

    params = C*m*prod(kernel) + C*m (bias)
    macs   = prod(output spatial) * C*m * prod(kernel)

``separable_conv`` (Keras SeparableConv2D): the same depthwise stage without a bias, then a
pointwise (1x1) conv from ``C*m`` to ``filters`` channels with a bias.

    params = C*m*prod(kernel) + C*m*filters + filters (bias)
    macs   = prod(output spatial) * C*m * prod(kernel) + prod(output spatial) * C*m * filters

The kernel shown is the depthwise kernel. In ``hwio`` it is Keras' ``(k..., C, m)``; in ``oihw``
PyTorch's ``(C*m, 1, k...)`` (a grouped conv's weight), which is not the plain (O, I, spatial...)
transform of Keras' shape, so the layer reports it itself (``Result.oihw``). The pointwise
kernel, ``(1..., C*m, filters)`` in Keras, is named in the explanation. Spatial arithmetic and
the receptive field are a conv's (the 1x1 stage changes neither).
"""

from __future__ import annotations

from .base import (
    Arg,
    Ctx,
    LayerType,
    Node,
    Result,
    Shape,
    channels,
    fmt,
    ints,
    per_axis,
    pos_int,
    product,
    register,
    spatial_rank,
)
from .conv import CONV_ARGS, compact_size, kernel_and_filters, slide_axes, window_rf
from .pool import compact_kernel


def _depthwise(node: Node, shape: Shape, kernel: tuple[int, ...]) -> tuple[Result, int, int]:
    """The depthwise stage without bias; returns it with C and m."""
    rank = len(kernel)
    c, m = channels(shape, node.type), node.args["multiplier"]
    stride = per_axis(node.args["stride"], rank, "stride")
    dilation = per_axis(node.args["dilation"], rank, "dilation")
    axes = slide_axes(shape, kernel, stride, dilation, node.args["padding"])
    out_spatial = tuple(a.out for a in axes)
    ktext = "*".join(map(str, kernel))
    return Result(
        output=out_spatial + (c * m,),
        kernel=tuple(kernel) + (c, m),
        oihw=(c * m, 1) + tuple(kernel),
        trainable=c * m * product(kernel),
        params_formula=f"{c}*{m}*{ktext}",
        macs=product(out_spatial) * c * m * product(kernel),
        macs_formula="*".join(fmt(a) for a in out_spatial) + f"*{c}*{m}*{ktext}",
        explain=[f"axis {i}: {a.explain}" for i, a in enumerate(axes)],
        constraints=[a.constraint for a in axes if a.constraint is not None],
        rf=window_rf(axes, kernel, stride, dilation),
    ), c, m


def infer_depthwise(node: Node, inputs: list[Shape], ctx: Ctx) -> Result:
    (shape,) = inputs
    kernel = per_axis(node.args["kernel"], spatial_rank(shape, node.type), "kernel")
    r, c, m = _depthwise(node, shape, kernel)
    if node.args["bias"]:
        r.bias = (c * m,)
        r.trainable = r.trainable + c * m
        r.params_formula += f"+{c}*{m}"
    return r


def infer_separable(node: Node, inputs: list[Shape], ctx: Ctx) -> Result:
    (shape,) = inputs
    rank = spatial_rank(shape, node.type)
    kernel, filters = kernel_and_filters(node, rank)
    r, c, m = _depthwise(node, shape, kernel)
    positions = product(r.output[:-1])
    pointwise = (1,) * rank + (c * m, filters)
    r.output = r.output[:-1] + (filters,)
    r.trainable = r.trainable + c * m * filters + (filters if node.args["bias"] else 0)
    r.params_formula += f" + {c}*{m}*{filters}" + (f" + {filters}" if node.args["bias"] else "")
    r.bias = (filters,) if node.args["bias"] else None
    r.macs = r.macs + positions * c * m * filters
    r.macs_formula += " + " + "*".join(fmt(a) for a in r.output[:-1]) + f"*{c}*{m}*{filters}"
    r.explain.append(f"depthwise kernel {tuple(kernel) + (c, m)}, pointwise kernel {pointwise} (Keras order)")
    return r


_SHARED = {name: CONV_ARGS[name] for name in ("stride", "padding", "dilation", "bias")}
_MULTIPLIER = Arg(pos_int, 1, "depth multiplier m: output channels per input channel")

register(
    LayerType(
        name="depthwise_conv",
        args={"kernel": Arg(ints(pos_int), doc="kernel size: an int or one per spatial axis"),
              "multiplier": _MULTIPLIER, **_SHARED},
        infer=infer_depthwise,
        doc="depthwise convolution (Keras DepthwiseConv2D; PyTorch Conv2d with groups=C)",
        macs_doc="output positions x C*m x kernel size",
        compact=compact_kernel,
    )
)

register(
    LayerType(
        name="separable_conv",
        args={**{n: CONV_ARGS[n] for n in ("filters", "kernel", "size")}, "multiplier": _MULTIPLIER, **_SHARED},
        infer=infer_separable,
        doc="depthwise-separable convolution (Keras SeparableConv2D): depthwise, then a 1x1 conv",
        macs_doc="output positions x C*m x (kernel size + filters)",
        compact=compact_size,
    )
)
