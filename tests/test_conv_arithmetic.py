"""Conv and pooling shape arithmetic, one small case per attribute.

Expected sizes are written as their derivation (Dumoulin & Visin's relationships, TensorFlow's
`same` rule, PyTorch's `ceil_mode`), with a different value per axis so a swapped axis fails.
"""

import math

import pytest

from helpers import plan_layers

CASES = [
    # (input, layer, expected output shape, expected kernel HWIO)
    ("28x28x1", "conv: 3x3x16", (28 - 3 + 1, 28 - 3 + 1, 16), (3, 3, 1, 16)),
    ("28x28x1", "conv: 3x3x16,padding=same", (28, 28, 16), (3, 3, 1, 16)),
    ("20x30x3", "conv: {filters: 8, kernel: [3, 5]}", (20 - 3 + 1, 30 - 5 + 1, 8), (3, 5, 3, 8)),
    ("20x30x3", "conv: {filters: 8, kernel: 3, stride: [2, 3]}", ((20 - 3) // 2 + 1, (30 - 3) // 3 + 1, 8), (3, 3, 3, 8)),
    # dilation d: effective kernel d*(k-1)+1
    ("20x30x3", "conv: {filters: 8, kernel: 3, dilation: [2, 3]}", (20 - (2 * 2 + 1) + 1, 30 - (3 * 2 + 1) + 1, 8), (3, 3, 3, 8)),
    ("20x30x3", "conv: {filters: 8, kernel: 3, padding: [1, 2]}", (20 + 2 - 3 + 1, 30 + 4 - 3 + 1, 8), (3, 3, 3, 8)),
    ("20x30x3", "conv: {filters: 8, kernel: 3, padding: [[0, 1], [2, 3]]}", (20 + 1 - 3 + 1, 30 + 5 - 3 + 1, 8), (3, 3, 3, 8)),
    ("20x30x3", "conv: {filters: 8, kernel: 3, padding: full}", (20 + 2 * 2 - 3 + 1, 30 + 2 * 2 - 3 + 1, 8), (3, 3, 3, 8)),
    ("20x30x3", "conv: {filters: 8, kernel: 3, padding: 1}", (20, 30, 8), (3, 3, 3, 8)),
    # TensorFlow same: ceil(n/s), whatever the kernel, on even and odd sizes
    ("20x31x3", "conv: {filters: 8, kernel: 3, stride: 2, padding: same}", (math.ceil(20 / 2), math.ceil(31 / 2), 8), (3, 3, 3, 8)),
    ("20x31x3", "conv: {filters: 8, kernel: [4, 5], stride: [3, 4], padding: same}", (math.ceil(20 / 3), math.ceil(31 / 4), 8), (4, 5, 3, 8)),
    # groups: the kernel carries C_in/groups
    ("16x16x8", "conv: {filters: 12, kernel: 3, groups: 4}", (14, 14, 12), (3, 3, 8 // 4, 12)),
    # 1D and 3D
    ("100x4", "conv: 5x64", (100 - 5 + 1, 64), (5, 4, 64)),
    ("100x4", "conv: {filters: 8, kernel: 3, padding: causal, dilation: 4}", (100, 8), (3, 4, 8)),
    ("16x20x24x1", "conv: 3x3x3x8", (14, 18, 22, 8), (3, 3, 3, 1, 8)),
    ("16x20x24x2", "conv: {filters: 4, kernel: [1, 3, 5], stride: [1, 2, 3]}", (16, (20 - 3) // 2 + 1, (24 - 5) // 3 + 1, 4), (1, 3, 5, 2, 4)),
    # pooling: stride defaults to the kernel
    ("28x28x16", "maxpool: 2", (14, 14, 16), None),
    ("27x28x16", "maxpool: {kernel: [3, 2], stride: [2, 1]}", ((27 - 3) // 2 + 1, (28 - 2) // 1 + 1, 16), None),
    ("27x28x16", "avgpool: {kernel: 2, padding: same}", (math.ceil(27 / 2), 14, 16), None),
    # PyTorch ceil_mode: ceil((n+2p-k)/s)+1, dropping a last window that would start in the padding
    ("5x6x1", "maxpool: {kernel: 2, ceil_mode: true}", (math.ceil((5 - 2) / 2) + 1, math.ceil((6 - 2) / 2) + 1, 1), None),
    ("4x5x1", "maxpool: {kernel: 2, stride: 2, padding: 1, ceil_mode: true}", (3, 3, 1), None),
    ("7x7x32", "global_avgpool", (32,), None),
    ("7x7x32", "global_maxpool: {keepdims: true}", (1, 1, 32), None),
    ("7x7x32", "flatten", (7 * 7 * 32,), None),
    ("7x7x32", "dense: 10", (7, 7, 10), (32, 10)),
]


@pytest.mark.parametrize("inp,layer,output,kernel", CASES, ids=[c[1] + " @" + c[0] for c in CASES])
def test_shape(inp, layer, output, kernel):
    lp = plan_layers(inp, layer).layers[0]
    assert lp.output == output
    assert lp.result.kernel == kernel


def test_ceil_mode_drops_window_starting_in_padding():
    # n=4, k=2, s=2, p=1: ceil((4+2-2)/2)+1 = 3, and window 2 starts at 4 = n + p_before - 1 < 5: kept.
    # n=3, k=2, s=2, p=1: ceil((3+2-2)/2)+1 = 3, but window 2 starts at 4 >= n + p_before = 4: dropped.
    assert plan_layers("3x4x1", "maxpool: {kernel: 2, padding: 1, ceil_mode: true}").layers[0].output == (2, 3, 1)


PARAM_CASES = [
    # (input, layer, params, macs): written as their derivation
    ("28x28x1", "conv: 3x3x16", 16 * (1 * 3 * 3 + 1), 26 * 26 * 16 * (1 * 3 * 3)),
    ("26x26x16", "conv: 3x3x32", 32 * (16 * 3 * 3 + 1), 24 * 24 * 32 * (16 * 3 * 3)),
    ("16x16x8", "conv: {filters: 12, kernel: 3, groups: 4, bias: false}", 12 * (8 // 4) * 3 * 3, 14 * 14 * 12 * (8 // 4) * 9),
    ("10x12x6", "conv: {filters: 6, kernel: [3, 5], groups: 6, padding: same}", 6 * (1 * 15 + 1), 10 * 12 * 6 * 15),
    ("100x4", "conv: 5x64", 64 * (4 * 5 + 1), 96 * 64 * 4 * 5),
    ("8x8x8x2", "conv: 3x3x3x4", 4 * (2 * 27 + 1), 6 * 6 * 6 * 4 * 2 * 27),
    ("784", "dense: 10", 10 * (784 + 1), 784 * 10),
    ("7x7x32", "dense: {units: 10, bias: false}", 32 * 10, 7 * 7 * 32 * 10),
    ("28x28x16", "maxpool: 2", 0, 0),
    ("28x28x16", "relu", 0, 0),
]


@pytest.mark.parametrize("inp,layer,params,macs", PARAM_CASES, ids=[c[1] + " @" + c[0] for c in PARAM_CASES])
def test_params_and_macs(inp, layer, params, macs):
    lp = plan_layers(inp, layer).layers[0]
    assert lp.params == params
    assert lp.result.macs == macs


def test_batchnorm_counts_keras_convention():
    lp = plan_layers("10x10x32", "batchnorm").layers[0]
    assert (lp.result.trainable, lp.result.non_trainable) == (2 * 32, 2 * 32)
    lp = plan_layers("10x10x32", "batchnorm: {affine: false}").layers[0]
    assert (lp.result.trainable, lp.result.non_trainable) == (0, 2 * 32)


TF_SAME_PADS = [
    # (n, k, s, expected (before, after)): TensorFlow puts the odd pixel after
    (5, 3, 2, (1, 1)),  # out 3: total (3-1)*2+3-5 = 2
    (6, 3, 2, (0, 1)),  # out 3: total (3-1)*2+3-6 = 1
    (7, 4, 1, (1, 2)),  # out 7: total 6+4-7 = 3
    (8, 1, 2, (0, 0)),  # out 4: total max(6+1-8, 0) = 0
]


@pytest.mark.parametrize("n,k,s,pads", TF_SAME_PADS, ids=[f"n{c[0]}k{c[1]}s{c[2]}" for c in TF_SAME_PADS])
def test_tf_same_padding_split(n, k, s, pads):
    from convcalc.layers.window import slide

    axis = slide(n, k, s, 1, "same", axis=0)
    assert axis.out == math.ceil(n / s)
    assert axis.pads == pads


def test_chw_layout_and_oihw_kernels():
    plan = plan_layers("1x28x28", "conv: 3x3x16", "conv: 3x3x32", layout="chw")
    from convcalc.engine import display_kernel, display_shape

    assert plan.kernel_layout == "oihw"
    assert [display_kernel(lp.result.kernel, plan.kernel_layout) for lp in plan.layers] == [(16, 1, 3, 3), (32, 16, 3, 3)]
    assert display_shape(plan.layers[0].output, "chw") == (16, 26, 26)


def test_dense_in_chw_acts_on_last_displayed_axis():
    # PyTorch's nn.Linear on a (C, H, W) tensor transforms W
    plan = plan_layers("3x5x7", "dense: 10", layout="chw")
    from convcalc.engine import display_shape

    assert display_shape(plan.layers[0].output, "chw") == (3, 5, 10)
    assert plan.layers[0].params == 10 * (7 + 1)


def test_receptive_field_two_convs_and_pool():
    # r = 1 + (3-1)*1 + (3-1)*1 = 5 after two 3x3 convs; a 2x2/2 pool adds (2-1)*1: 6, jump 2
    plan = plan_layers("32x32x1", "conv: 3x3x4", "conv: 3x3x4", "maxpool: 2")
    rf = plan.layers[-1].rf
    assert rf.size == (6, 6) and rf.jump == (2, 2)
    assert [float(s) for s in rf.start] == [2.5, 2.5]
