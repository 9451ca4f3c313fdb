"""convcalc: a calculator for convolutional networks.

The stages are the public API::

    spec = convcalc.load("examples/seed-two-convs.yaml")   # or convcalc.spec.parse_source(...)
    plan = convcalc.infer(spec)                              # shapes, params, MACs (no numpy)
    report = convcalc.check(plan)                            # real numpy tensors (imports numpy)

Submodules are imported lazily so that ``import convcalc`` stays cheap.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "check", "infer", "load", "plan"]


def load(path: str) -> Any:
    """Parse a YAML spec file into a ModelSpec."""
    from .spec import load_file

    return load_file(path)


def infer(spec: Any, **options: Any) -> Any:
    """Run the shape engine on a ModelSpec; returns a Plan."""
    from .engine import infer as _infer

    return _infer(spec, **options)


def plan(path: str, **options: Any) -> Any:
    """load + infer: the Plan of a YAML spec file."""
    return infer(load(path), **options)


def check(plan: Any, *, seed: int = 0, backend: str = "numpy") -> Any:
    """Run a Plan on real numpy tensors and compare every count; returns a CheckReport. With
    symbols left unset, it runs at several values of them (convcalc/symcheck.py).
    ``backend="torch"`` also compares every layer's output with PyTorch's."""
    from .symcheck import check as _check

    return _check(plan, seed=seed, backend=backend)
