"""Depthwise and separable convolution on real arrays, Keras' way.

The depthwise weight is drawn as Keras stores it, ``(k..., C, m)``; output channel ``c*m + j``
is input channel ``c`` convolved with kernel ``[..., c, j]``. The product is one ``einsum`` over
a window view of the padded input, ``out[o, c, j] = sum_t window[o, c, t] * w[t, c, j]``: no
copy of the windows and no loop over channels (a matmul per channel, or a batched one over C
tiny matrices, ran 5-30x slower); :func:`depthwise_nd` says how the view is laid out so that
einsum's inner loop is long and cache-friendly. Separable adds the pointwise stage, one matmul
``(positions, C*m) @ (C*m, filters)``, and puts its bias there (the depthwise stage has none).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .core import Observed, RunCtx, draw, he_scale, matmul, prod, register
from .sliding import Pads, fill_edges, pad, per_axis, resolve_pads, window_counts


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


RUN_CHUNK = 1024  # floats of an output row per einsum inner loop (measured: 512-4096 all within 10%)
PHASES_FROM = 1 << 18  # input elements from which a strided last axis is copied into phases (measured)


def _per_chunk(n: int, c: int) -> int:
    """Output positions per chunk of a row: the largest divisor of ``n`` whose run of channels
    fits ``RUN_CHUNK`` (at least one position)."""
    per = max(1, min(n, RUN_CHUNK // max(c, 1)))
    while n % per:
        per -= 1
    return per


def _last_axis(out: int, k: int, s: int, d: int, phased: bool) -> tuple[int, int, int, list[tuple[int, int, int]]]:
    """How the last axis is laid out for the einsum: ``(phases, steps, width, taps)``.

    Phased, the padded last axis is stored as ``phases = s`` interleaved sequences of ``width``
    positions (position ``s*j + r`` at ``[r, j]``), so that every tap reads a contiguous run of
    outputs x channels: tap ``q`` of output ``i`` is at ``[r, i + u]`` with ``s*u + r = q*d``.
    Otherwise there is one phase, the padded input read in place, and the steps are the taps.
    ``taps`` lists ``(q, r, u)``; the ``(r, u)`` grid may hold places no tap uses, whose weight
    is zero."""
    if not phased:
        return 1, k, 0, [(q, 0, q) for q in range(k)]
    steps = ((k - 1) * d) // s + 1
    return s, steps, out + steps - 1, [(q, (q * d) % s, (q * d) // s) for q in range(k)]


def _phased(x: np.ndarray, pads: Pads, phases: int, width: int) -> np.ndarray:
    """The padded input with its last spatial axis as ``(phases, width)`` (see :func:`_last_axis`):
    each element written once, from ``x`` or zero; at one phase, the padded input itself."""
    if phases == 1:
        return np.ascontiguousarray(pad(x, pads))[0][..., None, :, :]
    *inner, (b, _) = pads
    n, s = x.shape[-2], phases
    shape = tuple(m + lo + hi for m, (lo, hi) in zip(x.shape[1:-2], inner)) + (s, width, x.shape[-1])
    out = np.empty(shape, dtype=np.float32)
    rows = tuple(slice(lo, lo + m) for m, (lo, _) in zip(x.shape[1:-2], inner))
    fill_edges(out, inner, 0.0, first_axis=0)  # the padding of the other axes
    for r in range(s):  # padded position s*j + r holds input position s*j + r - b
        j0, j1 = max(0, -(-(b - r) // s)), max(0, min(width, (n - 1 + b - r) // s + 1))
        j0 = min(j0, j1)
        first = s * j0 + r - b
        out[rows + (r, slice(j0, j1))] = x[0, ..., first: first + s * (j1 - j0): s, :]
        out[rows + (r, slice(0, j0))] = 0
        out[rows + (r, slice(j1, None))] = 0
    return out


def _repeated_weight(weight: np.ndarray, phases: int, steps: int, taps: list[tuple[int, int, int]], per: int,
                     chunks: int) -> np.ndarray:
    """The ``(k..., C, m)`` weight as the einsum's right operand ``(k[:-1]..., Y, phases, steps,
    Z, m)``: the last axis's taps placed on the ``(phase, step)`` grid (zero where no tap is), each
    repeated ``per`` times along a chunk of ``Z = per*C`` values, the same for all ``Y`` chunks."""
    rank = weight.ndim - 2
    kernel, (c, m) = weight.shape[:rank], weight.shape[rank:]
    grid = np.zeros(kernel[:-1] + (phases, steps, c, m), dtype=np.float32)
    for q, r, u in taps:
        grid[..., r, u, :, :] = weight[..., q, :, :]
    tiled = np.empty(grid.shape[:-2] + (per, c, m), dtype=np.float32)
    tiled[...] = grid[..., None, :, :]
    ws = tiled.strides  # (k[:-1]..., phases, steps, per, c, m); per and c merge into Z
    return as_strided(tiled, kernel[:-1] + (chunks, phases, steps, per * c, m),
                      ws[: rank - 1] + (0,) + ws[rank - 1: rank + 1] + ws[rank + 2:], writeable=False)


def depthwise_nd(x: np.ndarray, weight: np.ndarray, stride: Sequence[int], dilation: Sequence[int],
                 pads: Pads) -> tuple[np.ndarray, int]:
    """``(1, spatial..., C)`` with a ``(k..., C, m)`` weight -> ``(1, out..., C*m)`` and its MACs
    (output elements x taps, read off the operands of the product).

    One einsum over a strided view of the padded input. Its inner loop runs along a chunk of an
    output row (positions x channels): a strided last axis of a large input is copied into phases
    (:func:`_last_axis`) so that this chunk is contiguous in the input for every tap, and the
    weight is repeated along the chunk (a small strided layer reads the padded input in place,
    one position per chunk). A chunk of ``RUN_CHUNK`` floats of the output stays in L1 while all
    its taps are added. Each output axis is followed by its taps' axis in the view, because
    einsum keeps the operands' order where their strides disagree: the taps of one output row are
    then summed while that row is in cache. The einsum runs on the calling thread: cutting it by
    rows over Python threads (numpy releases the GIL in it) gained nothing inside a check, where
    OpenBLAS's idle threads spin on the other core after every matmul (MobileNetV2's depthwise
    layers: 7.9 ms cut, 7.8 ms whole)."""
    rank = x.ndim - 2
    kernel, c, m = weight.shape[:rank], weight.shape[rank], weight.shape[rank + 1]
    if x.shape[-1] != c:
        raise ValueError(f"a {weight.shape} depthwise weight does not fit {x.shape[-1]} channels")
    out_sizes = window_counts([n + b + a for n, (b, a) in zip(x.shape[1:-1], pads)], kernel, stride, dilation)
    phased = stride[-1] > 1 and x.size >= PHASES_FROM  # below, the copy costs more than it saves
    phases, steps, width, taps = _last_axis(out_sizes[-1], kernel[-1], stride[-1], dilation[-1], phased)
    src = _phased(x, pads, phases, width)  # (padded[:-1]..., phases, width, C)
    ss = src.strides
    # one output position further along the last axis, and one step of the taps
    position, unit = (ss[-2], ss[-2]) if phased else (stride[-1] * ss[-2], dilation[-1] * ss[-2])
    per = _per_chunk(out_sizes[-1], c) if position == c * ss[-1] else 1  # a chunk must be contiguous
    y, z = out_sizes[-1] // per, per * c
    shape = tuple(n for pair in zip(out_sizes[:-1], kernel[:-1]) for n in pair) + (y, phases, steps, z)
    strides = tuple(n for i in range(rank - 1) for n in (stride[i] * ss[i], dilation[i] * ss[i]))
    lhs = as_strided(src, shape, strides + (per * position, ss[-3], unit, ss[-1]), writeable=False)
    rhs = _repeated_weight(weight, phases, steps, taps, per, y)
    out = np.empty(out_sizes + (c, m), dtype=np.float32)
    result = out.reshape(out_sizes[:-1] + (y, z, m))
    o, t = "abcdefgh"[: rank - 1], "pqrstuvw"[: rank - 1]
    subscripts = "".join(a + b for a, b in zip(o, t)) + f"YRUZ,{t}YRUZM->{o}YZM"
    if m == 1:  # drop M: a size-1 axis with the channels' stride can become einsum's inner loop (3x slower)
        rhs, result, subscripts = rhs[..., 0], result[..., 0], subscripts.replace("M", "")
    macs = prod(out.shape) * prod(kernel)
    np.einsum(subscripts, lhs, rhs, out=result)
    return out.reshape((1,) + out_sizes + (c * m,)), macs


def _scratch(in_shapes: Sequence[tuple[int, ...]], out_shape: tuple[int, ...], args: dict) -> int:
    """The padded input (in phases if it is copied so) and the weight on its grid and repeated
    along a chunk of a row (the einsum reads the windows in place)."""
    (shape,) = in_shapes
    rank = len(shape) - 1
    kernel = _kernel(args, rank)
    stride = per_axis(args.get("stride", 1), rank, "stride")
    dilation = per_axis(args.get("dilation", 1), rank, "dilation")
    pads = resolve_pads(args.get("padding", "valid"), shape[:-1], kernel, stride, dilation)
    phased = stride[-1] > 1 and prod(shape) >= PHASES_FROM
    phases, steps, width, _ = _last_axis(out_shape[-2], kernel[-1], stride[-1], dilation[-1], phased)
    other = prod(n + b + a for n, (b, a) in zip(shape[:-2], pads[:-1]))
    last = phases * width if phased else shape[-2] + sum(pads[-1])
    grid = prod(kernel[:-1]) * phases * steps * int(args.get("multiplier", 1))
    return other * last * shape[-1] + grid * (shape[-1] + max(RUN_CHUNK, shape[-1]))


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
