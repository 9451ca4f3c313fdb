"""The benchmark's documents stay true: README's performance table is the one bench/run.py wrote
into bench/README.md, and the generated specs it times have the layer counts it says."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from helpers import plan_yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from specs import KINDS  # noqa: E402


def _table_after(text: str, heading: str) -> str:
    section = re.search(rf"^#+ {re.escape(heading)}\n(.*?)(?=^#+ |\Z)", text, re.S | re.M)
    assert section, f"no section {heading!r}"
    rows = [line for line in section.group(1).splitlines() if line.startswith("| ")]
    assert rows, f"no table under {heading!r}"
    return "\n".join(rows)


def test_readme_quotes_the_benchmarks_targets_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    bench = (ROOT / "bench" / "README.md").read_text(encoding="utf-8")
    assert _table_after(readme, "Performance") == _table_after(bench, "Issue 7 targets")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_generated_specs_have_the_layers_they_are_named_for(kind):
    plan = plan_yaml(KINDS[kind](12))
    assert len(plan.layers) == 12
    assert [lp.node.type for lp in plan.layers[:2]] == ["conv", "relu"]
