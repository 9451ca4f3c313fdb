"""blocks:, repeat and when: expansion, dotted ids, scopes, errors with the path of the use, limits.

The block below is ResNet's basic block (He et al. 2016, torchvision's BasicBlock): two 3x3
convs without bias, each followed by batchnorm, plus a 1x1 projection shortcut when the stride
or the channel count changes. Its parameter counts are written as their derivation:
conv 3x3 over c channels to f filters without bias = 9*c*f; batchnorm = 2f trainable + 2f moving
statistics; projection = c*f.
"""

import json

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from click.testing import CliRunner
from helpers import plan_yaml

from convcalc.cli import main
from convcalc.errors import ConvCalcError
from convcalc.reference import check
from convcalc.render.json_out import plan_dict
from convcalc.spec.expand import MAX_LAYERS, MAX_NESTING

BASIC = """
input: 10x12x4
blocks:
  basic:
    args: {filters: required, stride: 1, project: false}
    layers:
      - {conv: {filters: "${filters}", kernel: 3, stride: "${stride}", padding: 1, bias: false}}
      - batchnorm
      - relu
      - {conv: {filters: "${filters}", kernel: 3, padding: 1, bias: false}}
      - {id: main, batchnorm: }
      - {id: short, from: input, conv: {filters: "${filters}", kernel: 1, stride: "${stride}", bias: false}, when: "${stride != 1 or project}"}
      - {add: , from: [main, short]}
      - relu
"""
USE = ["conv1", "batchnorm1", "relu1", "conv2", "main", "add1", "relu2"]  # ids in a use without shortcut
USE_PROJECTED = ["conv1", "batchnorm1", "relu1", "conv2", "main", "short", "add1", "relu2"]


def basic_params(c: int, f: int, projected: bool) -> int:
    return 9 * c * f + 4 * f + 9 * f * f + 4 * f + (c * f if projected else 0)


def net(*layers: str) -> str:
    return BASIC + "layers:\n" + "".join(f"  - {layer}\n" for layer in layers)


def ids(plan) -> list[str]:
    return [lp.node.id for lp in plan.layers]


def output_of(plan, ident: str):
    return next(lp.output for lp in plan.layers if lp.node.id == ident)


EXPANSIONS = [
    # (name, entries, ids, final output shape, total params)
    ("defaults: no shortcut", ["{basic: {filters: 4}}"],
     [f"basic1.{i}" for i in USE], (10, 12, 4), basic_params(4, 4, False)),
    ("project: true adds the shortcut", ["{basic: {filters: 8, project: true}}"],
     [f"basic1.{i}" for i in USE_PROJECTED], (10, 12, 8), basic_params(4, 8, True)),
    ("stride 2 adds the shortcut", ["{id: down, basic: {filters: 8, stride: 2}}"],
     [f"down.{i}" for i in USE_PROJECTED], ((10 + 2 - 3) // 2 + 1, (12 + 2 - 3) // 2 + 1, 8), basic_params(4, 8, True)),
    ("repeat numbers the uses", ["{id: layer1, basic: {filters: 4}, repeat: 3}"],
     [f"layer1.{k}.{i}" for k in range(3) for i in USE], (10, 12, 4), 3 * basic_params(4, 4, False)),
    ("index: the first repetition differs", ['{id: layer2, basic: {filters: 8, stride: "${2 if index == 0 else 1}"}, repeat: 2}'],
     [f"layer2.0.{i}" for i in USE_PROJECTED] + [f"layer2.1.{i}" for i in USE], (5, 6, 8),
     basic_params(4, 8, True) + basic_params(8, 8, False)),
    ("two uses, each with its own ids", ["{basic: {filters: 4}}", "{basic: {filters: 4}}"],
     [f"basic{n}.{i}" for n in (1, 2) for i in USE], (10, 12, 4), 2 * basic_params(4, 4, False)),
    ("a repeated plain layer", ["{conv: {filters: 4, kernel: 3, padding: same}, repeat: 3}", "relu"],
     ["conv1.0", "conv1.1", "conv1.2", "relu1"], (10, 12, 4), 3 * 4 * (9 * 4 + 1)),
    ("when false at the top level", ["conv: 1x1x6", "{relu: , when: false}", "{id: last, conv: 1x1x2}"],
     ["conv1", "last"], (10, 12, 2), 6 * (4 + 1) + 2 * (6 + 1)),
    ("embedded ${} in a compact string", ['{conv: "3x3x${2 * 3},stride=${1 + 1}"}'],
     ["conv1"], ((10 - 3) // 2 + 1, (12 - 3) // 2 + 1, 6), 6 * (4 * 9 + 1)),
]


@pytest.mark.parametrize("name,entries,expected_ids,out,params", EXPANSIONS, ids=[e[0] for e in EXPANSIONS])
def test_expansion(name, entries, expected_ids, out, params):
    uses_block = any("basic" in entry for entry in entries)  # an unused block is an error
    plan = plan_yaml(net(*entries) if uses_block else "input: 10x12x4\nlayers:\n" + "".join(f"  - {e}\n" for e in entries))
    assert ids(plan) == expected_ids
    assert plan.output == out
    assert plan.params == params
    report = check(plan)
    assert report.passed, report.mismatches


def test_an_unused_block_is_an_error_not_silently_unchecked():
    with pytest.raises(ConvCalcError) as err:
        plan_yaml(net("relu"))
    assert err.value.format().splitlines()[0] == "test.yaml:4:3: blocks.basic: block 'basic' is defined but never used"


@pytest.mark.parametrize("repeat, when, expected", [
    ("4", "${index % 2 == 1}", [("c.1", ["input"]), ("c.3", ["c.1"]), ("relu1", ["c.3"])]),  # asked of each repetition
    ('"${n - 1}"', "${n > 1}", [("relu1", ["input"])]),  # asked once, first: repeat: 0 is never read
])
def test_when_on_a_repeated_entry(repeat, when, expected):
    text = ("input: 8x8x2\nblocks:\n  b:\n    args: {n: 1}\n    layers:\n"
            f"      - {{id: c, conv: 1x1x2, repeat: {repeat}, when: \"{when}\"}}\n"
            "      - relu\nlayers:\n  - {id: u, b: }\n")
    layers = plan_yaml(text).layers
    assert [(lp.node.id.removeprefix("u."), [i.removeprefix("u.") for i in lp.node.inputs]) for lp in layers] == expected


def test_repetitions_turned_off_are_not_counted_in_the_group():
    # L has 2 of its 3 repetitions, M none: the group said x3 over 2 uses, and listed M
    text = ("input: 8x8x2\nblocks:\n  b:\n    layers: [conv: 1x1x2, relu]\nlayers:\n"
            "  - {id: L, b: , repeat: 3, when: \"${index != 2}\"}\n  - {id: M, b: , repeat: 2, when: \"${index > 5}\"}\n"
            "  - relu\n")
    groups = plan_yaml(text).groups
    assert [(g.id, g.kind, g.count) for g in groups.values()] == [("L", "repeat", 2), ("L.0", "block", 1),
                                                                   ("L.1", "block", 1)]


def test_a_block_turned_off_by_when_is_used_not_forgotten():
    # an optional squeeze-excite block, off in this configuration: the spec is valid (it was
    # refused as "defined but never used"); turned on, its layer is there
    text = ("input: 8x8x4\nblocks:\n  se:\n    layers:\n      - conv: 1x1x4\n  stage:\n    args: {use_se: false}\n"
            "    layers:\n      - conv: 3x3x4,padding=same\n      - {se: , when: \"${use_se}\"}\nlayers:\n  - %s\n")
    assert ids(plan_yaml(text % "stage")) == ["stage1.conv1"]
    assert ids(plan_yaml(text % "{stage: {use_se: true}}")) == ["stage1.conv1", "stage1.se1.conv1"]
    # a block used only inside another block's disabled use is not forgotten either
    nested = "input: 16x16x3\nblocks:\n  inner: {layers: [conv: 3x3x4]}\n  outer: {layers: [inner]}\n" \
             "layers: [relu, {outer: , when: false}]\n"
    assert ids(plan_yaml(nested)) == ["relu1"]


@pytest.mark.parametrize("entry, line", [
    ("{b: {nope: 1}, when: false}", "test.yaml:8:10: layers[1], field 'nope': unknown argument for block b 'nope'"),
    ("{conv: {filtrs: 3}, when: false}", "test.yaml:8:13: layers[1], field 'filtrs': unknown argument for conv 'filtrs'"),
    ("{conv: '3x3x4,strde=2', when: false}",
     "test.yaml:8:12: layers[1], field 'strde': unknown argument for conv 'strde'"),
])
def test_a_disabled_entry_still_has_its_argument_names_checked(entry, line):
    # off in this configuration, a typo in it was silently accepted until the day it is turned on
    text = f"input: 8x8x2\nblocks:\n  b:\n    args: {{k: 1}}\n    layers: [relu]\nlayers:\n  - b\n  - {entry}\n"
    with pytest.raises(ConvCalcError) as err:
        plan_yaml(text)
    assert err.value.format().splitlines()[0] == line


def test_a_disabled_compact_string_with_a_comparison_inside_a_placeholder():
    # '==' inside ${...} is not key=value: the names check blanks the expressions first
    text = ("input: 8x8x2\nblocks:\n  stage:\n    args: {wide: false, extra: false}\n    layers:\n"
            "      - {conv: \"3x3x${16 if wide == true else 8}\", when: \"${extra}\"}\n      - conv: 3x3x4\n"
            "layers:\n  - {stage: {extra: false}}\n")
    assert ids(plan_yaml(text)) == ["stage1.conv2"]


@pytest.mark.parametrize("bad, line", [
    ('{conv: {filters: "${f}", kernl: 3}}', "test.yaml:6:34: blocks.blk > layers[0], field 'kernl': unknown argument "
                                            "for conv 'kernl'"),
    ("{bogus_layer_type: 3}", "test.yaml:6:28: blocks.blk > layers[0]: unknown layer type 'bogus_layer_type'"),
])
def test_a_block_whose_only_use_is_off_still_has_its_names_checked(bad, line):
    # counted as used (not "defined but never used"), it was never expanded: its typos passed
    text = (f"input: 8x8x3\nblocks:\n  blk:\n    args: {{f: 2}}\n    layers:\n      - {bad}\nlayers:\n"
            "  - {conv: {filters: 4, kernel: 1}}\n  - {id: u, blk: {f: 3}, when: false}\n")
    with pytest.raises(ConvCalcError) as err:
        plan_yaml(text)
    assert err.value.format().splitlines()[0] == line


def test_a_disabled_entry_values_are_not_read():
    # filters 0 would be refused, but this entry is off: only its names are checked
    text = "input: 8x8x2\nlayers:\n  - relu\n  - {conv: {filters: '${0}', kernel: 3}, when: false}\n"
    assert ids(plan_yaml(text)) == ["relu1"]


def test_ids_inside_a_use_are_local():
    plan = plan_yaml(net("conv: 1x1x4", "{basic: {filters: 4}}", "{basic: {filters: 4}}"))
    inputs = {lp.node.id: lp.node.inputs for lp in plan.layers}
    # `input` inside a use is that use's input; `main` is that use's own main
    assert inputs["basic1.conv1"] == ["conv1"]
    assert inputs["basic1.add1"] == ["basic1.main", "conv1"]  # the disabled `short` names the input
    assert inputs["basic2.conv1"] == ["basic1.relu2"]  # a use's output is its last layer
    assert inputs["basic2.add1"] == ["basic2.main", "basic1.relu2"]


def test_from_a_block_use_or_a_repeat_names_its_output():
    plan = plan_yaml(net("{id: layer1, basic: {filters: 4}, repeat: 2}", "{id: head, conv: 1x1x2, from: layer1}",
                         "{concat: , from: [layer1, head]}"))
    inputs = {lp.node.id: lp.node.inputs for lp in plan.layers}
    assert inputs["head"] == ["layer1.1.relu2"]
    assert inputs["concat1"] == ["layer1.1.relu2", "head"]
    assert plan.output == (10, 12, 4 + 2)


NESTED = BASIC + """
  stage:
    args: {filters: required, blocks: 2}
    layers:
      - {id: first, basic: {filters: "${filters}", stride: 2}}
      - {id: rest, basic: {filters: "${filters}"}, repeat: "${blocks - 1}"}
layers:
  - {id: s1, stage: {filters: 8, blocks: 3}}
"""


def test_nested_blocks_join_ids_with_dots():
    plan = plan_yaml(NESTED)
    assert ids(plan) == ([f"s1.first.{i}" for i in USE_PROJECTED]
                         + [f"s1.rest.{k}.{i}" for k in range(3 - 1) for i in USE])
    scopes = {lp.node.id: lp.node.scope for lp in plan.layers}
    assert scopes["s1.first.conv1"] == ("s1", "s1.first")
    assert scopes["s1.rest.1.main"] == ("s1", "s1.rest", "s1.rest.1")
    assert plan.params == basic_params(4, 8, True) + 2 * basic_params(8, 8, False)
    assert check(plan).passed


def test_json_path_block_and_groups():
    doc = plan_dict(plan_yaml(NESTED))
    layer = next(x for x in doc["layers"] if x["id"] == "s1.rest.1.main")
    assert (layer["path"], layer["block"]) == (["s1", "s1.rest", "s1.rest.1"], "basic")
    groups = {g["id"]: g for g in doc["groups"]}
    assert groups["s1"] == {"id": "s1", "kind": "block", "type": "stage", "count": 1, "output": "s1.rest.1.relu2"}
    assert groups["s1.rest"]["kind"] == "repeat" and groups["s1.rest"]["count"] == 2


# --------------------------------------------------------------------------------------------
# errors: each names the file and line of the layer and the path of the use


def run(tmp_path, text, *args):
    spec = tmp_path / "net.yaml"
    spec.write_text(text)
    result = CliRunner().invoke(main, ["plan", str(spec), *args])
    return spec, result


B = len(BASIC.splitlines())  # net(...) puts `layers:` on line B + 1 and its first entry on B + 2

ERRORS = [
    ("inside a repeated use", net("{id: layer2, basic: {filters: 0}, repeat: 2}"),
     "error: {f}:7:26: layers[0] (basic layer2.0) > layers[0], field 'filters': expected a positive integer, got 0"),
    ("shape error inside a use: a shortcut is needed", net("{id: b, basic: {filters: 6}}"),
     "error: {f}:13:9: layers[0] (basic b) > layers[6] (add), field 'from': inputs b.main (10x12x6) and input "
     "(10x12x4) do not broadcast: axis 2 is 6 vs 4 (sizes must match or be 1)"),
    ("unknown argument", net("{basic: {filter: 4}}"),
     f"error: {{f}}:{B + 2}:14: layers[0], field 'filter': unknown argument for block basic 'filter'"),
    ("missing required argument", net("{basic: {stride: 2}}"),
     f"error: {{f}}:{B + 2}:13: layers[0], field 'filters': block basic needs 'filters'"),
    ("argument of the wrong type", net("{basic: {filters: 4, project: 1}}"),
     f"error: {{f}}:{B + 2}:26: layers[0], field 'project': block argument 'project' must be true or false, got 1"),
    ("string argument", net("{basic: {filters: same}}"),
     f"error: {{f}}:{B + 2}:14: layers[0], field 'filters': block argument 'filters' must be an integer or true/false, got 'same'"),
    ("a bad expression in an argument", net('{basic: {filters: "${4 ** 2}"}}'),
     f"error: {{f}}:{B + 2}:23: layers[0], field 'filters': in ${{4 ** 2}}: '**' (powers) is not supported"),
    ("a top-level id is not visible inside", BASIC.replace("from: [main, short]", "from: [main, conv9]") + "layers:\n  - conv: 1x1x4\n  - {basic: {filters: 4}}\n",
     f"error: {{f}}:13:23: layers[1] (basic basic1) > layers[6], field 'from': from names 'conv9', which is not a layer id"),
    ("when must be a boolean", net('{conv: 1x1x4, when: "${1 + 1}"}'),
     f"error: {{f}}:{B + 2}:25: layers[0], field 'when': when must be true or false, got 2"),
    ("repeat must be positive", net("{conv: 1x1x4, repeat: 0}"),
     f"error: {{f}}:{B + 2}:27: layers[0], field 'repeat': repeat must be a positive integer, got 0"),
    ("index outside a repeat", net('{conv: {filters: "${index}", kernel: 1}}'),
     f"error: {{f}}:{B + 2}:22: layers[0], field 'filters': in ${{index}}: unknown name 'index'"),
    ("a dotted id", net("{id: a.b, conv: 1x1x4}"),
     f"error: {{f}}:{B + 2}:10: layers[0], field 'id': id must be a name without dots, got 'a.b'"),
    ("a misspelt block", net("{basik: {filters: 4}}"),
     f"error: {{f}}:{B + 2}:13: layers[0]: unknown layer type 'basik'"),
    ("a block named like a layer type", "input: 8x8x1\nblocks:\n  conv: {layers: [relu]}\nlayers: [relu]\n",
     "error: {f}:3:3: blocks.conv: block name 'conv' is already a layer type"),
    ("an unknown block key", "input: 8x8x1\nblocks:\n  b: {layer: [relu]}\nlayers: [relu]\n",
     "error: {f}:3:7: blocks.b, field 'layer': unknown block key 'layer'"),
    ("a reserved argument name", "input: 8x8x1\nblocks:\n  b: {args: {index: 1}, layers: [relu]}\nlayers: [relu]\n",
     "error: {f}:3:14: blocks.b, field 'index': argument name 'index' must be a name other than and, else, false, "
     "if, index, input, not, or, true"),
    ("recursion", "input: 8x8x1\nblocks:\n  a: {layers: [b]}\n  b: {layers: [relu, a]}\nlayers: [a]\n",
     "error: {f}:3:3: blocks.a: block 'a' uses itself: a > b > a"),
    ("disabled merge", net("{add: , from: [input, input], when: false}"),
     f"error: {{f}}:{B + 2}:5: layers[0], field 'when': an entry disabled by when needs exactly one input "
     "(it becomes that input)"),
    ("a block takes one input", net("{basic: {filters: 4}, from: [input, input]}"),
     f"error: {{f}}:{B + 2}:5: layers[0], field 'from': block basic takes one input, got 2"),
]


@pytest.mark.parametrize("name,text,line", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(tmp_path, name, text, line):
    spec, result = run(tmp_path, text)
    assert result.exit_code == 2, result.output
    first = result.output.splitlines()[0]
    expected = line.replace("{f}", str(spec))
    assert first == expected if not expected.endswith(": ") else first.startswith(expected)
    assert "Traceback" not in result.output


def test_did_you_mean_for_arguments_and_blocks(tmp_path):
    assert run(tmp_path, net("{basic: {filter: 4}}"))[1].output.splitlines()[1] == "  hint: did you mean 'filters'?"
    assert run(tmp_path, net("{basik: {filters: 4}}"))[1].output.splitlines()[1] == "  hint: did you mean 'basic'?"


def test_expansion_limit(tmp_path):
    ok = "input: 4x4x1\nlayers:\n  - {relu: , repeat: %d}\n"
    plan = plan_yaml(ok % 1000)
    assert len(plan.layers) == 1000
    spec, result = run(tmp_path, ok % (MAX_LAYERS + 1))
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == (
        f"error: {spec}:3:5: layers[0]: the network expands to more than {MAX_LAYERS:,} layers")


def test_expansion_limit_counts_nested_repeats(tmp_path, monkeypatch):
    # 40 uses x 40 relus = 1,600 layers against a limit lowered to 1,000: 25 uses x 40 = 1,000 fit,
    # so the 26th use, b1.25, is named as the one that overflows
    monkeypatch.setattr("convcalc.spec.expand.MAX_LAYERS", 1000)
    text = ("input: 4x4x1\nblocks:\n  b: {layers: [{relu: , repeat: 40}]}\n"
            "layers:\n  - {b: , repeat: 40}\n")
    _, result = run(tmp_path, text)
    assert result.exit_code == 2
    assert result.output.splitlines()[0].endswith(
        "layers[0] (b b1.25) > layers[0]: the network expands to more than 1,000 layers")


def chain(n: int) -> str:
    """n blocks, each using the next; the last holds one relu: n levels of nesting."""
    blocks = "".join(f"  b{i}: {{layers: [b{i + 1}]}}\n" for i in range(n - 1)) + f"  b{n - 1}: {{layers: [relu]}}\n"
    return f"input: 4x4x1\nblocks:\n{blocks}layers: [b0]\n"


def test_nesting_limit(tmp_path):
    plan = plan_yaml(chain(MAX_NESTING))
    assert len(plan.layers[0].node.scope) == MAX_NESTING
    _, result = run(tmp_path, chain(MAX_NESTING + 1))
    assert result.exit_code == 2
    assert result.output.splitlines()[0].endswith(f"blocks are nested more than {MAX_NESTING} deep")


# --------------------------------------------------------------------------------------------
# --depth: layers deeper than N fold into one row per block use, with summed counts

DEPTH_NET = net("conv: {filters: 4, kernel: 3, padding: same}", "{id: layer1, basic: {filters: 4}, repeat: 2}",
                "{id: layer2, basic: {filters: 8, stride: 2}}")


def table_rows(output: str) -> dict[str, list[str]]:
    """Markdown rows by their layer cell."""
    rows = [line.strip("|").split("|") for line in output.splitlines() if line.startswith("| ")]
    return {cells[1].strip(): [c.strip() for c in cells] for cells in rows[1:]}


def test_depth_1_folds_each_top_level_use(tmp_path):
    _, result = run(tmp_path, DEPTH_NET, "--depth", "1", "--format", "markdown")
    rows = table_rows(result.output)
    assert list(rows) == ["conv1", "layer1", "layer2"]
    # '#', layer, type, output, kernel, params, non-train., MACs
    assert rows["layer1"][:4] == ["1-14", "layer1", "basic x2", "10x12x4"]
    assert rows["layer1"][5] == f"{2 * basic_params(4, 4, False):,}"
    assert rows["layer1"][6] == f"{2 * (2 * 4 + 2 * 4)}"  # two batchnorms per use, 2C moving statistics each
    assert rows["layer2"][:4] == ["15-22", "layer2", "basic", "5x6x8"]
    assert rows["layer2"][7] == f"{5 * 6 * 8 * 4 * 9 + 5 * 6 * 8 * 8 * 9 + 5 * 6 * 8 * 4:,}"  # conv1 + conv2 + short


def test_depth_2_shows_the_repetitions(tmp_path):
    _, result = run(tmp_path, DEPTH_NET, "--depth", "2", "--format", "markdown")
    rows = table_rows(result.output)
    assert list(rows) == ["conv1", "layer1.0", "layer1.1", "layer2.conv1", "layer2.batchnorm1", "layer2.relu1",
                          "layer2.conv2", "layer2.main", "layer2.short", "layer2.add1", "layer2.relu2"]
    assert rows["layer1.1"][5] == f"{basic_params(4, 4, False):,}"


def test_depth_explain_writes_the_sums(tmp_path):
    _, result = run(tmp_path, DEPTH_NET, "--depth", "1", "--explain")
    lines = [line.strip() for line in result.output.splitlines()]
    c, f = 4, 8
    terms = [9 * c * f, 4 * f, 9 * f * f, 4 * f, c * f]  # conv1, batchnorm1, conv2, main, short
    assert f"layer2  params: {' + '.join(f'{t:,}' for t in terms)} = {sum(terms):,}" in lines
    macs = [5 * 6 * 8 * 4 * 9, 5 * 6 * 8 * 8 * 9, 5 * 6 * 8 * 4]
    assert f"layer2  MACs: {' + '.join(f'{m:,}' for m in macs)} = {sum(macs):,}" in lines


def test_depth_explain_sums_one_term_per_repetition(tmp_path):
    _, result = run(tmp_path, DEPTH_NET, "--depth", "1", "--explain")
    one = basic_params(4, 4, False)
    assert f"  layer1  params: {one:,} + {one:,} = {2 * one:,}" in result.output.splitlines()


def test_the_example_network():
    # ResNet-14 (CIFAR widths 16/32/64, two basic blocks per stage, projection where the shape changes)
    from pathlib import Path

    import convcalc

    plan = convcalc.plan(str(Path(__file__).resolve().parent.parent / "examples" / "resnet-basic-block.yaml"))
    stem = 9 * 3 * 16 + 4 * 16
    stages = (2 * basic_params(16, 16, False)
              + basic_params(16, 32, True) + 4 * 32 + basic_params(32, 32, False)  # + the projection's batchnorm
              + basic_params(32, 64, True) + 4 * 64 + basic_params(64, 64, False))
    assert plan.params == stem + stages + 10 * (64 + 1) == 176_378
    assert plan.output == (10,)
    assert [g for g in plan.groups if "." not in g] == ["layer1", "layer2", "layer3"]


def test_depth_check_marks_folded_rows(tmp_path):
    spec, result = run(tmp_path, DEPTH_NET)
    result = CliRunner().invoke(main, ["check", str(spec), "--depth", "1", "--format", "markdown"])
    assert result.exit_code == 0
    assert [row[-1] for row in table_rows(result.output).values()] == ["✓", "✓", "✓"]


def test_depth_marks_a_folded_row_with_a_mismatch(tmp_path, monkeypatch):
    # a deliberately wrong conv rule: the executor catches it and the row of the use shows it
    from convcalc.layers import REGISTRY
    from convcalc.layers.base import LayerType

    conv = REGISTRY["conv"]

    def wrong(node, inputs, ctx):
        result = conv.infer(node, inputs, ctx)
        result.macs = result.macs + 1
        return result

    monkeypatch.setitem(REGISTRY, "conv", LayerType(**{**conv.__dict__, "infer": wrong}))
    spec, _ = run(tmp_path, DEPTH_NET)
    result = CliRunner().invoke(main, ["check", str(spec), "--depth", "1", "--format", "markdown"])
    assert result.exit_code == 1
    assert [row[-1] for row in table_rows(result.output).values()] == ["✗ macs", "✗ macs", "✗ macs"]


@pytest.mark.parametrize("args,message", [
    (["--depth", "1", "--format", "json"], "error: <cli>: field 'depth': --depth folds the rows of the table and markdown "
                                           "output, not json"),
    (["--depth", "0"], "error: <cli>: Invalid value for '--depth': 0 is not in the range"),
], ids=["json", "zero"])
def test_depth_usage_errors(tmp_path, args, message):
    _, result = run(tmp_path, DEPTH_NET, *args)
    assert result.exit_code == 2
    assert message in result.output


def test_json_ignores_nothing_and_lists_every_layer(tmp_path):
    _, result = run(tmp_path, DEPTH_NET, "--format", "json")
    doc = json.loads(result.output)
    assert len(doc["layers"]) == 1 + 2 * len(USE) + len(USE_PROJECTED)
    assert doc["layers"][1]["path"] == ["layer1", "layer1.0"]
    assert doc["layers"][0]["path"] == [] and doc["layers"][0]["block"] is None


def test_flags_after_a_file_continue_from_its_last_entry(tmp_path):
    # the file ends with a repeat and has a disabled relu1: a --relu flag is relu2 and reads r.1
    text = "input: 8x8x2\nlayers:\n  - conv: 1x1x3\n  - {relu: , when: false}\n  - {id: r, relu: , repeat: 2}\n"
    _, result = run(tmp_path, text, "--relu", "--conv", "1x1x4", "--format", "json")
    layers = json.loads(result.output)["layers"]
    assert [(x["id"], x["from"]) for x in layers] == [
        ("conv1", ["input"]), ("r.0", ["conv1"]), ("r.1", ["r.0"]), ("relu2", ["r.1"]), ("conv2", ["relu2"])]


WORDS = [None, 0, 1, 2, -1, True, False, "x", "${a}", "${a + 1}", "${index}", [1, 2], {"a": 1}, "3x3x${a}",
         "required", "${", "input", "b1", "a.b", "conv1"]
ENTRY = st.fixed_dictionaries(
    {}, optional={"id": st.sampled_from(WORDS), "from": st.sampled_from(WORDS), "repeat": st.sampled_from(WORDS),
                  "when": st.sampled_from(WORDS)},
).flatmap(lambda keys: st.builds(lambda t, v: {t: v, **keys},
                                 st.sampled_from(["conv", "relu", "add", "concat", "b1", "b2", "bogus"]),
                                 st.sampled_from(WORDS + [{"filters": 2, "kernel": 1}, {"a": 2}, {"a": "${a}"}])))
DOCS = st.fixed_dictionaries({
    "input": st.just("6x6x2"),
    "layers": st.lists(ENTRY | st.sampled_from(WORDS), max_size=4),
    "blocks": st.dictionaries(st.sampled_from(["b1", "b2", "conv", "b 3"]),
                              st.fixed_dictionaries({"layers": st.lists(ENTRY, max_size=3)},
                                                    optional={"args": st.sampled_from(WORDS + [{"a": 2}, {"a": "required"}])}),
                              max_size=2),
})


@settings(max_examples=200, deadline=None)
@given(DOCS)
def test_any_spec_plans_or_gives_a_located_error(doc):
    try:
        plan_yaml(yaml.safe_dump(doc))
    except ConvCalcError as exc:
        assert exc.loc is not None and exc.message
