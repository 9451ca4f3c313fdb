"""Branching graphs: `from`, the merge layers add / multiply / concat, and the graph's errors.

Expected shapes are derived by hand (numpy's broadcasting rule, concatenation sums the sizes on
one axis), with different sizes per axis so that a swapped axis fails. Every graph here also
runs through the numpy executor, which must agree.
"""

import json

import pytest
from click.testing import CliRunner
from helpers import plan_yaml

from convcalc.cli import main
from convcalc.memory import peak
from convcalc.reference import check

SAME = "padding: same"

GRAPHS = [
    # (name, yaml body, layout, {layer id: displayed output shape})
    ("residual add", f"""
input: 10x12x4
layers:
  - {{id: a, conv: {{filters: 4, kernel: 3, {SAME}}}}}
  - {{id: sum, add: , from: [a, input]}}
""", "hwc", {"a": (10, 12, 4), "sum": (10, 12, 4)}),
    ("concat of two branches", f"""
input: 10x12x3
layers:
  - {{id: a, conv: {{filters: 5, kernel: 3, {SAME}}}}}
  - {{id: b, from: input, conv: {{filters: 7, kernel: 1}}}}
  - {{id: cat, concat: , from: [a, b]}}
""", "hwc", {"cat": (10, 12, 5 + 7)}),
    ("concat of two branches, chw", f"""
input: 3x10x12
layout: chw
layers:
  - {{id: a, conv: {{filters: 5, kernel: 3, {SAME}}}}}
  - {{id: b, from: input, conv: {{filters: 7, kernel: 1}}}}
  - {{id: cat, concat: , from: [a, b]}}
""", "chw", {"cat": (5 + 7, 10, 12)}),
    ("concat on a spatial axis", """
input: 10x12x4
layers:
  - {id: half, maxpool: {kernel: [2, 1]}}
  - {id: rows, concat: {axis: 0}, from: [input, half]}
  - {id: cols, concat: {axis: -2}, from: [input, input]}
""", "hwc", {"rows": (10 + 5, 12, 4), "cols": (10, 12 + 12, 4)}),
    ("concat on a displayed axis, chw", """
input: 4x10x12
layout: chw
layers:
  - {id: half, maxpool: {kernel: [2, 1]}}
  - {id: rows, concat: 1, from: [input, half]}
""", "chw", {"rows": (4, 10 + 5, 12)}),
    ("squeeze-excite multiply", """
input: 10x12x16
layers:
  - {id: pooled, global_avgpool: {keepdims: true}}
  - {id: gate, conv: 1x1x16}
  - sigmoid
  - {id: scaled, multiply: , from: [input, sigmoid1]}
""", "hwc", {"pooled": (1, 1, 16), "scaled": (10, 12, 16)}),
    ("squeeze-excite multiply, chw", """
input: 16x10x12
layout: chw
layers:
  - {id: pooled, global_avgpool: {keepdims: true}}
  - {id: scaled, multiply: , from: [input, pooled]}
""", "chw", {"pooled": (16, 1, 1), "scaled": (16, 10, 12)}),
    ("broadcast a vector over the last axis", """
input: 10x12x6
layers:
  - global_avgpool
  - {id: bias, dense: 6}
  - {id: shifted, add: , from: [input, bias]}
""", "hwc", {"bias": (6,), "shifted": (10, 12, 6)}),
    ("three-way add", f"""
input: 10x12x4
layers:
  - {{id: a, conv: {{filters: 4, kernel: 3, {SAME}}}}}
  - {{id: b, from: input, conv: {{filters: 4, kernel: 5, {SAME}}}}}
  - {{id: total, add: , from: [a, b, input]}}
""", "hwc", {"total": (10, 12, 4)}),
]


def displayed(plan, lp):
    shape = lp.output
    return (shape[-1],) + tuple(shape[:-1]) if plan.layout == "chw" and len(shape) > 1 else tuple(shape)


@pytest.mark.parametrize("name,text,layout,expected", GRAPHS, ids=[g[0] for g in GRAPHS])
def test_shapes_and_check(name, text, layout, expected):
    plan = plan_yaml(text)
    outputs = {lp.node.id: displayed(plan, lp) for lp in plan.layers}
    assert {k: outputs[k] for k in expected} == expected
    merges = [lp for lp in plan.layers if lp.node.type in ("add", "multiply", "concat")]
    assert merges and all(lp.params == 0 and lp.result.macs == 0 for lp in merges)
    report = check(plan)
    assert report.passed, report.mismatches


def test_a_forward_reference_is_ordered_before_its_consumer():
    plan = plan_yaml("""
input: 10x12x4
layers:
  - {id: late, relu: , from: early}
  - {id: early, from: input, conv: 1x1x8}
""")
    assert [(lp.node.id, lp.output) for lp in plan.layers] == [("early", (10, 12, 8)), ("late", (10, 12, 8))]
    assert check(plan).passed


def test_residual_counts_and_peak_memory_by_liveness():
    plan = plan_yaml(GRAPHS[0][1])
    conv, add = plan.layers
    assert conv.params == 4 * (4 * 3 * 3 + 1)
    assert add.node.inputs == ["a", "input"]
    # while the add runs, the input (kept for it), the conv's output and the sum are all alive
    assert plan.peak_activation_elements() == 3 * 10 * 12 * 4


def test_receptive_field_through_a_merge_is_the_widest_input_per_axis():
    plan = plan_yaml("""
input: 20x30x2
layers:
  - {id: a, conv: {filters: 2, kernel: [3, 1], padding: same}}
  - {id: b, from: input, conv: {filters: 2, kernel: [1, 5], padding: same}}
  - {id: sum, add: , from: [a, b]}
""")
    assert plan.layers[-1].rf.size == (3, 5)
    assert plan.layers[-1].rf.jump == (1, 1)


def run(tmp_path, text, *args):
    spec = tmp_path / "net.yaml"
    spec.write_text(text)
    return spec, CliRunner().invoke(main, ["plan", str(spec), *args])


ERRORS = [
    ("add of different channels",
     "input: 8x8x4\nlayers:\n  - {id: a, conv: 1x1x6}\n  - {add: , from: [input, a]}\n",
     "error: {f}:4:5: layers[1] (add), field 'from': inputs input (8x8x4) and a (8x8x6) do not broadcast: "
     "axis 2 is 4 vs 6 (sizes must match or be 1)"),
    ("add in chw names displayed axes",
     "input: 4x8x8\nlayout: chw\nlayers:\n  - {id: a, conv: 1x1x6}\n  - {add: , from: [input, a]}\n",
     "error: {f}:5:5: layers[1] (add), field 'from': inputs input (4x8x8) and a (6x8x8) do not broadcast: "
     "axis 0 is 4 vs 6 (sizes must match or be 1)"),
    ("multiply names the two that conflict",
     "input: 8x8x4\nlayers:\n  - {id: p, maxpool: 2}\n  - {multiply: , from: [input, input, p]}\n",
     "error: {f}:4:5: layers[1] (multiply), field 'from': inputs input (8x8x4) and p (4x4x4) do not broadcast: "
     "axis 0 is 8 vs 4 (sizes must match or be 1)"),
    ("concat spatial mismatch",
     "input: 8x10x4\nlayers:\n  - {id: p, maxpool: [1, 2]}\n  - {concat: , from: [input, p]}\n",
     "error: {f}:4:5: layers[1] (concat), field 'from': inputs input (8x10x4) and p (8x5x4) must match except "
     "on the concat axis 2: axis 1 is 10 vs 5"),
    ("concat rank mismatch",
     "input: 8x10x4\nlayers:\n  - {id: f, flatten: }\n  - {concat: , from: [input, f]}\n",
     "error: {f}:4:5: layers[1] (concat), field 'from': inputs input (8x10x4) and f (320) have different ranks; "
     "concat needs equal ranks"),
    ("concat axis out of range",
     "input: 8x10x4\nlayers:\n  - {concat: {axis: 3}, from: [input, input]}\n",
     "error: {f}:3:21: layers[0] (concat), field 'axis': axis 3 is out of range for inputs of rank 3 (use -3..2)"),
    ("merge of one input",
     "input: 8x8x4\nlayers:\n  - {add: , from: input}\n",
     "error: {f}:3:5: layers[0], field 'from': add takes at least 2 input(s), got 1: input"),
    ("unknown id",
     "input: 8x8x4\nlayers:\n  - {id: branch, conv: 1x1x4}\n  - {add: , from: [input, brnch]}\n",
     "error: {f}:4:19: layers[1], field 'from': from names 'brnch', which is not a layer id"),
    ("cycle",
     "input: 8x8x4\nlayers:\n  - {id: a, conv: 1x1x4, from: c}\n  - {id: b, relu: }\n  - {id: c, add: , from: [b, input]}\n",
     "error: {f}:3:5: layers[0], field 'from': the layers form a cycle: a <- c <- b <- a"),
    ("self loop",
     "input: 8x8x4\nlayers:\n  - {id: a, relu: , from: a}\n",
     "error: {f}:3:5: layers[0], field 'from': the layers form a cycle: a <- a"),
]


@pytest.mark.parametrize("name,text,line", ERRORS, ids=[e[0] for e in ERRORS])
def test_graph_errors(tmp_path, name, text, line):
    spec, result = run(tmp_path, text)
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == line.format(f=spec)
    assert "Traceback" not in result.output


def test_unknown_id_suggests_the_closest(tmp_path):
    _, result = run(tmp_path, ERRORS[7][1])
    assert result.output.splitlines()[1] == "  hint: did you mean 'branch'?"


def test_json_lists_every_input(tmp_path):
    _, result = run(tmp_path, GRAPHS[1][1], "--format", "json")
    layer = json.loads(result.output)["layers"][-1]
    assert layer["from"] == ["a", "b"]
    assert layer["input_shapes"] == [[10, 12, 5], [10, 12, 7]]
    assert layer["input_shape"] == [10, 12, 5]


def test_the_network_output_is_what_the_last_entry_names():
    # the last entry is turned off, so it names its input, a: the network returns a (6x6x4), not
    # the last layer in order, b (8x8x6); a then stays alive to the end, in the plan and the run
    plan = plan_yaml("input: 8x8x2\nlayers:\n  - {id: a, conv: 3x3x4}\n  - {id: b, from: input, conv: 1x1x6}\n"
                     "  - {relu: , from: a, when: false}\n")
    assert plan.output == (6, 6, 4)
    assert peak(plan)[0] == 8 * 8 * 2 + 6 * 6 * 4 + 8 * 8 * 6  # elements of input, a and b at b's step
    assert check(plan).passed


def test_resolving_an_alias_chain_points_every_alias_at_the_layer():
    # a block whose entries are all off, used 2,000 times, is a chain of aliases; each was walked
    # again for every name on it (cubic: 55 s at 2,000). After the graph is built, every alias
    # names a layer directly, so each chain is walked once.
    from convcalc.graph import build
    from convcalc.spec import load_yaml, parse_source

    spec = parse_source(load_yaml("input: 8x8x2\nblocks:\n  c0:\n    layers:\n      - {relu: , when: false}\n"
                                  "layers:\n  - {c0: , repeat: 2000}\n  - relu\n"))
    assert len(spec.aliases) > 4000  # the uses, their disabled relus and the repeat
    build(spec)
    assert set(spec.aliases.values()) == {"input"}


def test_a_network_that_returns_its_input_keeps_it_to_the_end():
    # the last entry is off and names the input: the input is the output, alive at b's step too
    plan = plan_yaml("input: 8x8x3\nlayers:\n  - {id: a, conv: 3x3x4}\n  - {id: b, conv: 1x1x2}\n"
                     "  - {relu: , from: input, when: false}\n")
    assert plan.output == (8, 8, 3) and plan.output_name == "input"
    assert peak(plan)[0] == 8 * 8 * 3 + 6 * 6 * 4 + 6 * 6 * 2  # input, a, b (was 336: input freed after a)
    assert check(plan).passed


def test_the_field_of_the_output_is_on_the_way_to_it(tmp_path):
    # compare showed the field of the last layer in order, b (1x1), for a network that returns a (3x3)
    spec = tmp_path / "net.yaml"
    spec.write_text("input: 8x8x2\nlayers:\n  - {id: a, conv: 3x3x4}\n  - {id: b, from: input, conv: 1x1x6}\n"
                    "  - {relu: , from: a, when: false}\n")
    other = tmp_path / "other.yaml"
    other.write_text("input: 8x8x2\nlayers:\n  - conv: 1x1x4\n")
    doc = json.loads(CliRunner().invoke(main, ["compare", str(spec), str(other), "--format", "json"]).output)
    field = doc["designs"][0]["receptive_field"]
    assert (field["size"], field["layer"]) == ([3, 3], "a")
