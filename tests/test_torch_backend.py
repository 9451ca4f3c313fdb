"""`check --backend torch`: PyTorch reruns every layer type and example network and agrees.

Without PyTorch the torch tests skip, unless CONVCALC_REQUIRE_TORCH=1 (CI sets it): then a missing
torch fails the module at collection, never a silent skip. The tests of the registry and of the
"not installed" message run either way.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from helpers import CHECK_INPUTS, check_args, plan_layers

from convcalc.cli import main
from convcalc.layers.base import REGISTRY
from convcalc.reference import check
from convcalc.reference.core import FORWARD, Observed
from convcalc.reference.torch_backend import TORCH, max_difference, tolerance

ROOT = Path(__file__).resolve().parent.parent
HAVE_TORCH = importlib.util.find_spec("torch") is not None
if os.environ.get("CONVCALC_REQUIRE_TORCH") == "1" and not HAVE_TORCH:
    pytest.fail("CONVCALC_REQUIRE_TORCH=1 but PyTorch is not installed: pip install 'torch==2.13.0'", pytrace=False)
needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="PyTorch is not installed (CONVCALC_REQUIRE_TORCH=1 fails instead)")

# (id, input channels last, layer entries); every registered layer type appears in some case
CASES = [
    ("conv-grouped-dilated-same", "9x8x4", ["conv: {filters: 6, kernel: [3, 2], stride: [2, 1], padding: same, dilation: [1, 2], groups: 2}"]),
    ("conv-pairs", "9x8x3", ["conv: {filters: 5, kernel: [3, 2], padding: [[2, 0], [1, 3]], bias: false}"]),
    ("conv-1d-causal", "11x3", ["conv: {filters: 4, kernel: 3, padding: causal, dilation: 2}"]),
    ("conv-3d", "5x6x7x2", ["conv: {filters: 3, kernel: [3, 2, 1], stride: [1, 2, 3], padding: 1}"]),
    ("conv-transpose-int", "5x4x6", ["conv_transpose: {filters: 4, kernel: [3, 2], stride: [2, 3], padding: [1, 0], output_padding: [1, 2]}"]),
    ("conv-transpose-same", "5x4x6", ["conv_transpose: {filters: 4, kernel: [3, 4], stride: [2, 3], padding: same}"]),
    ("conv-transpose-valid-op", "5x4x6", ["conv_transpose: {filters: 4, kernel: [3, 2], stride: [2, 3], padding: valid, output_padding: [1, 0]}"]),
    ("conv-transpose-pairs-groups", "5x4x6", ["conv_transpose: {filters: 4, kernel: [3, 5], stride: [2, 3], padding: [[1, 0], [2, 1]], groups: 2, dilation: [1, 2]}"]),
    ("conv-transpose-full-3d", "3x4x2x2", ["conv_transpose: {filters: 3, kernel: [2, 3, 2], stride: [1, 2, 3], padding: full}"]),
    ("depthwise", "9x8x3", ["depthwise_conv: {kernel: [3, 2], multiplier: 2, stride: [2, 1], padding: same}"]),
    ("separable", "9x8x3", ["separable_conv: {filters: 5, kernel: [3, 2], multiplier: 2, padding: same, dilation: [2, 1]}"]),
    ("maxpool-same-dilated", "9x8x3", ["maxpool: {kernel: [3, 2], stride: [2, 1], padding: same, dilation: [1, 2]}"]),
    ("maxpool-ceil", "9x8x3", ["maxpool: {kernel: [3, 2], stride: [2, 3], padding: 1, ceil_mode: true}"]),
    ("avgpool-same", "9x8x3", ["avgpool: {kernel: [3, 2], stride: [2, 3], padding: same}"]),
    ("avgpool-ceil", "9x8x3", ["avgpool: {kernel: [2, 3], stride: [2, 2], ceil_mode: true}"]),
    ("global-pools", "9x8x3", ["global_maxpool: {keepdims: true}", "global_avgpool"]),
    ("adaptive-pools", "9x8x3", ["adaptive_avgpool: [4, 3]", "adaptive_maxpool: [3, 2]"]),
    ("batchnorm", "9x8x3", ["batchnorm", "batchnorm: {affine: false}"]),
    ("named-activations", "7x6x3", ["relu", "leaky_relu", "relu6", "gelu", "silu", "sigmoid", "tanh", "softmax"]),
    ("activation-fns", "7x6x3", [f"activation: {fn}" for fn in ("elu", "selu", "swish", "hard_swish", "mish", "linear")]),
    ("dropout-flatten-dense", "5x4x3", ["dropout: 0.3", "flatten", "dense: 7"]),
    ("dense-last-axis", "5x4x3", ["dense: {units: 6, bias: false}"]),
    ("upsample-nearest-bilinear", "5x4x3", ["upsample: [2, 3]", "upsample: {scale: [3, 2], mode: bilinear}"]),
    ("upsample-bicubic", "5x4x3", ["upsample: {scale: [2, 3], mode: bicubic}"]),
    ("upsample-linear-1d", "7x3", ["upsample: {scale: 3, mode: linear}"]),
    ("upsample-trilinear-3d", "3x4x2x2", ["upsample: {scale: [1, 2, 3], mode: trilinear}"]),
    ("pixel-shuffle-2d", "3x6x8", ["pixel_shuffle: 2", "pixel_unshuffle: 3"]),
    ("pixel-shuffle-1d", "5x6", ["pixel_shuffle: 3", "pixel_unshuffle: 5"]),
    ("pixel-shuffle-3d", "2x3x4x8", ["pixel_shuffle: 2", "pixel_unshuffle: 2"]),
    ("permute-reshape", "5x4x3", ["permute: [1, 2, 0]", "reshape: [-1, 6]"]),
    ("zeropad-crop", "5x4x3", ["zeropad: [[1, 2], [0, 3]]", "crop: [[2, 1], [1, 0]]"]),
    ("norms", "5x4x6", ["layernorm", "groupnorm: 3", "instancenorm", "layernorm: {affine: false}"]),
    ("add-multiply-broadcast", "5x4x6", ["{id: a, conv: {filters: 6, kernel: [3, 2], padding: same}}",
                                          "{id: b, from: input, global_avgpool: {keepdims: true}}",
                                          "{add: , from: [a, b, input]}", "{multiply: , from: [a, b]}"]),
    ("concat", "5x4x6", ["{id: a, conv: {filters: 2, kernel: 1}}", "{concat: , from: [input, a]}",
                         "{concat: {axis: 1}, from: [input, input, input]}", "{concat: {axis: -3}, from: [a, a]}"]),
]


def case_types(layers: list[str]) -> set[str]:
    entries = [yaml.safe_load(layer) for layer in layers]
    return {key for e in entries for key in ([e] if isinstance(e, str) else e) if key not in ("id", "from")}


def to_layout(shape_hwc: str, layout: str) -> str:
    sizes = shape_hwc.split("x")
    return "x".join(sizes[-1:] + sizes[:-1]) if layout == "chw" else shape_hwc


def test_every_registered_layer_type_has_a_torch_op():
    assert set(REGISTRY) <= set(TORCH)
    assert set(FORWARD) <= set(TORCH)  # aliases too (depth_to_space, linear, ...)


def test_every_layer_type_has_a_torch_case():
    assert set(REGISTRY) <= set().union(*(case_types(layers) for _, _, layers in CASES))


@needs_torch
@pytest.mark.parametrize("layout", ["hwc", "chw"])
@pytest.mark.parametrize("shape,layers", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_torch_agrees_on_every_layer_type(shape, layers, layout):
    report = check(plan_layers(to_layout(shape, layout), *layers, layout=layout), backend="torch")
    assert report.passed, [str(m) for m in report.mismatches]
    assert report.backend == "numpy+torch" and report.cross.layers == len(layers)


EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


@needs_torch
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_torch_agrees_on_every_example(path):
    result = CliRunner().invoke(main, ["check", str(path), "--backend", "torch", "--format", "json", *check_args(path.name)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    schema_validator().validate(doc)
    assert doc["check"]["status"] == "passed" and doc["check"]["backend"] == "numpy+torch"
    runs = len(doc["check"]["values"])  # a symbolic example runs at several values
    assert doc["check"]["torch"]["layers"] == len(doc["layers"]) * runs


@pytest.mark.parametrize("name", sorted(CHECK_INPUTS))
def test_smaller_inputs_keep_every_layer(name):
    def plan(*extra: str) -> dict:
        result = CliRunner().invoke(main, ["plan", str(ROOT / "examples" / name), "--format", "json", *extra])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    full, small = plan(), plan(*check_args(name))
    assert [layer["type"] for layer in small["layers"]] == [layer["type"] for layer in full["layers"]]
    assert small["totals"]["macs"] < full["totals"]["macs"] / 3


def leaky_relu_posing_as_relu(x, args, ctx, rng):
    return Observed(np.maximum(x, np.float32(0.01) * x))


def conv_flipping_its_output(x, args, ctx, rng):
    seen = FORWARD_ORIGINAL["conv"](x, args, ctx, rng)
    seen.output = np.ascontiguousarray(seen.output[:, ::-1])  # a swapped axis: same shape, same counts
    return seen


FORWARD_ORIGINAL = dict(FORWARD)
WRONG = [
    ("relu", leaky_relu_posing_as_relu, ["conv: 3x3x4", "relu"], 1),
    ("conv", conv_flipping_its_output, ["conv: 3x2x4", "relu"], 0),
]


@needs_torch
@pytest.mark.parametrize("layer_type,wrong,layers,index", WRONG, ids=[w[0] for w in WRONG])
def test_torch_catches_a_wrong_numpy_op(monkeypatch, layer_type, wrong, layers, index):
    monkeypatch.setitem(FORWARD, layer_type, wrong)
    plan = plan_layers("9x8x3", *layers)
    assert check(plan).passed  # shapes and counts alone cannot see it
    report = check(plan, backend="torch")
    assert [(m.index, m.quantity) for m in report.mismatches] == [(index, "values")]
    allowed, observed = report.mismatches[0].planned, report.mismatches[0].observed
    assert observed > 10 * allowed
    flags = [arg for layer in layers for arg in ("--layer", layer.replace(":", ""))]
    result = CliRunner().invoke(main, ["check", "--input", "9x8x3", *flags, "--backend", "torch"])
    assert result.exit_code == 1
    assert "values: PyTorch disagrees with numpy: max abs difference" in result.output
    doc = json.loads(CliRunner().invoke(main, ["check", "--input", "9x8x3", *flags, "--backend", "torch",
                                               "--format", "json"]).stdout)
    schema_validator().validate(doc)
    assert doc["check"]["mismatches"][0]["quantity"] == "values"


def schema_validator():
    import jsonschema

    return jsonschema.Draft202012Validator(json.loads(CliRunner().invoke(main, ["schema", "output"]).output))


def test_tolerance_and_difference():
    assert tolerance(np.array([0.5, -0.2], np.float32)) == 1e-4  # small outputs: absolute 1e-4
    assert tolerance(np.array([3.0, -250.0, np.inf], np.float32)) == pytest.approx(250 * 1e-4)
    inf = np.float32(np.inf)
    assert max_difference(np.array([1, inf], np.float32), np.array([1.5, inf], np.float32)) == 0.5
    assert max_difference(np.array([np.nan], np.float32), np.array([1], np.float32)) == float("inf")


@needs_torch
@pytest.mark.parametrize("args", [
    ["--input", "8x3x1", "--layer", "conv 5x5x2,stride=1x2,padding=0x1"],  # one channel: odd strides on C
    ["--input", "1x4x3", "--layout", "chw", "--layer", "conv 5x5x2,stride=1x4,padding=same"],
    ["--input", "3x9", "--layout", "chw", "--layer", "maxpool kernel=3,stride=4,dilation=3,padding=same"],
])
def test_torch_agrees_where_it_once_did_not(args):
    # numpy was right (a float64 PyTorch run agrees): PyTorch 2.13's conv2d read a C=1 tensor with
    # odd size-1 strides as channels-last and got wrong values; TF's same padding with dilation is
    # more than PyTorch's max_pool takes natively (kernel/2), so it is padded explicitly
    result = CliRunner().invoke(main, ["check", *args, "--backend", "torch"])
    assert result.exit_code == 0, result.output
    assert "PyTorch 2.13" in result.output and "agreed on all 1 layer outputs" in result.output, result.output


@needs_torch
def test_torch_pools_with_asymmetric_padding_and_ceil_mode(tmp_path):
    # padded explicitly, PyTorch kept a window starting in the right padding, which its own rule
    # (and numpy's) drops: shapes (3, 3, 1) against (2, 2, 1), a false mismatch
    spec = tmp_path / "net.yaml"
    spec.write_text("input: 4x4x1\nlayers:\n"
                    "  - maxpool: {kernel: 2, stride: 2, padding: [[0, 1], [0, 1]], ceil_mode: true}\n"
                    "  - avgpool: {kernel: 2, stride: 2, padding: [[0, 1], [0, 1]], ceil_mode: true}\n")
    result = CliRunner().invoke(main, ["check", str(spec), "--backend", "torch"])
    assert result.exit_code == 0, result.output
    assert "agreed on all 2 layer outputs" in result.output


@needs_torch
@pytest.mark.parametrize("flags, why", [
    (["--conv", "2x2x2x2x3"], "PyTorch has no conv4d (4 spatial axes)"),
    (["--maxpool", "2"], "PyTorch has no max_pool4d (4 spatial axes)"),
    (["--layer", "upsample 2"], "PyTorch's interpolate takes 1-3 spatial axes, not 4"),  # it was a mismatch: exit 1
])
def test_a_rank_pytorch_lacks_is_refused_not_a_disagreement(flags, why):
    # PyTorch has convs, pools and interpolation for 1-3 spatial axes; numpy runs any rank. Exit 3 before.
    result = CliRunner().invoke(main, ["check", "--input", "4x4x4x4x2", *flags, "--backend", "torch"])
    assert result.exit_code == 2
    kind = flags[1].split()[0] if flags[0] == "--layer" else flags[0][2:]
    assert result.stderr.splitlines()[0] == (
        f"error: <cli>: {flags[0]} (layer flag #1) ({kind}): the torch backend cannot cross-check it: {why}")


def test_without_torch_check_says_how_to_enable_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    result = CliRunner().invoke(main, ["check", "--input", "8x8x1", "--conv", "3x3x2", "--backend", "torch"])
    assert result.exit_code == 2
    assert "--backend torch needs PyTorch, which is not installed" in result.stderr
    assert "pip install 'convcalc[torch]'" in result.stderr
    assert "Traceback" not in result.output


def test_numpy_check_never_imports_torch():
    code = ("import sys\nfrom convcalc.cli import main\ntry:\n    main(['check', 'examples/seed-two-convs.yaml'],"
            " standalone_mode=False)\nfinally:\n    print('TORCH', 'torch' in sys.modules, file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert "TORCH False" in proc.stderr


@needs_torch
def test_readme_shows_the_real_verdict():
    text = (ROOT / "README.md").read_text()
    command = re.search(r"pip install '\.\[torch\]' && convcalc (check [^\n]*)", text).group(1)
    shown = re.search(r"```text\n(Verified on real tensors[^`]*)```", text).group(1)
    result = CliRunner().invoke(main, shlex.split(command))
    # the largest difference is PyTorch's float32 rounding, which can move with its threads (one
    # run in 20 gave 5.2e-05 instead of 2.4e-07): every other word must be as shown
    head, _, rest = shown.partition("(max abs diff ")
    pattern = re.escape(head) + r"\(max abs diff [0-9.e+-]+\)" + re.escape(rest.split(")", 1)[1]) + r"\Z"
    assert result.exit_code == 0 and re.search(pattern, result.output), result.output[-300:]
