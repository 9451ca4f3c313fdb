"""Cross-check against PyTorch: every layer again in torch, on the same input and weights.

Optional: needs ``pip install 'convcalc[torch]'``. For each layer the numpy executor has run, the
torch op here receives the same input arrays and the weights the numpy op drew, runs PyTorch's
own implementation (``torch.nn.functional``) and returns its output; ``check`` compares the two
numerically. Arrays arrive channels-last ``(1, spatial..., C)`` and are moved to PyTorch's
channels-first order and back. Kernels arrive HWIO ``(k..., C_in/groups, C_out)`` and go to
PyTorch's OIHW. Padding amounts come from the executor's own resolution (``sliding``); where
PyTorch has a native form (symmetric padding) it is used instead of an explicit pad.

Conventions matched on purpose: average pooling excludes padding (``count_include_pad=False``,
TensorFlow's rule), batchnorm uses Keras' epsilon 1e-3, GELU the tanh approximation, leaky ReLU
the slope 0.01.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..errors import CheckError
from .sliding import ceil_mode_counts, extents, per_axis, resolve_pads

TorchOp = Callable[[list[np.ndarray], dict, dict[str, np.ndarray], str], np.ndarray]
TORCH: dict[str, TorchOp] = {}
INSTALL_HINT = "install the optional backend: pip install 'convcalc[torch]'"


def load_torch() -> Any:
    """Import torch, or raise ImportError with the install hint."""
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"PyTorch is not installed: {INSTALL_HINT}") from exc
    return torch


def register(*names: str) -> Callable[[TorchOp], TorchOp]:
    def deco(fn: TorchOp) -> TorchOp:
        for name in names:
            TORCH[name] = fn
        return fn

    return deco


def to_torch(x: np.ndarray) -> Any:
    """(1, spatial..., C) numpy -> (1, C, spatial...) torch, copied into a fresh array: its
    strides are then the canonical ones on every axis. np.ascontiguousarray may keep odd strides
    on size-1 axes (with C=1: (24, 1, 3, 1)), which PyTorch 2.13's CPU conv2d takes for channels-
    last and then computes wrong values for unequal strides."""
    import torch

    return torch.from_numpy(_canonical(np.moveaxis(x, -1, 1)))


def _canonical(a: np.ndarray) -> np.ndarray:
    """A fresh C-order copy of ``a``: canonical strides on every axis, size-1 ones included."""
    out = np.empty(a.shape, dtype=a.dtype)
    out[...] = a
    return out


def from_torch(t: Any) -> np.ndarray:
    return np.moveaxis(t.detach().numpy(), 1, -1)


def oihw(kernel: np.ndarray) -> Any:
    import torch

    rank = kernel.ndim - 2
    return torch.from_numpy(_canonical(kernel.transpose((rank + 1, rank) + tuple(range(rank)))))


def _f() -> Any:
    import torch.nn.functional as F

    return F


def _nd(name: str, rank: int) -> Any:
    """``F.<name><rank>d`` (conv2d, max_pool3d...). PyTorch has them for 1-3 spatial axes only: for
    another rank the cross-check cannot run, which is not a disagreement (exit 2, as for a layer
    type the backend does not implement)."""
    fn = getattr(_f(), f"{name}{rank}d", None)
    if fn is None:
        raise cannot_cross_check(f"PyTorch has no {name}{rank}d ({rank} spatial axes)")
    return fn


def cannot_cross_check(why: str) -> CheckError:
    return CheckError(f"the torch backend cannot cross-check it: {why}",
                      hint="check it without --backend torch (numpy runs any rank)")


def _explicit_pad(t: Any, pads: tuple[tuple[int, int], ...], value: float = 0.0) -> Any:
    """F.pad wants the last axis first: (w_before, w_after, h_before, h_after, ...)."""
    flat = [p for pair in reversed(pads) for p in pair]
    return _f().pad(t, flat, value=value) if any(flat) else t


def _geometry(args: dict, x: np.ndarray, kernel: tuple[int, ...]) -> tuple[Any, ...]:
    rank = x.ndim - 2
    stride = per_axis(args.get("stride") or kernel, rank, "stride")
    dilation = per_axis(args.get("dilation", 1), rank, "dilation")
    pads = resolve_pads(args.get("padding", "valid"), x.shape[1:-1], kernel, stride, dilation)
    return stride, dilation, pads


def _symmetric(pads: tuple[tuple[int, int], ...]) -> tuple[int, ...] | None:
    return tuple(b for b, _ in pads) if all(b == a for b, a in pads) else None


@register("conv")
def conv(ins: list[np.ndarray], args: dict, weights: dict[str, np.ndarray], layout: str) -> np.ndarray:
    (x,) = ins
    w = weights["kernel"]
    rank = x.ndim - 2
    stride, dilation, pads = _geometry({**args, "stride": args.get("stride", 1)}, x, w.shape[:rank])
    t, native = to_torch(x), _symmetric(pads)
    if native is None:
        t, native = _explicit_pad(t, pads), (0,) * rank
    bias = weights.get("bias")
    conv_fn = _nd("conv", rank)
    out = conv_fn(t, oihw(w), None if bias is None else _tensor(bias), stride, native, dilation, int(args.get("groups", 1)))
    return from_torch(out)


def _tensor(a: np.ndarray) -> Any:
    import torch

    return torch.from_numpy(_canonical(a))


def _first(t: Any, counts: tuple[int, ...] | None) -> Any:
    """The first ``counts`` windows on each spatial axis of a (1, C, spatial...) tensor."""
    return t if counts is None else t[(slice(None), slice(None)) + tuple(slice(0, n) for n in counts)]


def _pool(op: str) -> TorchOp:
    def run(ins: list[np.ndarray], args: dict, weights: dict[str, np.ndarray], layout: str) -> np.ndarray:
        (x,) = ins
        rank = x.ndim - 2
        kernel = per_axis(args["kernel"], rank, "kernel")
        stride, dilation, pads = _geometry(args, x, kernel)
        t, native = to_torch(x), _symmetric(pads)
        ceil_mode = bool(args.get("ceil_mode", False))
        # padded explicitly, a ceil_mode window may start in the right padding, which PyTorch's rule
        # (a window starts in the input or the left padding) drops: keep the windows it keeps
        counts = ceil_mode_counts(x.shape[1:-1], pads, stride, extents(kernel, dilation)) if ceil_mode else None
        if op == "max":  # PyTorch pads natively only symmetric padding up to half the kernel
            if native is None or any(p > k // 2 for p, k in zip(native, kernel)):
                t, native = _explicit_pad(t, pads, float("-inf")), (0,) * rank
            out = _nd("max_pool", rank)(t, kernel, stride, native, dilation, ceil_mode)
            return from_torch(_first(out, counts))
        pool = _nd("avg_pool", rank)
        if native is not None:
            return from_torch(pool(t, kernel, stride, native, ceil_mode, count_include_pad=False))
        # asymmetric padding: sum over zero-padded windows divided by the real elements counted
        ones = _explicit_pad(t.new_ones((1, 1) + tuple(t.shape[2:])), pads)
        zero = (0,) * rank
        total = pool(_explicit_pad(t, pads), kernel, stride, zero, ceil_mode, count_include_pad=True)
        count = pool(ones, kernel, stride, zero, ceil_mode, count_include_pad=True)
        return from_torch(_first(total / count, counts))

    return run


register("maxpool")(_pool("max"))
register("avgpool")(_pool("avg"))


def _global(op: str) -> TorchOp:
    def run(ins: list[np.ndarray], args: dict, weights: dict[str, np.ndarray], layout: str) -> np.ndarray:
        t = to_torch(ins[0])
        dims = tuple(range(2, t.ndim))
        keep = bool(args.get("keepdims", False))
        out = t.mean(dim=dims, keepdim=True) if op == "avg" else t.amax(dim=dims, keepdim=True)
        out = from_torch(out)
        return out if keep else out.reshape(out.shape[0], -1)

    return run


register("global_avgpool")(_global("avg"))
register("global_maxpool")(_global("max"))


@register("batchnorm")
def batchnorm(ins: list[np.ndarray], args: dict, weights: dict[str, np.ndarray], layout: str) -> np.ndarray:
    w = {k: _tensor(v) for k, v in weights.items()}
    out = _f().batch_norm(to_torch(ins[0]), w["moving_mean"], w["moving_variance"], w.get("gamma"), w.get("beta"),
                          training=False, eps=1e-3)
    return from_torch(out)


def _activations() -> dict[str, Callable[[Any], Any]]:
    F = _f()
    return {
        "linear": lambda t: t, "relu": F.relu, "relu6": F.relu6, "leaky_relu": lambda t: F.leaky_relu(t, 0.01),
        "gelu": lambda t: F.gelu(t, approximate="tanh"), "silu": F.silu, "swish": F.silu,
        "sigmoid": F.sigmoid, "tanh": F.tanh, "softmax": lambda t: F.softmax(t, dim=1), "elu": F.elu,
        "selu": F.selu, "hard_swish": F.hardswish, "mish": F.mish,
    }


def _activation(fixed: str | None) -> TorchOp:
    def run(ins: list[np.ndarray], args: dict, weights: dict[str, np.ndarray], layout: str) -> np.ndarray:
        return from_torch(_activations()[fixed or args["fn"]](to_torch(ins[0])))

    return run


for _name in ("relu", "relu6", "leaky_relu", "gelu", "silu", "sigmoid", "tanh", "softmax"):
    register(_name)(_activation(_name))
register("activation")(_activation(None))


@register("dropout")
def dropout(ins: list[np.ndarray], args: dict, weights: dict[str, np.ndarray], layout: str) -> np.ndarray:
    return from_torch(_f().dropout(to_torch(ins[0]), float(args.get("rate", 0.5)), training=False))


@register("flatten")
def flatten(ins: list[np.ndarray], args: dict, weights: dict[str, np.ndarray], layout: str) -> np.ndarray:
    t = to_torch(ins[0])  # (1, C, spatial...): PyTorch's own order
    if layout != "chw":
        t = t.permute((0,) + tuple(range(2, t.ndim)) + (1,))  # Keras flattens channels last
    return t.flatten(1).numpy()


@register("dense", "linear")
def dense(ins: list[np.ndarray], args: dict, weights: dict[str, np.ndarray], layout: str) -> np.ndarray:
    x = ins[0]
    axis = -2 if layout == "chw" and x.ndim > 2 else -1
    t = _tensor(np.moveaxis(x, axis, -1))
    bias = weights.get("bias")
    out = _f().linear(t, _tensor(weights["kernel"].T), None if bias is None else _tensor(bias))
    return np.moveaxis(out.numpy(), -1, axis)


from . import torch_layers  # noqa: E402,F401  (registers the other layer families)

# --------------------------------------------------------------------------------------------
# the cross-check: torch's output against numpy's, layer by layer

RTOL = 1e-4  # float32 sums of a few thousand products differ by ~1e-6 relative; a bug by ~1


def tolerance(reference: np.ndarray) -> float:
    """The largest |torch - numpy| accepted: RTOL x the largest |value| of numpy's output (at
    least 1, so outputs near zero are held to an absolute 1e-4)."""
    finite = np.abs(reference[np.isfinite(reference)])
    return RTOL * max(1.0, float(finite.max()) if finite.size else 0.0)


def max_difference(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b|, with equal infinities counting as equal and a NaN as infinitely far."""
    if a.size == 0:
        return 0.0
    with np.errstate(invalid="ignore"):  # inf - inf: equal infinities are masked out below
        diff = np.where(a == b, 0.0, np.abs(a.astype(np.float64) - b.astype(np.float64)))
    return float("inf") if np.isnan(diff).any() else float(diff.max())


class CrossCheck:
    """Runs the torch op of each layer the numpy executor has run and compares the outputs."""

    def __init__(self) -> None:
        try:
            self.version = str(load_torch().__version__)
        except ImportError as exc:
            raise CheckError("--backend torch needs PyTorch, which is not installed",
                             hint=INSTALL_HINT + " (convcalc works fully without it)") from exc
        self.layers = 0
        self.max_abs_diff = 0.0

    def merge(self, other: "CrossCheck") -> "CrossCheck":
        """The totals of two runs (a symbolic plan is checked at several values)."""
        self.layers += other.layers
        self.max_abs_diff = max(self.max_abs_diff, other.max_abs_diff)
        return self

    def __call__(self, layer_type: str, ins: list[np.ndarray], args: dict, weights: dict[str, np.ndarray],
                 layout: str, expected: np.ndarray) -> tuple[float, float | str] | None:
        """None when torch agrees; otherwise (tolerance, what torch gave: the max abs difference,
        or a sentence when its shape differs or it refused the layer)."""
        import torch

        if layer_type not in TORCH:
            raise CheckError(f"the torch backend has no implementation of layer type '{layer_type}'")
        allowed = tolerance(expected)
        try:
            with torch.no_grad():
                got = np.asarray(TORCH[layer_type](ins, args, weights, layout))
        except (RuntimeError, ValueError, TypeError) as exc:
            return allowed, f"PyTorch refused the layer: {exc}".splitlines()[0]
        self.layers += 1
        if got.shape != expected.shape:
            return allowed, f"PyTorch's output has shape {got.shape[1:]}, numpy's {expected.shape[1:]}"
        diff = max_difference(got, expected)
        if not np.isfinite(diff):
            return allowed, "PyTorch's and numpy's outputs differ by inf or NaN"
        self.max_abs_diff = max(self.max_abs_diff, diff)
        return None if diff <= allowed else (allowed, diff)
