"""Transposed convolution on real arrays, by scattering: every input element adds a copy of the
kernel, scaled by itself, into the output at ``stride`` spacing; the sum is then cropped.

This is the definition, not the "dilate the input and convolve with the flipped kernel"
equivalence (Dumoulin & Visin); the tests check the two agree. The product is one batched
matmul per group, ``(positions, C_in/groups) @ (C_in/groups, filters/groups * taps)``: its
operand dimensions are the MACs, ``positions * C_in * filters/groups * taps``, counted per input
position. The weight is drawn in the transposed layout both frameworks store,
``(k..., filters/groups, C_in)``.

Crop and size per axis (``eff = d*(k-1)+1``; the uncropped sum has ``(n-1)*s + eff`` elements):

* an int, one int per axis, ``[before, after]`` pairs or ``full`` (``eff-1`` on both sides): drop
  ``before`` elements at the start and ``after`` at the end, then add ``output_padding`` back
  at the end (PyTorch's ConvTranspose);
* ``same`` / ``valid``: the size Keras' ``deconv_output_length`` gives (``n*s`` and
  ``n*s + max(eff-s, 0)`` without ``output_padding``; ``(n-1)*s + eff - 2*pad + output_padding``
  with it, ``pad = eff//2`` for same and 0 for valid); the start is where TensorFlow puts it:
  a transposed conv is the gradient of the forward conv from that size, so ``valid`` drops
  nothing and ``same`` drops that forward conv's SAME padding before (half of it, rounded down).

Positions past the end of the uncropped sum (``output_padding``) receive no product: zero.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .core import Observed, RunCtx, draw, he_scale, matmul, prod, register
from .sliding import _same_pads, extents, per_axis, resolve_pads
from .spatial import _conv_geometry


def keras_size(word: str, n: int, s: int, eff: int, op: int | None) -> int:
    """Keras' ``deconv_output_length`` for ``same`` and ``valid``."""
    if op is None:
        return n * s if word == "same" else n * s + max(eff - s, 0)
    pad = eff // 2 if word == "same" else 0
    return (n - 1) * s + eff - 2 * pad + op


def crop_windows(padding: Any, sizes: Sequence[int], kernel: Sequence[int], stride: Sequence[int],
                 dilation: Sequence[int], op: Sequence[int | None]) -> list[tuple[int, int]]:
    """Per axis (elements dropped at the start, output size)."""
    effs = extents(kernel, dilation)
    if isinstance(padding, str) and padding.lower() in ("same", "valid"):
        word = padding.lower()
        out = []
        for n, s, e, a in zip(sizes, stride, effs, op):
            m = keras_size(word, n, s, e, a)
            out.append((_same_pads(m, s, e)[0] if word == "same" else 0, m))
        return out
    if padding == "causal":
        raise ValueError("a transposed conv has no causal padding")
    pads = resolve_pads(padding, sizes, kernel, stride, dilation)
    return [(b, (n - 1) * s + e - b - a + (o or 0)) for n, s, e, (b, a), o in zip(sizes, stride, effs, pads, op)]


def layer_windows(args: dict, sizes: Sequence[int], kernel: Sequence[int], stride: Sequence[int],
                  dilation: Sequence[int]) -> list[tuple[int, int]]:
    """:func:`crop_windows` for a conv_transpose layer's arguments (its padding and output_padding)."""
    raw = args.get("output_padding")
    op = per_axis(raw, len(sizes), "output_padding") if raw is not None else (None,) * len(sizes)
    return crop_windows(args.get("padding", 0), sizes, kernel, stride, dilation, op)


def scatter_products(x: np.ndarray, weight: np.ndarray, groups: int) -> tuple[np.ndarray, int]:
    """Every input element times every kernel tap: ``(spatial..., k..., filters)`` and the MACs."""
    rank = x.ndim - 2
    kernel, fg, cin = tuple(weight.shape[:rank]), weight.shape[rank], weight.shape[rank + 1]
    if x.shape[-1] != cin or cin % groups:
        raise ValueError(f"a {weight.shape} transposed weight with groups={groups} does not fit {x.shape[-1]} channels")
    sizes, cg, taps = x.shape[1:-1], cin // groups, prod(kernel)
    cols = x.reshape(prod(sizes), groups, cg).transpose(1, 0, 2)  # (groups, positions, cg)
    # (k..., fg, groups, cg) -> (groups, cg, fg, k...) -> (groups, cg, fg*taps)
    w = weight.reshape(kernel + (fg, groups, cg))
    w = w.transpose((rank + 1, rank + 2, rank) + tuple(range(rank))).reshape(groups, cg, fg * taps)
    y, macs = matmul(cols, w)  # (groups, positions, fg*taps)
    y = y.reshape((groups,) + tuple(sizes) + (fg,) + kernel)
    spatial, taps_axes = tuple(range(1, rank + 1)), tuple(range(rank + 2, 2 * rank + 2))
    y = y.transpose(spatial + taps_axes + (0, rank + 1))  # (sizes..., k..., groups, fg)
    return y.reshape(tuple(sizes) + kernel + (groups * fg,)), macs


def conv_transpose_nd(x: np.ndarray, weight: np.ndarray, stride: Sequence[int], dilation: Sequence[int],
                      windows: Sequence[tuple[int, int]], groups: int = 1) -> tuple[np.ndarray, int]:
    """Transposed conv of ``(1, spatial..., C_in)`` with a ``(k..., filters/groups, C_in)`` weight."""
    rank = x.ndim - 2
    products, macs = scatter_products(x, weight, groups)
    sizes, kernel = x.shape[1:-1], weight.shape[:rank]
    full = np.zeros(tuple((n - 1) * s + e for n, s, e in zip(sizes, stride, extents(kernel, dilation)))
                    + products.shape[-1:], dtype=np.float32)
    for tap in np.ndindex(*kernel):
        at = tuple(slice(t * d, t * d + (n - 1) * s + 1, s) for t, d, n, s in zip(tap, dilation, sizes, stride))
        full[at] += products[(slice(None),) * rank + tap]
    short = [(0, max(0, b + m - length)) for (b, m), length in zip(windows, full.shape[:-1])]
    full = np.pad(full, short + [(0, 0)])
    return full[tuple(slice(b, b + m) for b, m in windows)][None], macs


def _scratch(in_shapes: Sequence[tuple[int, ...]], out_shape: tuple[int, ...], args: dict) -> int:
    """The products (input positions x taps x filters), the uncropped sum and its padded copy."""
    (shape,) = in_shapes
    kernel, filters, stride, dilation = _conv_geometry(args, len(shape) - 1)
    full = prod((n - 1) * s + e for n, s, e in zip(shape[:-1], stride, extents(kernel, dilation))) * filters
    return prod(shape[:-1]) * prod(kernel) * filters + 2 * full + prod(out_shape)


@register("conv_transpose", scratch=_scratch)
def conv_transpose(x: np.ndarray, args: dict, ctx: RunCtx, rng: np.random.Generator) -> Observed:
    rank, cin = x.ndim - 2, x.shape[-1]
    kernel, filters, stride, dilation = _conv_geometry(args, rank)
    groups = int(args.get("groups", 1))
    if cin % groups or filters % groups:
        raise ValueError(f"groups={groups} must divide C_in={cin} and filters={filters}")
    windows = layer_windows(args, x.shape[1:-1], kernel, stride, dilation)
    weights = {"kernel": draw(rng, tuple(kernel) + (filters // groups, cin), he_scale(cin // groups * prod(kernel)))}
    out, macs = conv_transpose_nd(x, weights["kernel"], stride, dilation, windows, groups)
    if args.get("bias", True):
        weights["bias"] = draw(rng, (filters,), 0.1)
        out = out + weights["bias"]
    return Observed(np.ascontiguousarray(out, dtype=np.float32), weights, set(), macs)
