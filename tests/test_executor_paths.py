"""The executor's fast paths equal its general ones, and its weights are a function of the seed.

Speed itself is measured by bench/run.py, never asserted here.
"""

from __future__ import annotations

import numpy as np
import pytest

from convcalc.reference import FORWARD
from convcalc.reference import depthwise as depthwise_module
from convcalc.reference.core import RunCtx, draw
from convcalc.reference.depthwise import depthwise_nd
from convcalc.reference.spatial import conv_nd, im2col

from helpers import plan_yaml

POINTWISE = [
    # spatial, C, filters, stride, groups
    pytest.param((7, 5), 6, 4, (1, 1), 1, id="2d"),
    pytest.param((7, 5), 6, 4, (2, 3), 1, id="2d-strided"),
    pytest.param((7, 5), 6, 4, (1, 1), 2, id="2d-groups2"),
    pytest.param((4, 3, 5), 2, 3, (1, 2, 1), 1, id="3d"),
    pytest.param((11,), 3, 5, (1,), 1, id="1d"),
]


@pytest.mark.parametrize("spatial, c, filters, stride, groups", POINTWISE)
def test_1x1_fast_path_equals_the_general_window_path(spatial, c, filters, stride, groups):
    """An unpadded 1x1 conv multiplies the input itself; padding one row/column after each axis
    sends the same conv through the window view, and its first outputs must be the same."""
    rng = np.random.default_rng(5)
    rank = len(spatial)
    x = rng.standard_normal((1,) + spatial + (c,), dtype=np.float32)
    w = rng.standard_normal((1,) * rank + (c // groups, filters), dtype=np.float32)
    fast, fast_macs = conv_nd(x, w, stride, (1,) * rank, ((0, 0),) * rank, groups)
    padded, _ = conv_nd(x, w, stride, (1,) * rank, ((0, 1),) * rank, groups)
    general = padded[(slice(None),) + tuple(slice(0, n) for n in fast.shape[1:-1])]
    np.testing.assert_allclose(fast, general, rtol=1e-6, atol=1e-6)
    assert fast_macs == int(np.prod(fast.shape)) * (c // groups)


def test_1x1_stride_1_reads_the_input_without_copying_it():
    x = np.ones((1, 6, 5, 8), dtype=np.float32)
    cols, sizes = im2col(x, (1, 1), (1, 1), (1, 1), ((0, 0), (0, 0)))
    assert cols.shape == (1, 6 * 5, 8) and sizes == (6, 5)
    assert np.shares_memory(cols, x)


def test_im2col_rows_are_windows_in_hwio_order():
    """Row (i, j) holds window taps (kh, kw) outermost and channels innermost, like an HWIO weight."""
    x = np.arange(4 * 5 * 3, dtype=np.float32).reshape(1, 4, 5, 3)
    cols, sizes = im2col(x, (2, 3), (1, 1), (1, 1), ((0, 0), (0, 0)))
    assert sizes == (3, 3) and cols.flags.c_contiguous
    row = cols[0, 1 * 3 + 2]  # output (1, 2): window rows 1..2, columns 2..4
    np.testing.assert_array_equal(row, x[0, 1:3, 2:5, :].reshape(-1))


DEPTHWISE = [
    # spatial, kernel, m, stride, dilation, pads: the last axis is read in `stride` phases
    pytest.param((9, 8), (3, 2), 1, (1, 1), (1, 1), ((1, 1), (0, 1)), id="2d-m1"),
    pytest.param((9, 8), (3, 2), 3, (2, 1), (1, 2), ((1, 1), (0, 1)), id="2d-m3-dilated"),
    pytest.param((9, 8), (3, 2), 2, (1, 2), (2, 1), ((0, 2), (1, 1)), id="2d-m2-last-axis-strided"),
    pytest.param((9, 11), (3, 3), 1, (2, 2), (1, 2), ((1, 1), (2, 2)), id="2d-strided-and-dilated"),
    pytest.param((6, 13), (2, 2), 1, (1, 3), (1, 1), ((0, 0), (0, 0)), id="2d-stride-above-kernel"),
    pytest.param((7, 9), (3, 3), 1, (1, 2), (1, 1), ((0, 0), (4, 5)), id="2d-padding-above-kernel"),
    pytest.param((10,), (4,), 2, (1,), (2,), ((3, 0),), id="1d"),
    pytest.param((11,), (3,), 1, (2,), (1,), ((1, 1),), id="1d-strided"),
    pytest.param((5, 6, 7), (2, 3, 2), 1, (2, 1, 1), (1, 1, 2), ((0, 1), (1, 1), (1, 0)), id="3d"),
    pytest.param((5, 6, 7), (2, 3, 2), 2, (1, 1, 3), (1, 2, 1), ((0, 0), (1, 1), (1, 1)), id="3d-last-axis-strided"),
]


def _grouped(x: np.ndarray, w: np.ndarray, stride, dilation, pads) -> tuple[np.ndarray, int]:
    """Depthwise as the grouped conv with one group per channel (im2col + batched matmul)."""
    kernel, (c, m) = w.shape[:-2], w.shape[-2:]
    return conv_nd(x, w.reshape(kernel + (1, c * m)), stride, dilation, pads, groups=c)


@pytest.mark.parametrize("phases_from", [0, 1 << 40], ids=["phased", "in-place"])
@pytest.mark.parametrize("spatial, kernel, m, stride, dilation, pads", DEPTHWISE)
def test_depthwise_einsum_equals_the_grouped_conv(monkeypatch, phases_from, spatial, kernel, m, stride, dilation, pads):
    """Depthwise is the grouped conv with one group per channel: the einsum must agree with it,
    with a strided last axis copied into phases and read in place."""
    monkeypatch.setattr(depthwise_module, "PHASES_FROM", phases_from)
    rng = np.random.default_rng(11)
    c = 5
    x = rng.standard_normal((1,) + spatial + (c,), dtype=np.float32)
    w = rng.standard_normal(kernel + (c, m), dtype=np.float32)
    out, macs = depthwise_nd(x, w, stride, dilation, pads)
    grouped, grouped_macs = _grouped(x, w, stride, dilation, pads)
    np.testing.assert_allclose(out, grouped, rtol=1e-5, atol=1e-5)
    assert macs == grouped_macs


@pytest.mark.parametrize("chunk", [1024, 10])
@pytest.mark.parametrize("spatial, kernel, m, stride, dilation, pads", [DEPTHWISE[1], DEPTHWISE[3], DEPTHWISE[8]])
def test_depthwise_rows_cut_into_chunks_are_the_same(monkeypatch, chunk, spatial, kernel, m, stride, dilation, pads):
    """Rows read whole, and cut into chunks of 2 positions (10 floats at C=5), give the grouped
    conv's values too (the phased layout, where the chunks are contiguous)."""
    monkeypatch.setattr(depthwise_module, "PHASES_FROM", 0)
    monkeypatch.setattr(depthwise_module, "RUN_CHUNK", chunk)
    rng = np.random.default_rng(12)
    x = rng.standard_normal((1,) + spatial + (5,), dtype=np.float32)
    w = rng.standard_normal(kernel + (5, m), dtype=np.float32)
    out, _ = depthwise_nd(x, w, stride, dilation, pads)
    np.testing.assert_allclose(out, _grouped(x, w, stride, dilation, pads)[0], rtol=1e-5, atol=1e-5)


def test_draw_is_float32_with_the_asked_standard_deviation_and_bound():
    w = draw(np.random.default_rng(0), (400, 500), 0.2)
    assert w.dtype == np.float32 and w.shape == (400, 500)
    assert abs(float(w.mean())) < 0.002
    assert float(w.std()) == pytest.approx(0.2, rel=0.01)
    assert float(np.abs(w).max()) <= 0.2 * np.sqrt(3) + 1e-6


NET = """
input: 10x9x3
layers:
  - conv: 3x3x8,padding=same
  - batchnorm
  - relu
  - depthwise_conv: {kernel: 3, multiplier: 2}
  - separable_conv: {filters: 6, kernel: 3}
  - layernorm
  - {conv_transpose: {filters: 4, kernel: 2, stride: 2}}
  - flatten
  - dense: 5
"""


def _run(seed: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """The network's output and every weight, drawn from one seeded generator as check does."""
    plan = plan_yaml(NET)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, 10, 9, 3), dtype=np.float32)
    weights = []
    for lp in plan.layers:
        seen = FORWARD[lp.node.type](x, lp.node.args, RunCtx(), rng)
        x = seen.output
        weights += [seen.weights[k] for k in sorted(seen.weights)]
    return x, weights


def test_same_seed_same_weights_and_outputs_other_seed_others():
    out_a, weights_a = _run(3)
    out_b, weights_b = _run(3)
    out_c, weights_c = _run(4)
    np.testing.assert_array_equal(out_a, out_b)
    assert all(np.array_equal(a, b) for a, b in zip(weights_a, weights_b))
    assert all(w.dtype == np.float32 for w in weights_a)
    assert not np.array_equal(out_a, out_c)
    assert not any(np.array_equal(a, c) for a, c in zip(weights_a, weights_c) if a.size > 1)
