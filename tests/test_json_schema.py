"""Every JSON document convcalc emits validates against the schema it ships."""

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from helpers import check_args

from convcalc.cli import main

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.yaml"))


@pytest.fixture(scope="module")
def validator():
    result = CliRunner().invoke(main, ["schema", "output"])
    schema = json.loads(result.output)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


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
