"""The Python API (convcalc.load, infer, plan, check): what a caller may pass, and the clear
TypeError or ValueError at the boundary for what it may not (not an error from deep inside, and
never an int taken for a file descriptor)."""

import os
from pathlib import Path

import pytest

import convcalc

ROOT = Path(__file__).resolve().parent.parent
TWO = ROOT / "examples" / "two-3x3.yaml"  # 2 x 3x3 convs over 32x32x16: 4,640 parameters


def test_the_stages_with_their_options():
    plan = convcalc.plan(TWO, dtype="float16", batch=2, kernel_layout="oihw")  # a Path is a path
    assert plan.params == 4640 and plan.kernel_layout == "oihw"
    assert convcalc.infer(convcalc.load(os.fspath(TWO))).params == 4640
    assert convcalc.check(plan, seed=3, max_bytes=1 << 30).passed


@pytest.mark.parametrize("call, error, message", [
    (lambda: convcalc.load(1), TypeError, "convcalc.load takes a file path (str or os.PathLike), got int"),
    (lambda: convcalc.load(None), TypeError, "convcalc.load takes a file path (str or os.PathLike), got NoneType"),
    (lambda: convcalc.infer("net.yaml"), TypeError, "convcalc.infer takes a ModelSpec (from convcalc.load), got str"),
    (lambda: convcalc.plan(TWO, batch=-2), ValueError, "batch must be a positive int, got -2"),
    (lambda: convcalc.plan(TWO, batch="2"), ValueError, "batch must be a positive int, got '2'"),
    (lambda: convcalc.plan(TWO, dtype="float8"), ValueError,
     "dtype must be one of float32, float16, bfloat16, float64, int8; got 'float8'"),
    (lambda: convcalc.plan(TWO, kernel_layout="ohwi"), ValueError,
     "kernel_layout must be one of None, hwio, oihw; got 'ohwi'"),
    (lambda: convcalc.check(convcalc.load(TWO)), TypeError,
     "convcalc.check takes a Plan (from convcalc.infer or convcalc.plan), got ModelSpec"),
    (lambda: convcalc.check(convcalc.plan(TWO), seed=-1), ValueError, "seed must be an int >= 0, got -1"),
    (lambda: convcalc.check(convcalc.plan(TWO), max_bytes="1G"), ValueError,
     "max_bytes must be a positive int (bytes) or None, got '1G'"),
])
def test_what_the_api_refuses_at_its_boundary(call, error, message):
    # before: load(1) closed stdout (file descriptor 1), batch=-2 planned a negative peak, the
    # others failed deep inside with AttributeError/KeyError/numpy's TypeError
    with pytest.raises(error) as caught:
        call()
    assert str(caught.value) == message


def test_loading_an_int_does_not_touch_that_descriptor():
    with pytest.raises(TypeError):
        convcalc.load(1)
    os.fstat(1)  # still open
