"""Receptive fields: hand-derived small networks, VGG-16 against its published table, merges of
paths, and the stride warning. Recurrence (Araujo et al., Distill 2019), per axis:
size += (k-1)*jump, jump *= s, start += ((k-1)/2 - pad_before)*jump, from size 1, jump 1, start 0."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from helpers import plan_layers, plan_yaml

from convcalc.fields import RF, field_of, merge, rf_text
from convcalc.reference import check

H = Fraction(1, 2)

CASES = [
    # id, input, layers, (size, jump, start) of the last layer, each per axis
    ("non-square-kernel-and-stride", "20x30x1", ["conv: {filters: 2, kernel: [3, 5], stride: [1, 2]}"],
     ((3, 5), (1, 2), ((3 - 1) * H, (5 - 1) * H))),
    ("dilated-then-strided", "20x30x1",
     ["conv: {filters: 2, kernel: 3, dilation: [2, 3]}", "conv: {filters: 2, kernel: 3, stride: 2}"],
     # effective kernels 5 and 7, then a plain 3: sizes 1+4+2, 1+6+2; starts 2+1, 3+1
     ((1 + 4 + 2, 1 + 6 + 2), (2, 2), (2 + 1, 3 + 1))),
    ("padded-stride-then-pool", "20x30x1",
     ["conv: {filters: 2, kernel: 3, stride: [2, 3], padding: [1, 0]}", "maxpool: {kernel: [2, 3]}"],
     # conv: size 3, jump (2, 3), start (1-1, 1-0); pool: size 3+(2-1)*2, 3+(3-1)*3,
     # start 0+(1/2)*2, 1+1*3
     ((3 + 2, 3 + 6), (2 * 2, 3 * 3), (0 + 1, 1 + 3))),
    ("tf-same-start-follows-pad-before", "7x8x1", ["conv: {filters: 2, kernel: 3, stride: 2, padding: same}"],
     # total padding (4-1)*2+3-7 = 2 -> before 1; (4-1)*2+3-8 = 1 -> before 0 (odd pixel after)
     ((3, 3), (2, 2), (1 - 1, 1 - 0))),
    ("ceil-mode-keeps-the-field", "7x9x1", ["maxpool: {kernel: [2, 3], stride: [2, 2], ceil_mode: true}"],
     ((2, 3), (2, 2), (H, 1))),
    ("causal-1d-dilated", "50x3", ["conv: {filters: 4, kernel: 3, dilation: 2, padding: causal}"],
     # effective 5, all 4 pixels of padding before: start 2 - 4
     ((5,), (1,), (2 - 4,))),
    ("full-padding-3d", "9x8x7x2", ["conv: {filters: 2, kernel: [3, 2, 1], padding: full}"],
     # pad before k-1: start (k-1)/2 - (k-1) = -(k-1)/2
     ((3, 2, 1), (1, 1, 1), (-1, -H, 0))),
    ("elementwise-passes-through", "20x30x1", ["conv: {filters: 2, kernel: [3, 5]}", "batchnorm", "relu", "dropout"],
     ((3, 5), (1, 1), (1, 2))),
]


@pytest.mark.parametrize("inp,layers,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hand_derived_fields(inp, layers, expected):
    plan = plan_layers(inp, *layers)
    rf = plan.layers[-1].rf
    assert (rf.size, rf.jump, rf.start) == expected
    assert check(plan).status == "passed"  # the probe measures the same field


def test_field_ends_at_flatten_dense_and_global_pooling():
    plan = plan_layers("8x8x1", "conv: 3x3x2", "global_avgpool", "dense: 3")
    assert [lp.rf is None for lp in plan.layers] == [False, True, True]
    plan = plan_layers("8x8x1", "conv: 3x3x2", "flatten")
    assert plan.layers[-1].rf is None


def test_symbolic_same_padding_has_no_field_but_valid_does():
    # TF same pads depend on T mod 2: unknown; valid pads are 0 whatever T is
    assert plan_layers("Tx80x3", "conv: {filters: 2, kernel: 3, stride: 2, padding: same}").layers[0].rf is None
    rf = plan_layers("Tx80x3", "conv: {filters: 2, kernel: [3, 5], stride: 2}").layers[0].rf
    assert rf.size == (3, 5)


def test_symbolic_same_padding_at_stride_1_has_its_field():
    # at stride 1 TF pads eff-1 in all, (eff-1)//2 before, whatever T is: two 3x3 convs see 5x5,
    # the dilated 5-tap one (eff 9) adds 8 more; the field was missing (and ended every later one)
    plan = plan_layers("TxWx3", "conv: 3x3x4,padding=same", "conv: 3x3x4,padding=same",
                       "conv: {filters: 4, kernel: 5, dilation: 2, padding: same}")
    assert [lp.rf.size for lp in plan.layers] == [(3, 3), (5, 5), (13, 13)]
    assert plan.layers[-1].rf.start == (0, 0)  # centred: every layer pads as much before as after
    from convcalc.symcheck import check as check_at_samples

    assert check_at_samples(plan).passed  # the probe measures the same fields at several sizes


# Published by google-research/receptive_field (receptive_field/RECEPTIVE_FIELD_TABLE.md, vgg_16,
# resolution 224): RF size, effective stride, effective padding, per end-point; here the layer ids
# of examples/vgg16.yaml (conv1 is conv1_1, maxpool1 pool1, conv3 conv2_1, ...). Effective padding
# is how many pixels the first unit's field reaches before pixel 0: (size-1)/2 - start.
VGG16 = [
    ("conv1", "conv1_1", 3, 1, 1), ("maxpool1", "pool1", 6, 2, 2), ("conv3", "conv2_1", 10, 2, 4),
    ("maxpool2", "pool2", 16, 4, 6), ("conv5", "conv3_1", 24, 4, 10), ("conv6", "conv3_2", 32, 4, 14),
    ("maxpool3", "pool3", 44, 8, 18), ("conv8", "conv4_1", 60, 8, 26), ("conv9", "conv4_2", 76, 8, 34),
    ("maxpool4", "pool4", 100, 16, 42), ("conv11", "conv5_1", 132, 16, 58), ("conv12", "conv5_2", 164, 16, 74),
    ("pool5", "pool5", 212, 32, 90),
]


@pytest.fixture(scope="module")
def vgg():
    from convcalc import plan

    return plan(str(Path(__file__).resolve().parent.parent / "examples" / "vgg16.yaml"))


@pytest.mark.parametrize("layer,size,stride,padding", [v[:1] + v[2:] for v in VGG16], ids=[v[1] for v in VGG16])
def test_vgg16_published_fields(vgg, layer, size, stride, padding):
    rf = next(lp.rf for lp in vgg.layers if lp.node.id == layer)
    assert rf.size == (size, size) and rf.jump == (stride, stride)
    assert [Fraction(size - 1, 2) - s for s in rf.start] == [padding, padding]


def test_vgg16_features_probed_up_to_pool5(vgg):
    # the probe measures all 13 convs, 5 pools and 13 ReLUs; the field ends at flatten. (The
    # full check would also run the 102M-weight classifier, so only the probe runs here.)
    from convcalc.reference.probe import probe

    found = probe(vgg)
    assert len(found) == 13 + 5 + 13 and all(p.agrees for p in found)
    assert found[-1].layer_id == "pool5" and found[-1].observed["size"] == [212, 212]


# --------------------------------------------------------------------------------------------
# paths that meet

def fields(*specs):
    return [RF((s,), (j,), (Fraction(st),)) for s, j, st in specs]


def test_aligned_paths_take_the_larger_field():
    # 3x3 then 3x3 (size 5) next to one 3x3 (size 3), both centred on pixel 2: 5, no note
    step = merge("add1", ["a", "b"], fields((5, 1, 2), (3, 1, 2)))
    assert (step.rf.size, step.rf.jump, step.rf.start, step.notes) == ((5,), (1,), (2,), [])


def test_shifted_paths_give_the_union_and_a_note():
    # pixels 0..4 (centre 2) and 3..5 (centre 4): union 0..5, size 6, centre 2.5
    step = merge("add1", ["a", "b"], fields((5, 1, 2), (3, 1, 4)))
    assert (step.rf.size, step.rf.start, step.rf.exact) == ((6,), (Fraction(5, 2),), True)
    assert step.notes == ["add1: its input paths are misaligned on axis 0 (field centres 2 vs 4); "
                          "the field shown is their union"]


def test_paths_with_different_jumps_give_the_largest_and_a_note():
    step = merge("add1", ["a", "b"], fields((1, 2, 0), (5, 1, 2)))
    assert (step.rf.size, step.rf.jump, step.rf.exact) == ((5,), (1,), False)
    assert "jumps 1 vs 2" in step.notes[0] and "largest over the paths" in step.notes[0]


def test_a_path_without_field_ends_the_merged_field():
    assert field_of("add1", ["a", "b"], [fields((3, 1, 1))[0], None], None, True).rf is None
    # broadcasting a 1D map against a 2D one: no common axes to merge over
    two_d = RF((3, 3), (1, 1), (Fraction(1), Fraction(1)))
    assert field_of("add1", ["a", "b"], [fields((3, 1, 1))[0], two_d], None, True).rf is None


def test_branching_graph_field_and_probe():
    # left: 3x3 then 5x3: sizes (3+4, 3+2), centres (1+2, 1+1); right: one 7x5 conv, the same
    # field (centres (7-1)/2, (5-1)/2): aligned, so the merge keeps it and adds no note
    plan = plan_yaml("""
input: 10x10x1
layers:
  - {id: a1, conv: {filters: 2, kernel: 3}}
  - {id: a2, conv: {filters: 2, kernel: [5, 3]}}
  - {id: b1, conv: {filters: 2, kernel: [7, 5]}, from: input}
  - {id: sum, add: null, from: [a2, b1]}
""")
    a2, b1, total = (lp.rf for lp in plan.layers[1:])
    assert (a2.size, a2.start) == ((3 + 4, 3 + 2), (3, 2))
    assert (b1.size, b1.start) == ((7, 5), (3, 2))
    assert (total.size, total.jump, total.start) == ((7, 5), (1, 1), (3, 2))
    assert plan.layers[-1].rf_explain[0] == (
        "RF axis 0: union of the paths (a2 7 /1 at 3, b1 7 /1 at 3): pixels 0..6, size 7, start 3")
    assert plan.notes == []
    assert check(plan).status == "passed"


def test_misaligned_branch_is_noted_and_probed_as_union():
    plan = plan_yaml("""
input: 10x10x1
layers:
  - {id: a, conv: {filters: 2, kernel: [5, 3]}}
  - {id: b, conv: {filters: 2, kernel: [6, 3], padding: [[1, 0], [0, 0]]}, from: input}
  - {id: sum, add: null, from: [a, b]}
""")
    # axis 0: a sees pixels 0..4 (centre 2), b -1..4 (6 wide, one pixel of padding before,
    # centre 5/2-1): union -1..4, size 6, centre 3/2. Axis 1: both 0..2.
    rf = plan.layers[-1].rf
    assert (rf.size, rf.start) == ((6, 3), (Fraction(3, 2), 1))
    assert plan.notes == ["sum: its input paths are misaligned on axis 0 (field centres 1.5 vs 2); "
                          "the field shown is their union"]
    report = check(plan)
    assert report.status == "passed" and "sum" in report.probed


def test_rf_text():
    assert rf_text(RF((7, 7), (2, 2), (Fraction(3), Fraction(3)))) == "7x7 /2"
    assert rf_text(RF((5, 7), (2, 4), (Fraction(0), Fraction(0)))) == "5x7 /2x4"
    assert rf_text(None) == "-"


def test_explain_fills_in_the_recurrence():
    # conv 3 stride 2 padding 1, then conv 3 dilated by 2 (extent 5): size 3+(5-1)*2 = 11, jump 2*1,
    # start 0+((5-1)/2-0)*2 = 4
    from click.testing import CliRunner

    from convcalc.cli import main

    out = CliRunner().invoke(main, ["plan", "--input", "32x24x1", "--conv", "3x3x4,stride=2,padding=1",
                                    "--conv", "3x3x4,dilation=2", "--explain"]).output
    assert "conv1  RF axis 1: size 1+(3-1)*1 = 3, jump 1*2 = 2, start 0+((3-1)/2-1)*1 = 0" in out
    assert "conv2  RF axis 0: size 3+(5-1)*2 = 11, jump 2*1 = 2, start 0+((5-1)/2-0)*2 = 4" in out
