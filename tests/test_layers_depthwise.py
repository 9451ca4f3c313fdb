"""depthwise_conv and separable_conv: Keras' counts written as their derivation, PyTorch's kernel
order, equality with the grouped conv they are, the executor against a naive loop, and `check`."""

from __future__ import annotations

import itertools

import re

import numpy as np
import pytest

from convcalc.engine import display_kernel
from convcalc.errors import ConvCalcError
from convcalc.reference import FORWARD
from convcalc.reference.core import RunCtx
from helpers import assert_checks, plan_layers

CASES = [
    # (input, layer, output, Keras kernel (k..., C, m), params, MACs)
    ("10x12x3", "depthwise_conv: {kernel: [3, 5], multiplier: 2}",
     (10 - 3 + 1, 12 - 5 + 1, 3 * 2), (3, 5, 3, 2), 3 * 2 * (3 * 5) + 3 * 2, (8 * 8) * (3 * 2) * (3 * 5)),
    ("10x12x3", "depthwise_conv: {kernel: 3, stride: [2, 3], padding: same, bias: false}",
     (-(-10 // 2), -(-12 // 3), 3), (3, 3, 3, 1), 3 * 1 * 9, (5 * 4) * 3 * 9),
    ("10x12x4", "depthwise_conv: {kernel: 3, dilation: [2, 1]}",
     (10 - (2 * 2 + 1) + 1, 12 - 3 + 1, 4), (3, 3, 4, 1), 4 * 9 + 4, (6 * 10) * 4 * 9),
    ("20x4", "depthwise_conv: 5,multiplier=3", (16, 12), (5, 4, 3), 4 * 3 * 5 + 12, 16 * 12 * 5),
    ("4x5x6x2", "depthwise_conv: {kernel: [1, 2, 3], multiplier: 2, padding: 1}",
     (4 + 2 - 1 + 1, 5 + 2 - 2 + 1, 6 + 2 - 3 + 1, 4), (1, 2, 3, 2, 2), 2 * 2 * 6 + 4, (6 * 6 * 6) * 4 * 6),
    # separable: depthwise (no bias) + pointwise C*m -> filters + filters bias
    ("10x12x3", "separable_conv: {filters: 8, kernel: [3, 5], multiplier: 2}", (8, 8, 8), (3, 5, 3, 2),
     3 * 2 * (3 * 5) + (3 * 2) * 8 + 8, (8 * 8) * (3 * 2) * (3 * 5) + (8 * 8) * (3 * 2) * 8),
    ("9x7x4", "separable_conv: 3x3x16,stride=2,padding=same,bias=false", (5, 4, 16), (3, 3, 4, 1),
     4 * 9 + 4 * 16, (5 * 4) * 4 * 9 + (5 * 4) * 4 * 16),
    ("30x6", "separable_conv: {filters: 5, kernel: 4, dilation: 3, padding: causal}", (30, 5), (4, 6, 1),
     6 * 4 + 6 * 5 + 5, 30 * 6 * 4 + 30 * 6 * 5),
]


@pytest.mark.parametrize("inp,layer,output,kernel,params,macs", CASES, ids=[c[1] + " @" + c[0] for c in CASES])
def test_counts(inp, layer, output, kernel, params, macs):
    lp = plan_layers(inp, layer).layers[0]
    assert (lp.output, lp.result.kernel, lp.params, lp.result.macs) == (output, kernel, params, macs)


def test_keras_published_mobilenet_block():
    # Keras MobileNet's summary: conv_dw_1 (DepthwiseConv2D, 3x3 on 32 channels, no bias) 288
    # parameters; a SeparableConv2D(64, 3) on 32 channels: 32*9 + 32*64 + 64 = 2400
    assert plan_layers("112x112x32", "depthwise_conv: {kernel: 3, padding: same, bias: false}").layers[0].params == 288
    assert plan_layers("112x112x32", "separable_conv: 3x3x64,padding=same").layers[0].params == 2400


@pytest.mark.parametrize("m", [1, 3])
def test_depthwise_equals_the_grouped_conv(m):
    # PyTorch builds it as Conv2d(C, C*m, k, groups=C): same shape, params and MACs
    dw = plan_layers("9x11x4", f"depthwise_conv: {{kernel: [3, 2], stride: [1, 2], multiplier: {m}}}").layers[0]
    grouped = plan_layers("9x11x4", f"conv: {{filters: {4 * m}, kernel: [3, 2], stride: [1, 2], groups: 4}}").layers[0]
    assert (dw.output, dw.params, dw.result.macs, dw.rf) == (grouped.output, grouped.params, grouped.result.macs, grouped.rf)


def test_kernel_orders():
    lp = plan_layers("10x12x3", "depthwise_conv: {kernel: [3, 5], multiplier: 2}").layers[0]
    assert display_kernel(lp.result.kernel, "hwio", lp.result.oihw) == (3, 5, 3, 2)  # Keras depthwise_kernel
    assert display_kernel(lp.result.kernel, "oihw", lp.result.oihw) == (6, 1, 3, 5)  # PyTorch weight (C*m, 1, kH, kW)


def test_separable_explains_the_pointwise_kernel():
    lp = plan_layers("9x7x4", "separable_conv: {filters: 16, kernel: 3, multiplier: 2}").layers[0]
    assert "pointwise kernel (1, 1, 8, 16)" in lp.result.explain[-1]


@pytest.mark.parametrize("layer, message", [
    ("depthwise_conv: {multiplier: 2}", "needs 'kernel'"),
    ("separable_conv: 3x3", "a 2D input needs 3"),
    ("depthwise_conv: {kernel: [3, 3, 3]}", "kernel [3, 3, 3] has 3 values"),
], ids=["no-kernel", "compact-without-filters", "kernel-rank"])
def test_errors(layer, message):
    with pytest.raises(ConvCalcError, match=re.escape(message)):
        plan_layers("9x7x4", layer)


def naive_depthwise(x: np.ndarray, w: np.ndarray, stride, dilation) -> np.ndarray:
    """One output element at a time: out[o, c*m + j] = sum_t x[o*s + t*d, c] * w[t, c, j]."""
    rank = x.ndim - 1
    kernel, c, m = w.shape[:rank], w.shape[-2], w.shape[-1]
    sizes = [(n - (d * (k - 1) + 1)) // s + 1 for n, k, s, d in zip(x.shape[:-1], kernel, stride, dilation)]
    out = np.zeros(sizes + [c * m])
    for o in itertools.product(*(range(n) for n in sizes)):
        for ch, j in itertools.product(range(c), range(m)):
            out[o + (ch * m + j,)] = sum(
                float(x[tuple(oi * s + ti * d for oi, ti, s, d in zip(o, t, stride, dilation)) + (ch,)]) * float(w[t + (ch, j)])
                for t in itertools.product(*(range(k) for k in kernel)))
    return out


@pytest.mark.parametrize("spatial, c, kernel, m, stride, dilation", [
    ((7, 6), 3, (3, 2), 2, (2, 1), (1, 2)),
    ((9,), 2, (3,), 3, (2,), (3,)),
], ids=["2d", "1d"])
def test_executor_matches_naive_loops(spatial, c, kernel, m, stride, dilation):
    x = np.random.default_rng(3).standard_normal((1,) + spatial + (c,), dtype=np.float32)
    args = {"kernel": list(kernel), "multiplier": m, "stride": list(stride), "dilation": list(dilation),
            "padding": "valid", "bias": False}
    seen = FORWARD["depthwise_conv"](x, args, RunCtx(), np.random.default_rng(0))
    expected = naive_depthwise(x[0], seen.kernel, stride, dilation)
    np.testing.assert_allclose(seen.output[0], expected, rtol=1e-4, atol=1e-4)
    assert seen.macs == int(np.prod(expected.shape)) * int(np.prod(kernel))


def test_separable_executor_is_depthwise_then_pointwise():
    x = np.random.default_rng(4).standard_normal((1, 6, 5, 3), dtype=np.float32)
    args = {"filters": 4, "kernel": 3, "multiplier": 2, "stride": 1, "dilation": 1, "padding": "valid", "bias": False}
    seen = FORWARD["separable_conv"](x, args, RunCtx(), np.random.default_rng(0))
    mid = naive_depthwise(x[0], seen.kernel, (1, 1), (1, 1))
    np.testing.assert_allclose(seen.output[0], mid @ seen.weights["pointwise"][0, 0], rtol=1e-4, atol=1e-4)
    assert seen.macs == 4 * 3 * 6 * 9 + 4 * 3 * 6 * 4


AGREE = [
    ("9x8x4", "depthwise_conv: {kernel: [3, 2], multiplier: 2, stride: [2, 1], padding: same}"),
    ("9x8x4", "depthwise_conv: {kernel: 3, dilation: [1, 2], padding: [[1, 0], [2, 1]], bias: false}"),
    ("9x8x4", "separable_conv: {filters: 6, kernel: [2, 3], multiplier: 3, stride: [1, 2]}"),
    ("20x3", "separable_conv: {filters: 2, kernel: 3, dilation: 2, padding: causal}"),
    ("5x6x4x2", "depthwise_conv: {kernel: 2, multiplier: 2, padding: full}"),
]


@pytest.mark.parametrize("layout", ["hwc", "chw"])
@pytest.mark.parametrize("inp,layer", AGREE, ids=[c[1] for c in AGREE])
def test_executor_agrees(inp, layer, layout):
    assert_checks(inp, layer, layout=layout)
