"""Fuzzing through the CLI: random specs and mutated examples never crash convcalc.

Random specs are built from the layer registry (every type, its arguments' JSON schemas, and
junk values); the examples are mutated (keys deleted and inserted, values swapped for other
types, random strings, random bytes spliced into the text). Whatever comes in, the exit code is
0, 1 or 2, never 3 (internal error); exit 2 comes with a message starting `error:`; no
traceback; a successful JSON document validates against the output schema, and a spec the
parser accepts validates against the spec schema. Example counts are bounded to keep CI fast;
``CONVCALC_FUZZ_SCALE=20 python -m pytest tests/test_fuzz.py`` hunts 20 times longer.
"""

import json
import os
import string
import tempfile
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convcalc.cli import main
from convcalc.layers import ALIASES, REGISTRY
from convcalc.spec.jsonschema import spec_schema

ROOT = Path(__file__).resolve().parent.parent
# the examples whose check runs in a blink (mutations are run with `check` too)
EXAMPLES = sorted([*(ROOT / "examples").glob("seed-*.yaml"), ROOT / "examples" / "lenet5.yaml",
                   ROOT / "examples" / "resnet-basic-block.yaml"])
SCALE = int(os.environ.get("CONVCALC_FUZZ_SCALE", "1"))
SETTINGS = settings(max_examples=120 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SMALL = settings(max_examples=100 * SCALE, deadline=None)
SPEC_VALIDATOR = jsonschema.Draft7Validator(spec_schema())
OUTPUT_SCHEMA = json.loads(CliRunner().invoke(main, ["schema", "output"]).output)
OUTPUT_VALIDATOR = jsonschema.Draft202012Validator(OUTPUT_SCHEMA)

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 40), st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=10),
    st.text(alphabet="0123456789x,=.-", max_size=10),
)
JUNK = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                    max_leaves=6)


def from_schema(schema: dict) -> st.SearchStrategy:
    """Values a JSON schema fragment describes (small ones), as the layer arguments' coercers do."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema:
        return st.one_of([from_schema(s) for s in schema["anyOf"]])
    kind = schema.get("type")
    if kind == "integer":
        return st.integers(schema.get("minimum", -2), 6)
    if kind == "number":
        return st.floats(0, 0.99)
    if kind == "boolean":
        return st.booleans()
    if kind == "string":
        return st.text(max_size=8)
    if kind == "array":
        items = from_schema(schema.get("items", {}))
        return st.lists(items, min_size=schema.get("minItems", 0), max_size=schema.get("maxItems", 3))
    return JUNK


def mostly_valid(valid: st.SearchStrategy) -> st.SearchStrategy:
    return st.integers(0, 4).flatmap(lambda i: JUNK if i == 0 else valid)


@st.composite
def layer_entry(draw):
    name = draw(st.sampled_from(sorted({*REGISTRY, *ALIASES})))
    layer_type = REGISTRY[ALIASES.get(name, name)]
    form = draw(st.sampled_from(["mapping", "bare", "compact"]))
    if form == "bare":
        return name
    if form == "compact":
        return {name: draw(st.text(alphabet="0123456789x,=abcdefgilnprst", max_size=14))}
    names = draw(st.lists(st.sampled_from(sorted(layer_type.args) or ["none"]), unique=True, max_size=4))
    args = {arg: draw(mostly_valid(from_schema(getattr(layer_type.args[arg].coerce, "json_schema", {}))))
            for arg in names if arg in layer_type.args}
    entry = {name: args or None}
    if draw(st.integers(0, 5)) == 0:
        entry[draw(st.sampled_from(["id", "from", "bogus"]))] = draw(mostly_valid(st.sampled_from(["input", "conv1", "x"])))
    return entry


@st.composite
def random_spec(draw):
    spatial = draw(st.lists(st.integers(1, 12), min_size=1, max_size=3))
    sizes = [*spatial, draw(st.integers(1, 6))]
    spec = {"input": "x".join(map(str, sizes)), "layers": draw(st.lists(layer_entry(), min_size=1, max_size=5))}
    if draw(st.booleans()):
        spec["layout"] = draw(mostly_valid(st.sampled_from(["hwc", "chw"])))
    if draw(st.integers(0, 4)) == 0:
        spec["budgets"] = {draw(st.sampled_from(["params", "macs", "memory", "flops"])):
                           draw(mostly_valid(st.sampled_from(["1k", "5M", "1.5", 10, "2GiB"])))}
    return spec


@pytest.fixture(scope="module")
def spec_file():
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp) / "spec.yaml"


def run_and_judge(path: Path, command: str, fmt: str, data=None) -> None:
    limit = ["--max-check-memory", "256MiB"] if command == "check" else []
    result = CliRunner().invoke(main, [command, str(path), "--format", fmt, *limit])
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert result.stderr.startswith("error: "), result.stderr
    if result.exit_code in (0, 1) and fmt == "json":
        OUTPUT_VALIDATOR.validate(json.loads(result.stdout))
    # what the parser accepts, the editor schema accepts (except inside blocks: the parser checks a
    # block's layers only where the block is used, so an unused block may hold anything)
    if result.exit_code in (0, 1) and isinstance(data, dict) and "blocks" not in data:
        SPEC_VALIDATOR.validate(data)


@SETTINGS
@given(spec=random_spec(), command=st.sampled_from(["plan", "check"]), fmt=st.sampled_from(["json", "table", "csv"]))
def test_random_specs_from_the_registry(spec_file, spec, command, fmt):
    spec_file.write_text(yaml.safe_dump(spec), encoding="utf-8")
    run_and_judge(spec_file, command, fmt, spec)


def paths(doc, prefix=()):
    """Every location in a nested document: mapping keys and list indices."""
    yield prefix
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, value in items:
        yield from paths(value, prefix + (key,))


def mutate(doc, data):
    """One random edit at a random location: delete, insert a key, replace with junk or a string."""
    path = data.draw(st.sampled_from(list(paths(doc))))
    op = data.draw(st.sampled_from(["delete", "insert", "replace", "string"]))
    if not path:
        return data.draw(JUNK) if op in ("replace", "string") else doc
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if op == "delete":
        del parent[path[-1]]
    elif op == "insert" and isinstance(parent, dict):
        parent[data.draw(st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=8))] = data.draw(JUNK)
    elif op == "insert":
        parent.insert(path[-1], data.draw(JUNK))
    else:
        parent[path[-1]] = data.draw(JUNK if op == "replace" else st.text(max_size=20))
    return doc


@SETTINGS
@given(data=st.data(), command=st.sampled_from(["plan", "check"]), fmt=st.sampled_from(["json", "table", "csv"]))
def test_mutated_examples(spec_file, data, command, fmt):
    doc = yaml.safe_load(data.draw(st.sampled_from(EXAMPLES)).read_text())
    for _ in range(data.draw(st.integers(1, 3))):
        doc = mutate(doc, data)
    spec_file.write_text(yaml.safe_dump(doc), encoding="utf-8")
    run_and_judge(spec_file, command, fmt, doc)


@SMALL
@given(data=st.data())
def test_random_bytes_spliced_into_examples(spec_file, data):
    text = data.draw(st.sampled_from(EXAMPLES)).read_bytes()
    at = data.draw(st.integers(0, len(text)))
    cut = data.draw(st.integers(0, 8))
    spec_file.write_bytes(text[:at] + data.draw(st.binary(max_size=12)) + text[at + cut:])
    run_and_judge(spec_file, "plan", data.draw(st.sampled_from(["json", "table"])))


@SMALL
@given(type_name=st.sampled_from(sorted({*REGISTRY, *ALIASES, "convv"})),
       args=st.text(alphabet=string.printable, max_size=24))
def test_random_layer_flags(type_name, args):
    result = CliRunner().invoke(main, ["plan", "--input", "9x7x3", "--layer", f"{type_name} {args}"])
    assert result.exit_code in (0, 2), result.output
    assert result.exit_code == 0 or result.stderr.startswith("error: ")
