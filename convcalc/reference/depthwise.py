"""Depthwise and separable convolution on real arrays, Keras' way.

The depthwise weight is drawn as Keras stores it, ``(k..., C, m)``; output channel ``c*m + j``
is input channel ``c`` convolved with kernel ``[..., c, j]``. The product is the grouped im2col
conv with one group per channel: one batched matmul over the C channels (no loop over them),
``(C, positions, taps) @ (C, taps, m)``. Separable adds the pointwise stage, one matmul
``(positions, C*m) @ (C*m, filters)``, and puts its bias there (the depthwise stage has none).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .core import Observed, RunCtx, draw, he_scale, matmul, prod, register
from .sliding import per_axis, resolve_pads
from .spatial import conv_nd


def _kernel(args: dict, rank: int) -> tuple[int, ...]:
    if args.get("kernel") is not None:
        return per_axis(args["kernel"], rank, "kernel")
    size = tuple(args["size"])  # separable's compact form: kernel sizes, then filters
    if len(size) != rank + 1:
        raise ValueError(f"compact size {size} does not fit {rank} spatial axes")
    return size[:-1]


def depthwise(x: np.ndarray, args: dict, rng: np.random.Generator) -> tuple[np.ndarray, dict, int]:
    """The depthwise stage without bias: output, its weight and its MACs."""
    rank, c = x.ndim - 2, x.shape[-1]
    kernel, m = _kernel(args, rank), int(args.get("multiplier", 1))
    stride = per_axis(args.get("stride", 1), rank, "stride")
    dilation = per_axis(args.get("dilation", 1), rank, "dilation")
    weight = draw(rng, kernel + (c, m), he_scale(prod(kernel)))
    pads = resolve_pads(args.get("padding", "valid"), x.shape[1:-1], kernel, stride, dilation)
    # (k..., C, m) flattened over (C, m) is a grouped HWIO weight (k..., 1, C*m) with C groups
    out, macs = conv_nd(x, weight.reshape(kernel + (1, c * m)), stride, dilation, pads, groups=c)
    return out, {"kernel": weight}, macs


def _scratch(in_shapes: Sequence[tuple[int, ...]], out_shape: tuple[int, ...], args: dict) -> int:
    """Padded input, the im2col matrix (positions x taps x C) and the depthwise output."""
    (shape,) = in_shapes
    kernel, m = _kernel(args, len(shape) - 1), int(args.get("multiplier", 1))
    positions = prod(out_shape[:-1])
    return 2 * prod(shape) + positions * prod(kernel) * shape[-1] + 2 * positions * shape[-1] * m


@register("depthwise_conv", scratch=_scratch)
def depthwise_conv(x: np.ndarray, args: dict, ctx: RunCtx, rng: np.random.Generator) -> Observed:
    out, weights, macs = depthwise(x, args, rng)
    if args.get("bias", True):
        weights["bias"] = draw(rng, out.shape[-1:], 0.1)
        out = out + weights["bias"]
    return Observed(np.ascontiguousarray(out, dtype=np.float32), weights, set(), macs)


@register("separable_conv", scratch=_scratch)
def separable_conv(x: np.ndarray, args: dict, ctx: RunCtx, rng: np.random.Generator) -> Observed:
    rank = x.ndim - 2
    filters = int(args["filters"]) if args.get("filters") is not None else int(args["size"][-1])
    mid, weights, macs = depthwise(x, args, rng)
    cm = mid.shape[-1]
    weights["pointwise"] = draw(rng, (1,) * rank + (cm, filters), he_scale(cm))
    out, pw_macs = matmul(mid.reshape(-1, cm), weights["pointwise"].reshape(cm, filters))
    out = out.reshape(mid.shape[:-1] + (filters,))
    if args.get("bias", True):
        weights["bias"] = draw(rng, (filters,), 0.1)
        out = out + weights["bias"]
    return Observed(np.ascontiguousarray(out, dtype=np.float32), weights, set(), macs + pw_macs)
