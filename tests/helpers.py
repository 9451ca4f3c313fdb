"""Small builders shared by the tests."""

from __future__ import annotations

from convcalc.engine import Plan, infer
from convcalc.spec import load_yaml, parse_source


def plan_yaml(text: str, **options: object) -> Plan:
    return infer(parse_source(load_yaml(text, "test.yaml")), **options)


def plan_layers(input_shape: str, *layers: str, layout: str = "hwc", **options: object) -> Plan:
    """A plan from an input shape and YAML layer entries such as ``"conv: 3x3x16"``."""
    body = "\n".join(f"  - {layer}" for layer in layers)
    return plan_yaml(f"input: {input_shape}\nlayout: {layout}\nlayers:\n{body}\n", **options)


def assert_checks(input_hwc: str, *layers: str, layout: str = "hwc") -> None:
    """`check` passes for the layers, the input given channels last and reordered for ``chw``."""
    from convcalc.reference import check

    sizes = input_hwc.split("x")
    shape = "x".join(sizes[-1:] + sizes[:-1]) if layout == "chw" else input_hwc
    report = check(plan_layers(shape, *layers, layout=layout))
    assert report.passed, report.mismatches


# Big example networks are planned at full size (test_published) and checked at a smaller input
# that runs every layer the same way (same layers, strides, crops and merges; the last stage of the
# ResNets and MobileNetV2 at 1x1), to keep the suite fast.
CHECK_INPUTS = {
    "alexnet.yaml": "3x127x127",
    "vgg16.yaml": "3x32x32",
    "resnet18.yaml": "3x32x32",
    "resnet50.yaml": "3x32x32",
    "resnet50-keras.yaml": "32x32x3",
    "mobilenetv2.yaml": "3x32x32",
    "unet.yaml": "188x188x1",  # the smallest tile with the same crops (4, 16, 40, 88): 572 - 16*24
    "seed-volume-permute.yaml": "3x40x24",  # the same three convs; channels 3, 40 and 24 after the permutes
}


def check_args(name: str) -> list[str]:
    """``--input`` for an example checked at a smaller size, else nothing."""
    return ["--input", CHECK_INPUTS[name]] if name in CHECK_INPUTS else []
