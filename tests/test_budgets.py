"""Budgets for CI (--max-params/--max-macs/--max-memory, YAML budgets:) and the quantities they read.

The seed network (28x28x1, conv 3x3x16, conv 3x3x32) has 4,800 parameters, 2,751,552 MACs and a
peak activation memory of 116,992 B (conv1's and conv2's outputs alive together:
(26*26*16 + 24*24*32) * 4 B); the README shows these numbers.
"""

import json

import pytest
from click.testing import CliRunner

from convcalc.cli import main
from convcalc.errors import SpecError
from convcalc.units import format_bytes, parse_quantity

SEED = ["--input", "28x28x1", "--conv", "3x3x16", "--conv", "3x3x32"]
PARAMS, MACS, PEAK = 16 * (9 + 1) + 32 * (16 * 9 + 1), 26 * 26 * 16 * 9 + 24 * 24 * 32 * 16 * 9, (26 * 26 * 16 + 24 * 24 * 32) * 4

QUANTITIES = [
    # (value, bytes?, expected)
    ("5000000", False, 5_000_000),
    ("5M", False, 5 * 10**6),
    ("1.2G", False, 12 * 10**8),
    ("1.5k", False, 1500),
    ("2K", False, 2000),
    ("3T", False, 3 * 10**12),
    ("2_000", False, 2000),
    ("1e9", False, 10**9),
    ("512MiB", True, 512 * 2**20),
    ("512Mi", True, 512 * 2**20),
    ("2GiB", True, 2 * 2**30),
    ("1.5KiB", True, 1536),
    ("2GB", True, 2 * 10**9),
    ("0", False, 0),
    (7, False, 7),
    (1.2e9, False, 1_200_000_000),  # YAML reads `1.2e+9` as a float: exact when whole
]


@pytest.mark.parametrize("value,unit_bytes,expected", QUANTITIES, ids=[str(q[0]) for q in QUANTITIES])
def test_parse_quantity(value, unit_bytes, expected):
    assert parse_quantity(value, unit_bytes=unit_bytes) == expected


BAD_QUANTITIES = [
    ("1.2345k", False, "'1.2345k' is not a whole number"),
    ("1.5", False, "'1.5' is not a whole number"),
    ("12m", False, "unknown unit suffix 'm' in '12m'"),
    ("5MB", False, "unknown unit suffix 'MB' in '5MB'"),  # B only where bytes are meant
    ("-1", False, "expected a number with an optional unit suffix, got '-1'"),
    ("5,000", False, "expected a number with an optional unit suffix, got '5,000'"),
    ("1e999999", False, "expected a number with an optional unit suffix, got '1e999999'"),
    (-3, False, "expected a number >= 0, got -3"),
    (True, False, "expected a number such as 5M or 512MiB, got True"),
    ([5], False, "expected a number such as 5M or 512MiB, got [5]"),
    (float("nan"), False, "expected a finite number, got nan"),
]


@pytest.mark.parametrize("value,unit_bytes,message", BAD_QUANTITIES, ids=[str(q[0]) for q in BAD_QUANTITIES])
def test_parse_quantity_refuses(value, unit_bytes, message):
    with pytest.raises(SpecError) as info:
        parse_quantity(value, unit_bytes=unit_bytes)
    assert info.value.message == message


@pytest.mark.parametrize("n,text", [(999, "999 B"), (1024, "1,024 B (1.00 KiB)"), (41600, "41,600 B (40.62 KiB)"),
                                    (3 << 40, "3,298,534,883,328 B (3.00 TiB)")], ids=["B", "KiB", "half-even", "TiB"])
def test_format_bytes(n, text):
    assert format_bytes(n) == text


def run(*args, **kwargs):
    return CliRunner(**kwargs).invoke(main, list(args))


CLI_BUDGETS = [
    # (flags, exit code, the budget lines shown after the table)
    (["--max-params", "5M"], 0, [f"budget params ok: actual 4,800 <= limit 5,000,000 (--max-params)"]),
    (["--max-params", "4800"], 0, ["budget params ok: actual 4,800 <= limit 4,800 (--max-params)"]),
    (["--max-params", "4799"], 1, ["budget params EXCEEDED: actual 4,800 > limit 4,799 (--max-params)"]),
    (["--max-macs", "2.7M"], 1, ["budget macs EXCEEDED: actual 2,751,552 > limit 2,700,000 (--max-macs)"]),
    (["--max-memory", "114KiB"], 1,
     ["budget memory EXCEEDED: actual 116,992 B (114.25 KiB) > limit 116,736 B (114.00 KiB) (--max-memory)"]),
    (["--max-memory", "1MiB", "--max-macs", "1.2G"], 0,
     ["budget macs ok: actual 2,751,552 <= limit 1,200,000,000 (--max-macs)",
      "budget memory ok: actual 116,992 B (114.25 KiB) <= limit 1,048,576 B (1.00 MiB) (--max-memory)"]),
]


@pytest.mark.parametrize("flags,code,lines", CLI_BUDGETS, ids=[" ".join(c[0]) for c in CLI_BUDGETS])
def test_cli_budgets_in_the_table(flags, code, lines):
    result = run("plan", *SEED, *flags)
    assert result.exit_code == code
    assert result.stdout.splitlines()[-len(lines):] == lines
    assert result.stderr == ""  # the table showed the verdict already


def test_budgets_in_json():
    result = run("plan", *SEED, "--max-params", "1k", "--max-macs", "1.2G", "--max-memory", "512MiB", "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["budgets"] == {
        "params": {"limit": 1000, "actual": PARAMS, "ok": False, "source": "--max-params"},
        "macs": {"limit": 1_200_000_000, "actual": MACS, "ok": True, "source": "--max-macs"},
        "memory": {"limit": 512 * 2**20, "actual": PEAK, "ok": True, "source": "--max-memory"},
    }
    # the data stays clean on stdout; the verdict reaches the terminal on stderr
    assert result.stderr == "budget params EXCEEDED: actual 4,800 > limit 1,000 (--max-params)\n"


def test_no_budgets_is_an_empty_section():
    assert json.loads(run("plan", *SEED, "--format", "json").stdout)["budgets"] == {}


def test_memory_budget_reads_the_peak_activation_bytes():
    doc = json.loads(run("plan", *SEED, "--max-memory", "1GiB", "--format", "json").stdout)
    assert doc["budgets"]["memory"]["actual"] == doc["totals"]["peak_activation_bytes"] == PEAK


def spec_with_budgets(tmp_path, budgets: str):
    path = tmp_path / "net.yaml"
    path.write_text(f"input: 28x28x1\nbudgets: {budgets}\nlayers:\n  - conv: 3x3x16\n  - conv: 3x3x32\n")
    return path


def test_yaml_budgets_and_flags_override_them(tmp_path):
    path = spec_with_budgets(tmp_path, "{params: 5M, macs: 1.2G, memory: 512MiB}")
    doc = json.loads(run("plan", str(path), "--format", "json").stdout)
    assert {name: (b["limit"], b["source"]) for name, b in doc["budgets"].items()} == {
        "params": (5 * 10**6, f"budgets.params in {path}:2:19"),
        "macs": (12 * 10**8, f"budgets.macs in {path}:2:29"),
        "memory": (512 * 2**20, f"budgets.memory in {path}:2:43"),
    }
    result = run("plan", str(path), "--max-params", "4k", "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["budgets"]["params"] == {"limit": 4000, "actual": PARAMS, "ok": False, "source": "--max-params"}


YAML_BUDGET_ERRORS = [
    ("{flops: 1G}", "error: {f}:2:11: field 'budgets.flops': unknown budget 'flops'", "expected one of: macs, memory, params"),
    ("{param: 1G}", "error: {f}:2:11: field 'budgets.param': unknown budget 'param'", "did you mean 'params'?"),
    ("{params: 1.5}", "error: {f}:2:19: field 'budgets.params': 1.5 is not a whole number", None),
    ("{memory: 12 apples}", "error: {f}:2:19: field 'budgets.memory': unknown unit suffix 'apples' in '12 apples'", None),
    ("[5M]", "error: {f}:2:10: field 'budgets': budgets must be a mapping such as "
             "{{params: 5M, macs: 1.2G, memory: 512MiB}}, got ['5M']", None),
]


@pytest.mark.parametrize("budgets,line,hint", YAML_BUDGET_ERRORS, ids=[c[0] for c in YAML_BUDGET_ERRORS])
def test_yaml_budget_errors(tmp_path, budgets, line, hint):
    path = spec_with_budgets(tmp_path, budgets)
    result = run("plan", str(path))
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == line.replace("{f}", str(path)).replace("{{", "{").replace("}}", "}")
    if hint:
        assert lines[1].endswith(hint)


def test_bad_budget_flag_is_a_usage_error():
    result = run("plan", *SEED, "--max-params", "12m")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "error: <cli>: Invalid value for '--max-params': unknown unit suffix 'm' in '12m' "
        "(use one of k, M, G, T, Ki, Mi, Gi, Ti: e.g. 5000000, 5M, 1.2G, 512MiB)")


def test_symbolic_counts_cannot_be_budgeted():
    result = run("plan", "--input", "Tx80x3", "--conv", "3x3x8", "--max-macs", "1G")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "error: <cli>: field '--max-macs': budget macs cannot be checked: the MACs = "
        f"{78 * 8 * 3 * 9}*T-{2 * 78 * 8 * 3 * 9} depends on symbols")  # (T-2)*78 positions * 8 filters * 3*3*3
    assert run("plan", "--input", "Tx80x3", "--conv", "3x3x8", "--max-macs", "1G", "--set", "T=100").exit_code == 0


def test_a_symbolic_count_budgeted_in_the_file_is_located_there(tmp_path):
    spec = tmp_path / "net.yaml"
    spec.write_text("input: Tx80x3\nbudgets: {macs: 1G}\nlayers:\n  - conv: 3x3x8\n")
    result = run("plan", str(spec))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {spec}:2:17: field 'budgets.macs': budget macs cannot be checked")


def test_quiet_prints_only_the_failure():
    result = run("plan", *SEED, "--max-params", "1k", "--quiet")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "budget params EXCEEDED: actual 4,800 > limit 1,000 (--max-params)\n"
    assert run("plan", *SEED, "--max-params", "1M", "--quiet").output == ""


def test_the_cli_knows_every_budget_flag():
    """compute() loads budgets.py only when one of these options is given (or the spec has budgets)."""
    from convcalc.budgets import BUDGETS
    from convcalc.cli import BUDGET_OPTIONS

    assert set(BUDGET_OPTIONS) == {b.flag[2:].replace("-", "_") for b in BUDGETS.values()}
