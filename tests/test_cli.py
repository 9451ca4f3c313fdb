"""The command line through click's CliRunner: exit codes and the exact lines users see."""

import json

import pytest
from click.testing import CliRunner

from convcalc.cli import main, scan_layer_flags


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_flags_keep_their_order_when_mixed():
    result = run("plan", "--input", "28x28x1", "--conv", "3x3x16", "--relu", "--conv", "3x3x32,s=2",
                 "--maxpool", "2", "--bn", "--flatten", "--dense", "10", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert [layer["type"] for layer in doc["layers"]] == [
        "conv", "relu", "conv", "maxpool", "batchnorm", "flatten", "dense"]
    # 26 -> conv s2: floor((26-3)/2)+1 = 12 -> maxpool 2: 6
    assert doc["layers"][3]["output_shape"] == [6, 6, 32]
    assert doc["layers"][-1]["params"] == 10 * (6 * 6 * 32 + 1)


def test_scan_layer_flags_equals_form_and_double_dash():
    assert scan_layer_flags(["--conv=3x3x8", "--relu", "--layer", "maxpool 2", "--", "--conv", "1"]) == [
        ("--conv", "3x3x8"), ("--relu", None), ("--layer", "maxpool 2")]


def test_seed_check_table():
    result = run("check", "--input", "28x28x1", "--conv", "3x3x16", "--conv", "3x3x32")
    assert result.exit_code == 0, result.output
    assert "(3, 3, 16, 32)" in result.output
    assert "Params: 4,800 (trainable 4,800, non-trainable 0)" in result.output
    # per conv: output, kernel, bias shapes, trainable, non-trainable, MACs, receptive field (7 x 2);
    # for the model: the peak of live activations (1)
    assert "Verified on real tensors (numpy executor): all 15 planned quantities agree." in result.output


def test_explain_shows_filled_in_formulas():
    result = run("plan", "--input", "28x28x1", "--conv", "3x3x16,padding=1", "--conv", "3x3x32", "--explain")
    assert result.exit_code == 0, result.output
    assert "conv1  axis 0: floor((28+2*1-3)/1)+1 = 28" in result.output
    assert "conv2  params: 32*(16*3*3+1) = 4,640" in result.output


def test_layer_flag_reaches_any_type_and_act():
    result = run("plan", "--input", "8x8x4", "--layer", "conv kernel=3,filters=8,groups=2", "--act", "gelu",
                 "--act", "elu", "--format", "json")
    assert result.exit_code == 0, result.output
    layers = json.loads(result.output)["layers"]
    assert [(layer["type"], layer["params"]) for layer in layers] == [
        ("conv", 8 * (2 * 9 + 1)), ("gelu", 0), ("activation", 0)]


def test_file_plus_flags_and_input_override(tmp_path):
    spec = tmp_path / "net.yaml"
    spec.write_text("input: 28x28x1\nlayers:\n  - conv: 3x3x16\n")
    result = run("plan", str(spec), "--input", "32x32x1", "--conv", "3x3x32", "--format", "json")
    doc = json.loads(result.output)
    assert [layer["output_shape"] for layer in doc["layers"]] == [[30, 30, 16], [28, 28, 32]]


def test_input_override_of_a_file_with_set_values(tmp_path):
    # the file's set: named its own input's symbols; --input replaced them (it was an error)
    spec = tmp_path / "net.yaml"
    spec.write_text("input: HxWx3\nset: {H: 8, W: 8}\nlayers:\n  - conv: 3x3x4\n")
    shapes = [json.loads(run("plan", str(spec), *args, "--format", "json").output)["layers"][0]["output_shape"]
              for args in ([], ["--input", "16x16x3"], ["--input", "Hx16x3"])]
    assert shapes == [[6, 6, 4], [14, 14, 4], [6, 14, 4]]  # H=8 kept where the new input still has H
    result = run("plan", str(spec), "--input", "16x16x3", "--set", "H=3")
    assert result.exit_code == 2  # a --set the new input cannot use is still an error


ERRORS = [
    (["--input", "28x28x1", "--conv", "3x16"],
     "error: <cli>: --conv (layer flag #1) (conv), field 'size': compact size 3x16 has 2 parts; "
     "a 2D input needs 3: kxkxfilters (e.g. 3x3x16)"),
    (["--input", "28x28x1", "--conv", "3x3x16,strid=2"],
     "error: <cli>: --conv (layer flag #1), field 'strid': unknown argument for conv 'strid'"),
    (["--input", "4x4x1", "--conv", "5x5x3"],
     "error: <cli>: --conv (layer flag #1) (conv), field 'kernel': kernel 5 is larger than the padded input (4) on spatial axis 0"),
    (["--input", "28x28x1", "--conv", "3x3x0"],
     "error: <cli>: --conv (layer flag #1), field 'size': expected a positive integer, got 0"),
    (["--input", "28x28x1", "--conv", "3x3x8,stride=0"],
     "error: <cli>: --conv (layer flag #1), field 'stride': expected a positive integer, got 0"),
    (["--input", "28x0x1", "--conv", "3x3x8"],
     "error: <cli>: field 'input': size 0 in input shape '28x0x1' is neither a positive integer nor a name"),
    (["--input", "28x28x1", "--layer", "convv 3x3x16"],
     "error: <cli>: --layer (layer flag #1): unknown layer type 'convv'"),
    (["--conv", "3x3x3"], "error: no input shape: give --input (e.g. --input 28x28x1) or 'input:' in the file"),
    (["--input", "28x28x1", "--flatten", "--conv", "3x3x8"],
     "error: <cli>: --conv (layer flag #2) (conv): conv needs an input with spatial axes and channels, got shape (784)"),
    (["--input", "28x28x1", "--conv", "3x3x16,groups=3"],
     "error: <cli>: --conv (layer flag #1) (conv), field 'groups': groups=3 does not divide the input channels (1)"),
    (["--input", "28x28x1", "--set", "T=x"], "error: <cli>: field 'set': --set expects NAME=POSITIVE_INT, got 'T=x'"),
    # a compact size and a key for the same argument: neither silently wins (the key did, but for conv)
    (["--input", "4x4x3", "--dense", "10,units=20"],
     "error: <cli>: --dense (layer flag #1), field 'units': units is given twice: in the compact size 10 and as units=20"),
    (["--input", "Tx8x3", "--relu", "--set", "T=10", "--set", "T=5"],  # the last one won, silently
     "error: <cli>: field 'set': --set gives T a value twice"),
    (["--input", "80xmax_lenx3", "--relu"],  # it planned a 4D input with symbols 'ma' and '_len'
     "error: <cli>: field 'input': input shape '80xmax_lenx3': 'x' separates the sizes, so the name 'max_len' is cut "
     "in two"),
    (["--input", "4x4x3", "--layer", ""],  # it named no location
     "error: <cli>: --layer (layer flag #1): --layer needs 'TYPE ARGS', e.g. --layer 'conv 3x3x16,stride=2'; got ''"),
    (["--input", "4x4x3", "--dropout", ""],  # it took the default rate
     "error: <cli>: --dropout (layer flag #1): the arguments of dropout are an empty string"),
    (["--input", "4x4x3", "--act", "relu,fn=tanh"],
     "error: <cli>: --act (layer flag #1), field 'fn': fn is given twice: in the compact size 'relu' and as fn='tanh'"),
]


@pytest.mark.parametrize("args,line", ERRORS, ids=[" ".join(a) for a, _ in ERRORS])
def test_bad_input_exit_2_with_one_clear_line(args, line):
    result = run("plan", *args)
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == line
    assert "Traceback" not in result.output


def test_an_argument_for_a_type_that_takes_none():
    result = run("plan", "--input", "8x8x2", "--layer", "relu x=3")
    assert result.exit_code == 2  # the hint was an empty list: "expected one of: "
    assert result.output.splitlines()[:2] == ["error: <cli>: --layer (layer flag #1), field 'x': unknown argument for relu 'x'",
                                              "  hint: relu takes no arguments"]


def test_a_negative_seed_is_a_usage_error():
    result = run("check", "--input", "8x8x1", "--conv", "3x3x2", "--seed", "-1")
    assert result.exit_code == 2  # numpy's generator refused it: exit 3 (internal error) before
    assert result.output.splitlines()[0] == "error: <cli>: Invalid value for '--seed': -1 is not in the range x>=0."


def test_a_symbol_ending_in_underscore_is_not_taken_for_a_cut_name():
    result = run("plan", "--input", "T_x80x3", "--conv", "3x3x4", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["input"]["shape"] == ["T_", 80, 3]


YAML_ERRORS = [
    ("input: 28x28x1\nlayers:\n  - conv: {filters: 16, kernel: 3, stirde: 2}\n",
     "error: {f}:3:36: layers[0], field 'stirde': unknown argument for conv 'stirde'", "did you mean 'stride'?"),
    ("input: 8x8x1\nlayers:\n  - conv: {filters: 16, kernel: 3}\n  - conv: {filters: 16, kernel: 9}\n",
     "error: {f}:4:33: layers[1] (conv), field 'kernel': kernel 9 is larger than the padded input (6) on spatial axis 0", None),
    ("input: 28x28x1\nlayers:\n  - convolution: 3x3x8\n",
     "error: {f}:3:18: layers[0]: unknown layer type 'convolution'", None),
    ("input: 28x28x1\nlayer:\n  - conv: 3x3x8\n", "error: {f}:2:1: field 'layer': unknown top-level key 'layer'",
     "did you mean 'layers'?"),
    ("input: 28x28x1\nlayers: [conv: 3x3x8\n", "error: {f}:3:1: YAML syntax error: expected ',' or ']', but got '<stream end>'", None),
    ("input: 28x28x1\nlayers:\n  - !!python/object/apply:os.system [ls]\n",
     "error: {f}:3:5: YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed", None),
    ("", "error: {f}:1:1: the file is empty", None),
    ("input: 28x28x1\nlayers:\n  - conv: 3x3x8\n    relu:\n", "error: {f}:3:5: layers[0]: a layer entry needs exactly one layer type, found 2: conv, relu", None),
    ("input: 28x28x1\nlayers:\n  - conv: 3x3x8\n  - {dense: 4, from: conv9}\n",
     "error: {f}:4:22: layers[1], field 'from': from names 'conv9', which is not a layer id", "did you mean 'conv1'?"),
]


@pytest.mark.parametrize("text,line,hint", YAML_ERRORS, ids=[e[1].split(": ", 2)[-1][:40] for e in YAML_ERRORS])
def test_yaml_errors_name_file_line_layer_field(tmp_path, text, line, hint):
    spec = tmp_path / "bad.yaml"
    spec.write_text(text)
    result = run("plan", str(spec))
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines[0] == line.format(f=spec)
    if hint:
        assert lines[1] == f"  hint: {hint}"


def test_missing_file_and_directory(tmp_path):
    result = run("plan", str(tmp_path / "nope.yaml"))
    assert (result.exit_code, result.output.splitlines()[0]) == (2, f"error: {tmp_path / 'nope.yaml'}: no such file")
    result = run("plan", str(tmp_path))
    assert (result.exit_code, result.output.splitlines()[0]) == (2, f"error: {tmp_path}: is a directory, not a spec file")


def test_json_error_document(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("input: 8x8x1\nlayers:\n  - conv: {filters: 16, kernel: 9}\n")
    result = CliRunner().invoke(main, ["plan", str(spec), "--format", "json"])
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert doc["schema_version"] == 1
    assert doc["error"]["file"] == str(spec)
    assert (doc["error"]["line"], doc["error"]["layer"], doc["error"]["field"]) == (3, "layers[0] (conv)", "kernel")


def test_check_mismatch_exits_1(monkeypatch):
    # a deliberately wrong shape rule must be caught by the executor, marked, and exit 1
    from convcalc.layers import REGISTRY
    from convcalc.layers.base import LayerType

    conv = REGISTRY["conv"]

    def wrong(node, inputs, ctx):
        result = conv.infer(node, inputs, ctx)
        result.trainable = result.trainable - 1
        return result

    monkeypatch.setitem(REGISTRY, "conv", LayerType(**{**conv.__dict__, "infer": wrong}))
    result = run("check", "--input", "8x8x1", "--conv", "3x3x2")
    assert result.exit_code == 1
    assert "CHECK FAILED" in result.output
    assert "conv1 trainable_params: planned 19, observed 20" in result.output


def test_version():
    from convcalc import __version__

    assert run("--version").output.strip() == f"convcalc, version {__version__}"


def test_unknown_type_with_no_close_match_lists_the_types():
    result = run("plan", "--input", "8x8x3", "--layer", "foo 3")
    assert result.exit_code == 2
    hint = result.output.splitlines()[1]
    assert hint.startswith("  hint: expected one of: activation, adaptive_avgpool,") and " conv," in hint
