"""layernorm, groupnorm, instancenorm: 2*C trainable parameters with affine, none tracked, 0 MACs;
the executor's statistics on literal arrays; `check` agreement."""

from __future__ import annotations

import re

import numpy as np
import pytest

from convcalc.errors import ConvCalcError
from convcalc.reference import FORWARD
from convcalc.reference.core import RunCtx
from helpers import assert_checks, plan_layers

COUNTS = [
    ("6x5x8", "layernorm", 2 * 8),
    ("6x5x8", "layernorm: {affine: false}", 0),
    ("6x5x8", "groupnorm: 4", 2 * 8),
    ("6x5x8", "groupnorm: {groups: 8, affine: false}", 0),
    ("6x5x8", "instancenorm", 2 * 8),
    ("6x5x8", "instancenorm: {affine: false}", 0),  # PyTorch InstanceNorm2d's default
    ("12x7", "layernorm", 2 * 7),
    ("3x4x5x6", "groupnorm: 3", 2 * 6),
    ("40", "layernorm", 2 * 40),  # after flatten: the features
]


@pytest.mark.parametrize("inp,layer,trainable", COUNTS, ids=[c[1] + " @" + c[0] for c in COUNTS])
def test_counts(inp, layer, trainable):
    lp = plan_layers(inp, layer).layers[0]
    assert lp.output == lp.input_shapes[0]
    assert (lp.result.trainable, lp.result.non_trainable, lp.result.macs, lp.result.kernel) == (trainable, 0, 0, None)


def test_receptive_field_passes_through():
    before = plan_layers("9x8x4", "conv: 3x3x4").layers[0].rf
    after = plan_layers("9x8x4", "conv: 3x3x4", "groupnorm: 2").layers[1].rf
    assert after == before


@pytest.mark.parametrize("inp, layer, message", [
    ("6x5x8", "groupnorm: 3", "groups=3 does not divide the 8 channels"),
    ("6x5x8", "groupnorm", "groupnorm needs 'groups'"),
    ("40", "instancenorm", "instancenorm needs an input with spatial axes"),
], ids=["groups", "no-groups", "no-spatial"])
def test_errors(inp, layer, message):
    with pytest.raises(ConvCalcError, match=re.escape(message)):
        plan_layers(inp, layer)


def norm(name: str, x, **args) -> np.ndarray:
    return FORWARD[name](np.asarray(x, np.float32), {"affine": False, **args}, RunCtx(), None).output


S = 1 / np.sqrt(1 + 1e-5)  # (x - mean) / sqrt(var + eps) for a pair one apart from its mean


def test_layernorm_over_channels_literal():
    # each position's channels [1, 3] and [10, 30]: mean 2 / 20, variance 1 / 100
    out = norm("layernorm", [[[1, 3], [10, 30]]])
    np.testing.assert_allclose(out[0], [[-S, S], [-1 / np.sqrt(1 + 1e-7), 1 / np.sqrt(1 + 1e-7)]], rtol=1e-5)


def test_groupnorm_groups_channels_literal():
    # one position, channels [1 3 | 10 30], 2 groups: each group normalised on its own
    out = norm("groupnorm", [[[1, 3, 10, 30]]], groups=2)
    np.testing.assert_allclose(out[0, 0], [-S, S, -1, 1], rtol=1e-5)
    # one group: all four together, mean 11
    out = norm("groupnorm", [[[1, 3, 10, 30]]], groups=1)
    values = np.array([1, 3, 10, 30])
    np.testing.assert_allclose(out[0, 0], (values - 11) / np.sqrt(values.var() + 1e-5), rtol=1e-5)


def test_instancenorm_over_positions_literal():
    # channel 0 over positions [1, 3], channel 1 over [5, 5] (variance 0: all zeros)
    out = norm("instancenorm", [[[1, 5], [3, 5]]])
    np.testing.assert_allclose(out[0], [[-S, 0], [S, 0]], rtol=1e-5, atol=1e-6)


def test_affine_weights_are_trainable():
    seen = FORWARD["groupnorm"](np.zeros((1, 3, 4), np.float32), {"groups": 2, "affine": True}, RunCtx(), np.random.default_rng(0))
    assert (seen.trainable_count, seen.non_trainable_count, seen.macs) == (8, 0, 0)


@pytest.mark.parametrize("layout", ["hwc", "chw"])
@pytest.mark.parametrize("layers", [
    ["layernorm", "groupnorm: 3", "instancenorm: {affine: false}"],
    ["conv: 3x3x6", "groupnorm: {groups: 2, affine: false}", "instancenorm", "layernorm"],
], ids=["norms", "conv-norms"])
def test_executor_agrees(layers, layout):
    assert_checks("7x6x6", *layers, layout=layout)
