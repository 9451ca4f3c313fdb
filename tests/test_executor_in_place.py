"""Ops that write into a dead input give the values of the ops that allocate, and the executor
only lets them when nothing reads that input later (branches, views, a layer reading it twice).

Their speed is measured by bench/run.py, never asserted here.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from convcalc.reference import FORWARD
from convcalc.reference.core import RunCtx
from convcalc.reference import spatial
from convcalc.reference.spatial import TAP_LOOP_MAX, _reduce_taps, pool_nd

from helpers import plan_yaml

check_module = importlib.import_module("convcalc.reference.check")

IN_PLACE_OPS = [
    ("relu", {}),
    ("relu6", {}),
    ("activation", {"fn": "relu"}),
    ("activation", {"fn": "relu6"}),
    ("batchnorm", {}),
    ("batchnorm", {"affine": False}),
]


@pytest.mark.parametrize("name, args", IN_PLACE_OPS, ids=[f"{n}-{a}" for n, a in IN_PLACE_OPS])
def test_overwriting_op_writes_the_same_values_into_its_input(name, args):
    x = np.random.default_rng(1).standard_normal((1, 5, 4, 3), dtype=np.float32) * 4
    kept = FORWARD[name](x, args, RunCtx(), np.random.default_rng(7))
    before = x.copy()
    given = x.copy()
    written = FORWARD[name](given, args, RunCtx(overwrite=True), np.random.default_rng(7))
    np.testing.assert_array_equal(written.output, kept.output)
    assert np.shares_memory(written.output, given)  # really in place
    np.testing.assert_array_equal(x, before)  # without overwrite the input is left alone
    assert not np.shares_memory(kept.output, x)
    assert {k: v.tolist() for k, v in written.weights.items()} == {k: v.tolist() for k, v in kept.weights.items()}


def test_add_sums_into_its_first_input_unless_the_inputs_broadcast():
    rng = np.random.default_rng(2)
    a, b, c = (rng.standard_normal((1, 3, 3, 4), dtype=np.float32) for _ in range(3))
    expected = a + b + c
    out = FORWARD["add"]([a, b, c], {}, RunCtx(overwrite=True), None).output
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert out is a
    small = rng.standard_normal((1, 1, 1, 4), dtype=np.float32)  # broadcasts: a new array of the full shape
    d = rng.standard_normal((1, 3, 3, 4), dtype=np.float32)
    out = FORWARD["add"]([small, d], {}, RunCtx(overwrite=True), None).output
    assert out.shape == (1, 3, 3, 4) and not np.shares_memory(out, small)
    np.testing.assert_allclose(out, small + d, rtol=1e-6)


# every way an input can still be needed, each guarded by a layer that changes values: b3 comes
# before another reader of `drop` (dropout passes `twice` on); b4 is the last reader of `join`
# while `flat`, a view of it, is still to be read by fc; `twice` reads one array twice
NET = """
input: 8x8x3
layers:
  - {id: stem, conv: {filters: 4, kernel: 3, padding: same}}
  - {id: bn, batchnorm: }
  - {id: r1, relu: }
  - {id: branch, conv: {filters: 4, kernel: 3, padding: same}, from: r1}
  - {id: bn2, batchnorm: }
  - {id: sum, add: , from: [bn2, r1]}
  - {id: twice, add: , from: [sum, sum]}
  - {id: drop, dropout: 0.5}
  - {id: b3, batchnorm: }
  - {id: also, batchnorm: , from: drop}
  - {id: join, add: , from: [b3, also]}
  - {id: flat, flatten: }
  - {id: b4, batchnorm: , from: join}
  - {id: pooled, global_avgpool: }
  - {id: fc, dense: 3, from: flat}
  - {id: out, concat: , from: [pooled, fc]}
"""
# the layers whose output is their input array when the executor allows it (dropout always
# returns its input; the others write into it)
WRITERS = {"bn", "r1", "bn2", "sum", "drop", "also", "join"}


def _outputs(monkeypatch: pytest.MonkeyPatch, allow: bool) -> tuple[list[np.ndarray], set[str]]:
    """Every layer's output values (copied when produced), and the layers that wrote into an input."""
    plan = plan_yaml(NET)
    seen: list[np.ndarray] = []
    wrote: set[str] = set()
    ids = iter([lp.node.id for lp in plan.layers])
    for name, fn in list(FORWARD.items()):
        def recorder(x, args, ctx, rng, fn=fn):
            layer = next(ids)
            result = fn(x, args, ctx, rng)
            if ctx.overwrite and any(result.output is i for i in (x if isinstance(x, list) else [x])):
                wrote.add(layer)
            seen.append(result.output.copy())
            return result

        monkeypatch.setitem(FORWARD, name, recorder)
    if not allow:
        monkeypatch.setattr(check_module, "_last_reader", lambda *a: False)
    report = check_module.check(plan)
    assert report.passed, report.mismatches
    monkeypatch.undo()
    return seen, wrote


def test_writing_into_dead_inputs_changes_no_value_of_any_layer(monkeypatch):
    written, writers = _outputs(monkeypatch, allow=True)
    allocated, none = _outputs(monkeypatch, allow=False)
    assert len(written) == len(allocated) == 16
    for index, (a, b) in enumerate(zip(written, allocated)):
        np.testing.assert_array_equal(a, b, err_msg=f"layer {index}")
    assert writers == WRITERS and none == set()


def test_last_reader_refuses_shared_and_doubly_read_arrays():
    base = np.zeros((1, 4, 4, 2), np.float32)
    view = base.reshape(1, -1)
    last = {"a": 3, "b": 3}
    assert check_module._last_reader(["a"], 3, last, {"a": base})
    assert not check_module._last_reader(["a"], 2, last, {"a": base})  # read again by layer 3
    assert not check_module._last_reader(["a"], 3, last, {"a": base, "b": view})  # b is a view of it
    assert not check_module._last_reader(["a", "a"], 3, last, {"a": base})


@pytest.mark.parametrize("kernel, stride, dilation, ceil", [
    ((3, 3), (2, 2), (1, 1), False), ((2, 3), (1, 2), (2, 1), True), ((3,), (2,), (1,), True),
    ((2, 2, 2), (2, 1, 2), (1, 1, 1), False)])
def test_tap_by_tap_pooling_equals_one_reduction(kernel, stride, dilation, ceil, monkeypatch):
    """Windows of up to TAP_LOOP_MAX taps are folded tap by tap; with the limit at 0 every window
    goes through ufunc.reduce instead. Both give the same pooled values (max exactly)."""
    rank = len(kernel)
    x = np.random.default_rng(3).standard_normal((1,) + (11, 10, 9)[:rank] + (3,), dtype=np.float32)
    pads = ((1, 0),) * rank
    assert np.prod(kernel) <= TAP_LOOP_MAX
    folded = {op: pool_nd(x, op, kernel, stride, dilation, pads, ceil) for op in ("max", "avg")}
    monkeypatch.setattr(spatial, "TAP_LOOP_MAX", 0)
    reduced = {op: pool_nd(x, op, kernel, stride, dilation, pads, ceil) for op in ("max", "avg")}
    np.testing.assert_array_equal(folded["max"], reduced["max"])
    np.testing.assert_allclose(folded["avg"], reduced["avg"], rtol=1e-6, atol=1e-7)
    assert folded["max"].dtype == folded["avg"].dtype == np.float32


def test_reduce_taps_falls_back_for_large_windows():
    view = np.arange(2 * 3 * 100, dtype=np.float32).reshape(2, 3, 10, 10)
    np.testing.assert_array_equal(_reduce_taps(view, np.maximum, (-2, -1)), view.max(axis=(-2, -1)))
    small = view[..., :2, :3]
    np.testing.assert_array_equal(_reduce_taps(small, np.add, (-2, -1)), small.sum(axis=(-2, -1)))
