"""Axis rearrangements and borders on real arrays: permute, reshape, zeropad, crop.

Arrays here are channels last, ``(1, spatial..., C)``. ``permute`` and ``reshape`` are defined
on the axes the user sees: in ``chw`` the array is first viewed channels first (C moved right
after the batch axis), permuted or reshaped there in that row-major order, exactly like a
PyTorch tensor, and then viewed channels last again, taking the first displayed axis as the
channels (which is what the next PyTorch layer would take).
"""

from __future__ import annotations

import numpy as np

from .core import Observed, RunCtx, register
from .sliding import pad, resolve_pads


def shown(x: np.ndarray, layout: str) -> np.ndarray:
    return np.moveaxis(x, -1, 1) if layout == "chw" and x.ndim > 2 else x


def unshown(y: np.ndarray, layout: str) -> np.ndarray:
    return np.moveaxis(y, 1, -1) if layout == "chw" and y.ndim > 2 else y


@register("permute")
def permute(x: np.ndarray, args: dict, ctx: RunCtx, rng: np.random.Generator) -> Observed:
    order = tuple(int(o) for o in args["order"])
    if sorted(order) != list(range(x.ndim - 1)):
        raise ValueError(f"order {order} is not a permutation of {x.ndim - 1} axes")
    y = shown(x, ctx.layout).transpose((0,) + tuple(o + 1 for o in order))
    return Observed(np.ascontiguousarray(unshown(y, ctx.layout)))


@register("reshape")
def reshape(x: np.ndarray, args: dict, ctx: RunCtx, rng: np.random.Generator) -> Observed:
    y = shown(x, ctx.layout).reshape((1,) + tuple(int(s) for s in args["shape"]))  # numpy fills the -1
    return Observed(np.ascontiguousarray(unshown(y, ctx.layout)))


def _pads(x: np.ndarray, amount: object) -> tuple[tuple[int, int], ...]:
    rank = x.ndim - 2
    return resolve_pads(amount, x.shape[1:-1], (1,) * rank, (1,) * rank, (1,) * rank)


@register("zeropad")
def zeropad(x: np.ndarray, args: dict, ctx: RunCtx, rng: np.random.Generator) -> Observed:
    return Observed(pad(x, _pads(x, args.get("padding", 1))))


@register("crop")
def crop(x: np.ndarray, args: dict, ctx: RunCtx, rng: np.random.Generator) -> Observed:
    cut = _pads(x, args.get("cropping", 0))
    index = (slice(None),) + tuple(slice(b, n - a) for (b, a), n in zip(cut, x.shape[1:-1])) + (slice(None),)
    y = x[index]
    if 0 in y.shape:
        raise ValueError(f"cropping {cut} leaves nothing of {x.shape[1:-1]}")
    return Observed(np.ascontiguousarray(y))
