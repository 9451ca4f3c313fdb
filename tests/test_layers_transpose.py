"""conv_transpose: shapes, kernels, params and MACs written as their derivation; the executor's
scatter-add against literal arrays, Dumoulin & Visin's equivalent direct convolution and the
adjoint of the forward conv; and `check` agreement in both layouts."""

from __future__ import annotations

import re

import numpy as np
import pytest

from convcalc.dims import symbol
from convcalc.engine import display_kernel
from convcalc.errors import ConvCalcError
from convcalc.reference import check
from convcalc.reference.sliding import resolve_pads
from convcalc.reference.spatial import conv_nd
from convcalc.reference.transpose import conv_transpose_nd, crop_windows
from helpers import assert_checks, plan_layers

CT = "conv_transpose: {{filters: 4, kernel: [3, 2], stride: [2, 3]{}}}"  # on 5x7x3: eff 3 and 2

SHAPES = [
    # (input, layer, output, canonical kernel (k..., filters/groups, C_in))
    ("5x7x3", CT.format(""), ((5 - 1) * 2 + 3, (7 - 1) * 3 + 2, 4), (3, 2, 4, 3)),
    # Keras valid, no output_padding: n*s + max(eff-s, 0): axis 1 has s=3 > eff=2
    ("5x7x3", CT.format(", padding: valid"), (5 * 2 + max(3 - 2, 0), 7 * 3 + max(2 - 3, 0), 4), (3, 2, 4, 3)),
    # Keras same, no output_padding: n*s
    ("5x7x3", CT.format(", padding: same"), (5 * 2, 7 * 3, 4), (3, 2, 4, 3)),
    # Keras same with output_padding: (n-1)*s + eff - 2*(eff//2) + op
    ("5x7x3", CT.format(", padding: same, output_padding: [1, 0]"), (4 * 2 + 3 - 2 * 1 + 1, 6 * 3 + 2 - 2 * 1 + 0, 4), (3, 2, 4, 3)),
    ("5x7x3", CT.format(", padding: valid, output_padding: [1, 2]"), (4 * 2 + 3 + 1, 6 * 3 + 2 + 2, 4), (3, 2, 4, 3)),
    # PyTorch: (n-1)*s - before - after + eff + op
    ("5x7x3", CT.format(", padding: [1, 0], output_padding: [1, 2]"), (4 * 2 - 2 + 3 + 1, 6 * 3 - 0 + 2 + 2, 4), (3, 2, 4, 3)),
    ("5x7x3", CT.format(", padding: [[0, 1], [2, 1]]"), (4 * 2 - 1 + 3, 6 * 3 - 3 + 2, 4), (3, 2, 4, 3)),
    # full crops eff-1 on both sides (Keras: n*s - (s + eff - 2))
    ("5x7x3", CT.format(", padding: full"), (5 * 2 - (2 + 3 - 2), 7 * 3 - (3 + 2 - 2), 4), (3, 2, 4, 3)),
    # dilation [2, 3]: eff = 2*(3-1)+1 = 5 and 3*(2-1)+1 = 4, stride 1
    ("5x7x3", "conv_transpose: {filters: 4, kernel: [3, 2], dilation: [2, 3]}", (4 + 5, 6 + 4, 4), (3, 2, 4, 3)),
    # output_padding 1 with stride 1 is allowed by a dilation of 2 (PyTorch: < stride or < dilation)
    ("5x7x3", "conv_transpose: {filters: 4, kernel: 3, dilation: [2, 1], output_padding: [1, 0]}", (4 + 5 + 1, 6 + 3, 4), (3, 3, 4, 3)),
    ("4x5x6", "conv_transpose: {filters: 4, kernel: 2, stride: 2, groups: 2}", (8, 10, 4), (2, 2, 4 // 2, 6)),
    ("10x2", "conv_transpose: {filters: 3, kernel: 4, stride: 2, padding: 1}", ((10 - 1) * 2 - 2 + 4, 3), (4, 3, 2)),
    ("2x3x4x1", "conv_transpose: {filters: 2, kernel: [2, 3, 1], stride: [2, 1, 3]}", (1 * 2 + 2, 2 * 1 + 3, 3 * 3 + 1, 2), (2, 3, 1, 2, 1)),
    ("7x7x8", "conv_transpose: 3x3x16,stride=2,padding=1,output_padding=1", (14, 14, 16), (3, 3, 16, 8)),
]


@pytest.mark.parametrize("inp,layer,output,kernel", SHAPES, ids=[c[1] + " @" + c[0] for c in SHAPES])
def test_shape_and_kernel(inp, layer, output, kernel):
    lp = plan_layers(inp, layer).layers[0]
    assert lp.output == output
    assert lp.result.kernel == kernel
    if "stride" in layer:  # upsampling: the field's jump would be a fraction, so it ends here
        assert lp.rf is None
    else:
        assert lp.rf is not None


FIELDS = [
    # (layer, field size, start) after one stride-1 transposed conv: output u sums input units
    # u+b-(eff-1) .. u+b, b the elements cropped before: the window of a conv padded eff-1-b
    # before, so size = eff and start = (eff-1)/2 - (eff-1-b) = b - (eff-1)/2
    ("conv_transpose: {filters: 2, kernel: 3}", (3, 3), (-1, -1)),  # valid: b = 0
    ("conv_transpose: {filters: 2, kernel: [3, 2], dilation: [2, 3]}", (5, 4), (-2, -1.5)),  # eff 5 and 4
    ("conv_transpose: {filters: 2, kernel: 4, padding: same}", (4, 4), (-0.5, -0.5)),  # TF: b = (4-1)//2
    # same with output_padding: Keras sizes it with 4//2 a side, TensorFlow still crops (4-1)//2 before
    ("conv_transpose: {filters: 2, kernel: 4, padding: same, output_padding: 0}", (4, 4), (-0.5, -0.5)),
    ("conv_transpose: {filters: 2, kernel: 3, padding: full}", (3, 3), (1, 1)),  # b = eff-1
    ("conv_transpose: {filters: 2, kernel: 2, padding: [[3, 0], [0, 1]]}", (2, 2), (2.5, -0.5)),  # b above eff-1
]


@pytest.mark.parametrize("layer,size,start", FIELDS, ids=[c[0] for c in FIELDS])
def test_stride_1_field_is_a_conv_window(layer, size, start):
    rf = plan_layers("9x11x3", layer).layers[0].rf
    assert (rf.size, rf.jump, tuple(float(x) for x in rf.start)) == (size, (1, 1), start)


COUNTS = [
    # (input, layer, params, macs): params C_in*filters/groups*k + filters; MACs per INPUT position
    ("5x7x3", CT.format(""), 3 * 4 * (3 * 2) + 4, (5 * 7) * 3 * 4 * (3 * 2)),
    ("5x7x3", CT.format(", bias: false, padding: same"), 3 * 4 * (3 * 2), (5 * 7) * 3 * 4 * (3 * 2)),
    ("4x5x6", "conv_transpose: {filters: 4, kernel: 2, stride: 2, groups: 2}", 6 * 2 * 4 + 4, (4 * 5) * 6 * (4 // 2) * 4),
    ("10x2", "conv_transpose: {filters: 3, kernel: 4, stride: 2, padding: 1}", 2 * 3 * 4 + 3, 10 * 2 * 3 * 4),
    ("2x3x4x1", "conv_transpose: {filters: 2, kernel: [2, 3, 1], stride: [2, 1, 3]}", 1 * 2 * 6 + 2, 24 * 1 * 2 * 6),
]


@pytest.mark.parametrize("inp,layer,params,macs", COUNTS, ids=[c[1] + " @" + c[0] for c in COUNTS])
def test_params_and_macs(inp, layer, params, macs):
    lp = plan_layers(inp, layer).layers[0]
    assert (lp.params, lp.result.macs, lp.result.non_trainable) == (params, macs, 0)


def test_published_example_counts_per_input_position():
    # ultralytics/thop#92 and sovrasov/flops-counter.pytorch#149: nn.ConvTranspose2d(3, 1, 2, stride=2)
    # on a 3x2x2 input gives a 1x4x4 output and 13 parameters; the correct count is 48 MACs
    # (4 input positions x 3 x 1 x 2*2), not the 192 of the per-output-position formula.
    plan = plan_layers("3x2x2", "conv_transpose: 2x2x1,stride=2", layout="chw")
    lp = plan.layers[0]
    assert (lp.output, lp.params, lp.result.macs) == ((4, 4, 1), 13, 48)
    assert check(plan).passed


def test_kernel_display_is_keras_in_hwio_and_pytorch_in_oihw():
    # PyTorch nn.ConvTranspose2d(6, 4, 2, groups=2).weight: (in, out/groups, kH, kW) = (6, 2, 2, 2);
    # Keras Conv2DTranspose kernel: (kH, kW, filters, C_in)
    lp = plan_layers("4x5x6", "conv_transpose: {filters: 4, kernel: [2, 3], groups: 2}").layers[0]
    assert display_kernel(lp.result.kernel, "hwio", lp.result.oihw) == (2, 3, 2, 6)
    assert display_kernel(lp.result.kernel, "oihw", lp.result.oihw) == (6, 2, 2, 3)


def test_symbolic_size_stays_affine():
    t = symbol("T")
    lp = plan_layers("Tx80x3", "conv_transpose: 3x3x8,stride=2,padding=1,output_padding=1").layers[0]
    assert lp.output == (2 * t, 160, 8)  # (T-1)*2 - 2 + 3 + 1
    assert lp.result.macs == t * 80 * 3 * 8 * 9


ERRORS = [
    ("5x7x3", "conv_transpose: {filters: 4, kernel: 3, stride: 2, output_padding: 2}", "output_padding 2", "output_padding"),
    ("5x7x3", "conv_transpose: {filters: 4, kernel: 3, stride: [2, 3], dilation: [1, 2], output_padding: [0, 3]}",
     "smaller than the stride (3) or the dilation (2)", "output_padding"),
    ("20x3", "conv_transpose: {filters: 4, kernel: 3, padding: causal}", "causal", "padding"),
    ("2x2x1", "conv_transpose: {filters: 1, kernel: 1, padding: 1}", "crops the output", "padding"),
    ("5x7x3", "conv_transpose: {filters: 4, kernel: 3, groups: 2}", "does not divide the input channels", "groups"),
    ("5x7x3", "conv_transpose: {filters: 4}", "conv_transpose needs 'kernel'", "kernel"),
]


@pytest.mark.parametrize("inp,layer,message,field", ERRORS, ids=[c[2] for c in ERRORS])
def test_errors(inp, layer, message, field):
    with pytest.raises(ConvCalcError, match=re.escape(message)) as info:
        plan_layers(inp, layer)
    assert info.value.field == field


# --------------------------------------------------------------------------------------------
# the executor's scatter-add by hand


def literal(x, k):
    """A single-channel 2D input and kernel as executor arrays: (1, H, W, 1) and (kH, kW, 1, 1)."""
    return np.asarray(x, np.float32)[None, ..., None], np.asarray(k, np.float32)[..., None, None]


X2, K2 = [[1, 2], [3, 4]], [[1, 10], [100, 1000]]


def run(padding, stride, op=(None, None)):
    x, w = literal(X2, K2)
    windows = crop_windows(padding, (2, 2), (2, 2), stride, (1, 1), op)
    out, macs = conv_transpose_nd(x, w, stride, (1, 1), windows)
    assert macs == 4 * 1 * 1 * 4  # 4 input positions x C_in x filters x 4 taps
    return out[0, ..., 0]


def test_scatter_unit_stride_literal():
    # out[i+a, j+b] += x[i, j] * k[a, b]: each digit of the kernel marks who contributed
    np.testing.assert_array_equal(run(0, (1, 1)), [[1, 1 * 10 + 2, 2 * 10],
                                                   [1 * 100 + 3, 1000 + 2 * 100 + 3 * 10 + 4, 2 * 1000 + 4 * 10],
                                                   [3 * 100, 3 * 1000 + 4 * 100, 4 * 1000]])


def test_scatter_stride_2_padding_and_output_padding_literal():
    # stride 2, kernel 2: the copies do not overlap, each block is x[i, j] * k
    blocks = [[1, 10, 2, 20], [100, 1000, 200, 2000], [3, 30, 4, 40], [300, 3000, 400, 4000]]
    np.testing.assert_array_equal(run(0, (2, 2)), blocks)
    # padding 1 crops one element on each side; output_padding 1 gives one of them back at the end
    np.testing.assert_array_equal(run(1, (2, 2)), [[1000, 200], [30, 4]])
    np.testing.assert_array_equal(run(1, (2, 2), (1, 1)), [[1000, 200, 2000], [30, 4, 40], [3000, 400, 4000]])
    # TensorFlow same over a 4-long output: forward SAME pads of a k=2, s=2 conv are (0, 0): nothing cropped
    np.testing.assert_array_equal(run("same", (2, 2)), blocks)


def stretch(x: np.ndarray, stride) -> np.ndarray:
    """Dumoulin & Visin: insert s-1 zeros between input units."""
    rank = x.ndim - 2
    out = np.zeros((1,) + tuple((n - 1) * s + 1 for n, s in zip(x.shape[1:-1], stride)) + x.shape[-1:], np.float32)
    out[(slice(None),) + tuple(slice(None, None, s) for s in stride)] = x
    assert out.ndim == rank + 2
    return out


EQUIV = [
    # spatial, C_in, filters, kernel, stride, dilation, padding p, output_padding a
    pytest.param((3, 4), 2, 3, (3, 2), (2, 3), (1, 1), (1, 0), (1, 2), id="2d-odd-a"),
    pytest.param((4, 3), 3, 2, (2, 3), (1, 2), (2, 1), (0, 1), (0, 1), id="2d-dilated"),
    pytest.param((5,), 1, 2, (4,), (3,), (1,), (2,), (0,), id="1d"),
    pytest.param((2, 3, 2), 2, 2, (2, 2, 3), (2, 1, 2), (1, 1, 1), (0, 1, 1), (1, 0, 0), id="3d"),
]


@pytest.mark.parametrize("spatial, cin, filters, kernel, stride, dilation, p, a", EQUIV)
def test_equals_direct_conv_on_stretched_input(spatial, cin, filters, kernel, stride, dilation, p, a):
    """Relationship 14's construction: stretch the input, pad eff-1-p (plus a at the end) and
    convolve with the flipped kernel at unit stride."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1,) + spatial + (cin,), dtype=np.float32)
    w = rng.standard_normal(kernel + (filters, cin), dtype=np.float32)
    rank = len(spatial)
    windows = crop_windows(list(p), spatial, kernel, stride, dilation, a)
    out, _ = conv_transpose_nd(x, w, stride, dilation, windows)
    flipped = np.flip(w, axis=tuple(range(rank))).swapaxes(-1, -2)  # HWIO (k..., C_in, filters)
    effs = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    pads = tuple((e - 1 - q, e - 1 - q + b) for e, q, b in zip(effs, p, a))
    direct, _ = conv_nd(stretch(x, stride), flipped, (1,) * rank, dilation, pads)
    assert out.shape == direct.shape
    np.testing.assert_allclose(out, direct, rtol=1e-4, atol=1e-4)


ADJOINT = [
    # spatial, C_in, filters, groups, kernel, stride, dilation, padding (ints or pairs), op
    pytest.param((3, 4), 4, 6, 2, (3, 2), (2, 3), (1, 2), [1, [2, 0]], (1, 0), id="groups2-pairs"),
    pytest.param((4, 2), 3, 3, 3, (2, 3), (3, 1), (1, 1), 0, (2, 0), id="depthwise-op"),
    pytest.param((6,), 2, 4, 1, (3,), (2,), (2,), "same", None, id="1d-tf-same"),
    pytest.param((5, 3), 2, 2, 1, (4, 3), (2, 3), (1, 1), "same", None, id="2d-tf-same-odd-split"),
]


@pytest.mark.parametrize("spatial, cin, filters, groups, kernel, stride, dilation, padding, op", ADJOINT)
def test_is_the_adjoint_of_the_forward_conv(spatial, cin, filters, groups, kernel, stride, dilation, padding, op):
    """A transposed conv is the gradient of the forward conv whose HWIO weight is its own
    (k..., filters/groups, C_in): <T x, y> = <x, C y> for every x, y."""
    rng = np.random.default_rng(2)
    rank = len(spatial)
    ops = tuple(op) if op is not None else (None,) * rank
    x = rng.standard_normal((1,) + spatial + (cin,)).astype(np.float32)
    w = rng.standard_normal(kernel + (filters // groups, cin)).astype(np.float32)
    windows = crop_windows(padding, spatial, kernel, stride, dilation, ops)
    tx, _ = conv_transpose_nd(x, w, stride, dilation, windows, groups)
    y = rng.standard_normal(tx.shape).astype(np.float32)
    # the forward conv reads y with `before` zeros in front and enough after to give `spatial` outputs
    effs = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    pads = tuple((b, (n - 1) * s + e - b - m) for (b, m), n, s, e in zip(windows, spatial, stride, effs))
    cut = tuple(slice(0, m + min(a, 0)) for (_, m), (_, a) in zip(windows, pads))
    cy, _ = conv_nd(y[(slice(None),) + cut], w, stride, dilation, tuple((b, max(a, 0)) for b, a in pads), groups)
    assert cy.shape == x.shape
    np.testing.assert_allclose(np.vdot(tx, y), np.vdot(x, cy), rtol=1e-4)


def test_tf_same_crop_is_the_forward_same_padding():
    # m = n*s = 10 for n=5, s=2, eff=4: the forward SAME conv over 10 pads (4-2) = 2: 1 before
    assert crop_windows("same", (5,), (4,), (2,), (1,), (None,)) == [(1, 10)]
    assert resolve_pads("same", (10,), (4,), (2,), (1,)) == ((1, 1),)


def run_1d(x, k, padding, s, op=None):
    xa, wa = np.asarray(x, np.float32)[None, :, None], np.asarray(k, np.float32)[:, None, None]
    windows = crop_windows(padding, (len(x),), (len(k),), (s,), (1,), (op,))
    return conv_transpose_nd(xa, wa, (s,), (1,), windows)[0][0, :, 0]


def test_tf_same_odd_padding_goes_after_literal():
    # TensorFlow: the gradient of a SAME conv (k=3, s=2) over 10 elements, whose padding
    # (5-1)*2+3-10 = 1 goes after: nothing is cropped before; the 11th sum (5*100) is dropped
    np.testing.assert_array_equal(run_1d([1, 2, 3, 4, 5], [1, 10, 100], "same", 2),
                                  [1, 10, 100 + 2, 20, 200 + 3, 30, 300 + 4, 40, 400 + 5, 50])


def test_keras_valid_with_stride_above_kernel_literal():
    # Keras valid: n*s + max(k-s, 0) = 6 for n=2, k=1, s=3; the sum covers 4, the rest is zero
    np.testing.assert_array_equal(run_1d([1, 2], [7], "valid", 3), [7, 0, 0, 14, 0, 0])
    np.testing.assert_array_equal(run_1d([1, 2], [7], 0, 3), [7, 0, 0, 14])  # PyTorch: (n-1)*s + k


# --------------------------------------------------------------------------------------------
# executor agreement


AGREE = [
    ("6x7x4", CT.format(", padding: 1, output_padding: [1, 0]")),
    ("6x7x4", "conv_transpose: {filters: 6, kernel: [2, 3], stride: 2, padding: same, groups: 2}"),
    ("6x7x4", "conv_transpose: {filters: 3, kernel: 3, stride: [3, 2], dilation: [1, 2], padding: valid}"),
    ("6x7x4", "conv_transpose: {filters: 3, kernel: 3, stride: [1, 2], padding: [[2, 0], [0, 1]], bias: false}"),
    ("6x7x4", "conv_transpose: {filters: 3, kernel: [2, 4], stride: 2, padding: full, output_padding: 1}"),
    ("9x2", "conv_transpose: {filters: 3, kernel: 1, stride: 3, padding: valid}"),
    ("3x4x2x2", "conv_transpose: {filters: 2, kernel: 2, stride: [1, 2, 3], padding: same, output_padding: [0, 1, 2]}"),
    # stride 1: the planned receptive field is measured by the probe too, through a conv after it
    *(("9x11x3", layer + "\n  - conv: 3x3x2") for layer, _, _ in FIELDS),
]


@pytest.mark.parametrize("layout", ["hwc", "chw"])
@pytest.mark.parametrize("inp,layer", AGREE, ids=[c[1] for c in AGREE])
def test_executor_agrees(inp, layer, layout):
    assert_checks(inp, layer, layout=layout)


def test_executor_catches_the_per_output_count():
    plan = plan_layers("3x2x2", "conv_transpose: 2x2x1,stride=2", layout="chw")
    plan.layers[0].result.macs = 4 * 4 * 1 * 3 * 2 * 2  # output positions x filters x C_in x taps
    report = check(plan)
    assert [(m.quantity, m.planned, m.observed) for m in report.mismatches] == [("macs", 192, 48)]
