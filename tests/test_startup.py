"""Start-up is a feature: `plan --format json` must not import numpy or rich (timings: bench/)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import sys
from convcalc.cli import main
try:
    main([{args}], standalone_mode=False)
finally:
    print("LOADED", " ".join(m for m in ("numpy", "rich", "jsonschema", "sympy", *{extra}) if m in sys.modules),
          file=sys.stderr)
"""


def loaded(*args: str, extra: tuple[str, ...] = ()) -> set[str]:
    code = PROBE.format(args=", ".join(repr(a) for a in args), extra=repr(extra))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    line = [ln for ln in proc.stderr.splitlines() if ln.startswith("LOADED")][-1]
    return set(line.split()[1:])


def test_plan_json_imports_neither_numpy_nor_rich():
    assert loaded("plan", "examples/seed-two-convs.yaml", "--format", "json") == set()


def test_plan_table_imports_rich_but_not_numpy():
    assert loaded("plan", "examples/seed-two-convs.yaml") == {"rich"}


def test_check_imports_numpy():
    assert "numpy" in loaded("check", "examples/seed-two-convs.yaml", "--format", "json")


def test_flags_only_never_import_yaml():
    """PyYAML is for spec files: a network given by flags alone is checked without it."""
    seen = loaded("check", "--input", "8x8x1", "--conv", "3x3x2", "--format", "json", extra=("yaml",))
    assert "yaml" not in seen
    assert "numpy" in seen  # the probe sees imports


YAML_ONLY = ("convcalc.spec.blocks", "convcalc.spec.expand", "convcalc.spec.expr", "convcalc.budgets")


def test_flags_without_budgets_skip_blocks_expansion_and_budgets():
    """Blocks, their expansion and budgets are loaded only for the specs and flags that use them."""
    assert loaded("check", "--input", "8x8x1", "--conv", "3x3x2", extra=YAML_ONLY) == {"numpy", "rich"}
    assert "convcalc.budgets" in loaded("plan", "--input", "8x8x1", "--conv", "3x3x2", "--max-params", "1k",
                                        "--format", "json", extra=YAML_ONLY)
    yaml_spec = loaded("plan", "examples/seed-two-convs.yaml", "--format", "json", extra=YAML_ONLY)
    assert {"convcalc.spec.blocks", "convcalc.spec.expand"} <= yaml_spec
