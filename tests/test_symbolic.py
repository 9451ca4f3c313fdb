"""Symbolic inputs end to end: expressions, smallest valid values, the symbolic peak, --set, check.

Expected values are written as their derivation; every expression is also evaluated against
concrete inference at several values (the concrete engine is the independent side here).
"""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner
from helpers import plan_layers

from convcalc.cli import main
from convcalc.dims import ceil_div, floor_div, symbol
from convcalc.engine import infer, infer_once
from convcalc.errors import ShapeError
from convcalc.spec import load_yaml, parse_source

T = symbol("T")
SEED = ["--input", "Tx80x3", "--conv", "3x3x32,s=2,p=same", "--conv", "3x3x32,s=2,p=same"]


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def run_json(*args: str) -> dict:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def ev(text, values: dict):
    """A JSON count or size: an int, or a Python expression using ceil/floor (and max)."""
    if isinstance(text, int) or text is None:
        return text
    return eval(text, {"__builtins__": {"max": max}, "ceil": math.ceil, "floor": math.floor, **values})  # noqa: S307


# ------------------------------------------------------------------ the seed's encoder


def test_seed_encoder_output_is_ceil_t_over_4_by_20_by_32():
    # arXiv 1703.08581: T x 80 x 3 through two 3x3 stride-2 convs -> "t/4 x 20 x 32"
    doc = run_json("plan", "examples/seed-filterbank-symbolic.yaml")
    assert doc["output_shape"] == ["ceil(T/4)", 20, 32]
    assert [layer["output_shape"] for layer in doc["layers"]] == [["ceil(T/2)", 40, 32]] * 3 + [
        ["ceil(T/4)", 20, 32]] * 3
    assert doc["input"] == {"shape": ["T", 80, 3], "symbols": {"T": None}, "min_values": {"T": 1},
                            "min_value_sources": {"T": None}}
    # conv1: ceil(T/2)*40 positions * 32 filters * 3*3*3; conv2: ceil(T/4)*20 * 32 * 32*3*3
    assert doc["totals"]["macs"] == f"{40 * 32 * 27}*ceil(T/2)+{20 * 32 * 288}*ceil(T/4)"
    assert doc["totals"]["params"] == 896 + 128 + 9248 + 128  # independent of T
    # two ceil(T/2)x40x32 tensors alive while batchnorm1 runs, 4 B each
    assert doc["totals"]["peak_activation_bytes"] == f"{2 * 40 * 32 * 4}*ceil(T/2)"
    assert doc["totals"]["peak_activation_note"] == "the largest total is at batchnorm1 for every valid T"
    table = CliRunner().invoke(main, ["plan", "examples/seed-filterbank-symbolic.yaml"], env={"COLUMNS": "200"}).output
    assert "ceil(T/4)x20x32" in table and "Smallest valid T: 1 (every layer fits any T >= 1)" in table


@pytest.mark.parametrize("t", [1, 2, 3, 4, 5, 7, 999, 1000, 1001], ids=lambda t: f"T={t}")
def test_seed_expressions_evaluate_to_the_concrete_plan(t):
    sym = run_json("plan", "examples/seed-filterbank-symbolic.yaml")
    conc = run_json("plan", "examples/seed-filterbank-symbolic.yaml", "--set", f"T={t}")
    assert conc["input"]["symbols"] == {"T": t} and conc["input"]["min_values"] == {"T": 1}
    for s, c in zip(sym["layers"], conc["layers"]):
        for key in ("output_shape", "kernel_shape"):
            assert [ev(d, {"T": t}) for d in s[key] or []] == (c[key] or [])
        for key in ("params", "macs", "activation_elements"):
            assert ev(s[key], {"T": t}) == c[key]
    for key in ("params", "macs", "flops", "param_bytes", "peak_activation_bytes"):
        assert ev(sym["totals"][key], {"T": t}) == conc["totals"][key], key


def test_seed_check_runs_at_several_values():
    # smallest T 1, then 2; period 4 (two stride-2 same convs): odd 1+4+2=7, even 7+4+1=12
    doc = run_json("check", "examples/seed-filterbank-symbolic.yaml")
    assert doc["check"]["values"] == [{"T": 1}, {"T": 2}, {"T": 7}, {"T": 12}]
    assert doc["check"]["status"] == "passed"
    # per run: conv output, kernel, bias, trainable, non-trainable, MACs; batchnorm and relu no kernel,
    # bias; the model's peak (no receptive field: TF same over a symbolic T leaves its padding open)
    assert doc["check"]["compared"] == 4 * (2 * 6 + 4 * 4 + 1)
    # the two-conv SEED: 4 runs x (2 convs x 6 + the peak) = 52
    line = CliRunner().invoke(main, ["check", *SEED], env={"COLUMNS": "200"}).output.splitlines()[-1]
    assert line == "Verified on real tensors (numpy executor) at T=1, 2, 7 and 12: all 52 planned quantities agree."


# ------------------------------------------------------------------ smallest valid values

MIN_CASES = [
    # id, input, layers, {symbol: (smallest, layer, requirement)}
    ("kernel 9", "Tx3", ["conv: {kernel: 9, filters: 2}"], {"T": (9, "conv1", "T >= 9")}),
    ("dilated 3 by 4", "Tx3", ["conv: {kernel: 3, filters: 2, dilation: 4}"],
     {"T": (4 * (3 - 1) + 1, "conv1", "T >= 9")}),
    ("pair padding", "Tx3", ["conv: {kernel: 7, filters: 2, padding: [[2, 1]]}"],
     {"T": (7 - 2 - 1, "conv1", "T+3 >= 7")}),
    ("later layer sets it", "Tx3", ["conv: {kernel: 3, filters: 2}", "conv: {kernel: 5, filters: 2}"],
     {"T": (3 - 1 + 5, "conv2", "T-2 >= 5")}),
    # floor((T-3)/2)+1 >= 5  <=>  T-3 >= 8
    ("pool then conv", "Tx3", ["maxpool: {kernel: 3, stride: 2}", "conv: {kernel: 5, filters: 2}"],
     {"T": (11, "conv1", "ceil(T/2)-1 >= 5")}),
    # ceil_mode keeps a window overhanging by up to s-1: padded size >= k-s+1
    ("ceil_mode", "Tx3", ["maxpool: {kernel: 3, stride: 2, ceil_mode: true}"],
     {"T": (3 - 2 + 1, "maxpool1", "T >= 2")}),
    # ceil(T/4) >= 9  <=>  T > 4*8
    ("seed then kernel 9", "Tx80x3", ["conv: 3x3x32,stride=2,padding=same"] * 2 + ["conv: 9x3x8"],
     {"T": (4 * 8 + 1, "conv3", "ceil(T/4) >= 9")}),
    ("full padding fits all", "Tx3", ["conv: {kernel: 5, filters: 2, padding: full}"], {"T": (1, None, None)}),
    ("causal fits all", "Tx3", ["conv: {kernel: 5, filters: 2, padding: causal}"], {"T": (1, None, None)}),
    ("two symbols", "HxWx3", ["conv: {kernel: [5, 3], filters: 2}"],
     {"H": (5, "conv1", "H >= 5"), "W": (3, "conv1", "W >= 3")}),
    ("one symbol twice", "TxTx3", ["conv: {kernel: [5, 3], filters: 2}"], {"T": (5, "conv1", "T >= 5")}),
    # a requirement joining two symbols is met by raising the first (the other at its minimum 1)
    ("joint after reshape", "HxWx2", ["reshape: -1x2", "conv: {kernel: 5, filters: 3}"],
     {"H": (5, "conv1", "H*W >= 5"), "W": (1, None, None)}),
]


@pytest.mark.parametrize("shape,layers,expected", [c[1:] for c in MIN_CASES], ids=[c[0] for c in MIN_CASES])
def test_smallest_valid_value_and_its_layer(shape, layers, expected):
    plan = plan_layers(shape, *layers)
    assert {n: lim.value for n, lim in plan.limits.items()} == {n: e[0] for n, e in expected.items()}
    for name, (_, layer, text) in expected.items():
        by = plan.limits[name].by
        assert (by and by.layer, by and by.text) == (layer, text)


SINGLE = [c for c in MIN_CASES if len(c[3]) == 1]


@pytest.mark.parametrize("shape,layers,expected", [c[1:] for c in SINGLE], ids=[c[0] for c in SINGLE])
def test_smallest_value_fits_and_one_less_does_not(shape, layers, expected):
    ((name, (least, layer, _)),) = expected.items()
    body = "\n".join(f"  - {entry}" for entry in layers)
    spec = parse_source(load_yaml(f"input: {shape}\nlayers:\n{body}\n", "t.yaml"))
    spec.values = {name: least}
    infer_once(spec)  # the concrete engine accepts the smallest value...
    infer(spec)
    if least > 1:
        spec.values = {name: least - 1}
        with pytest.raises(ShapeError):
            infer_once(spec)  # ... and by itself rejects one less
        with pytest.raises(ShapeError) as err:
            infer(spec)  # which the limits check reports first, naming the layer
        assert err.value.message.startswith(f"{name}={least - 1} is too small: this layer needs")
        assert err.value.layer == f"layers[{int(layer[-1]) - 1 + (layer == 'conv1' and 'pool' in body)}] ({layer[:-1]})"


def test_set_below_the_smallest_value_is_one_clear_error():
    result = run("plan", *SEED, "--conv", "9x3x8", "--set", "T=20")
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "error: <cli>: --conv (layer flag #3) (conv), field 'set': T=20 is too small: this layer needs "
        "ceil(T/4) >= 9 (padded size on axis 0), which holds from T=33 on; at T=20 it is 5",
        "  hint: give T=33 or more (the line under `convcalc plan`'s table names the smallest valid values)"]
    assert run("plan", *SEED, "--conv", "9x3x8", "--set", "T=33").exit_code == 0


def test_min_values_in_json_table_and_explain():
    args = ("plan", *SEED, "--conv", "9x3x8")
    doc = run_json(*args)
    assert doc["input"]["min_values"] == {"T": 33}
    assert doc["input"]["min_value_sources"] == {"T": {
        "index": 2, "layer": "conv3", "requires": "ceil(T/4) >= 9", "what": "padded size on axis 0"}}
    assert run_json(*args, "--set", "T=40")["input"]["min_values"] == {"T": 33}  # values stay as given
    out = CliRunner().invoke(main, [*args, "--explain"], env={"COLUMNS": "200"}).output
    assert "  conv3  needs ceil(T/4) >= 9 (padded size on axis 0): T >= 33" in out.splitlines()
    assert "Smallest valid T: 33, set by conv3: it needs ceil(T/4) >= 9 (padded size on axis 0)" in out


def test_several_symbols_say_what_each_minimum_assumes():
    out = CliRunner().invoke(main, ["plan", "--input", "HxWx3", "--layer", "conv kernel=5x3,filters=2"],
                             env={"COLUMNS": "200"}).output.splitlines()
    assert "Smallest valid H: 5, set by conv1: it needs H >= 5 (padded size on axis 0)" in out
    assert "Smallest valid W: 3, set by conv1: it needs W >= 3 (padded size on axis 1)" in out
    assert "(each smallest value assumes the other symbols at their smallest)" in out


# ------------------------------------------------------------------ the peak with symbols


def test_peak_is_an_exact_max_when_layers_cross():
    # step conv1: T*80*3 + ceil(T/2)*40*32; step conv2: ceil(T/2)*40*32 + ceil(T/4)*20*32; the
    # first is larger for large T (240T vs 640*ceil(T/4)), the second at T=1 (1520 < 1920)
    doc = run_json("plan", *SEED)
    assert doc["totals"]["peak_activation_bytes"] == "max(960*T+5120*ceil(T/2), 5120*ceil(T/2)+2560*ceil(T/4))"
    assert doc["totals"]["peak_activation_note"] == "the largest of the totals at conv1 and conv2; which one depends on T"
    for t in (1, 2, 3, 8, 9, 10, 11, 12, 13, 100):
        assert ev(doc["totals"]["peak_activation_bytes"], {"T": t}) == \
            run_json("plan", *SEED, "--set", f"T={t}")["totals"]["peak_activation_bytes"]


def test_peak_of_too_many_totals_is_null_with_a_note(monkeypatch):
    import convcalc.render.common as common

    monkeypatch.setattr(common, "MAX_TERMS", 1)
    doc = run_json("plan", *SEED)
    assert doc["totals"]["peak_activation_bytes"] is None
    assert doc["totals"]["peak_activation_note"] == "the largest of 2 layers' totals, which one depends on T; give values with --set"
    assert "Peak activation memory: not computed (the largest of 2 layers' totals" in run("plan", *SEED).output


# ------------------------------------------------------------------ counts that depend on a symbol


def test_dense_after_a_symbolic_flatten_has_expression_params():
    args = ("--input", "Tx80x3", "--conv", "3x3x4,s=2,p=same", "--flatten", "--dense", "10")
    doc = run_json("plan", *args)
    dense = doc["layers"][-1]
    assert dense["kernel_shape"] == ["160*ceil(T/2)", 10]  # flatten: ceil(T/2)*40*4
    assert (dense["params"], dense["params_formula"]) == ("1600*ceil(T/2)+10", "10*(160*ceil(T/2)+1)")
    assert run_json("check", *args)["check"]["status"] == "passed"


NEVER_A_TRACEBACK = [
    # id, args, exit code, a line of the output
    ("symbolic channels", ["--input", "8x8xC", "--conv", "3x3x4"], 2, "  hint: give C a value with --set C=..."),
    ("channels set", ["--input", "8x8xC", "--conv", "3x3x4", "--set", "C=3"], 0,
     "Smallest valid C: not computed (without values, conv needs a concrete channel count, got C)"),
    ("set unused", ["--input", "Tx3", "--conv", "3x2", "--set", "T=9", "--set", "W=3"], 2,
     "error: <cli>: field 'set': set gives a value to W, which the input shape does not use"),
    ("ceil_mode pad", ["--input", "Tx3", "--maxpool", "4,padding=2,ceil_mode=true"], 0, None),
    ("global pool", ["--input", "HxWx3", "--conv", "3x3x4", "--layer", "global_avgpool"], 0, None),
    ("markdown", ["--input", "HxWx3", "--conv", "3x3x4,s=2", "--format", "markdown"], 0, None),
    ("too small set", ["--input", "Tx3", "--conv", "9x2", "--set", "T=4"], 2, None),
]


@pytest.mark.parametrize("args,code,line", [c[1:] for c in NEVER_A_TRACEBACK], ids=[c[0] for c in NEVER_A_TRACEBACK])
@pytest.mark.parametrize("command", ["plan", "check"])
def test_symbolic_inputs_never_crash(command, args, code, line):
    result = CliRunner().invoke(main, [command, *args], env={"COLUMNS": "200"})
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    if line:
        assert line in result.output.splitlines()


# ------------------------------------------------------------------ check at sampled values


def test_samples_rotate_per_symbol():
    from convcalc.symcheck import sample_values

    # stride 1: period 1. H from 5: 5, 6, odd >= 5+1+2 -> 9, even >= 9+1+1 -> 12; W from 3: 3, 4, 7, 10
    plan = plan_layers("HxWx3", "conv: {kernel: [5, 3], filters: 2}")
    assert sample_values(plan) == [{"H": 5, "W": 4}, {"H": 6, "W": 7}, {"H": 9, "W": 10}, {"H": 12, "W": 3}]


def test_a_wrong_expression_is_caught_at_the_values_where_it_is_wrong():
    from convcalc.symcheck import check, sample_values

    plan = plan_layers("Tx80x3", "conv: 3x3x32,stride=2,padding=same", "conv: 3x3x32,stride=2,padding=same")
    wrong = ceil_div(T, 2) + floor_div(T, 7)  # right for T < 7 only
    plan.layers[0].result.output = (wrong, 40, 32)
    samples = sample_values(plan)
    assert min(v["T"] for v in samples) < 7 <= max(v["T"] for v in samples)
    report = check(plan)
    assert [(m.layer_id, m.quantity, m.at) for m in report.mismatches] == [
        ("conv1", "output_shape", v) for v in samples if v["T"] >= 7]
    assert all(m.planned[0] == m.observed[0] + m.at["T"] // 7 for m in report.mismatches)


def test_a_failed_sampled_check_exits_1_and_its_document_validates(monkeypatch):
    import jsonschema

    from convcalc.layers import REGISTRY
    from convcalc.layers.base import LayerType

    conv = REGISTRY["conv"]

    def wrong(node, inputs, ctx):  # off by floor(n/7) on the first axis: right for sizes < 7
        result = conv.infer(node, inputs, ctx)
        result.output = (result.output[0] + floor_div(result.output[0], 7),) + result.output[1:]
        return result

    monkeypatch.setitem(REGISTRY, "conv", LayerType(**{**conv.__dict__, "infer": wrong}))
    result = run("check", "--input", "Tx2", "--conv", "3x2", "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    jsonschema.Draft202012Validator(json.loads(run("schema", "output").output)).validate(doc)
    # smallest T 3 (kernel 3); the wrong output has period 7: odd 3+7+2 = 12 -> 13, even 13+8 = 21 -> 22
    assert doc["check"]["values"] == [{"T": 3}, {"T": 4}, {"T": 13}, {"T": 22}]
    # T-2 >= 7 only at 13 and 22
    assert [(m["at"], m["quantity"], m["planned"][0] - m["observed"][0]) for m in doc["check"]["mismatches"]] == [
        ({"T": 13}, "output_shape", 11 // 7), ({"T": 22}, "output_shape", 20 // 7)]


def test_symbolic_plan_json_stays_light():
    from test_startup import loaded

    # the smallest-value search and the peak proof are pure Python too
    assert loaded("plan", "examples/seed-filterbank-symbolic.yaml", "--format", "json") == set()


def test_a_symbolic_channel_count_set_while_the_spatial_symbols_stay():
    # the symbolic plan needs C's value; with C set and H, W not, it was refused with the hint
    # "give C a value with --set C=..." that the user had just followed
    result = CliRunner().invoke(main, ["plan", "--input", "HxWxC", "--set", "C=3", "--conv", "3x3x2", "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["input"]["shape"] == ["H", "W", 3] and doc["input"]["min_values"] == {"H": 3, "W": 3, "C": None}
    assert doc["layers"][0]["params"] == 2 * (3 * 3 * 3 + 1)
    assert doc["layers"][0]["macs"] == "54*(H-2)*(W-2)"  # (H-2)(W-2) positions x 2 filters x 27 taps
    result = CliRunner().invoke(main, ["check", "--input", "HxWxC", "--set", "C=3", "--conv", "3x3x2"])
    assert result.exit_code == 0 and "C=3" in result.output


def test_values_too_small_give_the_concrete_error():
    # the symbolic plan fails (channel C); with every value given, the plan with them says what is
    # wrong with them, not "give C a value", which the user had done
    result = CliRunner().invoke(main, ["plan", "--input", "HxWxC", "--set", "C=3", "--set", "H=2", "--set", "W=2",
                                       "--conv", "3x3x8"])
    assert result.exit_code == 2
    assert result.output.startswith("error: <cli>: --conv (layer flag #1) (conv), field 'kernel': kernel 3 is larger "
                                    "than the padded input (2) on spatial axis 0")


def test_a_free_symbols_smallest_value_assumes_the_values_set(tmp_path):
    # H*W >= 9 (a 9-tap conv over the flattened H x W): with H=3 set, W must be >= 3. The minimum
    # said W >= 1, so check ran at W=1 and the executor refused the layer ("please report it")
    spec = tmp_path / "net.yaml"
    spec.write_text("input: HxWx1\nlayers:\n  - reshape: \"-1x1x1\"\n  - conv: 9x1x2\n")
    result = CliRunner().invoke(main, ["plan", str(spec), "--set", "H=3", "--format", "json"])
    assert json.loads(result.output)["input"]["min_values"]["W"] == 3
    checked = CliRunner().invoke(main, ["check", str(spec), "--set", "H=3"])
    assert checked.exit_code == 0 and "H=3 W=3" in checked.output


def test_a_value_too_small_in_the_files_set_is_located_there(tmp_path):
    spec = tmp_path / "net.yaml"
    spec.write_text("input: Tx80x3\nset: {T: 5}\nlayers:\n  - conv: 9x3x8\n")
    result = CliRunner().invoke(main, ["plan", str(spec)])
    assert result.exit_code == 2  # the set: entry's line, not the conv's (which has no field 'set')
    assert result.output.startswith(f"error: {spec}:2:10: layers[0] (conv), field 'set': T=5 is too small")
