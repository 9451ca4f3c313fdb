"""The plan path's fast paths keep its behaviour: libyaml reads what PyYAML's Python loader
reads, with the same errors; coercion remembered per (type, arguments) never mixes up values
that compare equal; the one-layer-per-line JSON is the same document.

Speed itself is measured by bench/run.py, never asserted here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from convcalc.cli import main
from convcalc.errors import SpecError
from convcalc.render.json_out import dumps
from convcalc.spec.yamlsrc import _FastLoader, _Loader, load_yaml

def both(text: str):
    """The document read by libyaml (when installed) and by PyYAML's pure-Python loader."""
    return load_yaml(text, "t.yaml", _FastLoader), load_yaml(text, "t.yaml", _Loader)


EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_libyaml_and_python_loaders_give_the_same_data_and_positions(path):
    fast, slow = both(path.read_text(encoding="utf-8"))
    assert fast.data == slow.data
    assert fast.locs == slow.locs and fast.key_locs == slow.key_locs


@pytest.mark.parametrize("text", [
    "a: {b: , c: 1}\n",
    "x: [a, {b:   }]\n",
    "- {a: }\n- b:    \n",
    "input: 8x8x1\nlayers:\n  - conv:\n  - relu\n",
], ids=["flow-map", "flow-map-in-seq", "flow-and-block", "block"])
def test_empty_values_are_located_where_pythons_loader_puts_them(text):
    fast, slow = both(text)
    assert fast.locs == slow.locs


@pytest.mark.parametrize("text", [
    "layers: [1, 2\n",
    "input: 8x8x1\nlayers:\n  - conv: {filters: 2\n",
    "a: b: c\n",
    "input: 8x8x1\n  bad: indent\n",
    "a: \udc80\n",
], ids=["open-flow-seq", "open-flow-map", "nested-colon", "bad-indent", "surrogate"])
def test_a_broken_document_gets_pythons_wording_and_position(text):
    with pytest.raises(Exception) as fast:
        load_yaml(text, "t.yaml")
    with pytest.raises(Exception) as slow:
        load_yaml(text, "t.yaml", _Loader)
    shown = [e.format() if isinstance(e, SpecError) else str(e) for e in (fast.value, slow.value)]
    assert type(fast.value) is type(slow.value) and shown[0] == shown[1]


def test_remembered_coercion_does_not_take_1_for_true():
    """`bias: true` coerced first must not let `bias: 1` (an error on its own) through."""
    spec = ("input: 8x8x1\nlayers:\n  - conv: {filters: 2, kernel: 3, bias: true}\n"
            "  - conv: {filters: 2, kernel: 3, bias: 1}\n")
    with pytest.raises(SpecError, match="expected true or false, got 1"):
        load_yaml_plan(spec)


def test_remembered_coercion_hands_out_separate_argument_dicts():
    plan = load_yaml_plan("input: 8x8x1\nlayers:\n  - conv: 3x3x2\n  - conv: 3x3x2\n")
    a, b = (lp.node.args for lp in plan.layers)
    assert a == b and a is not b


def load_yaml_plan(text: str):
    from helpers import plan_yaml

    return plan_yaml(text)


def test_json_one_layer_per_line_is_the_same_document():
    result = CliRunner().invoke(main, ["plan", "--input", "28x28x1", "--conv", "3x3x16", "--conv", "3x3x32",
                                       "--format", "json"])
    doc = json.loads(result.output)
    assert dumps(doc) + "\n" == result.output
    assert json.loads(dumps(doc)) == json.loads(json.dumps(doc, indent=2))
    lines = result.output.splitlines()
    assert [ln for ln in lines if ln.startswith('    {"index"')] == [
        "    " + json.dumps(layer) + ("," if i == 0 else "") for i, layer in enumerate(doc["layers"])]
    # braces, one line per top-level key, the layers on lines of their own and the closing bracket
    assert len(lines) == 2 + len(doc) + len(doc["layers"]) + 1


def test_without_libyaml_the_python_loader_reads_specs():
    """PyYAML built without libyaml (no CSafeLoader) still loads and plans every example."""
    import subprocess
    import sys

    code = ("import yaml\ndel yaml.CSafeLoader\nimport convcalc\nfrom convcalc.spec import yamlsrc\n"
            "assert yamlsrc._FastLoader is yamlsrc._Loader\n"
            f"for path in {[str(p) for p in EXAMPLES]!r}:\n    convcalc.plan(path)\nprint('ok')\n")
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert proc.stdout.strip() == "ok", proc.stderr


@pytest.mark.parametrize("items", [
    [{"index": 0}],
    [{"index": 0, "id": "a"}, {"index": 1, "id": "b"}, {"index": 2, "id": "c"}],
    [{"a": 1, "b": [{"a": 2}, {"a": 3}]}, {"a": 4}],
    [{"index": 0, "s": '}, {"index": '}, {"index": 1}],
    [{"x": 1}, {"y": 2}],
    [{}, {}],
], ids=["one", "three", "nested-same-key", "marker-in-a-string", "different-keys", "empty"])
@pytest.mark.parametrize("batch", [2000, 2])
def test_items_encoded_in_one_call_are_each_items_own_json(monkeypatch, items, batch):
    from convcalc.render import json_out

    monkeypatch.setattr(json_out, "ENCODE_BATCH", batch)  # 2: the three items cross a batch boundary
    assert json_out._encoded_items(items) == [json.dumps(item) for item in items]
