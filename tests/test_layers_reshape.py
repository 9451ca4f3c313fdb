"""permute, reshape, zeropad and crop: shapes by derivation in both layouts (what "displayed"
means for chw), element order on literal arrays, receptive fields, errors and `check`."""

from __future__ import annotations

import re

import numpy as np
import pytest

from convcalc.dims import symbol
from convcalc.engine import display_kernel, display_shape
from convcalc.errors import ConvCalcError
from convcalc.reference import FORWARD, check
from convcalc.reference.core import RunCtx
from helpers import plan_layers

SHAPES = [
    # (layout, input as written, layer, output as displayed)
    ("hwc", "4x5x6", "permute: [1, 0, 2]", (5, 4, 6)),
    ("hwc", "4x5x6", "permute: 2x0x1", (6, 4, 5)),
    ("chw", "6x4x5", "permute: [1, 0, 2]", (4, 6, 5)),  # PyTorch x.permute(0, 2, 1, 3)
    ("chw", "6x4x5", "permute: {order: [2, 1, 0]}", (5, 4, 6)),
    ("hwc", "4x5x6", "reshape: [-1, 6]", (4 * 5, 6)),
    ("hwc", "4x5x6", "reshape: 2x-1x3", (2, 4 * 5 * 6 // (2 * 3), 3)),
    ("chw", "6x4x5", "reshape: [6, 20]", (6, 4 * 5)),
    ("chw", "6x4x5", "reshape: -1", (6 * 4 * 5,)),
    ("hwc", "5x7x2", "zeropad", (5 + 2, 7 + 2, 2)),  # Keras' default 1
    ("hwc", "5x7x2", "zeropad: [1, 2]", (5 + 2 * 1, 7 + 2 * 2, 2)),
    ("hwc", "5x7x2", "zeropad: {padding: [[0, 1], [2, 3]]}", (5 + 0 + 1, 7 + 2 + 3, 2)),
    ("chw", "2x5x7", "zeropad: [[0, 1], [2, 3]]", (2, 6, 12)),
    ("hwc", "5x7x2", "crop: 1", (5 - 2, 7 - 2, 2)),
    ("hwc", "5x7x2", "crop: [1, 2]", (5 - 2 * 1, 7 - 2 * 2, 2)),
    ("hwc", "5x7x2", "crop: {cropping: [[0, 1], [2, 3]]}", (5 - 0 - 1, 7 - 2 - 3, 2)),
    ("hwc", "9x3", "crop: [[4, 4]]", (1, 3)),
]


@pytest.mark.parametrize("layout,inp,layer,output", SHAPES, ids=[f"{c[0]}-{c[2]}" for c in SHAPES])
def test_displayed_shape(layout, inp, layer, output):
    lp = plan_layers(inp, layer, layout=layout).layers[0]
    assert display_shape(lp.output, layout) == output
    assert (lp.params, lp.result.macs) == (0, 0)


def test_chw_permute_then_conv_reads_the_new_first_axis_as_channels():
    # the seed's question: after (C, H, W) -> (H, C, W) a Conv2d sees H channels over a C x W map
    plan = plan_layers("3x20x10", "permute: [1, 0, 2]", "conv: 3x3x8", layout="chw")
    conv = plan.layers[1]
    assert display_kernel(conv.result.kernel, "oihw") == (8, 20, 3, 3)
    assert display_shape(conv.output, "chw") == (8, 3 - 2, 10 - 2)


def test_hwc_reshape_keeps_the_last_axis_as_channels():
    plan = plan_layers("4x5x6", "reshape: [20, 6]", "conv: 3x2")
    assert plan.layers[1].result.kernel == (3, 6, 2)  # conv1d over 20 positions of 6 channels


def test_symbolic_reshape_divides_exactly():
    t = symbol("T")
    assert plan_layers("Tx80x3", "reshape: [-1, 240]").layers[0].output == (t, 240)
    with pytest.raises(ConvCalcError, match=re.escape("do not divide into [-1, 7]")):
        plan_layers("Tx80x3", "reshape: [-1, 7]")


@pytest.mark.parametrize("layer, before, rf_start", [
    ("zeropad: [[0, 1], [2, 3]]", None, (0, -2)),  # the first unit moves left by `before`
    ("crop: [[1, 0], [0, 2]]", None, (1, 0)),
    ("conv: 3x3x2", "zeropad: [[1, 1], [0, 0]]", (0, 1)),  # padding 1 then a 3x3: centre at input 0
], ids=["zeropad", "crop", "zeropad-then-conv"])
def test_receptive_field_start(layer, before, rf_start):
    layers = ([before] if before else []) + [layer]
    rf = plan_layers("9x9x2", *layers).layers[-1].rf
    assert tuple(float(s) for s in rf.start) == rf_start
    assert rf.jump == (1, 1)


def test_permute_and_reshape_drop_the_receptive_field():
    assert plan_layers("4x5x6", "permute: [1, 0, 2]").layers[0].rf is None
    assert plan_layers("4x5x6", "reshape: [5, 4, 6]").layers[0].rf is None


ERRORS = [
    ("4x5x6", "permute: [0, 0, 1]", "is not a permutation of the 3 axes"),
    ("4x5x6", "permute: [1, 0]", "is not a permutation of the 3 axes"),
    ("4x5x6", "reshape: [7, -1]", "120 elements do not divide into [7, -1]"),
    ("4x5x6", "reshape: [3, 4]", "needs 12 elements, the input has 120"),
    ("4x5x6", "reshape: [-1, -1]", "at most one -1"),
    ("4x5x6", "reshape: [0, 120]", "positive sizes"),
    ("5x7x2", "zeropad: same", "expected an int, a list of ints or of [before, after] pairs, got 'same'"),
    ("5x7x2", "zeropad: [1, 2, 3]", "padding [1, 2, 3] has 3 entries"),
    ("5x7x2", "crop: [2, 4]", "cropping 4+4 from 7 on spatial axis 1 leaves nothing"),
]


@pytest.mark.parametrize("inp,layer,message", ERRORS, ids=[c[2] for c in ERRORS])
def test_errors(inp, layer, message):
    with pytest.raises(ConvCalcError, match=re.escape(message)):
        plan_layers(inp, layer)


# --------------------------------------------------------------------------------------------
# element order on literal arrays: the executor holds (1, spatial..., C)


def run(name: str, x: np.ndarray, layout: str, **args) -> np.ndarray:
    return FORWARD[name](x, args, RunCtx(layout), None).output


# a C=2, H=1, W=3 tensor with value 10*c + w, held channels last
X = np.array([[[10 * c + w for c in range(2)] for w in range(3)]], np.float32)[None]  # (1, 1, 3, 2)


def test_reshape_reads_the_displayed_order():
    # chw (PyTorch): rows of the (C, H, W) tensor in order 0 1 2 10 11 12
    out = run("reshape", X, "chw", shape=[3, 2])
    np.testing.assert_array_equal(np.moveaxis(out, -1, 1)[0], [[0, 1], [2, 10], [11, 12]])
    # hwc (Keras): the (H, W, C) tensor in order 0 10 1 11 2 12
    np.testing.assert_array_equal(run("reshape", X, "hwc", shape=[3, 2])[0], [[0, 10], [1, 11], [2, 12]])


def test_permute_moves_the_displayed_axes():
    # chw: (C, H, W) -> order [2, 0, 1] -> (W, C, H): y[w, c, 0] = 10c + w; W is now the channel axis
    out = np.moveaxis(run("permute", X, "chw", order=[2, 0, 1]), -1, 1)[0]
    np.testing.assert_array_equal(out[..., 0], [[0, 10], [1, 11], [2, 12]])
    # hwc: (H, W, C) -> [1, 0, 2] -> (W, H, C)
    np.testing.assert_array_equal(run("permute", X, "hwc", order=[1, 0, 2])[0, :, 0], [[0, 10], [1, 11], [2, 12]])


def test_zeropad_and_crop_literal():
    x = np.array([[1, 2], [3, 4]], np.float32)[None, ..., None]
    padded = run("zeropad", x, "hwc", padding=((0, 1), (2, 0)))[0, ..., 0]
    np.testing.assert_array_equal(padded, [[0, 0, 1, 2], [0, 0, 3, 4], [0, 0, 0, 0]])
    np.testing.assert_array_equal(run("crop", padded[None, ..., None], "hwc", cropping=((0, 1), (2, 0)))[0, ..., 0], [[1, 2], [3, 4]])


AGREE = [
    ("hwc", "4x5x6", ["permute: [2, 0, 1]", "conv: 3x3x2"]),
    ("chw", "6x4x5", ["permute: [1, 2, 0]", "conv: 3x3x2"]),
    ("hwc", "4x5x6", ["reshape: [10, -1]", "conv: 3x4"]),
    ("chw", "6x4x5", ["reshape: [8, 15]", "conv: 3x4"]),
    ("chw", "6x4x5", ["reshape: [-1]", "dense: 3"]),
    ("hwc", "5x7x2", ["zeropad: [[0, 1], [2, 3]]", "crop: [1, 2]"]),
    ("chw", "2x5x7", ["zeropad: [1, 2]", "crop: [[0, 2], [3, 1]]"]),
    ("hwc", "3x4x5x2", ["zeropad: [1, 0, 2]", "permute: [3, 2, 1, 0]"]),
]


@pytest.mark.parametrize("layout,inp,layers", AGREE, ids=[f"{c[0]}-{'+'.join(c[2])}" for c in AGREE])
def test_executor_agrees(layout, inp, layers):
    report = check(plan_layers(inp, *layers, layout=layout))
    assert report.passed, report.mismatches
