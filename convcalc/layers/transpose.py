"""Transposed convolution: ``conv_transpose`` (PyTorch ConvTransposeNd, Keras ConvNDTranspose).

A transposed conv maps the output shape of a conv back to its input shape (Dumoulin & Visin,
relationships 8-14): every input element scatters a copy of the kernel, scaled by itself, into
the output at ``stride`` spacing; the result is then cropped by the padding. Per axis, with the
effective kernel ``eff = d*(k-1)+1``:

* an int (default 0), ``[before, after]`` pairs or ``full`` (PyTorch's rule; ``full`` crops
  ``eff-1`` on both sides, as Keras' ``deconv_output_length`` does):
  ``out = (n-1)*s - before - after + eff + output_padding``
* ``same`` and ``valid`` follow Keras' ``deconv_output_length`` exactly. With ``output_padding``
  not given, Keras infers it: ``same`` gives ``n*s``, ``valid`` gives ``n*s + max(eff-s, 0)``
  (that is ``(n-1)*s + eff + max(s-eff, 0)``). With it given: ``same`` pads ``eff//2`` on each
  side, ``(n-1)*s + eff - 2*(eff//2) + output_padding``; ``valid`` ``(n-1)*s + eff +
  output_padding``.

``padding`` defaults to 0, not ``valid``: with 0 the size is Dumoulin & Visin's
``s*(n-1) + eff`` (relationship 12) and PyTorch's; Keras' ``valid`` differs from it only when
the stride exceeds the kernel extent, where Keras pads the output up to ``n*s``.
``output_padding`` (default: 0, or Keras' inferred value under ``same``/``valid``) adds to the
end of each axis and must be smaller than the stride or the dilation (PyTorch's rule).
``causal`` is refused: neither framework defines it for a transposed conv.

The kernel is stored transposed, as both frameworks do: canonically ``(k..., filters/groups,
C_in)``, which ``hwio`` shows as is (Keras' Conv2DTranspose kernel ``(k..., filters, C_in)``)
and ``oihw`` as ``(C_in, filters/groups, k...)``, PyTorch's ConvTranspose weight.

params = C_in * filters/groups * prod(kernel) + filters (bias)
macs   = prod(input spatial) * C_in * filters/groups * prod(kernel)

MACs are counted per *input* position: each input element is multiplied once by every tap of
the kernel for each output channel of its group. The conv formula applied to the output
(output positions x filters x C_in/groups x kernel) counts each output position as if the
whole kernel covered it, over-counting by about stride^rank; thop (ultralytics/thop#92, fixed
by #93) and ptflops (sovrasov/flops-counter.pytorch#149) shipped that count. fvcore counts per
input position, as here.

Receptive field: at stride 1 output unit u sums input units u+b-(eff-1) .. u+b (b the elements
the crop drops before the output starts), the window of a conv padded eff-1-b before. A larger
stride upsamples, a fractional jump (1/stride): the field is not reported after it.
"""

from __future__ import annotations

from ..dims import Dim, is_concrete
from ..errors import ShapeError
from .base import (
    Arg,
    Ctx,
    LayerType,
    Node,
    Result,
    Shape,
    fmt,
    ints,
    nonneg_int,
    padding,
    per_axis,
    product,
    register,
)
from .conv import CONV_ARGS, compact_size, conv_geometry
from .window import _eff_text, axis_pads, equals


def _crop_text(pb: int, pa: int) -> str:
    if pb == pa:
        return "" if pb == 0 else f"-2*{pb}"
    return f"-{pb}-{pa}"


def keras_inferred(pad: object, op: int | None) -> bool:
    """True when Keras' ``deconv_output_length`` infers the size (same/valid, no output_padding)."""
    return op is None and pad in ("same", "valid")


def transpose_axis(n: Dim, k: int, s: int, d: int, pad: object, op: int | None, rank: int,
                   i: int) -> tuple[Dim, str, int | None]:
    """One axis of a transposed conv: the output size, how it was computed, and how many elements
    of the uncropped sum ``(n-1)*s + eff`` are dropped before the output starts (None where it
    depends on the size: Keras ``same`` at a stride above 1)."""
    eff = d * (k - 1) + 1
    if pad == "causal":
        raise ShapeError("conv_transpose does not take causal padding", field="padding",
                         hint="use valid, same, full, an int or [before, after] pairs")
    if keras_inferred(pad, op):
        if pad == "same":  # TensorFlow drops the forward conv's SAME padding before: half, rounded down;
            out = n * s  # at stride 1 that padding is eff-1 in all, whatever the size
            return out, equals(f"{fmt(n)}*{s}", out) + " (Keras same)", (eff - 1) // 2 if s == 1 else None
        extra = max(s - eff, 0)
        out = (n - 1) * s + eff + extra
        note = f"+{extra} (Keras valid: output_padding max(s-k, 0))" if extra else ""
        return out, equals(f"({fmt(n)}-1)*{s}+{_eff_text(k, d)}{note}", out), 0
    op = op or 0
    pb, pa = (eff // 2, eff // 2) if pad == "same" else axis_pads(pad, rank, i, eff)
    out = (n - 1) * s - pb - pa + eff + op
    text = f"({fmt(n)}-1)*{s}{_crop_text(pb, pa)}+{_eff_text(k, d)}{f'+{op}' if op else ''}"
    if pad == "same":  # Keras sizes it with eff//2 a side, but TensorFlow crops the SAME padding before
        return out, equals(text, out), (eff - 1) // 2 if s == 1 else None
    return out, equals(text, out), pb


def _check_output_padding(op: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...]) -> None:
    for i, (a, s, d) in enumerate(zip(op, stride, dilation)):
        if a >= s and a >= d:
            raise ShapeError(
                f"output_padding {a} on spatial axis {i} must be smaller than the stride ({s}) or the dilation ({d})",
                field="output_padding",
                hint="PyTorch's rule: output padding only picks among the sizes one stride apart",
            )


def _positive(out: Dim, i: int) -> tuple[Dim, int, str] | None:
    if is_concrete(out):
        if out < 1:  # type: ignore[operator]
            raise ShapeError(f"the padding crops the output of spatial axis {i} to {out}", field="padding",
                             hint="use less padding or a larger kernel or stride")
        return None
    return (out, 1, f"output size on axis {i} >= 1")


def infer_conv_transpose(node: Node, inputs: list[Shape], ctx: Ctx) -> Result:
    (shape,) = inputs
    cin, kernel, filters, stride, dilation, groups = conv_geometry(node, shape)
    rank = len(kernel)
    raw_op = node.args.get("output_padding")
    op = per_axis(raw_op, rank, "output_padding") if raw_op is not None else (None,) * rank
    if raw_op is not None:
        _check_output_padding(op, stride, dilation)  # type: ignore[arg-type]
    axes = [transpose_axis(shape[i], kernel[i], stride[i], dilation[i], node.args["padding"], op[i], rank, i)
            for i in range(rank)]
    out_spatial = tuple(out for out, _, _ in axes)
    fg, ktext, bias = filters // groups, "*".join(map(str, kernel)), node.args["bias"]
    return Result(
        output=out_spatial + (filters,),
        kernel=tuple(kernel) + (fg, cin),
        bias=(filters,) if bias else None,
        trainable=cin * fg * product(kernel) + (filters if bias else 0),
        params_formula=f"{cin}*{fg}*{ktext}{f'+{filters}' if bias else ''}",
        macs=product(shape[:-1]) * cin * fg * product(kernel),
        macs_formula="*".join(fmt(n) for n in shape[:-1]) + f"*{cin}*{fg}*{ktext}",
        explain=[f"axis {i}: {text}" for i, (_, text, _) in enumerate(axes)]
        + ["MACs are counted per input position (each meets every kernel tap once)"],
        constraints=[c for i, (out, _, _) in enumerate(axes) if (c := _positive(out, i)) is not None],
        rf=_field_window(kernel, stride, dilation, [pb for _, _, pb in axes]),
    )


def _field_window(kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...],
                  crops: list[int | None]) -> tuple[tuple[int, int, int], ...] | None:
    """``Result.rf`` at stride 1: output unit u sums input units u+pb-(eff-1) .. u+pb (every d-th),
    the window of a conv with padding eff-1-pb before. At a larger stride the field's jump would
    be a fraction: None ends it."""
    if any(s != 1 for s in stride):
        return None
    effs = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    return tuple((e, 1, e - 1 - pb) for e, pb in zip(effs, crops))  # type: ignore[operator]


register(
    LayerType(
        name="conv_transpose",
        args={**CONV_ARGS, "padding": Arg(padding, 0, "int | list | pairs | full (PyTorch) | same | valid (Keras)"),
              "output_padding": Arg(
            ints(nonneg_int), None,
            "extra size at the end of each axis, < stride or < dilation (default 0; Keras' inferred size "
            "under same/valid)")},
        infer=infer_conv_transpose,
        doc="transposed convolution (PyTorch nn.ConvTransposeNd / Keras ConvNDTranspose)",
        macs_doc="input positions x C_in x filters/groups x kernel size",
        compact=compact_size,
    )
)
