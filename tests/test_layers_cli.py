"""The new layer types through the command line: reachable with --layer, one located line per error."""

import json

import pytest
from click.testing import CliRunner

from convcalc.cli import main


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_every_new_type_through_layer_flags():
    result = run("check", "--input", "6x8x4", "--layer", "conv_transpose 3x3x8,s=2,p=1,output_padding=1",
                 "--layer", "depthwise_conv 3x1,multiplier=2", "--layer", "separable_conv 1x3x8",
                 "--layer", "upsample 1x2,mode=bicubic", "--layer", "pixel_unshuffle 2",
                 "--layer", "pixel_shuffle 2", "--layer", "adaptive_avgpool 5x4", "--layer", "zeropad 1x2",
                 "--layer", "crop 2x1", "--layer", "groupnorm 4", "--layer", "layernorm affine=false",
                 "--layer", "instancenorm", "--layer", "permute 1x0x2", "--layer", "reshape -1x8",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["check"]["status"] == "passed"
    # 6x8 -> transposed (n-1)*2-2+3+1 = 2n: 12x16 -> depthwise 3x1: 10x16x16 -> separable 1x3: 10x14x8
    # -> upsample 1x2: 10x28 -> unshuffle 2: 5x14x32 -> shuffle 2: 10x28x8 -> adaptive 5x4
    # -> zeropad 1x2: 7x8 -> crop 2x1: 3x6 -> norms -> permute: 6x3x8 -> reshape: 18x8
    assert [layer["output_shape"] for layer in doc["layers"]] == [
        [12, 16, 8], [10, 16, 16], [10, 14, 8], [10, 28, 8], [5, 14, 32], [10, 28, 8], [5, 4, 8],
        [7, 8, 8], [3, 6, 8], [3, 6, 8], [3, 6, 8], [3, 6, 8], [6, 3, 8], [18, 8]]


ERRORS = [
    (["--input", "6x8x4", "--layer", "conv_transpose 3x3x8,s=2,output_padding=2"],
     "error: <cli>: --layer (layer flag #1) (conv_transpose), field 'output_padding': output_padding 2 on spatial "
     "axis 0 must be smaller than the stride (2) or the dilation (1)"),
    (["--input", "3x5x10", "--layer", "pixel_shuffle 2"],
     "error: <cli>: --layer (layer flag #1) (pixel_shuffle), field 'scale': 10 channels are not divisible by scale^2 = 4"),
    (["--input", "6x8x4", "--layer", "zeropad same"],
     "error: <cli>: --layer (layer flag #1), field 'padding': expected an int, a list of ints or of [before, after] "
     "pairs, got 'same'"),
    (["--input", "6x8x4", "--layer", "reshape 7x-1"],
     "error: <cli>: --layer (layer flag #1) (reshape), field 'shape': 192 elements do not divide into [7, -1]"),
    (["--input", "6x8x4", "--layer", "upsample 2,mode=trilinear"],
     "error: <cli>: --layer (layer flag #1) (upsample), field 'mode': mode trilinear is for 3D inputs, this one is 2D"),
    (["--input", "6x8x4", "--layer", "groupnorm 3"],
     "error: <cli>: --layer (layer flag #1) (groupnorm), field 'groups': groups=3 does not divide the 4 channels"),
    (["--input", "6x8x4", "--layer", "depthwise_conv multiplier=2"],
     "error: <cli>: --layer (layer flag #1), field 'kernel': depthwise_conv needs 'kernel'"),
]


@pytest.mark.parametrize("args,line", ERRORS, ids=[a[-1] for a, _ in ERRORS])
def test_bad_input_exit_2_with_one_clear_line(args, line):
    result = run("plan", *args)
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == line
    assert "Traceback" not in result.output
