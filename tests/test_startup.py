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
    print("LOADED", " ".join(m for m in ("numpy", "rich", "jsonschema", "sympy") if m in sys.modules), file=sys.stderr)
"""


def loaded(*args: str) -> set[str]:
    code = PROBE.format(args=", ".join(repr(a) for a in args))
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
    code = PROBE.replace('"sympy")', '"sympy", "yaml")').format(
        args=", ".join(repr(a) for a in ("check", "--input", "8x8x1", "--conv", "3x3x2", "--format", "json")))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert "yaml" not in proc.stderr.splitlines()[-1].split()[1:]
    assert "numpy" in proc.stderr.splitlines()[-1].split()[1:]  # the probe sees imports
