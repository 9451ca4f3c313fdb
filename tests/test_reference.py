"""The reference executor against numbers derived by hand, a naive loop convolution written
differently, PyTorch's documented pooling formula, and the engine's plans (which it must agree
with, and whose deliberate corruptions it must catch)."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import numpy as np
import pytest

from convcalc.engine import infer
from convcalc.errors import CheckError
from convcalc.reference import FORWARD, CheckReport, Mismatch, check, estimate_bytes
from convcalc.reference.core import RunCtx
from convcalc.reference.sliding import resolve_pads
from convcalc.reference.spatial import conv_nd, pool_nd
from convcalc.spec import load_yaml, parse_source


def plan_of(text: str):
    return infer(parse_source(load_yaml(text, "t.yaml")))


def as_input(a) -> np.ndarray:
    """A literal spatial array (one channel) as the executor's (1, spatial..., 1) float32."""
    return np.asarray(a, dtype=np.float32)[None, ..., None]


def hwio(k) -> np.ndarray:
    """A literal single-channel, single-filter kernel as HWIO (k..., 1, 1)."""
    return np.asarray(k, dtype=np.float32)[..., None, None]


def run_conv(x, k, stride=None, dilation=None, pads=None, groups=1, weight=None):
    x = as_input(x) if weight is None else x  # literal single-channel input unless a weight is given
    w = hwio(k) if weight is None else weight
    rank = x.ndim - 2
    out, _ = conv_nd(x, w, stride or (1,) * rank, dilation or (1,) * rank, pads or ((0, 0),) * rank, groups)
    return out


# --------------------------------------------------------------------------------------------
# convolution by hand


def test_conv_3x3_input_2x2_ones_kernel():
    # [1 2 3; 4 5 6; 7 8 9] summed over each 2x2 window
    out = run_conv([[1, 2, 3], [4, 5, 6], [7, 8, 9]], np.ones((2, 2)))
    np.testing.assert_array_equal(out[0, ..., 0], [[12, 16], [24, 28]])


def test_conv_weights_are_cross_correlated_not_flipped():
    # taps (1, 2, 3) over [1 2 3 4]: 1*1+2*2+3*3 = 14, 2+6+12 = 20
    out = run_conv([1, 2, 3, 4], [1, 2, 3])
    np.testing.assert_array_equal(out[0, :, 0], [14, 20])


def test_conv_stride_2():
    # 4x4 arange, 2x2 ones, stride 2: the four disjoint blocks
    x = np.arange(16).reshape(4, 4)
    out = run_conv(x, np.ones((2, 2)), stride=(2, 2))
    expected = [[0 + 1 + 4 + 5, 2 + 3 + 6 + 7], [8 + 9 + 12 + 13, 10 + 11 + 14 + 15]]
    np.testing.assert_array_equal(out[0, ..., 0], expected)


def test_conv_dilation():
    # taps (1, 10) three apart: y[i] = x[i] + 10*x[i+3], extent 4 over 7 -> 4 outputs
    out = run_conv([1, 2, 3, 4, 5, 6, 7], [1, 10], dilation=(3,))
    np.testing.assert_array_equal(out[0, :, 0], [41, 52, 63, 74])


def test_conv_explicit_pairs_causal_and_full():
    # pairs: [0 0 1 2 3] with (1, 1)
    np.testing.assert_array_equal(run_conv([1, 2, 3], [1, 1], pads=((2, 0),))[0, :, 0], [0, 1, 3, 5])
    # causal for k=3: 2 zeros before: [0 0 1 2 3 4] with taps (1, 2, 3)
    pads = resolve_pads("causal", (4,), (3,), (1,), (1,))
    assert pads == ((2, 0),)
    np.testing.assert_array_equal(run_conv([1, 2, 3, 4], [1, 2, 3], pads=pads)[0, :, 0], [3, 8, 14, 20])
    # full for k=2: one zero on each side: [0 1 2 3 0]
    pads = resolve_pads("full", (3,), (2,), (1,), (1,))
    assert pads == ((1, 1),)
    np.testing.assert_array_equal(run_conv([1, 2, 3], [1, 1], pads=pads)[0, :, 0], [1, 3, 5, 3])


@pytest.mark.parametrize(
    "n, k, s, d, expected",
    [
        # n=6, s=2: out = 3; the last window starts at 4 and ends at 4+3 = 7: one pad, after
        (6, 3, 2, 1, (0, 1)),
        # n=7, s=2: out = 4; last window 6..9 -> 2 pads, one each side
        (7, 3, 2, 1, (1, 1)),
        # n=5, k=4, s=2: out = 3; last window 4..8 -> 3 pads: 1 before, 2 after (odd one after)
        (5, 4, 2, 1, (1, 2)),
        # n=8, k=1, s=2: out = 4; last window 6..7 fits: no padding
        (8, 1, 2, 1, (0, 0)),
        # n=6, k=3, d=2 (extent 5), s=2: out = 3; last window 4..9 -> 3 pads: 1 before, 2 after
        (6, 3, 2, 2, (1, 2)),
        # stride 1 keeps the size: extent-1 pads, n is irrelevant
        (5, 3, 1, 1, (1, 1)),
        (5, 4, 1, 1, (1, 2)),
    ],
    ids=["even-n6", "odd-n7", "k4-odd-split", "no-pad", "dilated", "s1-k3", "s1-k4"],
)
def test_tf_same_pad_split(n, k, s, d, expected):
    assert resolve_pads("same", (n,), (k,), (s,), (d,)) == (expected,)


def test_tf_same_stride_2_values_even_and_odd():
    # even: [1..6] padded (0, 1) -> [1 2 3 4 5 6 0], ones(3) at 0, 2, 4
    pads = resolve_pads("same", (6,), (3,), (2,), (1,))
    np.testing.assert_array_equal(run_conv([1, 2, 3, 4, 5, 6], [1, 1, 1], stride=(2,), pads=pads)[0, :, 0], [6, 12, 11])
    # odd: [1..7] padded (1, 1) -> [0 1 2 3 4 5 6 7 0], windows at 0, 2, 4, 6
    pads = resolve_pads("same", (7,), (3,), (2,), (1,))
    out = run_conv([1, 2, 3, 4, 5, 6, 7], [1, 1, 1], stride=(2,), pads=pads)
    np.testing.assert_array_equal(out[0, :, 0], [3, 9, 15, 13])


def test_tf_same_through_forward_2d_shape():
    x = np.ones((1, 7, 6, 1), dtype=np.float32)
    args = {"filters": 1, "kernel": 3, "stride": 2, "padding": "same"}
    seen = FORWARD["conv"](x, args, RunCtx(), np.random.default_rng(0))
    assert seen.output.shape == (1, 4, 3, 1)  # ceil(7/2), ceil(6/2)


def test_conv_groups_by_hand():
    # channels (1, 2 | 3, 4), 2 groups, 1x1 kernel: filter 0 reads channels 0-1, filter 1 channels 2-3
    x = np.array([1, 2, 3, 4], dtype=np.float32).reshape(1, 1, 1, 4)
    w = np.zeros((1, 1, 2, 2), dtype=np.float32)  # HWIO: (1, 1, C/groups, filters)
    w[0, 0, :, 0] = [1, 10]
    w[0, 0, :, 1] = [100, 1000]
    out = run_conv(x, None, groups=2, weight=w)
    np.testing.assert_array_equal(out[0, 0, 0], [1 * 1 + 2 * 10, 3 * 100 + 4 * 1000])


def test_conv_multichannel_1d_by_hand():
    # 2 input channels, 2 filters, k=2: y[i, f] = sum_t sum_c x[i+t, c] * w[t, c, f]
    x = np.array([[1, 0], [2, 1], [3, 0]], dtype=np.float32)[None]
    w = np.zeros((2, 2, 2), dtype=np.float32)
    w[:, 0, 0] = [1, 1]  # filter 0: sum of channel 0 over the window
    w[1, 1, 1] = 5  # filter 1: 5 * channel 1 at the second tap
    out = run_conv(x, None, weight=w)
    np.testing.assert_array_equal(out[0], [[3, 5], [5, 0]])


def test_conv_3d_by_hand():
    # x[a, b, c] = 9a + 3b + c over 3x3x3; a 2x2x2 ones kernel sums a cube of 8:
    # 8*(9i+3j+k) + 4*(9+3+1) = 8*(9i+3j+k) + 52
    x = np.arange(27).reshape(3, 3, 3)
    out = run_conv(x, np.ones((2, 2, 2)))
    np.testing.assert_array_equal(out[0, ..., 0], [[[52, 60], [76, 84]], [[124, 132], [148, 156]]])


# --------------------------------------------------------------------------------------------
# against a naive loop convolution


def naive_conv(x: np.ndarray, w: np.ndarray, stride, dilation, pads, groups) -> np.ndarray:
    """Textbook definition, one output element at a time: x (spatial..., C), w (k..., C/g, F)."""
    rank = x.ndim - 1
    spatial, cin = x.shape[:-1], x.shape[-1]
    kernel, cg, filters = w.shape[:rank], w.shape[-2], w.shape[-1]
    fg = filters // groups
    out_sizes = [
        (n + b + a - (d * (k - 1) + 1)) // s + 1
        for n, (b, a), k, s, d in zip(spatial, pads, kernel, stride, dilation)
    ]
    out = np.zeros(out_sizes + [filters], dtype=np.float64)
    for o in itertools.product(*(range(m) for m in out_sizes)):
        for f in range(filters):
            g = f // fg
            acc = 0.0
            for t in itertools.product(*(range(k) for k in kernel)):
                pos = [oi * s + ti * d - b for oi, ti, s, d, (b, _) in zip(o, t, stride, dilation, pads)]
                if all(0 <= p < n for p, n in zip(pos, spatial)):
                    for c in range(cg):
                        acc += float(x[tuple(pos) + (g * cg + c,)]) * float(w[t + (c, f)])
            out[o + (f,)] = acc
    assert cin == cg * groups
    return out


NAIVE_CASES = [
    # spatial, C, kernel, filters, stride, dilation, pads, groups
    pytest.param((9, 7), 3, (3, 2), 4, (2, 1), (1, 2), ((1, 0), (0, 2)), 1, id="2d-nonsquare"),
    pytest.param((8, 11), 4, (2, 3), 6, (1, 3), (2, 1), ((0, 0), (2, 1)), 2, id="2d-groups2"),
    pytest.param((10, 6), 6, (3, 3), 6, (3, 2), (1, 1), ((1, 1), (1, 1)), 6, id="2d-depthwise"),
    pytest.param((13,), 2, (4,), 3, (3,), (2,), ((3, 0),), 1, id="1d-causal-like"),
    pytest.param((6, 5, 7), 2, (2, 3, 2), 2, (1, 2, 3), (2, 1, 1), ((1, 0), (0, 1), (2, 2)), 2, id="3d-mixed"),
    pytest.param((5, 4), 3, (1, 1), 5, (2, 3), (1, 1), ((0, 0), (0, 0)), 1, id="2d-pointwise-strided"),
]


@pytest.mark.parametrize("spatial, c, kernel, filters, stride, dilation, pads, groups", NAIVE_CASES)
def test_im2col_matches_naive_loops(spatial, c, kernel, filters, stride, dilation, pads, groups):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(spatial + (c,), dtype=np.float32)
    w = rng.standard_normal(kernel + (c // groups, filters), dtype=np.float32)
    out, macs = conv_nd(x[None], w, stride, dilation, pads, groups)
    expected = naive_conv(x, w, stride, dilation, pads, groups)
    assert out.shape == (1,) + expected.shape
    np.testing.assert_allclose(out[0], expected, rtol=1e-4, atol=1e-4)
    assert macs == int(np.prod(expected.shape)) * (c // groups) * int(np.prod(kernel))


# --------------------------------------------------------------------------------------------
# pooling


def pool(x, op, k, s=None, pads=None, ceil_mode=False, d=None):
    x = as_input(x)
    rank = x.ndim - 2
    out = pool_nd(x, op, k, s or k, d or (1,) * rank, pads or ((0, 0),) * rank, ceil_mode)
    return out[0, ..., 0]


def test_maxpool_and_avgpool_values():
    x = np.arange(16).reshape(4, 4)
    np.testing.assert_array_equal(pool(x, "max", (2, 2)), [[5, 7], [13, 15]])
    np.testing.assert_array_equal(pool(x, "avg", (2, 2)), [[2.5, 4.5], [10.5, 12.5]])
    x3 = [[1, 9, 2], [3, 4, 8], [7, 5, 6]]
    np.testing.assert_array_equal(pool(x3, "max", (2, 2), (1, 1)), [[9, 9], [7, 8]])


def test_pool_padding_is_not_a_value():
    # max over padding never picks the pad; the average counts only real elements
    x = [-1, -2, -3]
    np.testing.assert_array_equal(pool(x, "max", (2,), (2,), ((1, 1),)), [-1, -2])
    np.testing.assert_array_equal(pool(x, "avg", (2,), (2,), ((1, 1),)), [-1, -2.5])


def test_ceil_mode_values():
    # [1..5], k=2, s=2: windows {1,2} {3,4} and the partial {5}
    np.testing.assert_array_equal(pool([1, 2, 3, 4, 5], "max", (2,), ceil_mode=True), [2, 4, 5])
    np.testing.assert_array_equal(pool([1, 2, 3, 4, 5], "avg", (2,), ceil_mode=True), [1.5, 3.5, 5])
    np.testing.assert_array_equal(pool([1, 2, 3, 4, 5], "max", (2,), ceil_mode=False), [2, 4])


def torch_pool_out(n: int, k: int, s: int, p: int, d: int = 1, ceil_mode: bool = False) -> int:
    """PyTorch's MaxPool1d documentation: L_out = floor((L + 2p - d(k-1) - 1)/s + 1), with ceil
    instead of floor in ceil_mode, and (aten's pooling_output_shape) the last window dropped when
    it would start in the right padding: if (out - 1)*s >= L + p."""
    num = n + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


@pytest.mark.parametrize(
    "n, k, s, p, expected",
    [(5, 2, 2, 0, 3), (4, 3, 2, 1, 3), (5, 2, 2, 1, 3), (6, 3, 2, 1, 4), (7, 3, 3, 0, 3)],
    ids=["n5-k2-s2", "n4-k3-s2-p1", "n5-k2-s2-p1-drop", "n6-k3-s2-p1", "n7-k3-s3"],
)
def test_ceil_mode_shapes_literal(n, k, s, p, expected):
    assert torch_pool_out(n, k, s, p, ceil_mode=True) == expected
    x = np.zeros((1, n, 1), dtype=np.float32)
    assert pool_nd(x, "max", (k,), (s,), (1,), ((p, p),), True).shape == (1, expected, 1)


def test_ceil_mode_shapes_sweep_against_torch_formula():
    for n, k, s, d, ceil_mode in itertools.product(range(1, 12), range(1, 5), range(1, 4), (1, 2), (False, True)):
        for p in range(0, (d * (k - 1) + 1) // 2 + 1):  # PyTorch: pad <= effective kernel / 2
            x = np.zeros((1, n, 1), dtype=np.float32)
            expected = torch_pool_out(n, k, s, p, d, ceil_mode)
            if expected < 1:  # PyTorch refuses: output size too small
                with pytest.raises(ValueError):
                    pool_nd(x, "avg", (k,), (s,), (d,), ((p, p),), ceil_mode)
                continue
            got = pool_nd(x, "avg", (k,), (s,), (d,), ((p, p),), ceil_mode).shape[1]
            assert got == expected, (n, k, s, p, d, ceil_mode)


def test_ceil_mode_window_larger_than_input():
    # PyTorch: n=2, k=3, s=2, ceil_mode: floor((2-3+1)/2)+1 = 1 window, clipped to the input
    np.testing.assert_array_equal(pool([4, 7], "max", (3,), (2,), ceil_mode=True), [7])
    np.testing.assert_array_equal(pool([4, 7], "avg", (3,), (2,), ceil_mode=True), [5.5])


# --------------------------------------------------------------------------------------------
# observed counts


def test_conv_macs_observed_by_derivation():
    # 10x12x6 input, 3x3 kernel, 8 filters, groups 2, valid, stride 1:
    # output 8x10 = 80 positions; each output value reads C_in/groups * 3*3 = 3*9 = 27 inputs;
    # MACs = 80 * 8 * 27 = 17280; weights 3*3*3*8 = 216 + bias 8
    x = np.zeros((1, 10, 12, 6), dtype=np.float32)
    args = {"filters": 8, "kernel": 3, "groups": 2, "padding": "valid", "stride": 1, "dilation": 1, "bias": True}
    seen = FORWARD["conv"](x, args, RunCtx(), np.random.default_rng(0))
    assert seen.output.shape == (1, 8, 10, 8)
    assert seen.macs == 17280
    assert seen.kernel.shape == (3, 3, 3, 8) and seen.bias.shape == (8,)
    assert seen.trainable_count == 224 and seen.non_trainable_count == 0
    assert seen.kernel.dtype == np.float32 and seen.output.dtype == np.float32


def test_compact_size_and_dense_chw_axis():
    x = np.zeros((1, 5, 7, 3), dtype=np.float32)
    seen = FORWARD["conv"](x, {"size": (3, 1, 4)}, RunCtx(), np.random.default_rng(0))
    assert seen.output.shape == (1, 3, 7, 4) and seen.kernel.shape == (3, 1, 3, 4)
    # chw: dense acts on the last displayed axis (W = canonical axis -2): 5*3 rows of 7
    seen = FORWARD["dense"](x, {"units": 2, "bias": False}, RunCtx("chw"), np.random.default_rng(0))
    assert seen.output.shape == (1, 5, 2, 3) and seen.kernel.shape == (7, 2) and seen.macs == 5 * 3 * 7 * 2
    seen = FORWARD["dense"](x, {"units": 2}, RunCtx("hwc"), np.random.default_rng(0))
    assert seen.output.shape == (1, 5, 7, 2) and seen.macs == 5 * 7 * 3 * 2 and seen.trainable_count == 8


def test_batchnorm_weights_split():
    x = np.zeros((1, 4, 5), dtype=np.float32)
    seen = FORWARD["batchnorm"](x, {"affine": True}, RunCtx(), np.random.default_rng(0))
    assert (seen.trainable_count, seen.non_trainable_count, seen.macs) == (10, 10, 0)
    seen = FORWARD["batchnorm"](x, {"affine": False}, RunCtx(), np.random.default_rng(0))
    assert (seen.trainable_count, seen.non_trainable_count) == (0, 10)


# --------------------------------------------------------------------------------------------
# whole plans


def layer_counts(report: CheckReport):
    return [(o.output, o.kernel, o.trainable) for o in report.layers]


def test_seed_two_convs_28():
    report = check(plan_of("input: 28x28x1\nlayers:\n  - conv: 3x3x16\n  - conv: 3x3x32\n"))
    assert report.status == "passed" and report.backend == "numpy" and not report.mismatches
    assert layer_counts(report) == [((26, 26, 16), (3, 3, 1, 16), 160), ((24, 24, 32), (3, 3, 16, 32), 4640)]
    # per layer: output, kernel, bias, trainable, non_trainable, macs, receptive_field; then the peak
    assert report.compared == 2 * 7 + 1


def test_seed_two_convs_101():
    report = check(plan_of("input: 101x101x1\nlayers:\n  - conv: 11x11x8\n  - conv: 7x7x16\n"))
    assert report.status == "passed"
    assert layer_counts(report) == [((91, 91, 8), (11, 11, 1, 8), 976), ((85, 85, 16), (7, 7, 8, 16), 6288)]


def test_seed_strided_same_bn_relu():
    block = "  - conv: {filters: 32, kernel: 3, stride: 2, padding: same}\n  - batchnorm\n  - relu\n"
    report = check(plan_of("input: 1000x80x3\nlayers:\n" + block * 2))
    assert report.status == "passed", report.mismatches
    assert report.layers[-1].output == (250, 20, 32)
    assert [o.output for o in report.layers[:1]] == [(500, 40, 32)]
    assert (report.layers[1].trainable, report.layers[1].non_trainable) == (64, 64)


EVERYTHING = """\
input: 12x10x4
layout: {layout}
layers:
  - conv: {{filters: 8, kernel: [3, 2], stride: [2, 1], dilation: [1, 2], padding: same, groups: 2}}
  - batchnorm: {{affine: false}}
  - leaky_relu
  - maxpool: {{kernel: 3, stride: 2, padding: 1, ceil_mode: true}}
  - {{conv: {{filters: 6, kernel: 1, bias: false}}, id: side, from: input}}
  - avgpool: {{kernel: [2, 3], stride: 1, padding: [[0, 1], [1, 0]]}}
  - global_maxpool: {{keepdims: true}}
  - {{gelu: null, from: maxpool1}}
  - dense: 5
  - activation: hard_swish
  - flatten
  - dropout
  - dense: {{units: 3, bias: false}}
  - softmax
  - {{global_avgpool: null, from: side}}
"""


@pytest.mark.parametrize("layout", ["hwc", "chw"])
def test_mixed_graph_passes(layout):
    plan = plan_of(EVERYTHING.format(layout=layout))
    report = check(plan, seed=3)
    assert report.status == "passed", report.mismatches
    assert len(report.layers) == len(plan.layers)
    assert 0 < report.estimated_bytes == estimate_bytes(plan)


def test_1d_causal_and_3d_plans_pass():
    assert check(plan_of("input: 50x3\nlayers:\n  - conv: {filters: 4, kernel: 5, dilation: 2, padding: causal}\n"
                         "  - avgpool: {kernel: 3, ceil_mode: true}\n")).status == "passed"
    assert check(plan_of("input: 9x8x7x2\nlayers:\n  - conv: {filters: 4, kernel: [3, 2, 3], stride: [2, 1, 3], "
                         "padding: full}\n  - maxpool: {kernel: 2, padding: same}\n")).status == "passed"


@pytest.mark.parametrize(
    "field, quantity",
    [("output", "output_shape"), ("trainable", "trainable_params"), ("macs", "macs"),
     ("non_trainable", "non_trainable_params"), ("kernel", "kernel_shape"), ("bias", "bias_shape")],
)
def test_wrong_plan_is_reported(field, quantity):
    plan = plan_of("input: 28x28x1\nlayers:\n  - conv: 3x3x16\n  - conv: 3x3x32\n")
    result = plan.layers[1].result
    wrong = {"output": (24, 25, 32), "trainable": 4641, "macs": 7, "non_trainable": 2,
             "kernel": (3, 3, 32, 16), "bias": None}[field]
    setattr(result, field, wrong)
    report = check(plan)
    assert report.status == "failed"
    observed = {"output": (24, 24, 32), "trainable": 4640, "macs": 24 * 24 * 32 * 16 * 9, "non_trainable": 0,
                "kernel": (3, 3, 16, 32), "bias": (32,)}[field]
    assert report.mismatches == [Mismatch(1, "conv2", quantity, wrong, observed)]


def test_symbolic_plan_refused():
    plan = plan_of("input: Tx80x3\nlayers:\n  - conv: 3x3x8\n")
    with pytest.raises(CheckError, match="symbol") as info:
        check(plan)
    assert "--set" in info.value.format()
    concrete = plan_of("input: Tx80x3\nset: {T: 20}\nlayers:\n  - conv: 3x3x8\n")
    assert check(concrete).status == "passed"


def test_unknown_type_refused():
    plan = plan_of("input: 8x8x1\nlayers:\n  - relu\n")
    plan.layers[0].node.type = "no_such_layer"
    with pytest.raises(CheckError, match="no_such_layer"):
        check(plan)


def test_estimate_counts_live_inputs_and_im2col():
    plan = plan_of("input: 28x28x1\nlayers:\n  - conv: 3x3x16\n")
    # at least: input 784 + output 26*26*16 + im2col 26*26*9, float32
    assert estimate_bytes(plan) >= 4 * (784 + 26 * 26 * 16 + 26 * 26 * 9)
    # an input kept alive by a later consumer raises the peak
    chain = plan_of("input: 64x64x8\nlayers:\n  - relu\n  - relu\n  - relu\n")
    kept = plan_of("input: 64x64x8\nlayers:\n  - relu\n  - relu\n  - {relu: null, from: input}\n")
    assert estimate_bytes(kept) > estimate_bytes(chain)


@pytest.mark.parametrize("layer", [
    "depthwise_conv: {kernel: 3, padding: same}",
    "depthwise_conv: {kernel: 3, stride: 2, padding: same, multiplier: 2}",
    "depthwise_conv: {kernel: [3, 5], stride: [1, 3], dilation: [2, 1], padding: 2}",
    "depthwise_conv: {kernel: 3, stride: [2, 1], padding: same}",
    "separable_conv: {filters: 24, kernel: 3, stride: 2, padding: same}",
])
def test_estimate_covers_what_a_depthwise_check_allocates(layer):
    """The depthwise scratch (padded input in phases, repeated weight) is part of the estimate:
    tracemalloc's peak of a real check stays below it (plus the check's own Python objects)."""
    import tracemalloc

    plan = plan_of(f"input: 96x96x32\nlayers:\n  - {layer}\n  - relu\n")
    check(plan)  # warm-up: imports and caches are not the layer's
    tracemalloc.start()
    try:
        check(plan)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak - (256 << 10) <= estimate_bytes(plan) <= 3 * peak


def test_every_registered_layer_type_has_a_reference():
    from convcalc.layers import REGISTRY

    assert set(REGISTRY) <= set(FORWARD), sorted(set(REGISTRY) - set(FORWARD))


def test_executor_is_independent_of_the_engine():
    """The reference package imports nothing from the shape engine's formulas."""
    forbidden = ("convcalc.layers", "convcalc.engine", "..layers", "..engine")
    for path in Path(__import__("convcalc.reference").reference.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                name = "." * node.level + (node.module or "")
                assert not any(name.startswith(f) for f in forbidden), (path.name, name)
                assert node.level != 1 or node.module not in ("layers", "engine")
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith(forbidden[:2]) for a in node.names), path.name
