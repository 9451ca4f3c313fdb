"""Layers without spatial arithmetic: batchnorm, activations, dropout, flatten, dense.

batchnorm: 2*C trainable (gamma, beta; none if affine=false) and 2*C non-trainable (the moving
mean and variance, Keras' convention; PyTorch keeps them as buffers, not parameters). 0 MACs.
dense: acts on the last axis, like Keras (on the last *displayed* axis in ``chw`` layout, like
PyTorch's nn.Linear); params = units * (in + 1 if bias); macs = positions * in * units.
Its kernel is IO (in, units) in the hwio convention and OI (units, in) in oihw.
"""

from __future__ import annotations

from typing import Any

from ..dims import to_str
from .base import (
    Arg,
    Ctx,
    LayerType,
    Node,
    Result,
    Shape,
    boolean,
    channels,
    choice,
    fmt,
    pos_int,
    product,
    rate,
    register,
)


def identity(node: Node, inputs: list[Shape], ctx: Ctx) -> Result:
    return Result(output=inputs[0])


ACTIVATIONS = ("relu", "relu6", "leaky_relu", "gelu", "silu", "sigmoid", "tanh", "softmax")

for _name in ACTIVATIONS:
    register(LayerType(name=_name, args={}, infer=identity, doc=f"{_name} activation", elementwise=True))

register(
    LayerType(
        name="activation",
        args={"fn": Arg(choice(*ACTIVATIONS, "linear", "elu", "selu", "swish", "hard_swish", "mish"))},
        infer=identity,
        doc="an activation function by name",
        elementwise=True,
        compact=lambda v: {"fn": v},
    )
)

register(
    LayerType(
        name="dropout",
        args={"rate": Arg(rate, 0.5, "fraction of units dropped in training")},
        infer=identity,
        doc="dropout (identity at inference)",
        elementwise=True,
        compact=lambda v: {"rate": v},
    )
)


def infer_batchnorm(node: Node, inputs: list[Shape], ctx: Ctx) -> Result:
    (shape,) = inputs
    c = channels(shape, node.type)
    affine = node.args["affine"]
    return Result(
        output=shape,
        trainable=2 * c if affine else 0,
        non_trainable=2 * c,
        params_formula=(f"2*{c} + 2*{c} (gamma, beta + moving mean, variance)" if affine
                        else f"2*{c} (moving mean, variance)"),
    )


register(
    LayerType(
        name="batchnorm",
        args={"affine": Arg(boolean, True, "learn a scale (gamma) and shift (beta)")},
        infer=infer_batchnorm,
        doc="batch normalisation over the channel axis",
        elementwise=True,
        aliases=("bn",),
    )
)


def infer_flatten(node: Node, inputs: list[Shape], ctx: Ctx) -> Result:
    (shape,) = inputs
    out = product(shape)
    return Result(output=(out,), explain=[f"{'*'.join(fmt(s) for s in shape)} = {to_str(out)}"])


register(LayerType(name="flatten", args={}, infer=infer_flatten, doc="flatten to one axis"))


def dense_axis(shape: Shape, ctx: Ctx) -> int:
    """The axis dense acts on, as an index into the canonical (channels-last) shape."""
    return -2 if ctx.layout == "chw" and len(shape) > 1 else -1


def infer_dense(node: Node, inputs: list[Shape], ctx: Ctx) -> Result:
    (shape,) = inputs
    axis = dense_axis(shape, ctx)
    n_in = shape[axis]  # may be symbolic (after flattening T x ...): params are then expressions
    units, bias = node.args["units"], node.args["bias"]
    out = list(shape)
    out[axis] = units
    positions = product(s for i, s in enumerate(shape) if i != len(shape) + axis)
    pos_text = "" if positions == 1 else f"{fmt(positions)}*"
    return Result(
        output=tuple(out),
        kernel=(n_in, units),
        bias=(units,) if bias else None,
        trainable=units * (n_in + (1 if bias else 0)),
        params_formula=f"{units}*({to_str(n_in)}{'+1' if bias else ''})",
        macs=positions * n_in * units,
        macs_formula=f"{pos_text}{fmt(n_in)}*{units}",
    )


def _units(value: Any) -> dict[str, Any]:
    return {"units": value}


register(
    LayerType(
        name="dense",
        args={"units": Arg(pos_int, doc="output features"), "bias": Arg(boolean, True, "add a bias")},
        infer=infer_dense,
        doc="fully connected layer on the last axis (Keras Dense, PyTorch nn.Linear)",
        macs_doc="positions x in features x units",
        compact=_units,
        aliases=("linear",),
    )
)
