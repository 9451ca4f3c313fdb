"""Reference merges: ``add``, ``multiply`` and ``concat`` on real arrays.

Each op receives the list of its input arrays ``(1, spatial..., C)``. It moves them into the
user's displayed layout (channels first for ``chw``), lets numpy broadcast or concatenate them
there, and moves the result back; numpy itself raises on shapes that do not fit. No weights,
no multiply-accumulates.
"""

from __future__ import annotations

from functools import reduce

import numpy as np

from .core import Observed, RunCtx, register


def _to_display(x: np.ndarray, ctx: RunCtx) -> np.ndarray:
    """Drop the batch axis (always 1 here) and move channels first for ``chw``."""
    item = x[0]
    return np.moveaxis(item, -1, 0) if ctx.layout == "chw" and item.ndim > 1 else item


def _from_display(y: np.ndarray, ctx: RunCtx) -> np.ndarray:
    y = np.moveaxis(y, 0, -1) if ctx.layout == "chw" and y.ndim > 1 else y
    return np.ascontiguousarray(y[None], dtype=np.float32)


@register("add")
def add(xs: list[np.ndarray], args: dict, ctx: RunCtx, rng: np.random.Generator) -> Observed:
    if ctx.overwrite and all(x.shape == xs[0].shape for x in xs):  # no broadcasting: sum into the first
        out = xs[0]
        for x in xs[1:]:
            np.add(out, x, out=out)
        return Observed(out)
    return Observed(_from_display(reduce(np.add, [_to_display(x, ctx) for x in xs]), ctx))


@register("multiply")
def multiply(xs: list[np.ndarray], args: dict, ctx: RunCtx, rng: np.random.Generator) -> Observed:
    return Observed(_from_display(reduce(np.multiply, [_to_display(x, ctx) for x in xs]), ctx))


@register("concat")
def concat(xs: list[np.ndarray], args: dict, ctx: RunCtx, rng: np.random.Generator) -> Observed:
    parts = [_to_display(x, ctx) for x in xs]
    axis = args.get("axis")
    if axis is None:  # the channel axis: first when displayed channels-first, else last
        axis = 0 if ctx.layout == "chw" and parts[0].ndim > 1 else -1
    return Observed(_from_display(np.concatenate(parts, axis=axis), ctx))
