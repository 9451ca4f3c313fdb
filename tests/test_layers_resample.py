"""Adaptive pooling, upsample, pixel_shuffle / pixel_unshuffle: shapes by derivation, PyTorch's
windows, element order and interpolation on literal arrays, and `check` agreement."""

from __future__ import annotations

import re

import numpy as np
import pytest

from convcalc.errors import ConvCalcError
from convcalc.reference import FORWARD
from convcalc.reference.core import RunCtx
from convcalc.reference.resample import adaptive_pool, adaptive_windows, cubic_weights
from helpers import assert_checks, plan_layers

SHAPES = [
    ("10x7x3", "adaptive_avgpool: [3, 2]", (3, 2, 3)),
    ("10x7x3", "adaptive_maxpool: 4", (4, 4, 3)),
    ("2x3x1", "adaptive_avgpool: [5, 4]", (5, 4, 1)),  # larger than the input: windows repeat (PyTorch)
    ("10x2", "adaptive_maxpool: {output: 4}", (4, 2)),
    ("5x7x2", "upsample: [2, 3]", (5 * 2, 7 * 3, 2)),
    ("5x7x2", "upsample", (5 * 2, 7 * 2, 2)),  # Keras' default size 2
    ("5x7x2", "upsample: {scale: [3, 1], mode: bicubic}", (15, 7, 2)),
    ("5x2", "upsample: {scale: 4, mode: linear}", (20, 2)),
    ("2x3x4x1", "upsample: {scale: [1, 2, 3], mode: trilinear}", (2, 6, 12, 1)),
    ("3x5x12", "pixel_shuffle: 2", (3 * 2, 5 * 2, 12 // 2**2)),
    ("3x5x12", "depth_to_space: {scale: 2}", (6, 10, 3)),
    ("5x6", "pixel_shuffle: 3", (5 * 3, 6 // 3)),
    ("2x3x4x16", "pixel_shuffle: 2", (4, 6, 8, 16 // 2**3)),
    ("6x10x3", "pixel_unshuffle: 2", (6 // 2, 10 // 2, 3 * 2**2)),
    ("6x10x3", "space_to_depth: 2", (3, 5, 12)),
    ("9x2", "pixel_unshuffle: 3", (3, 6)),
]


@pytest.mark.parametrize("inp,layer,output", SHAPES, ids=[c[1] + " @" + c[0] for c in SHAPES])
def test_shape_without_params_or_macs(inp, layer, output):
    lp = plan_layers(inp, layer).layers[0]
    assert lp.output == output
    assert (lp.params, lp.result.macs, lp.result.kernel) == (0, 0, None)


@pytest.mark.parametrize("inp, layer, size, jump", [
    ("12x8x3", "adaptive_avgpool: [3, 4]", (12 // 3, 8 // 4), (4, 2)),  # even windows: kernel = stride = n/out
    ("12x8x3", "pixel_unshuffle: 2", (2, 2), (2, 2)),
    ("10x7x3", "adaptive_avgpool: [3, 2]", None, None),  # uneven windows: not reported
    ("5x7x2", "upsample: 2", None, None),
    ("4x4x8", "pixel_shuffle: 2", None, None),
], ids=["adaptive-even", "unshuffle", "adaptive-uneven", "upsample", "shuffle"])
def test_receptive_field(inp, layer, size, jump):
    rf = plan_layers(inp, layer).layers[0].rf
    assert (rf.size, rf.jump) == (size, jump) if size else rf is None


ERRORS = [
    ("3x5x10", "pixel_shuffle: 2", "10 channels are not divisible by scale^2 = 4"),
    ("5x10x3", "pixel_unshuffle: 2", "spatial axis 0 (5) is not divisible by the scale 2"),
    ("Tx10x3", "pixel_unshuffle: 2", "needs a concrete size on spatial axis 0"),
    ("5x7x2", "upsample: {mode: linear}", "mode linear is for 1D inputs, this one is 2D"),
    ("5x2", "upsample: {mode: bilinear}", "mode bilinear is for 2D inputs"),
    ("5x7x2", "upsample: {mode: area}", "expected one of nearest"),
    ("5x7x2", "adaptive_avgpool: [1, 2, 3]", "output [1, 2, 3] has 3 values"),
    ("5x7x2", "adaptive_avgpool: 0", "positive integer"),
]


@pytest.mark.parametrize("inp,layer,message", ERRORS, ids=[c[2] for c in ERRORS])
def test_errors(inp, layer, message):
    with pytest.raises(ConvCalcError, match=re.escape(message)):
        plan_layers(inp, layer)


# --------------------------------------------------------------------------------------------
# the executor on literal arrays


@pytest.mark.parametrize("n, out, windows", [
    (5, 3, [(0, 2), (1, 4), (3, 5)]),  # floor(i*5/3) .. ceil((i+1)*5/3)
    (10, 4, [(0, 3), (2, 5), (5, 8), (7, 10)]),
    (3, 5, [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)]),
    (8, 4, [(0, 2), (2, 4), (4, 6), (6, 8)]),
], ids=["5->3", "10->4", "3->5", "8->4-even"])
def test_adaptive_windows_are_pytorchs(n, out, windows):
    assert adaptive_windows(n, out) == windows


def test_adaptive_pool_values():
    x = np.array([1, 5, 2, 8, 3], np.float32)[None, :, None]
    np.testing.assert_array_equal(adaptive_pool(x, (3,), "max")[0, :, 0], [5, 8, 8])
    np.testing.assert_allclose(adaptive_pool(x, (3,), "avg")[0, :, 0], [3, 5, 5.5])
    # 2D: rows (0, 2) whole, columns [0, 2) and [1, 3): means of [1 2 4 5] and [2 3 5 6]
    x2 = np.array([[1, 2, 3], [4, 5, 6]], np.float32)[None, ..., None]
    np.testing.assert_allclose(adaptive_pool(x2, (1, 2), "avg")[0, ..., 0], [[3, 4]])


def up(values, mode, scale=2):
    x = np.asarray(values, np.float32)[None, ..., None]
    return FORWARD["upsample"](x, {"scale": scale, "mode": mode}, RunCtx(), None).output[0, ..., 0]


def test_upsample_nearest_and_linear_literal():
    np.testing.assert_array_equal(up([1, 2], "nearest"), [1, 1, 2, 2])
    # align_corners=False: source (dst + 0.5)/2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (edge)
    np.testing.assert_allclose(up([0, 4], "linear"), [0, 1, 3, 4])
    # bilinear = linear along each axis: the corners of [[0, 4], [8, 12]] at 0.25 steps
    np.testing.assert_allclose(up([[0, 4], [8, 12]], "bilinear")[1], [2, 3, 5, 6])


def test_bicubic_weights_and_constant():
    # Keys' kernel with A = -0.75 at t = 0.25 (PyTorch's scale-2 coefficients), summing to 1
    np.testing.assert_allclose(cubic_weights(np.float64(0.25)), [-0.10546875, 0.87890625, 0.26171875, -0.03515625])
    np.testing.assert_allclose(up(np.full((3, 4), 7.0), "bicubic"), np.full((6, 8), 7.0), rtol=1e-6)


def shuffle(x: np.ndarray, r: int, name: str = "pixel_shuffle") -> np.ndarray:
    return FORWARD[name](x, {"scale": r}, RunCtx(), None).output


def test_pixel_shuffle_element_order_literal():
    # one position, 4 channels [1 2 3 4], r=2: out[0, i, j] = in[i*2 + j]
    x = np.array([1, 2, 3, 4], np.float32).reshape(1, 1, 1, 4)
    np.testing.assert_array_equal(shuffle(x, 2)[0, ..., 0], [[1, 2], [3, 4]])
    # C=8, H=1, W=2, in[c, 0, w] = 10c + w: out[c', i, w*2 + j] = in[c'*4 + i*2 + j, 0, w]
    chw = np.array([[[10 * c + w for w in range(2)]] for c in range(8)], np.float32)  # (C, H, W)
    out = shuffle(np.moveaxis(chw, 0, -1)[None], 2)[0]  # (H*2, W*2, C/4)
    np.testing.assert_array_equal(np.moveaxis(out, -1, 0), [[[0, 10, 1, 11], [20, 30, 21, 31]],
                                                            [[40, 50, 41, 51], [60, 70, 61, 71]]])


def test_pixel_shuffle_matches_pytorchs_definition():
    r, c, h, w = 3, 2, 2, 4
    x = np.random.default_rng(5).standard_normal((1, h, w, c * r * r), dtype=np.float32)
    out = shuffle(x, r)[0]
    for ch, hh, ww, i, j in np.ndindex(c, h, w, r, r):
        assert out[hh * r + i, ww * r + j, ch] == x[0, hh, ww, ch * r * r + i * r + j]


@pytest.mark.parametrize("shape, r", [((1, 6, 2), 3), ((1, 4, 6, 8), 2), ((1, 2, 4, 6, 3), 2)], ids=["1d", "2d", "3d"])
def test_unshuffle_inverts_shuffle(shape, r):
    x = np.random.default_rng(6).standard_normal(shape, dtype=np.float32)
    down = shuffle(x, r, "pixel_unshuffle")
    assert down.shape[-1] == shape[-1] * r ** (len(shape) - 2)
    np.testing.assert_array_equal(shuffle(down, r), x)


AGREE = [
    ("10x7x3", "adaptive_avgpool: [3, 5]"),
    ("10x7x3", "adaptive_maxpool: [12, 2]"),
    ("5x7x2", "upsample: [2, 3]"),
    ("5x7x2", "upsample: {scale: [3, 2], mode: bicubic}"),
    ("4x3x2x2", "upsample: {scale: [1, 2, 3], mode: trilinear}"),
    ("3x5x18", "pixel_shuffle: 3"),
    ("6x10x3", "space_to_depth: 2"),
]


@pytest.mark.parametrize("layout", ["hwc", "chw"])
@pytest.mark.parametrize("inp,layer", AGREE, ids=[c[1] for c in AGREE])
def test_executor_agrees(inp, layer, layout):
    assert_checks(inp, layer, layout=layout)


def test_pixel_unshuffle_of_a_size_that_is_a_multiple_for_every_value():
    # 2*H (an upsample by 2) is divisible by 2 whatever H is: it was refused as not concrete
    plan = plan_layers("HxWx3", "upsample: 2", "pixel_unshuffle: 2")
    assert tuple(map(str, plan.layers[-1].output)) == ("H", "W", "12")
    with pytest.raises(ConvCalcError, match="needs a concrete size on spatial axis 0, got H"):
        plan_layers("HxWx3", "pixel_unshuffle: 2")  # H itself may be odd
