"""Padding and sliding windows over real arrays, written independently of the shape engine.

Arrays are ``(1, spatial..., C)``. Nothing here imports ``convcalc.layers``: the padding rules
are derived again from their definitions, and output sizes are never computed by a formula for
conv -- they are whatever ``sliding_window_view`` produces over the padded array (depthwise
counts the same window starts with :func:`window_counts`, without building the view).

Padding forms (per spatial axis, ``eff = d*(k-1)+1`` the dilated kernel extent):

* ``valid``: nothing.
* ``same`` (TensorFlow): enough windows to give ``ceil(n/s)`` outputs; the padding needed for
  the last of them to fit, ``(out-1)*s + eff - n`` (never negative), goes half before (rounded
  down) and the rest after.
* ``causal``: ``eff-1`` before, nothing after (1D only).
* ``full``: ``eff-1`` on both sides.
* an int (both sides of every axis), one int per axis, or one ``(before, after)`` pair per axis.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Pads = tuple[tuple[int, int], ...]


def per_axis(value: Any, rank: int, name: str) -> tuple[int, ...]:
    if isinstance(value, (tuple, list)):
        if len(value) != rank:
            raise ValueError(f"{name} {tuple(value)} has {len(value)} values for {rank} spatial axes")
        return tuple(int(v) for v in value)
    return (int(value),) * rank


def extents(kernel: Sequence[int], dilation: Sequence[int]) -> tuple[int, ...]:
    """The span of a dilated kernel: its first and last taps and the gaps between."""
    return tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))


def _same_pads(n: int, s: int, eff: int) -> tuple[int, int]:
    out = -(-n // s)  # TensorFlow's output size for SAME: ceil(n / s)
    last_window_end = (out - 1) * s + eff  # one past the last element the last window reads
    total = last_window_end - n if last_window_end > n else 0
    before = total // 2
    return before, total - before


def resolve_pads(
    padding: Any, sizes: Sequence[int], kernel: Sequence[int], stride: Sequence[int], dilation: Sequence[int]
) -> Pads:
    """(before, after) per spatial axis for any padding form the specs accept."""
    rank = len(sizes)
    effs = extents(kernel, dilation)
    if isinstance(padding, str):
        word = padding.lower()
        if word == "valid":
            return ((0, 0),) * rank
        if word == "same":
            return tuple(_same_pads(n, s, e) for n, s, e in zip(sizes, stride, effs))
        if word == "full":
            return tuple((e - 1, e - 1) for e in effs)
        if word == "causal":
            if rank != 1:
                raise ValueError("causal padding needs exactly one spatial axis")
            return ((effs[0] - 1, 0),)
        raise ValueError(f"unknown padding {padding!r}")
    if isinstance(padding, (tuple, list)):
        if len(padding) != rank:
            raise ValueError(f"padding {padding!r} has {len(padding)} entries for {rank} spatial axes")
        pairs = []
        for item in padding:
            if isinstance(item, (tuple, list)):
                before, after = item
                pairs.append((int(before), int(after)))
            else:
                pairs.append((int(item), int(item)))
        return tuple(pairs)
    return ((int(padding), int(padding)),) * rank


def pad(x: np.ndarray, pads: Pads, fill: float = 0.0) -> np.ndarray:
    """Pad the spatial axes of ``(1, spatial..., C)`` (no copy when there is nothing to pad).

    One write per element: the input into the interior, ``fill`` into the borders (``np.pad``
    fills the whole array first, and took 1.2-1.5x as long)."""
    if not any(b or a for b, a in pads):
        return x
    out = np.empty((1,) + tuple(n + b + a for n, (b, a) in zip(x.shape[1:-1], pads)) + x.shape[-1:], dtype=x.dtype)
    out[(slice(None),) + tuple(slice(b, b + n) for n, (b, _) in zip(x.shape[1:-1], pads))] = x
    fill_edges(out, pads, fill, first_axis=1)
    return out


def fill_edges(out: np.ndarray, pads: Pads, fill: float, first_axis: int) -> None:
    """Write ``fill`` into the ``(before, after)`` edges of ``out``'s axes from ``first_axis`` on,
    each across the whole of the other axes (so corners are written more than once)."""
    for axis, (b, a) in enumerate(pads, start=first_axis):
        edge = (slice(None),) * axis
        out[edge + (slice(0, b),)] = fill
        out[edge + (slice(out.shape[axis] - a, None),)] = fill


def windows(xp: np.ndarray, kernel: Sequence[int], stride: Sequence[int], dilation: Sequence[int]) -> np.ndarray:
    """Every window of the (already padded) array, as a view ``(1, out..., C, k...)``.

    The view holds a window at every offset; taking every ``s``-th offset gives the stride and
    taking every ``d``-th tap of each window gives the dilation.
    """
    rank = len(kernel)
    effs = extents(kernel, dilation)
    _fits(xp.shape[1:-1], effs)
    view = sliding_window_view(xp, effs, axis=tuple(range(1, rank + 1)))
    index = (
        (slice(None),)
        + tuple(slice(None, None, s) for s in stride)
        + (slice(None),)
        + tuple(slice(None, None, d) for d in dilation)
    )
    return view[index]


def window_counts(padded: Sequence[int], kernel: Sequence[int], stride: Sequence[int],
                  dilation: Sequence[int]) -> tuple[int, ...]:
    """How many windows :func:`windows` takes on each axis of a padded size: its window starts
    ``0, s, 2s, ...`` while the window ends inside (counted, as the view does, without making it)."""
    effs = extents(kernel, dilation)
    _fits(padded, effs)
    return tuple(len(range(0, n - e + 1, s)) for n, e, s in zip(padded, effs, stride))


def _fits(padded: Sequence[int], effs: Sequence[int]) -> None:
    for axis, (n, e) in enumerate(zip(padded, effs)):
        if n < e:
            raise ValueError(f"kernel extent {e} exceeds the padded size {n} on spatial axis {axis}")


def ceil_mode_counts(sizes: Sequence[int], pads: Pads, stride: Sequence[int], effs: Sequence[int]) -> tuple[int, ...]:
    """How many windows PyTorch's ``ceil_mode`` places on each axis, by walking window starts.

    Windows start at 0, s, 2s, ... in padded coordinates. A window is taken as long as the
    window one stride before it would not yet reach the end of the padded input (so a last,
    partial window counts, and even a first window larger than the whole padded input when it
    overhangs by less than a stride). Then, if the last window taken starts in the right
    padding, it is dropped (PyTorch: it must start inside the input or the left padding).
    """
    counts = []
    for axis, (n, (before, after), s, e) in enumerate(zip(sizes, pads, stride, effs)):
        span = before + n + after
        starts = np.arange(0, span + s, s)
        taken = starts[starts - s + e < span]
        count = len(taken)
        if count and taken[-1] >= before + n:
            count -= 1
        if count == 0:
            raise ValueError(f"no pooling window fits on spatial axis {axis} (extent {e}, padded size {span})")
        counts.append(count)
    return tuple(counts)
