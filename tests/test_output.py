"""Output hygiene: plain text without a terminal or with NO_COLOR, tables that fit the width
without cutting a number, csv, --quiet, --output, usage errors, exit codes, shell completion."""

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from convcalc.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
SEED = ROOT / "examples" / "seed-two-convs.yaml"  # 4,800 parameters
HUGE = ["--input", "200000x200000x3", "--conv", "3x3x16", "--maxpool", "2", "--flatten", "--dense", "10"]
ANSI = "\x1b["


def run(*args, env=None):
    return CliRunner(env=env or {}).invoke(main, [str(a) for a in args], prog_name="convcalc")


COLOUR = [
    # (environment, colour expected): rich colours only a terminal (FORCE_COLOR fakes one)
    ({}, False),
    ({"FORCE_COLOR": "1"}, True),
    ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
    ({"FORCE_COLOR": "1", "NO_COLOR": ""}, True),  # no-color.org: an empty NO_COLOR is unset
]


@pytest.mark.parametrize("env,colour", COLOUR, ids=["pipe", "terminal", "terminal-NO_COLOR", "terminal-empty-NO_COLOR"])
def test_colour_only_on_a_terminal_without_no_color(env, colour):
    result = run("check", SEED, env=env)
    assert result.exit_code == 0
    assert (ANSI in result.output) == colour


def test_piped_process_output_is_plain():
    proc = subprocess.run([sys.executable, "-m", "convcalc", "check", str(SEED)], capture_output=True,
                          text=True, cwd=ROOT, env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"}, check=True)
    assert ANSI not in proc.stdout and "Verified on real tensors" in proc.stdout


def numbers_in(doc: dict) -> list[str]:
    """Every layer's params and MACs as plain digits."""
    return [str(layer[key]) for layer in doc["layers"] for key in ("params", "macs")]


CASES = ([pytest.param(["plan", str(p)], id=p.name) for p in EXAMPLES]
         + [pytest.param(["check", str(ROOT / "examples" / "seed-filterbank.yaml")], id="check seed-filterbank"),
            pytest.param(["plan", *HUGE], id="200000x200000x3")])


@pytest.mark.parametrize("width", [80, 60])
@pytest.mark.parametrize("args", CASES)
def test_tables_fit_the_width_and_never_cut_a_number(args, width):
    result = run(*args, env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= width
    assert "…" not in result.output
    table = result.output.replace(",", "")
    doc = json.loads(run(*args, "--format", "json").output)
    for number in numbers_in(doc):
        assert re.search(rf"(?<![\d,]){re.escape(number)}(?![\d,])", table), number


DROPPED = [
    # (width, the header of the seed-filterbank check table): type first, then non-train., #, kernel
    (100, ["#", "layer", "type", "output", "kernel", "params", "non-train.", "MACs", "check"]),
    (85, ["#", "layer", "output", "kernel", "params", "non-train.", "MACs", "check"]),
    (75, ["#", "layer", "output", "kernel", "params", "MACs", "check"]),
    (68, ["layer", "output", "kernel", "params", "MACs", "check"]),
    (60, ["layer", "output", "params", "MACs", "check"]),
]


@pytest.mark.parametrize("width,header", DROPPED, ids=[str(d[0]) for d in DROPPED])
def test_columns_are_dropped_in_order(width, header):
    result = run("check", ROOT / "examples" / "seed-filterbank.yaml", env={"COLUMNS": str(width)})
    assert result.output.splitlines()[2].split() == header


def test_chosen_columns_are_never_dropped():
    result = run("check", ROOT / "examples" / "seed-filterbank.yaml", "--columns", "type,output,kernel,params,macs",
                 env={"COLUMNS": "60"})
    assert result.output.splitlines()[2].split() == ["#", "layer", "type", "output", "kernel", "params", "MACs", "check"]
    assert "…" not in result.output and "17280000" in result.output  # separators dropped instead


def test_too_narrow_keeps_numbers_whole_and_drops_separators():
    result = run("plan", *HUGE, env={"COLUMNS": "40"})
    assert "17279654401728" in result.output and "…" not in result.output


def test_piped_without_columns_keeps_every_column():
    assert run("check", ROOT / "examples" / "seed-filterbank.yaml").output.splitlines()[2].split()[:3] == ["#", "layer", "type"]


def test_csv_one_row_per_layer_numbers_raw():
    result = run("check", ROOT / "examples" / "seed-filterbank.yaml", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    doc = json.loads(run("check", ROOT / "examples" / "seed-filterbank.yaml", "--format", "json").stdout)
    assert len(rows) == len(doc["layers"]) == 6
    assert rows[0] == {
        "index": "0", "id": "conv1", "type": "conv", "from": "input", "input_shape": "1000x80x3",
        "output_shape": "500x40x32", "kernel_shape": "3x3x3x32", "bias_shape": "32", "params": "896",
        "trainable_params": "896", "non_trainable_params": "0", "macs": "17280000",
        "activation_elements": str(500 * 40 * 32), "check": "ok",
    }
    assert [int(r["params"]) for r in rows] == [layer["params"] for layer in doc["layers"]]


def test_csv_symbolic_sizes():
    result = run("plan", "--input", "Tx80x3", "--conv", "3x3x8,stride=2,padding=same", "--format", "csv")
    row = next(csv.DictReader(io.StringIO(result.stdout)))
    assert (row["output_shape"], row["macs"]) == ("ceil(T/2)x40x8", "8640*ceil(T/2)")  # 40*8*3*3*3 per row
    # a compound size is parenthesised as in the table: T-2x4 could not be read back
    result = run("plan", "--input", "Tx3", "--conv", "3x4", "--flatten", "--dense", "2", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["output_shape"], r["kernel_shape"]) for r in rows] == [("(T-2)x4", "3x3x4"), ("(4*T-8)", ""),
                                                                      ("2", "(4*T-8)x2")]


def test_quiet_prints_nothing_on_success():
    result = run("check", SEED, "--quiet")
    assert (result.exit_code, result.output) == (0, "")


def test_quiet_still_reports_errors():
    result = run("plan", "--input", "4x4x1", "--conv", "5x5x3", "--quiet", "--format", "json")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith("error: <cli>: --conv (layer flag #1) (conv), field 'kernel': kernel 5 is larger")


@pytest.mark.parametrize("fmt", ["json", "csv", "markdown", "table"])
def test_output_file_holds_what_stdout_would(tmp_path, fmt):
    target = tmp_path / f"out.{fmt}"
    result = run("plan", SEED, "--format", fmt, "--output", target, env={"FORCE_COLOR": "1"})
    assert (result.exit_code, result.output) == (0, "")
    written = target.read_text()
    plain = run("plan", SEED, "--format", fmt).output
    assert ANSI not in written
    if fmt == "table":  # written without the padding rich adds to fill the table's width
        plain = "\n".join(line.rstrip() for line in plain.split("\n"))
    assert written == plain


def test_output_file_gets_the_json_error_document(tmp_path):
    target = tmp_path / "out.json"
    result = run("plan", "--input", "4x4x1", "--conv", "5x5x3", "--format", "json", "--output", target)
    assert result.exit_code == 2 and result.stdout == ""
    assert json.loads(target.read_text())["error"]["field"] == "kernel"


def test_output_file_that_cannot_be_written(tmp_path):
    target = tmp_path / "missing-dir" / "out.json"
    result = run("plan", SEED, "--output", target)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == f"error: {target}: field '--output': cannot write the output file: No such file or directory"


def test_output_never_overwrites_the_spec(tmp_path):
    spec = tmp_path / "net.yaml"
    spec.write_text(SEED.read_text())
    result = run("plan", spec, "--output", spec, "--format", "json")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == f"error: <cli>: --output {spec} is the spec file itself; it would be overwritten"
    assert spec.read_text() == SEED.read_text()


def test_json_error_when_the_output_file_itself_fails(tmp_path):
    # the document goes to stdout, the message once (it was printed twice, the document lost)
    target = tmp_path / "missing-dir" / "out.json"
    result = run("plan", SEED, "--output", target, "--format", "json")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {target}: field '--output': cannot write the output file: No such file or directory"]
    assert json.loads(result.stdout)["error"]["field"] == "--output"


@pytest.mark.parametrize("where", ["--output", "-o", "--output="])
def test_a_usage_error_document_goes_to_the_output_file(tmp_path, where):
    # as README's CI example promises: the artifact holds the error document (it went to stdout)
    target = tmp_path / "ci.json"
    given = [where + str(target)] if where.endswith("=") else [where, target]
    result = run("plan", SEED, "--max-params", "5X", "--format", "json", *given)
    assert result.exit_code == 2 and result.stdout == ""
    assert json.loads(target.read_text())["error"]["message"].startswith("Invalid value for '--max-params'")


@pytest.mark.parametrize("args", [
    ["{spec}", "--max-params", "5X", "--format", "json", "--output", "{spec}"],
    ["--format", "json", "--input", "-o", "{spec}", "--batch", "0"],  # click: -o is the input, net.yaml the spec
])
def test_a_usage_error_never_overwrites_the_spec(tmp_path, args):
    spec = tmp_path / "net.yaml"
    spec.write_text(SEED.read_text())
    result = run("plan", *[a.replace("{spec}", str(spec)) for a in args])
    assert result.exit_code == 2
    assert spec.read_text() == SEED.read_text()
    assert json.loads(result.stdout)["error"]["kind"] == "usage"


def test_a_usage_error_replaces_the_last_json_document(tmp_path):
    target = tmp_path / "ci.json"
    target.write_text(run("plan", SEED, "--format", "json").stdout)  # yesterday's run
    result = run("plan", SEED, "--max-params", "5X", "--format", "json", "--output", target)
    assert result.exit_code == 2 and result.stdout == ""
    assert json.loads(target.read_text())["error"]["kind"] == "usage"


def test_failures_reach_stderr_when_the_output_goes_to_a_file(tmp_path):
    result = run("plan", SEED, "--max-params", "1k", "--output", tmp_path / "out.txt")
    assert result.exit_code == 1
    assert result.stderr == "budget params EXCEEDED: actual 4,800 > limit 1,000 (--max-params)\n"


USAGE = [
    # (arguments, first stderr line, JSON document on stdout?)
    (["plan", "--zzz"], "error: <cli>: No such option '--zzz'.", False),
    (["plan", "--format", "json", "--zzz"], "error: <cli>: No such option '--zzz'.", True),
    (["plan", "--format=json", "--quiet", "--zzz"], "error: <cli>: No such option '--zzz'.", False),
    (["plan", "--format", "xml"], "error: <cli>: Invalid value for '--format': 'xml' is not one of 'table', 'json', 'markdown', 'csv'.", False),
    (["plan", "--input"], "error: <cli>: Option '--input' requires an argument.", False),
    (["plan", "--quite"], "error: <cli>: No such option '--quite'. Did you mean '--quiet'?", False),
    (["plann"], "error: <cli>: No such command 'plann'. Did you mean 'plan'?", False),
    (["schema", "spek"], "error: <cli>: Invalid value for '{output|spec|compare}': 'spek' is not one of 'output', 'spec', 'compare'.", False),
]


@pytest.mark.parametrize("args,line,as_json", USAGE, ids=[" ".join(u[0]) for u in USAGE])
def test_usage_errors_in_convcalc_format(args, line, as_json):
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == line
    assert result.stderr.splitlines()[1].startswith("  hint: try 'convcalc")
    if as_json:
        assert json.loads(result.stdout)["error"]["kind"] == "usage"
    else:
        assert result.stdout == ""


@pytest.fixture
def broken_engine(monkeypatch):
    """A bug inside convcalc: the shape rule of conv raises an unexpected exception."""
    from convcalc.layers import REGISTRY
    from convcalc.layers.base import LayerType

    def boom(node, inputs, ctx):
        raise ZeroDivisionError("a bug")

    monkeypatch.setitem(REGISTRY, "conv", LayerType(**{**REGISTRY["conv"].__dict__, "infer": boom}))


def test_internal_error_exit_3_without_traceback(broken_engine):
    result = run("plan", *HUGE[:4], "--format", "json")
    assert result.exit_code == 3
    assert json.loads(result.stdout)["error"]["kind"] == "internal"
    assert result.stderr == "error: internal error, please report it (run with --debug for the traceback)\n"


def test_internal_error_traceback_only_with_debug(broken_engine):
    result = run("plan", *HUGE[:4], "--debug")
    assert result.exit_code == 3
    assert "Traceback" in result.stderr and "ZeroDivisionError: a bug" in result.stderr


def test_shell_completion_script_and_candidates():
    script = CliRunner(env={"_CONVCALC_COMPLETE": "bash_source"}).invoke(main, [], prog_name="convcalc")
    assert "_convcalc_completion()" in script.output
    env = {"_CONVCALC_COMPLETE": "bash_complete", "COMP_WORDS": "convcalc plan --format ", "COMP_CWORD": "3"}
    words = CliRunner(env=env).invoke(main, [], prog_name="convcalc").output.split()
    assert words == ["plain,table", "plain,json", "plain,markdown", "plain,csv"]


@pytest.mark.parametrize("encoding, cell, layer_id", [("latin-1", "ok", "caf\xe9"), ("ascii", "ok", "caf?"),
                                                      ("utf-8", "\u2713", "caf\xe9")])
def test_a_console_without_utf8_gets_what_it_can_print(tmp_path, encoding, cell, layer_id):
    # a cp1252/latin-1 console has no check mark: exit 3 (UnicodeEncodeError) before
    spec = tmp_path / "net.yaml"
    spec.write_text("input: 8x8x1\nlayers:\n  - {id: caf\xe9, conv: 3x3x2}\n", encoding="utf-8")
    env = dict(os.environ, PYTHONIOENCODING=encoding, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "convcalc", "check", str(spec)], capture_output=True, env=env)
    assert proc.returncode == 0, proc.stderr
    row = next(line for line in proc.stdout.decode(encoding).splitlines() if line.lstrip("| ").startswith("0 "))
    assert re.search(rf"[\s|]{cell}[\s|]*$", row) and layer_id in row, row


def test_markdown_escapes_what_markdown_would_read_as_markup():
    # 34560*ceil(T/2)+184320*ceil(T/4) rendered with the middle in italics, and every --explain
    # product (16*(1*3*3+1)) lost its asterisks; an id with _ or | must read as written too
    result = run("plan", "--input", "Tx80x3", "--conv", "3x3x8,stride=2,padding=same", "--explain",
                 "--format", "markdown")
    text = result.stdout
    assert "8640\\*ceil(T/2)" in text and "8640*ceil" not in text
    assert not re.search(r"(?<!\\)[*_]", text.replace("**model**", "")), "an unescaped * or _ is left"


def test_markdown_code_spans_hold_an_id_with_backticks(tmp_path):
    spec = tmp_path / "net.yaml"
    spec.write_text("input: 8x8x3\nlayers:\n  - {id: \"l`y`\", conv: 1x1x2}\n")
    text = run("plan", spec, "--format", "markdown", "--explain").stdout
    assert "- `` l`y` `` params: 2\\*(3\\*1\\*1+1) = 8" in text  # a one-backtick span ended at the id's first `
