"""convcalc: a calculator for convolutional networks.

The stages are the public API::

    spec = convcalc.load("examples/seed-two-convs.yaml")   # or convcalc.spec.parse_source(...)
    plan = convcalc.infer(spec)                              # shapes, params, MACs (no numpy)
    report = convcalc.check(plan)                            # real numpy tensors (imports numpy)

Submodules are imported lazily so that ``import convcalc`` stays cheap.
"""

from __future__ import annotations

import os
from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "check", "infer", "load", "plan"]


def load(path: str | os.PathLike[str]) -> Any:
    """Parse a YAML spec file into a ModelSpec."""
    if not isinstance(path, (str, os.PathLike)):  # an int would be read as a file descriptor
        raise TypeError(f"convcalc.load takes a file path (str or os.PathLike), got {type(path).__name__}")
    from .spec import load_file

    return load_file(os.fspath(path))


def infer(spec: Any, *, dtype: str = "float32", batch: int = 1, kernel_layout: str | None = None) -> Any:
    """Run the shape engine on a ModelSpec; returns a Plan. ``dtype`` and ``batch`` size the
    memory figures (as --dtype and --batch), ``kernel_layout`` is "hwio" or "oihw" (default:
    the spec's, else hwio for hwc and oihw for chw)."""
    from .engine import DTYPE_BYTES
    from .engine import infer as _infer
    from .spec import ModelSpec

    if not isinstance(spec, ModelSpec):
        raise TypeError(f"convcalc.infer takes a ModelSpec (from convcalc.load), got {type(spec).__name__}")
    _one_of("dtype", dtype, tuple(DTYPE_BYTES))
    _one_of("kernel_layout", kernel_layout, (None, "hwio", "oihw"))
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise ValueError(f"batch must be a positive int, got {batch!r}")
    return _infer(spec, dtype=dtype, batch=batch, kernel_layout=kernel_layout)


def plan(path: str | os.PathLike[str], **options: Any) -> Any:
    """load + infer: the Plan of a YAML spec file (``options`` as for :func:`infer`)."""
    return infer(load(path), **options)


def check(plan: Any, *, seed: int = 0, backend: str = "numpy", max_bytes: int | None = None) -> Any:
    """Run a Plan on real numpy tensors and compare every count; returns a CheckReport. With
    symbols left unset, it runs at several values of them (convcalc/symcheck.py).
    ``backend="torch"`` also compares every layer's output with PyTorch's; ``max_bytes`` refuses
    a run estimated above it (as --max-check-memory; default: half of the available memory)."""
    from .engine import Plan
    from .symcheck import check as _check

    if not isinstance(plan, Plan):
        raise TypeError(f"convcalc.check takes a Plan (from convcalc.infer or convcalc.plan), got {type(plan).__name__}")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be an int >= 0, got {seed!r}")
    if max_bytes is not None and (not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes < 1):
        raise ValueError(f"max_bytes must be a positive int (bytes) or None, got {max_bytes!r}")
    return _check(plan, seed=seed, backend=backend, max_bytes=max_bytes)


def _one_of(name: str, value: Any, allowed: tuple[Any, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(str, allowed))}; got {value!r}")
