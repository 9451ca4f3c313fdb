"""The sliding-window arithmetic shared by conv and pooling layers, one axis at a time.

Output size for an axis of size ``n`` with kernel ``k``, stride ``s``, dilation ``d`` and
padding ``(before, after)``: the effective kernel is ``d*(k-1)+1`` and
``out = floor((n + before + after - eff) / s) + 1`` (Dumoulin & Visin, relationship 15).
``same`` follows TensorFlow exactly: ``out = ceil(n / s)``, the total padding
``max((out-1)*s + eff - n, 0)`` split with the odd pixel after (bottom/right). ``causal`` puts
``eff-1`` before (1D only, like Keras); ``full`` puts ``eff-1`` on both sides. ``ceil_mode``
follows PyTorch: the division rounds up, but the last window must start inside the input or the
left padding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..dims import Dim, ceil_div, is_concrete, to_str
from ..errors import ShapeError
from .base import fmt, set_hint


@dataclass(frozen=True)
class Axis:
    out: Dim
    pads: tuple[Dim, Dim] | None  # None: TF same over a symbolic size at a stride above 1 (depends on n mod s)
    explain: str
    constraint: tuple[Dim, int, str] | None


def axis_pads(padding: Any, rank: int, i: int, eff: int) -> tuple[int, int] | str:
    """This axis' (before, after) padding, or 'same' (resolved against the size later)."""
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        return "same"
    if padding == "full":
        return (eff - 1, eff - 1)
    if padding == "causal":
        if rank != 1:
            raise ShapeError(f"causal padding is for 1D inputs only; this input has {rank} spatial axes", field="padding")
        return (eff - 1, 0)
    if isinstance(padding, int):
        return (padding, padding)
    if len(padding) != rank:
        raise ShapeError(
            f"padding {[list(p) if isinstance(p, tuple) else p for p in padding]} has {len(padding)} entries but the input has {rank} spatial "
            f"{'axis' if rank == 1 else 'axes'}",
            field="padding",
        )
    item = padding[i]
    return tuple(item) if isinstance(item, tuple) else (item, item)  # type: ignore[return-value]


def equals(formula: str, value: Dim) -> str:
    """``formula = value``, or just the formula where it already reads as the value."""
    shown = str(value) if is_concrete(value) else to_str(value)
    return formula if formula == shown else f"{formula} = {shown}"


def _eff_text(k: int, d: int) -> str:
    return str(k) if d == 1 else f"({d}*({k}-1)+1)"


def _pad_text(pb: int, pa: int) -> str:
    if pb == pa:
        return "" if pb == 0 else f"+2*{pb}"
    return f"+{pb}+{pa}"


def slide(
    n: Dim, k: int, s: int, d: int, pads: tuple[int, int] | str, *, ceil_mode: bool = False, axis: int
) -> Axis:
    """One axis of a sliding window: output size, padding used and the explanation."""
    eff = d * (k - 1) + 1
    if pads == "same":
        out = ceil_div(n, s)
        text = equals(f"ceil({fmt(n)}/{s})", out)
        if is_concrete(n) or s == 1:  # at stride 1 the padding is eff-1 whatever the size
            total = max((int(out) - 1) * s + eff - int(n), 0) if is_concrete(n) else eff - 1  # type: ignore[arg-type]
            return Axis(out, (total // 2, total - total // 2), text, None)
        return Axis(out, None, text, None)
    pb, pa = pads
    span = n + pb + pa
    # ceil_mode keeps a last window that overhangs the padded input by up to s-1 (PyTorch)
    least = eff - s + 1 if ceil_mode else eff
    need = (span, least, f"padded size on axis {axis} >= {least}")
    if is_concrete(span) and span < least:  # type: ignore[operator]
        what = f"kernel {k}" if d == 1 else f"kernel {k} dilated by {d} (extent {eff})"
        raise ShapeError(
            f"{what} is larger than the padded input ({span}) on spatial axis {axis}",
            field="kernel",
            hint="use padding, a smaller kernel, or fewer downsampling layers before this one",
        )
    inner = f"{fmt(n)}{_pad_text(pb, pa)}-{_eff_text(k, d)}"
    if not ceil_mode:
        out = (span - eff) // s + 1
        return Axis(out, (pb, pa), equals(f"floor(({inner})/{s})+1", out), need)
    out = ceil_div(span - eff, s) + 1
    text = f"ceil(({inner})/{s})+1"
    if pa + s > eff:  # otherwise (out-1)*s < n+pb always: no window can start in the padding
        if not is_concrete(n) and pa <= eff:
            # the last start is the smaller of ceil((n+pb+pa-eff)/s) and ceil((n+pb)/s)-1, which
            # with pa+s > eff is the latter (a min of floors over one divisor is the floor of
            # the min); pa <= eff makes PyTorch's single "-1" correction reach it
            out = ceil_div(n + pb, s)
            return Axis(out, (pb, pa), f"{text}, last window starting inside: ceil(({fmt(n)}+{pb})/{s}) = {fmt(out)}", need)
        if not is_concrete(n):
            raise ShapeError(
                f"ceil_mode with right padding {pa} over the symbolic size {fmt(n)} is not supported",
                field="ceil_mode",
                hint=set_hint(n),
            )
        if (out - 1) * s >= n + pb:  # type: ignore[operator]
            out = out - 1
            text += "-1 (the last window would start in the padding)"
    return Axis(out, (pb, pa), equals(text, out), need)


def window_rf(axes: list[Axis], kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...]):
    """``Result.rf``: per axis (effective kernel, stride, padding before), or None when TF ``same``
    over a symbolic size leaves the padding unknown (at a stride above 1 it depends on the size mod
    the stride)."""
    if any(a.pads is None for a in axes):
        return None
    return tuple((d * (k - 1) + 1, s, a.pads[0]) for a, k, s, d in zip(axes, kernel, stride, dilation))  # type: ignore[index]
