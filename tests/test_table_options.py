"""--columns, the RF column, and the warning for input pixels a stride leaves unused."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from helpers import plan_layers

from convcalc.cli import main
from convcalc.render.columns import COLUMNS


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def header(output: str) -> list[str]:
    line = next(line for line in output.splitlines() if line.strip().startswith("#"))
    return line.split()


def test_columns_choose_the_table():
    result = run("plan", "--input", "28x28x1", "--conv", "7x7x8,stride=2,padding=3", "--maxpool", "2",
                 "--columns", "output,params,macs,rf,memory")
    assert result.exit_code == 0, result.output
    assert header(result.output) == ["#", "layer", "output", "params", "MACs", "RF", "act.", "bytes"]
    rows = [line.split() for line in result.output.splitlines() if line.strip()[:1].isdigit()]
    # conv 7x7/2: size 7, jump 2; pool 2/2: 7+(2-1)*2 = 9, jump 4. Bytes 14*14*8*4, 7*7*8*4
    assert rows[0] == ["0", "conv1", "14x14x8", f"{8 * (7 * 7 + 1)}", f"{14 * 14 * 8 * 7 * 7:,}", "7x7", "/2",
                       f"{14 * 14 * 8 * 4:,}"]
    assert rows[1] == ["1", "maxpool1", "7x7x8", "0", "0", "9x9", "/4", f"{7 * 7 * 8 * 4:,}"]


def test_all_columns_and_markdown():
    result = run("plan", "--input", "8x8x1", "--conv", "3x3x2", "--columns", "all", "--format", "markdown")
    head = next(line for line in result.output.splitlines() if line.startswith("| #"))
    assert head == "| " + " | ".join(h for h, _, _ in COLUMNS.values()) + " |"


def test_check_column_is_kept_when_checking():
    result = run("check", "--input", "8x8x1", "--conv", "3x3x2", "--columns", "rf")
    assert header(result.output) == ["#", "layer", "RF", "check"]


@pytest.mark.parametrize("given,line", [
    ("outptu,rf", "error: <cli>: field 'columns': unknown column 'outptu'\n  hint: did you mean 'output'?"),
    ("", "error: <cli>: field 'columns': --columns is empty"),
    ("all,rf", "error: <cli>: field 'columns': 'all' means every column and stands alone"),  # hint was: did you mean 'all'?
    ("params,params", "error: <cli>: field 'columns': column 'params' is given twice"),  # it kept one, silently
], ids=["typo", "empty", "all-and-more", "twice"])
def test_unknown_column_is_a_usage_error(given, line):
    result = run("plan", "--input", "8x8x1", "--conv", "3x3x2", "--columns", given)
    assert result.exit_code == 2
    assert result.stderr.startswith(line)


@pytest.mark.parametrize("args,line", [
    (["--columns", "output", "--format", "csv"],
     "error: <cli>: field 'columns': --columns chooses the columns of the table and markdown output, not csv"),
    (["--columns", "output", "--format", "json"],
     "error: <cli>: field 'columns': --columns chooses the columns of the table and markdown output, not json"),
    (["--explain", "--format", "csv"],
     "error: <cli>: field 'explain': --explain adds the formulas to the table and markdown output, not csv"),
], ids=["columns-csv", "columns-json", "explain-csv"])
def test_table_options_with_a_format_without_a_table_are_refused(args, line):
    # they were silently dropped; --explain --format json is fine: JSON always has the formulas
    result = run("plan", "--input", "8x8x1", "--conv", "3x3x2", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith(line)


UNUSED = [
    # id, input, conv, expected (axis, pixels): (n + pads - eff) % s
    ("valid-stride", "6x12x1", "conv: {filters: 1, kernel: [3, 4], stride: [2, 3]}", [(0, (6 - 3) % 2), (1, (12 - 4) % 3)]),
    ("right-padding-absorbs-it", "6x10x1", "conv: {filters: 1, kernel: 3, stride: 2, padding: [[0, 1], [0, 0]]}",
     [(1, (10 - 3) % 2)]),
    ("padding-is-what-is-left", "6x6x1", "conv: {filters: 1, kernel: 3, stride: 2, padding: 1}", []),
    ("tf-same-never", "7x10x1", "conv: {filters: 1, kernel: 4, stride: 3, padding: same}", []),
    ("ceil-mode-never", "8x11x1", "maxpool: {kernel: 3, stride: [2, 3], ceil_mode: true}", []),
    ("pool-floor-drops", "8x11x1", "maxpool: {kernel: 3, stride: [2, 3]}", [(0, (8 - 3) % 2), (1, (11 - 3) % 3)]),
    ("dilated", "10x9x1", "conv: {filters: 1, kernel: 3, dilation: [2, 3], stride: 2}", [(0, (10 - 5) % 2), (1, (9 - 7) % 2)]),
    # a window smaller than its stride skips pixels everywhere by design (ResNet's 1x1/2 shortcut)
    ("subsampling-1x1", "32x31x1", "conv: {filters: 1, kernel: 1, stride: 2}", []),
]


@pytest.mark.parametrize("inp,layer,expected", [u[1:] for u in UNUSED], ids=[u[0] for u in UNUSED])
def test_unused_input_pixels(inp, layer, expected):
    plan = plan_layers(inp, layer)
    assert [(w.axis, w.pixels) for w in plan.warnings] == [e for e in expected if e[1]]


def test_unused_input_warning_in_table_and_json():
    args = ["plan", "--input", "6x12x1", "--layer", "conv kernel=3x4,filters=1,stride=2x3"]
    text = " ".join(run(*args).output.split())
    assert "Warning: conv1: stride 2 drops the last 1 pixel of axis 0 (windows of 3 end at pixel 4 of 0..5)" in text
    doc = json.loads(run(*args, "--format", "json").output)
    assert [(w["kind"], w["layer"], w["axis"], w["pixels"]) for w in doc["warnings"]] == [
        ("unused_input", "conv1", 0, 1), ("unused_input", "conv1", 1, 2)]
    assert run(*args).exit_code == 0  # a warning, not an error
