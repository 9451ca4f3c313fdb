"""Sliding-window ops on real arrays: conv (any spatial rank, groups, dilation) and pooling.

Convolution is im2col: a strided view of every (dilated) window of the padded input, copied
once into a ``(groups, positions, C_in/groups * prod(kernel))`` matrix and multiplied by the
weight in one batched float32 matmul. The weight is drawn in canonical HWIO,
``(kernel..., C_in/groups, filters)``; only a reordered copy of it enters the product.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .core import Observed, RunCtx, draw, he_scale, matmul, prod, register
from .sliding import Pads, ceil_mode_counts, extents, pad, per_axis, resolve_pads, windows


def _conv_geometry(args: dict, rank: int) -> tuple[tuple[int, ...], int, tuple[int, ...], tuple[int, ...]]:
    if args.get("size") is not None:
        size = tuple(args["size"])
        if len(size) != rank + 1:
            raise ValueError(f"compact size {size} does not fit {rank} spatial axes")
        kernel, filters = size[:-1], size[-1]
    else:
        kernel, filters = per_axis(args["kernel"], rank, "kernel"), int(args["filters"])
    stride = per_axis(args.get("stride", 1), rank, "stride")
    return kernel, filters, stride, per_axis(args.get("dilation", 1), rank, "dilation")


def conv_scratch(in_shapes: Sequence[tuple[int, ...]], out_shape: tuple[int, ...], args: dict) -> int:
    """Padded input + the im2col matrix (+ the regrouped output when groups > 1)."""
    (shape,) = in_shapes
    rank = len(shape) - 1
    kernel, filters, stride, dilation = _conv_geometry(args, rank)
    pads = resolve_pads(args.get("padding", "valid"), shape[:-1], kernel, stride, dilation)
    padded = prod(n + b + a for n, (b, a) in zip(shape[:-1], pads)) * shape[-1]
    cols = prod(out_shape[:-1]) * prod(kernel) * shape[-1]
    regroup = prod(out_shape) if args.get("groups", 1) > 1 else 0
    return padded + cols + regroup


def conv_nd(
    x: np.ndarray, weight: np.ndarray, stride: Sequence[int], dilation: Sequence[int], pads: Pads, groups: int = 1
) -> tuple[np.ndarray, int]:
    """Cross-correlate ``(1, spatial..., C)`` with an HWIO weight; returns (output, MACs).

    Any spatial rank. ``weight`` is ``(k..., C/groups, filters)``; filter ``f`` reads the channels
    of group ``f // (filters/groups)``.
    """
    rank = x.ndim - 2
    kernel, cg, filters = tuple(weight.shape[:rank]), weight.shape[rank], weight.shape[rank + 1]
    if x.shape[-1] != cg * groups or filters % groups:
        raise ValueError(f"a {weight.shape} weight with groups={groups} does not fit {x.shape[-1]} channels")
    fg, taps = filters // groups, prod(kernel)
    view = windows(pad(x, pads), kernel, stride, dilation)  # (1, out..., C, k...)
    out_spatial = view.shape[1 : 1 + rank]
    positions = prod(out_spatial)
    # split C into (groups, C/groups), bring groups first and copy into the im2col matrix: rows
    # are output positions, columns (C/groups, k...) in the view's own order
    view = view.reshape(view.shape[: 1 + rank] + (groups, cg) + kernel)
    cols = np.moveaxis(view, 1 + rank, 0).reshape(groups, positions, cg * taps)
    # HWIO (k..., cg, groups*fg) -> (groups, cg, k..., fg) -> (groups, cg*taps, fg)
    w = weight.reshape(kernel + (cg, groups, fg))
    w = w.transpose((rank + 1, rank) + tuple(range(rank)) + (rank + 2,)).reshape(groups, cg * taps, fg)
    y, macs = matmul(cols, w)  # (groups, positions, fg)
    del cols
    y = y[0] if groups == 1 else y.transpose(1, 0, 2)
    return y.reshape((1,) + tuple(out_spatial) + (filters,)), macs


@register("conv", scratch=conv_scratch)
def conv(x: np.ndarray, args: dict, ctx: RunCtx, rng: np.random.Generator) -> Observed:
    rank = x.ndim - 2
    cin = x.shape[-1]
    kernel, filters, stride, dilation = _conv_geometry(args, rank)
    groups = int(args.get("groups", 1))
    if cin % groups or filters % groups:
        raise ValueError(f"groups={groups} must divide C_in={cin} and filters={filters}")
    cg = cin // groups
    weights = {"kernel": draw(rng, tuple(kernel) + (cg, filters), he_scale(cg * prod(kernel)))}
    pads = resolve_pads(args.get("padding", "valid"), x.shape[1:-1], kernel, stride, dilation)
    out, macs = conv_nd(x, weights["kernel"], stride, dilation, pads, groups)
    if args.get("bias", True):
        weights["bias"] = draw(rng, (filters,), 0.1)
        out = out + weights["bias"]
    return Observed(np.ascontiguousarray(out), weights, set(), macs)


def pool_nd(
    x: np.ndarray,
    op: str,
    kernel: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
    pads: Pads,
    ceil_mode: bool = False,
) -> np.ndarray:
    """Max (``op="max"``) or mean (``"avg"``, padding not counted) over every window."""
    rank = x.ndim - 2
    axes = tuple(range(-rank, 0))
    counts = None
    if ceil_mode:
        effs = extents(kernel, dilation)
        counts = ceil_mode_counts(x.shape[1:-1], pads, stride, effs)
        # the windows of a last, partial step may run past the padded input: pad for them too
        pads = tuple(
            (b, a + max(0, (c - 1) * s + e - (b + n + a)))
            for (b, a), c, s, e, n in zip(pads, counts, stride, effs, x.shape[1:-1])
        )

    def view(a: np.ndarray, fill: float) -> np.ndarray:
        v = windows(pad(a, pads, fill), kernel, stride, dilation)
        return v if counts is None else v[(slice(None),) + tuple(slice(0, c) for c in counts)]

    if op == "max":
        return view(x, -np.inf).max(axis=axes)
    total = view(x, 0.0).sum(axis=axes, dtype=np.float32)
    count = view(np.ones(x.shape[:-1] + (1,), dtype=np.float32), 0.0).sum(axis=axes, dtype=np.float32)
    return total / np.maximum(count, np.float32(1))


def pool_scratch(in_shapes: Sequence[tuple[int, ...]], out_shape: tuple[int, ...], args: dict) -> int:
    """The padded input, and for averages a padded count mask (a generous bound)."""
    (shape,) = in_shapes
    return 2 * prod(shape) + 2 * prod(out_shape)


def window_geometry(layer_type: str, args: dict, sizes: Sequence[int]) -> tuple:
    """(kernel, stride, dilation, pads, ceil_mode) of a conv or pooling layer over ``sizes``."""
    rank = len(sizes)
    if layer_type == "conv":
        kernel, _, stride, dilation = _conv_geometry(args, rank)
    else:
        kernel = per_axis(args["kernel"], rank, "kernel")
        stride_arg = args.get("stride")  # absent: the kernel size
        stride = per_axis(stride_arg if stride_arg is not None else args["kernel"], rank, "stride")
        dilation = per_axis(args.get("dilation", 1), rank, "dilation")
    pads = resolve_pads(args.get("padding", "valid"), sizes, kernel, stride, dilation)
    return kernel, stride, dilation, pads, bool(args.get("ceil_mode", False))


def _pool(op: str):
    def forward(x: np.ndarray, args: dict, ctx: RunCtx, rng: np.random.Generator) -> Observed:
        return Observed(pool_nd(x, op, *window_geometry(f"{op}pool", args, x.shape[1:-1])))

    forward.__name__ = f"{op}pool"
    return forward


register("maxpool", scratch=pool_scratch)(_pool("max"))
register("avgpool", scratch=pool_scratch)(_pool("avg"))


def _global(op: str):
    def fn(x: np.ndarray, args: dict, ctx: RunCtx, rng: np.random.Generator) -> Observed:
        reduce = np.max if op == "max" else np.mean
        out = reduce(x, axis=tuple(range(1, x.ndim - 1)), keepdims=bool(args.get("keepdims", False)))
        return Observed(out.astype(np.float32, copy=False))

    fn.__name__ = f"global_{op}pool"
    return fn


register("global_avgpool")(_global("avg"))
register("global_maxpool")(_global("max"))
