"""Activation memory: liveness on branching graphs worked out by hand, the naive sum, dtype and
batch, exact labelled units, and the executor's count of its live arrays."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from helpers import plan_yaml

from convcalc.cli import main
from convcalc.memory import naive_elements, peak, steps
from convcalc.reference import check
from convcalc.render.common import nbytes

# input 10x10x1 (100). c1 (3x3x4, same): 10x10x4 = 400. c2 from c1 (3x3x2, same): 200.
# c3 from c2 (maxpool 2): 5x5x2 = 50, consumed by nobody. c4 from c1 (maxpool 2): 5x5x4 = 100.
# c1 stays alive until c4 has run:
#   c1 runs: input 100 + c1 400           = 500  (input freed: last used by c1)
#   c2 runs: c1 400 + c2 200              = 600
#   c3 runs: c1 400 + c2 200 + c3 50      = 650  <- peak (c2 and c3 freed after)
#   c4 runs: c1 400 + c4 100              = 500
# naive (everything at once, input included): 100 + 400 + 200 + 50 + 100 = 850
FORK = """
input: 10x10x1
layers:
  - {id: c1, conv: {filters: 4, kernel: 3, padding: same}}
  - {id: c2, conv: {filters: 2, kernel: 3, padding: same}}
  - {id: c3, maxpool: 2}
  - {id: c4, maxpool: 2, from: c1}
"""


def test_fork_liveness_by_hand():
    plan = plan_yaml(FORK)
    assert [(s.layer, s.total) for s in steps(plan)] == [
        ("input", 100), ("c1", 100 + 400), ("c2", 400 + 200), ("c3", 400 + 200 + 50), ("c4", 400 + 100)]
    top, where = peak(plan)
    assert (top, where.layer) == (650, "c3")
    assert naive_elements(plan) == 850


def test_merge_keeps_its_inputs_alive_together():
    # input 6x6x2 (72); a (1x1x8): 288; b from input (1x1x8): 288; sum of a and b: 288.
    #   a runs: input 72 + a 288 = 360 (input still needed by b)
    #   b runs: a 288 + b 288 (+ input 72, freed after b) = 648
    #   sum runs: a 288 + b 288 + sum 288 = 864 <- peak
    plan = plan_yaml("""
input: 6x6x2
layers:
  - {id: a, conv: 1x1x8}
  - {id: b, conv: 1x1x8, from: input}
  - {id: sum, add: null, from: [a, b]}
""")
    assert [s.total for s in steps(plan)] == [72, 72 + 288, 72 + 288 + 288, 3 * 288]
    assert plan.peak_activation_elements() == 864
    report = check(plan)
    assert report.status == "passed" and report.peak_live_bytes == 864 * 4


@pytest.mark.parametrize("spec", [FORK, "input: 28x28x1\nlayers:\n  - conv: 3x3x16\n  - conv: 3x3x32\n"],
                         ids=["fork", "seed-two-convs"])
def test_executor_live_arrays_agree_with_the_plan(spec):
    plan = plan_yaml(spec)
    report = check(plan)
    assert report.status == "passed"
    assert report.peak_live_bytes == plan.peak_activation_elements() * 4  # the executor runs float32


DTYPES = [("float32", 4), ("float16", 2), ("bfloat16", 2), ("float64", 8), ("int8", 1)]


@pytest.mark.parametrize("dtype,width", DTYPES, ids=[d[0] for d in DTYPES])
def test_dtype_and_batch_scale_the_bytes(dtype, width):
    result = CliRunner().invoke(main, ["plan", "--input", "28x28x1", "--conv", "3x3x16", "--conv", "3x3x32",
                                       "--dtype", dtype, "--batch", "3", "--format", "json"])
    doc = json.loads(result.output)
    totals = doc["totals"]
    assert totals["param_bytes"] == 4800 * width  # parameters: no batch axis
    assert [layer["activation_bytes"] for layer in doc["layers"]] == [26 * 26 * 16 * width * 3, 24 * 24 * 32 * width * 3]
    # peak while conv2 runs: conv1 and conv2 alive
    assert totals["peak_activation_bytes"] == (26 * 26 * 16 + 24 * 24 * 32) * width * 3
    assert totals["peak_activation_layer"] == "conv2"
    assert totals["naive_activation_bytes"] == (28 * 28 + 26 * 26 * 16 + 24 * 24 * 32) * width * 3
    assert (totals["dtype"], totals["batch"]) == (dtype, 3)


def test_batch_must_be_positive():
    result = CliRunner().invoke(main, ["plan", "--input", "8x8x1", "--conv", "3x3x2", "--batch", "0"])
    assert result.exit_code == 2


UNITS = [
    (1023, "1,023 B"),
    (1536, "1,536 B (1.50 KiB)"),
    (3 * 2**20, "3,145,728 B (3.00 MiB)"),
    (10**6, "1,000,000 B (976.56 KiB)"),  # a decimal MB is not a MiB
    (5 * 2**30 + 2**29, "5,905,580,032 B (5.50 GiB)"),
]


@pytest.mark.parametrize("n,text", UNITS, ids=[str(u[0]) for u in UNITS])
def test_bytes_are_exact_with_binary_units(n, text):
    assert nbytes(n) == text


def test_table_labels_memory_and_explains_it():
    result = CliRunner().invoke(main, ["plan", "--input", "28x28x1", "--conv", "3x3x16", "--conv", "3x3x32",
                                       "--explain", "--dtype", "float16", "--batch", "2"])
    text = " ".join(result.output.split())
    assert "Peak activation memory: 116,992 B (114.25 KiB) (batch 2, inference, by liveness)" in text
    assert "All tensors summed (naive): 120,128 B (117.31 KiB)" in text  # (784 + 29,248) x 2 B x 2
    assert "conv1 activations: 26*26*16 = 10,816 x 2 B x batch 2 = 43,264 B" in text
    assert "parameter memory: 4,800 x 2 B (float16) = 9,600 B" in text
    assert ("peak activations at conv2: conv1 10,816 + conv2 18,432 = 29,248 x 2 B x batch 2 "
            "= 116,992 B") in text
    assert "all tensors summed: 784 + 10,816 + 18,432 = 30,032 x 2 B x batch 2 = 120,128 B" in text
    assert " MB" not in text and "KB" not in text
