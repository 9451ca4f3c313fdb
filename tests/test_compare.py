"""convcalc compare: one column per design, ratios against the first, JSON that validates."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from convcalc.cli import main

# one 5x5 conv against two 3x3 convs (the VGG argument): same 5x5 field, fewer parameters
ONE_5X5 = "name: one-5x5\ninput: 32x32x8\nlayers:\n  - conv: 5x5x8\n"
TWO_3X3 = "name: two-3x3\ninput: 32x32x8\nlayers:\n  - conv: 3x3x8\n  - conv: 3x3x8\n"
WIDE = "name: wide\ninput: 32x32x8\nlayers:\n  - conv: 5x5x16,stride=2\n"

P5, P3 = 8 * (8 * 25 + 1), 2 * 8 * (8 * 9 + 1)  # 1,608 and 1,168
M5, M3 = 28 * 28 * 8 * 8 * 25, 30 * 30 * 8 * 8 * 9 + 28 * 28 * 8 * 8 * 9


@pytest.fixture
def files(tmp_path):
    out = []
    for name, text in (("a", ONE_5X5), ("b", TWO_3X3), ("c", WIDE)):
        path = tmp_path / f"{name}.yaml"
        path.write_text(text)
        out.append(str(path))
    return out


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(run("schema", "compare").output)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_json_numbers_and_ratios(files, validator):
    result = run("compare", *files[:2], "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    validator.validate(doc)
    a, b = doc["designs"]
    assert (a["label"], b["label"]) == ("one-5x5", "two-3x3")
    assert (a["params"], b["params"]) == (P5, P3)
    assert (a["macs"], b["macs"], b["flops"]) == (M5, M3, 2 * M3)
    assert a["receptive_field"] == {"size": [5, 5], "jump": [1, 1], "start": [2.0, 2.0], "layer": "conv1"}
    assert b["receptive_field"] == {"size": [5, 5], "jump": [1, 1], "start": [2.0, 2.0], "layer": "conv2"}
    assert b["ratios"]["params"] == pytest.approx(P3 / P5)
    assert b["ratios"]["macs"] == pytest.approx(M3 / M5)
    assert a["ratios"]["params"] == 1.0
    # peak: a: input 8,192 + out 6,272; b: conv1 7,200 + conv2 6,272 (input freed after conv1)
    assert (a["peak_activation_bytes"], b["peak_activation_bytes"]) == ((8192 + 6272) * 4, max(8192 + 7200, 7200 + 6272) * 4)


def test_table_has_a_column_per_design_and_ratio_cells(files):
    result = run("compare", *files)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "3 designs (float32, batch 1); ratios against the first"
    assert lines[2].split() == ["one-5x5", "two-3x3", "wide"]
    params = next(line for line in lines if line.strip().startswith("params")).split()
    wide = 16 * (8 * 25 + 1)
    assert params == ["params", f"{P5:,}", f"{P3:,}", f"(x{P3 / P5:.3g})", f"{wide:,}", f"(x{wide / P5:.3g})"]
    rf = next(line for line in lines if line.strip().startswith("receptive field")).split()
    assert rf == ["receptive", "field", "5x5", "/1", "5x5", "/1", "5x5", "/2"]
    text = " ".join(result.output.split())
    assert "Warning (wide): conv1: stride 2 drops the last 1 pixel of axis 0 (windows of 5 end at pixel 30 of 0..31)" in text


def test_markdown(files):
    result = run("compare", *files[:2], "--format", "markdown", "--dtype", "float16")
    assert "| | one-5x5 | two-3x3 |" in result.output
    assert f"| param bytes | {P5 * 2:,} | {P3 * 2:,} (x{P3 / P5:.3g}) |" in result.output


def test_needs_two_files(files):
    result = run("compare", files[0])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: <cli>: compare needs at least two spec files")


def test_bad_file_is_located(files, tmp_path, validator):
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: 8x8x1\nlayers:\n  - conv: 9x9x2\n")
    result = run("compare", files[0], str(bad), "--format", "json")
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    validator.validate(doc)
    assert doc["error"]["file"] == str(bad) and doc["error"]["line"] == 3


def test_schema_rejects_a_wrong_document(files, validator):
    doc = json.loads(run("compare", *files[:2], "--format", "json").output)
    doc["designs"][1]["ratios"]["params"] = "half"
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(doc)


def test_compare_json_imports_neither_numpy_nor_rich():
    from test_startup import loaded

    assert loaded("compare", "examples/seed-two-convs.yaml", "examples/seed-count-params.yaml", "--format", "json") == set()


def test_field_of_a_classifier_is_named_where_it_ends(tmp_path):
    # the field ends at flatten: compare shows the last one, pool1's: 3+(2-1)*1 = 4, jump 2
    net = tmp_path / "net.yaml"
    net.write_text("input: 16x16x1\nlayers:\n  - conv: 3x3x4\n  - {id: pool1, maxpool: 2}\n  - flatten\n  - dense: 10\n")
    result = run("compare", str(net), str(net))
    line = next(line for line in result.output.splitlines() if line.strip().startswith("receptive field"))
    assert line.split()[2:] == ["4x4", "/2", "at", "pool1"] * 2


@pytest.mark.parametrize("r,text", [(1168 / 1608, " (x0.726)"), (138357544 / 6416, " (x21,564)"), (3e-5, " (x3.0e-05)"),
                                    (None, "")], ids=["below-1", "thousands", "tiny", "unknown"])
def test_ratio_text(r, text):
    from convcalc.render.compare_out import _ratio_text

    assert _ratio_text(r) == text


def test_output_file_quiet_and_refusing_to_overwrite_a_spec(files, tmp_path, validator):
    out = tmp_path / "cmp.json"
    result = run("compare", *files[:2], "--format", "json", "--output", str(out))
    assert (result.exit_code, result.output) == (0, "")
    validator.validate(json.loads(out.read_text()))
    result = run("compare", *files[:2], "--quiet")
    assert (result.exit_code, result.output) == (0, "")
    result = run("compare", *files[:2], "--output", files[1])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: <cli>: --output {files[1]} is the spec file itself")
    assert "two-3x3" in Path(files[1]).read_text()  # untouched


def test_a_specs_budgets_hold_in_compare_too(tmp_path, files):
    # compare planned the files and ignored their budgets: exit 0 above them
    over = tmp_path / "over.yaml"
    over.write_text(TWO_3X3 + f"budgets: {{params: {P3 - 1}, macs: {M3}}}\n")
    result = run("compare", files[0], str(over), "--format", "json")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{over}: budget params EXCEEDED: actual {P3:,} > limit {P3 - 1:,} (budgets.params in {over}:6:19)"]
    assert json.loads(result.stdout)["designs"][1]["params"] == P3  # the comparison is still written
    over.write_text(TWO_3X3 + f"budgets: {{params: {P3}}}\n")
    assert run("compare", files[0], str(over)).exit_code == 0
    over.write_text(TWO_3X3.replace("32x32x8", "Tx32x8") + "budgets: {macs: 1k}\n")
    result = run("compare", files[0], str(over))
    assert result.exit_code == 2  # compare has no --set: the hint names the spec's set:
    assert result.stderr.splitlines()[1] == "  hint: give the symbols values in the spec file (set: {T: 1000})"
