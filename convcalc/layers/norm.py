"""Normalisation layers besides batchnorm: ``layernorm``, ``groupnorm``, ``instancenorm``.

Each normalises by statistics of the input itself (nothing is tracked, so nothing is
non-trainable) and, with ``affine`` (default true), learns a per-channel scale and shift:
2*C parameters. All count 0 MACs.

* ``layernorm``: over the channel axis at every position, as PyTorch's ``LayerNorm(C)`` on
  channels-last data and Keras' ``LayerNormalization()`` (axis -1) in ``hwc``.
* ``groupnorm`` (PyTorch GroupNorm): ``groups`` must divide C; statistics over each group's
  channels and all spatial positions.
* ``instancenorm``: per channel over the spatial positions. ``affine`` defaults to true here, as
  the spec contract and Keras-contrib's InstanceNormalization have it; PyTorch's
  ``InstanceNorm2d`` defaults to ``affine=False``: write ``affine: false`` to match it.

Receptive field: taken as unchanged (the data path is per position; statistics pooled over the
whole map are not counted, as receptive-field calculators treat normalisation).
"""

from __future__ import annotations

from ..errors import ShapeError
from .base import Arg, Ctx, LayerType, Node, Result, Shape, boolean, channels, compact_as, pos_int, register, spatial_rank


def _affine(node: Node, shape: Shape, over: str) -> Result:
    c = channels(shape, node.type)
    affine = node.args["affine"]
    rank = len(shape) - 1
    return Result(
        output=shape,
        trainable=2 * c if affine else 0,
        params_formula=f"2*{c} (gamma, beta)" if affine else "0",
        explain=[f"statistics over {over}"],
        rf=((1, 1, 0),) * rank if rank else None,
    )


def infer_layernorm(node: Node, inputs: list[Shape], ctx: Ctx) -> Result:
    return _affine(node, inputs[0], "the channels at each position")


def infer_groupnorm(node: Node, inputs: list[Shape], ctx: Ctx) -> Result:
    (shape,) = inputs
    c, g = channels(shape, node.type), node.args["groups"]
    if c % g:
        raise ShapeError(f"groups={g} does not divide the {c} channels", field="groups")
    return _affine(node, shape, f"{g} groups of {c // g} channels and all positions")


def infer_instancenorm(node: Node, inputs: list[Shape], ctx: Ctx) -> Result:
    spatial_rank(inputs[0], node.type)
    return _affine(node, inputs[0], "all positions, per channel")


_AFFINE = Arg(boolean, True, "learn a per-channel scale (gamma) and shift (beta)")


register(LayerType(name="layernorm", args={"affine": _AFFINE}, infer=infer_layernorm,
                   doc="layer normalisation over the channel axis"))
register(LayerType(name="groupnorm", args={"groups": Arg(pos_int, doc="number of channel groups"), "affine": _AFFINE},
                   infer=infer_groupnorm, doc="group normalisation (PyTorch GroupNorm)", compact=compact_as("groups")))
register(LayerType(name="instancenorm", args={"affine": _AFFINE}, infer=infer_instancenorm,
                   doc="instance normalisation: per channel over the spatial axes"))
