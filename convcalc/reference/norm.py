"""Layer, group and instance normalisation on real arrays (inference = training: the statistics
come from the input itself). ``eps`` is PyTorch's 1e-5; with ``affine`` a per-channel ``gamma``
and ``beta`` (C each, trainable) scale and shift the result. No MACs."""

from __future__ import annotations

import numpy as np

from .core import Observed, RunCtx, draw, register

EPS = np.float32(1e-5)


def normalise(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    mean = x.mean(axis=axes, keepdims=True, dtype=np.float32)
    var = x.var(axis=axes, keepdims=True, dtype=np.float32)
    return (x - mean) / np.sqrt(var + EPS)


def _finish(y: np.ndarray, args: dict, rng: np.random.Generator) -> Observed:
    weights = {}
    if args.get("affine", True):
        c = y.shape[-1]
        weights = {"gamma": np.float32(1) + draw(rng, (c,), 0.1), "beta": draw(rng, (c,), 0.1)}
        y = y * weights["gamma"] + weights["beta"]
    return Observed(np.ascontiguousarray(y, dtype=np.float32), weights)


@register("layernorm")
def layernorm(x: np.ndarray, args: dict, ctx: RunCtx, rng: np.random.Generator) -> Observed:
    return _finish(normalise(x, (-1,)), args, rng)


@register("groupnorm")
def groupnorm(x: np.ndarray, args: dict, ctx: RunCtx, rng: np.random.Generator) -> Observed:
    g, c = int(args["groups"]), x.shape[-1]
    if c % g:
        raise ValueError(f"groups={g} does not divide {c} channels")
    grouped = x.reshape(x.shape[:-1] + (g, c // g))  # channel index = group * (C/g) + member
    spatial = tuple(range(1, x.ndim - 1))
    return _finish(normalise(grouped, spatial + (-1,)).reshape(x.shape), args, rng)


@register("instancenorm")
def instancenorm(x: np.ndarray, args: dict, ctx: RunCtx, rng: np.random.Generator) -> Observed:
    return _finish(normalise(x, tuple(range(1, x.ndim - 1))), args, rng)
