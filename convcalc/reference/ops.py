"""The reference ops: ``FORWARD`` maps every layer type name to a numpy implementation.

Sliding-window ops (conv, pooling) live in :mod:`.spatial`; the registry and the primitives in
:mod:`.core`. This module adds the ops without spatial arithmetic: activations, dropout,
batchnorm, flatten and dense. None of them looks at the shape engine; each reads its sizes off
the array it is given.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from . import spatial  # noqa: F401  (registers conv and the pooling ops)
from . import depthwise, merge, norm, resample, reshape, transpose  # noqa: F401  (the other layer families)
from .core import FORWARD, SCRATCH, Observed, RunCtx, draw, he_scale, matmul, prod, register

__all__ = ["FORWARD", "SCRATCH", "Observed", "RunCtx", "register"]


def _relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, np.float32(0))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return (np.float32(0.5) * (np.tanh(np.float32(0.5) * x) + np.float32(1))).astype(np.float32)


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _gelu(x: np.ndarray) -> np.ndarray:  # the tanh approximation (no erf in numpy)
    c = np.float32(np.sqrt(2.0 / np.pi))
    return np.float32(0.5) * x * (np.float32(1) + np.tanh(c * (x + np.float32(0.044715) * x**3)))


def _elu(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, np.expm1(np.minimum(x, np.float32(0))))


_SELU_ALPHA, _SELU_SCALE = np.float32(1.6732632423543772), np.float32(1.0507009873554805)

ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda x: x,
    "relu": _relu,
    "relu6": lambda x: np.clip(x, np.float32(0), np.float32(6)),
    "leaky_relu": lambda x: np.where(x > 0, x, np.float32(0.01) * x),  # PyTorch's slope
    "gelu": _gelu,
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "softmax": _softmax,  # over the channel axis
    "elu": _elu,
    "selu": lambda x: _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(np.minimum(x, np.float32(0)))),
    "hard_swish": lambda x: x * np.clip(x + np.float32(3), np.float32(0), np.float32(6)) / np.float32(6),
    "mish": lambda x: x * np.tanh(np.logaddexp(np.float32(0), x)),
}


# activations that can write into their input (``out=``): the executor's common ones
IN_PLACE: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": lambda x: np.maximum(x, np.float32(0), out=x),
    "relu6": lambda x: np.clip(x, np.float32(0), np.float32(6), out=x),
}


def _twice_input(in_shapes: Sequence[tuple[int, ...]], out_shape: tuple[int, ...], args: dict) -> int:
    return 2 * prod(in_shapes[0])


def _apply(name: str, x: np.ndarray, ctx: RunCtx) -> Observed:
    if ctx.overwrite and name in IN_PLACE:
        return Observed(IN_PLACE[name](x))
    return Observed(np.asarray(ACTIVATIONS[name](x), dtype=np.float32))


def _activation(name: str):
    def forward(x: np.ndarray, args: dict, ctx: RunCtx, rng: np.random.Generator) -> Observed:
        return _apply(name, x, ctx)

    return forward


for _name in ACTIVATIONS:
    if _name not in ("linear", "swish", "elu", "selu", "hard_swish", "mish"):
        register(_name, scratch=_twice_input)(_activation(_name))


@register("activation", scratch=_twice_input)
def activation(x: np.ndarray, args: dict, ctx: RunCtx, rng: np.random.Generator) -> Observed:
    name = args["fn"]
    if name not in ACTIVATIONS:
        raise ValueError(f"no reference implementation of activation {name!r}")
    return _apply(name, x, ctx)


@register("dropout")
def dropout(x: np.ndarray, args: dict, ctx: RunCtx, rng: np.random.Generator) -> Observed:
    return Observed(x)  # inference: identity


@register("batchnorm", scratch=_twice_input)
def batchnorm(x: np.ndarray, args: dict, ctx: RunCtx, rng: np.random.Generator) -> Observed:
    """Inference batchnorm over the channel axis with drawn statistics (variance > 0)."""
    c = x.shape[-1]
    weights = {
        "moving_mean": draw(rng, (c,), 0.1),
        "moving_variance": rng.uniform(0.5, 1.5, size=c).astype(np.float32),
    }
    scale = 1 / np.sqrt(weights["moving_variance"] + np.float32(1e-3))
    shift = -weights["moving_mean"] * scale
    if args.get("affine", True):
        weights["gamma"] = np.float32(1) + draw(rng, (c,), 0.1)
        weights["beta"] = draw(rng, (c,), 0.1)
        scale, shift = scale * weights["gamma"], shift * weights["gamma"] + weights["beta"]
    out = np.multiply(x, scale.astype(np.float32, copy=False), out=x if ctx.overwrite else None)
    out += shift.astype(np.float32, copy=False)  # in place: at most one new array
    return Observed(out, weights, {"moving_mean", "moving_variance"})


@register("flatten")
def flatten(x: np.ndarray, args: dict, ctx: RunCtx, rng: np.random.Generator) -> Observed:
    if ctx.layout == "chw" and x.ndim > 2:  # PyTorch flattens (C, H, W) in that order
        x = np.moveaxis(x, -1, 1)
    return Observed(x.reshape(x.shape[0], -1))


@register("dense", "linear")
def dense(x: np.ndarray, args: dict, ctx: RunCtx, rng: np.random.Generator) -> Observed:
    """Weights (in, units) on the last axis (on the displayed last axis, C's neighbour, for chw)."""
    axis = -2 if ctx.layout == "chw" and x.ndim > 2 else -1
    moved = np.moveaxis(x, axis, -1)
    n_in, units = moved.shape[-1], int(args["units"])
    weights = {"kernel": draw(rng, (n_in, units), he_scale(n_in))}
    y, macs = matmul(moved.reshape(-1, n_in), weights["kernel"])
    y = y.reshape(moved.shape[:-1] + (units,))
    if args.get("bias", True):
        weights["bias"] = draw(rng, (units,), 0.1)
        y = y + weights["bias"]
    return Observed(np.ascontiguousarray(np.moveaxis(y, -1, axis), dtype=np.float32), weights, set(), macs)
