"""Layer flags after a file are expanded with its layers, so ``--layer 'NAME key=value,...'`` can
use one of the file's blocks. A flag must give exactly what the same entry appended to the file's
``layers`` gives: same ids, inputs, shapes and counts.

The block is ResNet's basic block (test_blocks.BASIC); a use with stride 2 over c channels to f
filters has 9*c*f + 9*f*f conv weights, a c*f projection and two batchnorms of 4*f each.
"""

import json

import pytest
from click.testing import CliRunner

from test_blocks import BASIC  # ResNet's basic block

from convcalc.cli import main

NET = BASIC.replace("input: 10x12x4", "input: 8x8x4") + """\
layers:
  - {id: stem, conv: {filters: 4, kernel: 3, padding: 1}}
  - {id: stage1, basic: {filters: 4}}
"""


def run(tmp_path, text, *args):
    spec = tmp_path / "net.yaml"
    spec.write_text(text)
    return CliRunner().invoke(main, ["plan", str(spec), *args])


def layers(result):
    """The layers of a plan run with --format json."""
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["layers"]


def test_a_block_flag_is_the_entry_appended_to_the_file(tmp_path):
    flagged = layers(run(tmp_path, NET, "--relu", "--layer", "basic filters=8,stride=2", "--conv", "1x1x2", "--format", "json"))
    written = layers(run(tmp_path, NET + "  - relu\n  - {basic: {filters: 8, stride: 2}}\n  - conv: 1x1x2\n", "--format", "json"))
    assert flagged == written
    use = [x for x in flagged if x["path"] == ["basic1"]]
    assert [x["id"] for x in use] == ["basic1.conv1", "basic1.batchnorm1", "basic1.relu1", "basic1.conv2",
                                      "basic1.main", "basic1.short", "basic1.add1", "basic1.relu2"]
    assert use[0]["from"] == use[5]["from"] == ["relu1"] and use[-1]["output_shape"] == [4, 4, 8]
    assert sum(x["params"] for x in use) == 9 * 4 * 8 + 9 * 8 * 8 + 4 * 8 + 2 * 4 * 8
    assert flagged[-1]["id"] == "conv1" and flagged[-1]["from"] == [use[-1]["id"]]


def test_a_block_used_only_by_a_flag_is_used(tmp_path):
    text = NET.replace("  - {id: stage1, basic: {filters: 4}}\n", "")
    assert len(layers(run(tmp_path, text, "--layer", "basic filters=4", "--format", "json"))) == 1 + 7


@pytest.mark.parametrize("flag, message", [
    ("basic filter=8", "error: <cli>: --layer (layer flag #1), field 'filter': unknown argument for block basic "
                       "'filter'\n  hint: did you mean 'filters'?"),
    ("basic 8", "error: <cli>: --layer (layer flag #1): block basic takes key=value arguments, not a leading size "
                "('8')"),
    ("basic", "error: <cli>: --layer (layer flag #1), field 'filters': block basic needs 'filters'"),
    ("basic filters=8,stride=two", "error: <cli>: --layer (layer flag #1), field 'stride': block argument 'stride' "
                                   "must be an integer, got 'two'"),
    ("basik filters=8", "error: <cli>: --layer (layer flag #1): unknown layer type 'basik'\n"
                        "  hint: did you mean 'basic'?"),
    ("basic filters=8,filters=9", "error: <cli>: --layer (layer flag #1): 'filters' is given twice"),
])
def test_block_flag_errors_name_the_flag(tmp_path, flag, message):
    result = run(tmp_path, NET, "--layer", flag)
    assert result.exit_code == 2
    assert result.output.startswith(message)


def test_an_error_inside_the_block_names_the_flag_and_the_file_line(tmp_path):
    result = run(tmp_path, NET, "--flatten", "--layer", "basic filters=8")
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {tmp_path / 'net.yaml'}:7:9: --layer (layer flag #2) (basic basic1) > "
                                    "layers[0] (conv): conv needs an input with spatial axes")


def test_without_a_file_there_are_no_blocks(tmp_path):
    result = CliRunner().invoke(main, ["plan", "--input", "8x8x4", "--layer", "basic filters=8"])
    assert result.exit_code == 2
    assert result.output.startswith("error: <cli>: --layer (layer flag #1): unknown layer type 'basic'")


@pytest.mark.parametrize("flags, message", [
    (["--conv", "3x3x${2*8}"], "error: <cli>: --conv (layer flag #1), field 'size': expected a positive integer, "
                               "got '3x3x${2*8}'"),
    (["--layer", "basic filters=${2*8}"], "error: <cli>: --layer (layer flag #1), field 'filters': block argument "
                                          "'filters' must be an integer or true/false, got '${2*8}'"),
])
def test_flags_are_literal_with_a_file_as_without(tmp_path, flags, message):
    # ${...} belongs to the file's blocks; a flag means what it says whether a file is given or not
    result = run(tmp_path, NET, *flags)
    assert result.exit_code == 2
    assert result.output.startswith(message)


def test_a_block_argument_named_like_a_short_key_is_itself(tmp_path):
    # on layers, s= p= d= g= k= f= are stride, padding...; a block's argument k is k (it became 'kernel')
    text = ("input: 8x8x2\nblocks:\n  blk:\n    args: {k: 1}\n    layers:\n      - {conv: {filters: 2, kernel: \"${k}\"}}\n"
            "layers:\n  - blk\n")
    kernels = [x["kernel_shape"] for x in layers(run(tmp_path, text, "--layer", "blk k=3", "--format", "json"))]
    assert kernels == [[1, 1, 2, 2], [3, 3, 2, 2]]
