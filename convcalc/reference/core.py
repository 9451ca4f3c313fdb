"""What a reference op returns, the op registry, and the two primitives every op shares.

An op is ``fn(x, args, ctx, rng) -> Observed``: ``x`` is the input array ``(1, spatial..., C)``
in float32 (a list of arrays for a layer with several inputs), ``args`` the node's coerced
arguments. The op draws its weights from ``rng`` (float32, once), runs the real computation and
reports what it used: the output array, the weight arrays by name (the main weight is called
``kernel`` and the bias ``bias``), which weights are not trainable, and the multiply-accumulates
of the weight products it actually performed (counted from the operand shapes: by
:func:`matmul` for matmuls, as output elements x taps for depthwise's einsum).

Adding a layer type is one function plus ``@register("name")`` (and optionally
``scratch=...`` for the memory estimate).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np


@dataclass
class Observed:
    output: np.ndarray
    weights: dict[str, np.ndarray] = field(default_factory=dict)
    non_trainable: set[str] = field(default_factory=set)
    macs: int = 0

    @property
    def trainable_count(self) -> int:
        return sum(int(w.size) for name, w in self.weights.items() if name not in self.non_trainable)

    @property
    def non_trainable_count(self) -> int:
        return sum(int(w.size) for name, w in self.weights.items() if name in self.non_trainable)

    @property
    def kernel(self) -> np.ndarray | None:
        return self.weights.get("kernel")

    @property
    def bias(self) -> np.ndarray | None:
        return self.weights.get("bias")


@dataclass(frozen=True)
class RunCtx:
    """What an op may need beyond its arguments: the user's layout ("hwc" or "chw"), and whether
    it may write its output into its (first) input array. The executor allows that only when
    nothing reads the array after this layer (its last consumer, no other live array sharing its
    memory, no cross-check backend rerunning the layer on it); an op is free to ignore it."""

    layout: str = "hwc"
    overwrite: bool = False


Forward = Callable[[Any, dict, RunCtx, np.random.Generator], Observed]
# (input shapes without batch, output shape, args) -> elements of temporary buffers an op allocates
Scratch = Callable[[Sequence[tuple[int, ...]], tuple[int, ...], dict], int]

FORWARD: dict[str, Forward] = {}
SCRATCH: dict[str, Scratch] = {}


def register(*names: str, scratch: Scratch | None = None) -> Callable[[Forward], Forward]:
    def add(fn: Forward) -> Forward:
        for name in names:
            FORWARD[name] = fn
            if scratch is not None:
                SCRATCH[name] = scratch
        return fn

    return add


def prod(values: Sequence[int]) -> int:
    out = 1
    for v in values:
        out *= int(v)
    return out


def matmul(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, int]:
    """``a @ b`` (with leading batch axes) and its MACs: batch * M * K * N from the operands."""
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(f"matmul operands do not fit: {a.shape} @ {b.shape}")
    out = np.matmul(a, b)
    batch = prod(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]))
    return out, batch * a.shape[-2] * a.shape[-1] * b.shape[-1]


def draw(rng: np.random.Generator, shape: tuple[int, ...], scale: float) -> np.ndarray:
    """A float32 weight with standard deviation ``scale``: uniform on ``[-a, a)``, ``a = scale*sqrt(3)``
    (He-uniform for ``he_scale``), drawn in float32 directly.

    Uniform rather than normal: numpy draws float32 uniforms about 4x faster than float32
    normals, and drawing ResNet-50's 25.6M weights was the larger part of its check."""
    w = rng.random(shape, dtype=np.float32)
    w -= np.float32(0.5)
    w *= np.float32(2 * np.sqrt(3.0) * scale)
    return w


def he_scale(fan_in: int) -> float:
    """He's standard deviation sqrt(2/fan_in): keeps activations O(1) through deep ReLU stacks
    (no inf/nan in long runs)."""
    return float(np.sqrt(2.0 / max(fan_in, 1)))
