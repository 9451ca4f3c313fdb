"""PyTorch ops for the layer families beyond the core set (registered into ``torch_backend.TORCH``).

Same contract as :mod:`.torch_backend`: each op gets the numpy op's inputs (channels last, batch
1), its arguments, the weights the numpy op drew and the layout, and returns PyTorch's output
channels last. Where PyTorch has the operation it is used as is; where it has not:

* ``conv_transpose`` with ``same``/``valid`` (Keras' sizes) or uneven padding: PyTorch's padding
  is symmetric, so the op runs with padding 0 and the result is cut to the executor's window
  (``transpose.crop_windows``) with ``F.pad`` (negative amounts crop, positive ones append the
  zeros ``output_padding`` may ask for);
* ``pixel_shuffle`` / ``pixel_unshuffle`` outside 2D (PyTorch ships only the 2D op): a
  transposed conv (a conv) with kernel and stride ``r`` and one-hot weights, one group per output
  (input) channel, which moves channel ``c*r^d + i`` to offset ``i`` of the ``r^d`` block;
* ``permute`` / ``reshape`` act on the tensor in the displayed order, as the user's PyTorch code
  would (channels first for ``chw``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .sliding import per_axis, resolve_pads
from .torch_backend import _explicit_pad, _f, _nd, _symmetric, cannot_cross_check, _tensor, from_torch, oihw, register, to_torch
from .transpose import crop_windows

Weights = dict[str, np.ndarray]


def _bias(weights: Weights, name: str = "bias") -> Any:
    b = weights.get(name)
    return None if b is None else _tensor(b)


def _grouped_conv(t: Any, hwio: np.ndarray, bias: Any, args: dict, groups: int) -> Any:
    """A conv of the channels-first tensor ``t`` with an HWIO weight, the executor's padding."""
    rank = t.ndim - 2
    kernel = hwio.shape[:rank]
    stride = per_axis(args.get("stride", 1), rank, "stride")
    dilation = per_axis(args.get("dilation", 1), rank, "dilation")
    pads = resolve_pads(args.get("padding", "valid"), tuple(t.shape[2:]), kernel, stride, dilation)
    native = _symmetric(pads)
    if native is None:
        t, native = _explicit_pad(t, pads), (0,) * rank
    return _nd("conv", rank)(t, oihw(hwio), bias, stride, native, dilation, groups)


def _depthwise(t: Any, kernel: np.ndarray, bias: Any, args: dict) -> Any:
    """Keras' ``(k..., C, m)`` weight as PyTorch's ``(C*m, 1, k...)``, a conv with groups=C."""
    c, m = kernel.shape[-2:]
    return _grouped_conv(t, kernel.reshape(kernel.shape[:-2] + (1, c * m)), bias, args, c)


@register("depthwise_conv")
def depthwise_conv(ins: list[np.ndarray], args: dict, weights: Weights, layout: str) -> np.ndarray:
    return from_torch(_depthwise(to_torch(ins[0]), weights["kernel"], _bias(weights), args))


@register("separable_conv")
def separable_conv(ins: list[np.ndarray], args: dict, weights: Weights, layout: str) -> np.ndarray:
    mid = _depthwise(to_torch(ins[0]), weights["kernel"], None, args)  # no depthwise bias (Keras)
    pointwise = weights["pointwise"]
    return from_torch(_nd("conv", mid.ndim - 2)(mid, oihw(pointwise), _bias(weights)))


@register("conv_transpose")
def conv_transpose(ins: list[np.ndarray], args: dict, weights: Weights, layout: str) -> np.ndarray:
    x, w = ins[0], weights["kernel"]  # (k..., filters/groups, C_in): oihw() gives PyTorch's order
    rank = x.ndim - 2
    kernel, sizes = w.shape[:rank], x.shape[1:-1]
    stride = per_axis(args.get("stride", 1), rank, "stride")
    dilation = per_axis(args.get("dilation", 1), rank, "dilation")
    raw = args.get("output_padding")
    given = per_axis(raw, rank, "output_padding") if raw is not None else None
    padding = args.get("padding", 0)
    fn = _nd("conv_transpose", rank)
    groups = int(args.get("groups", 1))
    native = None if isinstance(padding, str) and padding in ("same", "valid") else _symmetric(
        resolve_pads(padding, sizes, kernel, stride, dilation))
    if native is not None:
        return from_torch(fn(to_torch(x), oihw(w), _bias(weights), stride, native, given or 0, groups, dilation))
    full = fn(to_torch(x), oihw(w), None, stride, 0, 0, groups, dilation)
    windows = crop_windows(padding, sizes, kernel, stride, dilation, given or (None,) * rank)
    amounts = tuple((-b, b + m - n) for (b, m), n in zip(windows, full.shape[2:]))
    out = _f().pad(full, [v for pair in reversed(amounts) for v in pair])
    bias = _bias(weights)
    return from_torch(out if bias is None else out + bias.reshape((1, -1) + (1,) * rank))


def _adaptive(op: str):
    def run(ins: list[np.ndarray], args: dict, weights: Weights, layout: str) -> np.ndarray:
        t = to_torch(ins[0])
        rank = t.ndim - 2
        return from_torch(_nd(f"adaptive_{op}_pool", rank)(t, per_axis(args["output"], rank, "output")))

    return run


register("adaptive_avgpool")(_adaptive("avg"))
register("adaptive_maxpool")(_adaptive("max"))


@register("upsample")
def upsample(ins: list[np.ndarray], args: dict, weights: Weights, layout: str) -> np.ndarray:
    t = to_torch(ins[0])
    if t.ndim - 2 > 3:
        raise cannot_cross_check(f"PyTorch's interpolate takes 1-3 spatial axes, not {t.ndim - 2}")
    scale = tuple(float(s) for s in per_axis(args.get("scale", 2), t.ndim - 2, "scale"))
    mode = args.get("mode", "nearest")
    corners = None if mode == "nearest" else False  # nn.Upsample's default
    return from_torch(_f().interpolate(t, scale_factor=scale, mode=mode, align_corners=corners))


def _one_hot(channels: int, r: int, rank: int) -> Any:
    """``(channels*r^d, 1, r, ...)``: row ``c*r^d + i`` is 1 at tap ``i`` (row-major)."""
    import torch

    block = torch.eye(r**rank).reshape((r**rank, 1) + (r,) * rank)
    return block.repeat((channels, 1) + (1,) * rank)


def _pixel(inverse: bool):
    """PyTorch's 2D op; other ranks: a (transposed) conv, kernel and stride r, one-hot weights."""

    def run(ins: list[np.ndarray], args: dict, weights: Weights, layout: str) -> np.ndarray:
        t, r = to_torch(ins[0]), int(args["scale"])
        rank = t.ndim - 2
        if rank == 2:
            return from_torch((_f().pixel_unshuffle if inverse else _f().pixel_shuffle)(t, r))
        if inverse:  # channel c*r^d + i of the output reads offset i of c's r^d block
            c = t.shape[1]
            return from_torch(_nd("conv", rank)(t, _one_hot(c, r, rank), None, r, 0, 1, c))
        c = t.shape[1] // r**rank  # channel c*r^d + i of the input goes to offset i of c's block
        return from_torch(_nd("conv_transpose", rank)(t, _one_hot(c, r, rank), None, r, 0, 0, c))

    return run


register("pixel_shuffle", "depth_to_space")(_pixel(inverse=False))
register("pixel_unshuffle", "space_to_depth")(_pixel(inverse=True))


def _displayed(x: np.ndarray, layout: str) -> Any:
    return to_torch(x) if layout == "chw" else _tensor(x)


def _back(t: Any, layout: str) -> np.ndarray:
    return from_torch(t) if layout == "chw" else t.numpy()


@register("permute")
def permute(ins: list[np.ndarray], args: dict, weights: Weights, layout: str) -> np.ndarray:
    order = tuple(int(o) + 1 for o in args["order"])
    return _back(_displayed(ins[0], layout).permute((0,) + order), layout)


@register("reshape")
def reshape(ins: list[np.ndarray], args: dict, weights: Weights, layout: str) -> np.ndarray:
    shape = tuple(int(s) for s in args["shape"])
    return _back(_displayed(ins[0], layout).reshape((1,) + shape), layout)


def _border(ins: list[np.ndarray], amount: Any, sign: int) -> np.ndarray:
    t = to_torch(ins[0])
    rank = t.ndim - 2
    pads = resolve_pads(amount, tuple(t.shape[2:]), (1,) * rank, (1,) * rank, (1,) * rank)
    flat = [sign * v for pair in reversed(pads) for v in pair]  # F.pad crops on negative amounts
    return from_torch(_f().pad(t, flat))


@register("zeropad")
def zeropad(ins: list[np.ndarray], args: dict, weights: Weights, layout: str) -> np.ndarray:
    return _border(ins, args.get("padding", 1), 1)


@register("crop")
def crop(ins: list[np.ndarray], args: dict, weights: Weights, layout: str) -> np.ndarray:
    return _border(ins, args.get("cropping", 0), -1)


EPS = 1e-5  # PyTorch's default, as the executor uses


@register("layernorm")
def layernorm(ins: list[np.ndarray], args: dict, weights: Weights, layout: str) -> np.ndarray:
    t = _tensor(ins[0])  # channels last: LayerNorm(C) normalises the last axis
    return _f().layer_norm(t, t.shape[-1:], _bias(weights, "gamma"), _bias(weights, "beta"), EPS).numpy()


@register("groupnorm")
def groupnorm(ins: list[np.ndarray], args: dict, weights: Weights, layout: str) -> np.ndarray:
    t = to_torch(ins[0])
    return from_torch(_f().group_norm(t, int(args["groups"]), _bias(weights, "gamma"), _bias(weights, "beta"), EPS))


@register("instancenorm")
def instancenorm(ins: list[np.ndarray], args: dict, weights: Weights, layout: str) -> np.ndarray:
    t = to_torch(ins[0])
    out = _f().instance_norm(t, weight=_bias(weights, "gamma"), bias=_bias(weights, "beta"), eps=EPS)
    return from_torch(out)


def _merge(combine: str):
    """``torch.add`` / ``torch.mul`` over the inputs as displayed (PyTorch broadcasts like numpy)."""

    def run(ins: list[np.ndarray], args: dict, weights: Weights, layout: str) -> np.ndarray:
        import torch

        tensors = [_displayed(x, layout) for x in ins]
        out = tensors[0]
        for t in tensors[1:]:
            out = getattr(torch, combine)(out, t)
        return _back(out, layout)

    return run


register("add")(_merge("add"))
register("multiply")(_merge("mul"))


@register("concat")
def concat(ins: list[np.ndarray], args: dict, weights: Weights, layout: str) -> np.ndarray:
    import torch

    tensors = [_displayed(x, layout) for x in ins]
    axis = args.get("axis")
    if axis is None:  # the channel axis: dim 1 of a channels-first tensor, else the last
        axis = 0 if layout == "chw" and tensors[0].ndim > 2 else -1
    return _back(torch.cat(tensors, dim=axis + 1 if axis >= 0 else axis), layout)
