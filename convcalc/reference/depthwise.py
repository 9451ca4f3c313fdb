"""Depthwise and separable convolution on real arrays, Keras' way.

The depthwise weight is drawn as Keras stores it, ``(k..., C, m)``; output channel ``c*m + j``
is input channel ``c`` convolved with kernel ``[..., c, j]``. The product is one ``einsum`` over
the window view of the padded input, ``out[o, c, j] = sum_t window[o, c, t] * w[t, c, j]``: no
copy of the windows and no loop over channels (a matmul per channel, or a batched one over C
tiny matrices, ran 5-30x slower). When the last axis has stride 1, that axis and the channels
are read as one contiguous run per tap (the weight repeated along it), so einsum's inner loop
is long. Separable adds the pointwise stage, one matmul
``(positions, C*m) @ (C*m, filters)``, and puts its bias there (the depthwise stage has none).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .core import Observed, RunCtx, draw, he_scale, matmul, prod, register
from .sliding import Pads, pad, per_axis, resolve_pads, windows


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
    out, macs = depthwise_nd(x, weight, stride, dilation, pads)
    return out, {"kernel": weight}, macs


RUN_BELOW = 256  # channels from which einsum's inner loop over C alone is as fast (measured)


def depthwise_nd(x: np.ndarray, weight: np.ndarray, stride: Sequence[int], dilation: Sequence[int],
                 pads: Pads) -> tuple[np.ndarray, int]:
    """``(1, spatial..., C)`` with a ``(k..., C, m)`` weight -> ``(1, out..., C*m)`` and its MACs
    (output elements x taps, read off the operands of the product)."""
    rank = x.ndim - 2
    kernel, c, m = weight.shape[:rank], weight.shape[rank], weight.shape[rank + 1]
    if x.shape[-1] != c:
        raise ValueError(f"a {weight.shape} depthwise weight does not fit {x.shape[-1]} channels")
    xp = np.ascontiguousarray(pad(x, pads))
    view = windows(xp, kernel, stride, dilation)[0]  # (out..., C, k...)
    out_sizes, taps = view.shape[:rank], view.shape[rank + 1:]
    o, t = "abcdefgh"[: rank - 1], "pqrstuvw"[:rank]
    if stride[-1] == 1 and c < RUN_BELOW:
        # the last output axis and the channels are one contiguous run of the input per window
        # tap: einsum then loops over out[-1]*C values at a time instead of C (4x faster at C=32)
        run = out_sizes[-1] * c
        view = as_strided(view, out_sizes[:-1] + (run,) + taps, view.strides[: rank - 1] + (xp.strides[-1],)
                          + view.strides[rank + 1:], writeable=False)
        tiled = np.broadcast_to(weight[..., None, :, :], kernel + (out_sizes[-1], c, m)).reshape(kernel + (run, m))
        out = np.einsum(f"{o}X{t},{t}XM->{o}XM", view, tiled)  # (out[:-1]..., out[-1]*C, m)
    else:
        out = np.einsum(f"{o}zC{t},{t}CM->{o}zCM", view, weight)  # (out..., C, m)
    macs = prod(out.shape) * prod(taps)
    return out.reshape((1,) + out_sizes + (c * m,)), macs


def _scratch(in_shapes: Sequence[tuple[int, ...]], out_shape: tuple[int, ...], args: dict) -> int:
    """The padded input, at most twice the input (the einsum reads the windows in place)."""
    return 2 * prod(in_shapes[0])


def _separable_scratch(in_shapes: Sequence[tuple[int, ...]], out_shape: tuple[int, ...], args: dict) -> int:
    """As depthwise, plus the depthwise stage's output, alive while the pointwise stage runs."""
    (shape,) = in_shapes
    return _scratch(in_shapes, out_shape, args) + prod(out_shape[:-1]) * shape[-1] * int(args.get("multiplier", 1))


@register("depthwise_conv", scratch=_scratch)
def depthwise_conv(x: np.ndarray, args: dict, ctx: RunCtx, rng: np.random.Generator) -> Observed:
    out, weights, macs = depthwise(x, args, rng)
    if args.get("bias", True):
        weights["bias"] = draw(rng, out.shape[-1:], 0.1)
        out += weights["bias"]  # a fresh array: add in place
    return Observed(np.ascontiguousarray(out, dtype=np.float32), weights, set(), macs)


@register("separable_conv", scratch=_separable_scratch)
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
        out += weights["bias"]
    return Observed(np.ascontiguousarray(out, dtype=np.float32), weights, set(), macs + pw_macs)
