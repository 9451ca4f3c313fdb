"""Adaptive pooling, upsampling and the pixel (un)shuffles on real arrays. No weights, no MACs.

* Adaptive pooling uses PyTorch's windows: output ``i`` of an axis of size ``n`` reduces input
  elements ``floor(i*n/out)`` up to (not including) ``ceil((i+1)*n/out)``. A box is a product of
  intervals, so reducing one axis after another gives the box's mean or max.
* Upsampling follows PyTorch's ``nn.Upsample(scale_factor=s)`` with ``align_corners=False``:
  ``nearest`` repeats each element ``s`` times; the linear modes interpolate one axis after the
  other at source coordinate ``(dst + 0.5)/s - 0.5`` (clamped at 0); ``bicubic`` uses Keys' cubic
  convolution with ``A = -0.75`` on the four nearest taps, indices clamped to the edge.
* ``pixel_shuffle``: ``out[c, h*r+i, w*r+j] = in[c*r*r + i*r + j, h, w]`` (PyTorch), for any
  number of spatial axes; ``pixel_unshuffle`` is its inverse.
"""

from __future__ import annotations

import numpy as np

from .core import Observed, RunCtx, register
from .sliding import per_axis


def adaptive_windows(n: int, out: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive pooling windows: [floor(i*n/out), ceil((i+1)*n/out)) for each i."""
    return [(i * n // out, -(-(i + 1) * n // out)) for i in range(out)]


def adaptive_pool(x: np.ndarray, sizes: tuple[int, ...], op: str) -> np.ndarray:
    reduce = np.max if op == "max" else np.mean
    for axis, out in enumerate(sizes, start=1):
        parts = [reduce(x[(slice(None),) * axis + (slice(a, b),)], axis=axis, keepdims=True)
                 for a, b in adaptive_windows(x.shape[axis], out)]
        x = np.concatenate(parts, axis=axis)
    return x.astype(np.float32, copy=False)


def _adaptive(op: str):
    def forward(x: np.ndarray, args: dict, ctx: RunCtx, rng: np.random.Generator) -> Observed:
        return Observed(adaptive_pool(x, per_axis(args["output"], x.ndim - 2, "output"), op))

    forward.__name__ = f"adaptive_{op}pool"
    return forward


register("adaptive_avgpool")(_adaptive("avg"))
register("adaptive_maxpool")(_adaptive("max"))


def _along(w: np.ndarray, axis: int, ndim: int) -> np.ndarray:
    """Per-index weights shaped to broadcast along ``axis``."""
    return w.astype(np.float32).reshape((-1,) + (1,) * (ndim - axis - 1))


def linear_axis(x: np.ndarray, axis: int, s: int) -> np.ndarray:
    n = x.shape[axis]
    src = np.maximum((np.arange(n * s) + 0.5) / s - 0.5, 0.0)
    lo = np.minimum(np.floor(src).astype(np.int64), n - 1)
    hi = np.minimum(lo + 1, n - 1)
    frac = _along(src - lo, axis, x.ndim)
    return np.take(x, lo, axis=axis) * (1 - frac) + np.take(x, hi, axis=axis) * frac


def cubic_weights(t: np.ndarray, a: float = -0.75) -> list[np.ndarray]:
    """Keys' cubic convolution weights for the taps at offsets -1, 0, 1, 2 from floor(src)."""

    def near(z: np.ndarray) -> np.ndarray:  # |z| <= 1
        return ((a + 2) * z - (a + 3)) * z * z + 1

    def far(z: np.ndarray) -> np.ndarray:  # 1 < |z| < 2
        return ((a * z - 5 * a) * z + 8 * a) * z - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def cubic_axis(x: np.ndarray, axis: int, s: int) -> np.ndarray:
    n = x.shape[axis]
    src = (np.arange(n * s) + 0.5) / s - 0.5
    base = np.floor(src).astype(np.int64)
    out = np.zeros(x.shape[:axis] + (n * s,) + x.shape[axis + 1 :], dtype=np.float32)
    for offset, w in zip(range(-1, 3), cubic_weights(src - base)):
        out += np.take(x, np.clip(base + offset, 0, n - 1), axis=axis) * _along(w, axis, x.ndim)
    return out


@register("upsample")
def upsample(x: np.ndarray, args: dict, ctx: RunCtx, rng: np.random.Generator) -> Observed:
    scale = per_axis(args.get("scale", 2), x.ndim - 2, "scale")
    mode = args.get("mode", "nearest")
    for axis, s in enumerate(scale, start=1):
        if mode == "nearest":
            x = np.repeat(x, s, axis=axis)
        elif mode == "bicubic":
            x = cubic_axis(x, axis, s)
        else:
            x = linear_axis(x, axis, s)
    return Observed(np.ascontiguousarray(x, dtype=np.float32))


@register("pixel_shuffle", "depth_to_space")
def pixel_shuffle(x: np.ndarray, args: dict, ctx: RunCtx, rng: np.random.Generator) -> Observed:
    rank, r, c = x.ndim - 2, int(args["scale"]), x.shape[-1]
    if c % r**rank:
        raise ValueError(f"{c} channels are not divisible by {r}^{rank}")
    sizes, c_out = x.shape[1:-1], c // r**rank
    y = x.reshape((1,) + sizes + (c_out,) + (r,) * rank)  # channel index c*r^d + (i, j, ...)
    order = (0,) + sum(((1 + a, rank + 2 + a) for a in range(rank)), ()) + (rank + 1,)
    y = y.transpose(order)  # (1, n0, i, n1, j, ..., c_out)
    return Observed(np.ascontiguousarray(y.reshape((1,) + tuple(n * r for n in sizes) + (c_out,))))


@register("pixel_unshuffle", "space_to_depth")
def pixel_unshuffle(x: np.ndarray, args: dict, ctx: RunCtx, rng: np.random.Generator) -> Observed:
    rank, r, c = x.ndim - 2, int(args["scale"]), x.shape[-1]
    if any(n % r for n in x.shape[1:-1]):
        raise ValueError(f"spatial sizes {x.shape[1:-1]} are not divisible by {r}")
    sizes = tuple(n // r for n in x.shape[1:-1])
    y = x.reshape((1,) + sum(((n, r) for n in sizes), ()) + (c,))  # (1, n0, i, n1, j, ..., c)
    order = (0,) + tuple(1 + 2 * a for a in range(rank)) + (2 * rank + 1,) + tuple(2 + 2 * a for a in range(rank))
    y = y.transpose(order)  # (1, n0, n1, ..., c, i, j, ...)
    return Observed(np.ascontiguousarray(y.reshape((1,) + sizes + (c * r**rank,))))
