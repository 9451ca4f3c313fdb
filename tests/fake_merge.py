"""A stand-in merge layer (elementwise sum of same-shaped inputs) for tests of multi-path
fields, liveness and the probe, until the graph work registers real merges. It is registered in
the engine, the executor and the probe only while the fixture runs."""

from __future__ import annotations

import numpy as np
import pytest

from convcalc.errors import ShapeError
from convcalc.layers import base
from convcalc.reference import core
from convcalc.reference import probe as probe_module

NAME = "fake_add"


def _infer(node, inputs, ctx):
    if len({tuple(s) for s in inputs}) != 1:
        raise ShapeError(f"{NAME} needs inputs of one shape, got {inputs}")
    return base.Result(output=inputs[0])


def _forward(xs, args, ctx, rng):
    return core.Observed(np.add.reduce(xs))


@pytest.fixture
def fake_add():
    base.register(base.LayerType(name=NAME, args={}, infer=_infer, doc="test merge", inputs=0, elementwise=True))
    core.FORWARD[NAME] = _forward
    probe_module.REACH[NAME] = probe_module.union
    yield NAME
    del base.REGISTRY[NAME], core.FORWARD[NAME], probe_module.REACH[NAME]
