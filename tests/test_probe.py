"""The executor's receptive-field probe: it measures fields on arrays, agrees with correct plans
(also where padding and dilation clip the field) and catches each wrong component."""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction

import numpy as np
import pytest
from click.testing import CliRunner
from helpers import plan_layers

from convcalc.cli import main
from convcalc.reference import check
from convcalc.reference import probe as probe_module
from convcalc.reference.probe import coordinates, probe

# 12x16 input, conv [3,5] stride [1,2], then conv 3x3: size (3+2, 5+2*2), jump (1, 2),
# start ((3-1)/2 + 1, (5-1)/2 + 1*2)
TWO_CONVS = ("12x16x1", "conv: {filters: 2, kernel: [3, 5], stride: [1, 2]}", "conv: {filters: 2, kernel: 3}")
TRUE = {"size": [5, 9], "jump": [1, 2], "start": [2.0, 4.0]}

WRONG = [
    ("size", {"size": (5, 11)}),
    ("jump", {"jump": (1, 4)}),
    ("start", {"start": (Fraction(2), Fraction(5))}),
]


@pytest.mark.parametrize("part,change", WRONG, ids=[w[0] for w in WRONG])
def test_wrong_field_is_caught_and_the_probe_says_what_it_measured(part, change):
    plan = plan_layers(*TWO_CONVS)
    lp = plan.layers[1]
    lp.rf = dataclasses.replace(lp.rf, **change)
    report = check(plan)
    (m,) = report.mismatches
    assert (m.index, m.layer_id, m.quantity) == (1, "conv2", "receptive_field")
    assert m.planned[part] == [float(v) if part == "start" else v for v in change[part]]
    assert {key: m.observed[key] for key in TRUE} == TRUE
    assert m.observed["unit"]["axis"] == 1  # only axis 1 was changed


def test_correct_plan_probes_every_windowed_and_elementwise_layer():
    plan = plan_layers("12x16x1", "conv: {filters: 2, kernel: [3, 5], stride: [1, 2]}", "relu", "maxpool: 2",
                       "flatten", "dense: 3")
    report = check(plan)
    assert report.status == "passed"
    assert report.probed == ["conv1", "relu1", "maxpool1"]  # the field ends at flatten


@pytest.mark.parametrize("layers", [
    ["conv: {filters: 2, kernel: 3, dilation: [2, 3], padding: 1}"],  # taps at -1, 1, 3: pixel 0 unused
    ["conv: {filters: 2, kernel: 1, stride: [2, 3]}", "conv: {filters: 2, kernel: 3, padding: 2}"],  # gaps
    ["avgpool: {kernel: 3, stride: 2, padding: 1, ceil_mode: true}"],
    ["conv: {filters: 2, kernel: [4, 5], stride: [3, 2], padding: same}"],
    # a crop drops border pixels that the padded window after it reads as zeros: its first and
    # last units see less than their planned fields, and nothing at all with a 1x1 kernel
    ["crop: [[1, 2], [3, 0]]", "conv: {filters: 2, kernel: 3, padding: 2}", "conv: {filters: 2, kernel: 1, padding: 1}"],
    ["conv_transpose: {filters: 2, kernel: 2, padding: [2, 1]}", "conv: {filters: 2, kernel: [3, 2], padding: 1}"],
], ids=["dilation-holes-at-the-border", "stride-gaps-then-padding", "avgpool-ceil-padding", "tf-same-even-kernel",
        "crop-then-padding", "transposed-crop-then-padding"])
def test_clipped_fields_are_not_false_alarms(layers):
    report = check(plan_layers("11x13x1", *layers))
    assert report.status == "passed", report.mismatches
    assert len(report.probed) == len(layers)


def test_coordinates_carry_minus_low_and_high_per_axis():
    c = coordinates((2, 3))
    assert c.shape == (1, 2, 3, 4)
    np.testing.assert_array_equal(c[0, 1, 2], [-1, 1, -2, 2])


def test_probe_measures_a_conv_window():
    # conv k3 over 5 pixels: unit u sees u..u+2
    plan = plan_layers("5x1", "conv: {filters: 1, kernel: 3}")
    (p,) = probe(plan)
    assert p.agrees and p.observed == {"size": [3], "jump": [1], "start": [1.0]}


def test_probe_stops_above_its_bound(monkeypatch):
    monkeypatch.setattr(probe_module, "MAX_POSITIONS", 100)
    assert probe(plan_layers("12x16x1", "conv: 3x3x2")) == []  # 192 input positions
    found = probe(plan_layers("10x10x1", "conv: {filters: 2, kernel: 3, padding: 2}", "conv: 3x3x2"))
    assert [p.layer_id for p in found] == []  # 12x12 = 144 outputs > 100: stop at the first layer


def test_mismatch_in_json_and_text(monkeypatch):
    from convcalc.engine import infer as real_infer

    def corrupted(spec, **kw):
        plan = real_infer(spec, **kw)
        plan.layers[0].rf = dataclasses.replace(plan.layers[0].rf, size=(5, 5))
        return plan

    monkeypatch.setattr("convcalc.engine.infer", corrupted)
    result = CliRunner().invoke(main, ["check", "--input", "8x8x1", "--conv", "3x3x2", "--format", "json"])
    assert result.exit_code == 1
    (m,) = json.loads(result.stdout)["check"]["mismatches"]
    assert m["quantity"] == "receptive_field" and m["observed"]["size"] == [3, 3]
    result = CliRunner().invoke(main, ["check", "--input", "8x8x1", "--conv", "3x3x2"])
    assert ("conv1 receptive_field: planned size 5x5, jump 1x1, start 1x1, observed size 3x3, jump 1x1, "
            "start 1x1 (unit at [1, 0], axis 0: pixels 1..3, planned 0..4)") in " ".join(result.output.split())


NEW_TYPES = [
    ("depthwise-dilated-same", ["depthwise_conv: {kernel: [3, 5], stride: [1, 2], dilation: [2, 1], padding: same}"]),
    ("separable", ["separable_conv: {filters: 4, kernel: 3, stride: 2, padding: 1}"]),
    ("pixel-unshuffle-then-conv", ["pixel_unshuffle: 2", "conv: 3x3x4"]),
    ("adaptive-even", ["adaptive_avgpool: [3, 4]"]),
    ("zeropad-conv-crop-conv", ["zeropad: [[1, 2], [0, 3]]", "conv: 3x3x4", "crop: [[1, 0], [2, 1]]", "conv: 3x3x2"]),
    ("norms", ["layernorm", "groupnorm: 1", "instancenorm"]),
    ("concat-of-two-paths", ["{id: a, conv: {filters: 2, kernel: 3, padding: 1}}",
                             "{id: b, from: input, conv: {filters: 3, kernel: [5, 1], padding: [2, 0]}}",
                             "{id: cat, concat: null, from: [a, b]}"]),
]


@pytest.mark.parametrize("layers", [t[1] for t in NEW_TYPES], ids=[t[0] for t in NEW_TYPES])
def test_other_windowed_types_are_probed(layers):
    report = check(plan_layers("12x16x2", *layers))
    assert report.status == "passed", report.mismatches
    assert len(report.probed) == len(layers)


def test_a_unit_that_sees_only_padding_is_caught_when_planned_inside():
    # zeropad 1 before axis 0: the first row holds only padding. Claim the pad is 0 (start 0):
    # unit (0, 0) would then see pixel (0, 0), but the probe finds nothing reaches it
    plan = plan_layers("12x16x2", "zeropad: [[1, 2], [0, 3]]")
    lp = plan.layers[0]
    lp.rf = dataclasses.replace(lp.rf, start=(Fraction(0), Fraction(0)))
    (m,) = check(plan).mismatches
    assert m.quantity == "receptive_field"
    assert m.observed["unit"] == {"axis": 0, "position": [0, 0], "planned": [0.0, 0.0], "probed": None}


def test_after_a_crop_a_wrong_field_is_still_caught_inside_what_is_reached():
    # crop 2 rows and columns each side, then a padded 3x3 conv: the reached pixels are 2..9 and
    # 2..13. Planned one pixel off on axis 0, the interior units disagree with the probe
    plan = plan_layers("12x16x2", "crop: 2", "conv: {filters: 2, kernel: 3, padding: 1}")
    lp = plan.layers[1]
    lp.rf = dataclasses.replace(lp.rf, start=(lp.rf.start[0] + 1, lp.rf.start[1]))
    (m,) = check(plan).mismatches
    assert (m.layer_id, m.quantity, m.observed["unit"]["axis"]) == ("conv1", "receptive_field", 0)
