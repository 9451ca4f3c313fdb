"""Every JSON document convcalc emits validates against the schema it ships."""

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from helpers import check_args

from convcalc.cli import main

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.yaml"))
SEED = str(Path(__file__).resolve().parent.parent / "examples" / "seed-two-convs.yaml")


def schema_validator(which: str, draft):
    """The validator of `convcalc schema WHICH`, after checking the schema itself is valid."""
    schema = json.loads(CliRunner().invoke(main, ["schema", which]).output)
    draft.check_schema(schema)
    return draft(schema)


@pytest.fixture(scope="module")
def validator():
    return schema_validator("output", jsonschema.Draft202012Validator)


@pytest.mark.parametrize("command", ["plan", "check"])
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_validate(validator, command, path):
    smaller = check_args(path.name) if command == "check" else []
    doc = json.loads(CliRunner().invoke(main, [command, str(path), "--format", "json", *smaller]).output)
    validator.validate(doc)


def test_error_document_validates(validator, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: 8x8x1\nlayers:\n  - conv: 9x9x2\n")
    result = CliRunner().invoke(main, ["plan", str(bad), "--format", "json"])
    assert result.exit_code == 2
    validator.validate(json.loads(result.stdout))


def test_schema_rejects_a_wrong_document(validator):
    # the schema is not vacuous: a document missing its totals fails
    doc = json.loads(CliRunner().invoke(main, ["plan", str(EXAMPLES[0]), "--format", "json"]).output)
    del doc["totals"]
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(doc)


# ------------------------------------------------------------------ every kind of document

DOCUMENTS = [
    # (arguments, exit code): budgets, check failures and every kind of error
    (["plan", SEED, "--max-params", "1k", "--max-macs", "1G", "--max-memory", "1MiB"], 1),
    (["check", SEED, "--max-params", "1G"], 0),
    (["plan", "--input", "Tx80x3", "--conv", "3x3x8,stride=2,padding=same"], 0),
    (["plan", "--input", "28x28x1", "--conv", "3x3x16,strid=2"], 2),  # spec
    (["plan", "--input", "4x4x1", "--conv", "5x5x3"], 2),  # shape
    (["check", "--input", "200000x200000x3", "--conv", "3x3x8", "--max-check-memory", "1G"], 2),  # check: refused
    (["check", "--input", "Tx80x3", "--conv", "3x3x8"], 0),  # checked at sampled values of T
    (["check", SEED, "--max-check-memory", "1k"], 2),  # check: refused
    (["plan", "--max-params", "5 apples"], 2),  # usage
]


@pytest.mark.parametrize("args,code", DOCUMENTS, ids=[" ".join(d[0][1:]) for d in DOCUMENTS])
def test_every_kind_of_document_validates(validator, args, code):
    result = CliRunner().invoke(main, [*args, "--format", "json"])
    assert result.exit_code == code, result.output
    validator.validate(json.loads(result.stdout))


def test_check_failure_and_internal_error_documents_validate(validator, monkeypatch):
    from convcalc.layers import REGISTRY
    from convcalc.layers.base import LayerType

    conv = REGISTRY["conv"]

    def off_by_one(node, inputs, ctx):
        result = conv.infer(node, inputs, ctx)
        result.macs += 1
        return result

    monkeypatch.setitem(REGISTRY, "conv", LayerType(**{**conv.__dict__, "infer": off_by_one}))
    result = CliRunner().invoke(main, ["check", SEED, "--format", "json"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    validator.validate(doc)
    assert {m["quantity"] for m in doc["check"]["mismatches"]} == {"macs"}

    monkeypatch.setitem(REGISTRY, "conv", LayerType(**{**conv.__dict__, "infer": None}))  # calling None: a bug
    result = CliRunner().invoke(main, ["plan", SEED, "--format", "json"])
    assert result.exit_code == 3
    validator.validate(json.loads(result.stdout))


def test_error_document_kinds_are_closed(validator):
    doc = {"schema_version": 1, "error": {"kind": "oops", "message": "m", "file": None, "line": None,
                                          "column": None, "layer": None, "field": None, "hint": None}}
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(doc)


# ------------------------------------------------------------------ the spec schema

@pytest.fixture(scope="module")
def spec_validator():
    return schema_validator("spec", jsonschema.Draft7Validator)  # draft-07: what editors support best


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_validate_against_the_spec_schema(spec_validator, path):
    import yaml

    spec_validator.validate(yaml.safe_load(path.read_text()))


SPEC_REJECTS = [
    # (a spec the parser refuses, the schema refuses it too)
    ({"input": "28x28x1", "layer": []}, "unknown top-level key"),
    ({"input": "28x28x1", "layers": [{"convolution": "3x3x8"}]}, "unknown layer type"),
    ({"input": "28x28x1", "layers": [{"conv": {"filters": 8, "kernel": 3, "stirde": 2}}]}, "unknown argument"),
    ({"input": "28x28x1", "layers": [{"conv": {"filters": 0, "kernel": 3}}]}, "filters < 1"),
    ({"input": "28x28x1", "layers": [{"conv": {"filters": 8, "kernel": 3, "padding": "sam"}}]}, "padding word"),
    ({"input": "28x28x1", "layers": [{"conv": {"filters": 8, "kernel": 3, "bias": "yes"}}]}, "bias not a bool"),
    ({"input": "28x28x1", "layers": [{"dense": {"bias": False}}]}, "dense without units"),
    ({"input": "28x28x1", "layers": [{"dropout": {"rate": 1.5}}]}, "rate >= 1"),
    ({"input": "28x28x1", "layers": [{"relu": None, "bogus": 1}]}, "unknown entry key"),
    ({"input": "28x28x1", "layers": ["maxpooling 2"]}, "unknown type in a string"),
    ({"input": "28x-28x1"}, "negative size"),
    ({"input": "28x28x1", "layout": "nchw"}, "layout"),
    ({"input": "28x28x1", "budgets": {"flops": "1G"}}, "unknown budget"),
    ({"input": "28x28x1", "budgets": {"params": "5 apples!"}}, "bad quantity"),
]


@pytest.mark.parametrize("spec,why", SPEC_REJECTS, ids=[r[1] for r in SPEC_REJECTS])
def test_spec_schema_rejects(spec_validator, spec, why):
    with pytest.raises(jsonschema.ValidationError):
        spec_validator.validate(spec)


def test_spec_schema_lists_every_registered_type_and_alias(spec_validator):
    from convcalc.layers import ALIASES, REGISTRY

    names = spec_validator.schema["definitions"]["layer"]["anyOf"][0]["enum"]
    assert names == sorted({*REGISTRY, *ALIASES})


def test_every_argument_coercer_describes_itself():
    from convcalc.layers import REGISTRY

    missing = [f"{t.name}.{arg}" for t in REGISTRY.values() for arg, spec in t.args.items()
               if not getattr(spec.coerce, "json_schema", None)]
    assert missing == [], "give these coercers a JSON schema with layers.base.describe"


def test_a_new_layer_type_appears_in_the_schema(monkeypatch):
    from convcalc.layers import REGISTRY
    from convcalc.layers.base import Arg, LayerType, pos_int
    from convcalc.spec.jsonschema import spec_schema

    monkeypatch.setitem(REGISTRY, "shuffle", LayerType("shuffle", {"groups": Arg(pos_int)}, lambda *a: None, "channel shuffle"))
    validator = jsonschema.Draft7Validator(spec_schema())
    validator.validate({"input": "8x8x4", "layers": [{"shuffle": {"groups": 2}}]})
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({"input": "8x8x4", "layers": [{"shuffle": {}}]})  # groups is required


BLOCK_SPECS = [
    # (spec, valid?): block uses only where blocks are defined; ${...} wherever a value goes
    ({"blocks": {"b": {"args": {"f": "required"}, "layers": [{"conv": {"filters": "${f}", "kernel": 3}}]}},
      "input": "8x8x1", "layers": [{"b": {"f": 4}, "repeat": 2}, "b"]}, True),
    ({"input": "8x8x1", "layers": [{"b": {"f": 4}}]}, False),  # no blocks: b is an unknown type
    ({"input": "8x8x1", "layers": [{"conv": {"filters": 4, "kernel": ["${1 + 2}", 3]}, "when": "${true}"}]}, True),
    ({"input": "8x8x1", "layers": [{"relu": None, "repeat": 0}]}, False),
    ({"blocks": {"b": {"layers": ["relu"], "bogus": 1}}, "input": "8x8x1", "layers": ["b"]}, False),
    ({"blocks": {"b": {"layers": ["relu"]}}, "input": "8x8x1", "layers": [{"id": "x"}]}, False),  # no type at all
    ({"blocks": {"b": {"layers": ["relu"]}}, "input": "8x8x1", "layers": [{"conv": {"filtres": 4}}]}, False),
]


@pytest.mark.parametrize("spec,valid", BLOCK_SPECS, ids=["use", "use-without-blocks", "expressions", "repeat-0",
                                                         "bad-block-key", "entry-without-type", "typo-in-known-type"])
def test_spec_schema_blocks_repeat_and_expressions(spec_validator, spec, valid):
    assert spec_validator.is_valid(spec) == valid
