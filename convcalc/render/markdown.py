"""A GitHub-flavoured Markdown table: for pull requests and docs."""

from __future__ import annotations

from typing import Any

from ..engine import Plan, display_shape
from .common import size_text
from .rows import row_cells, row_explain, rows
from .summary import check_lines, columns, mismatch_map, totals_lines

RIGHT = {"#", "params", "non-train.", "MACs"}


def render(plan: Plan, report: Any = None, *, explain: bool = False, depth: int | None = None) -> str:
    names = columns(plan, report)
    lines = [
        f"**{plan.name or 'model'}**: input {size_text(display_shape(plan.input_shape, plan.layout))} "
        f"({plan.layout}), kernels {plan.kernel_layout}",
        "",
        "| " + " | ".join(names) + " |",
        "|" + "|".join("---:" if name in RIGHT else "---" for name in names) + "|",
    ]
    bad = mismatch_map(report)
    shown = rows(plan, depth)
    for item in shown:
        row = row_cells(plan, item, report, bad)
        lines.append("| " + " | ".join(row[name] for name in names) + " |")
    lines.append("")
    if explain:
        for item in shown:
            label, explained = row_explain(plan, item)
            lines.extend(f"- `{label}` {line}" for line in explained)
        lines.append("")
    lines.extend(f"{line}  " for line in totals_lines(plan) + check_lines(plan, report))
    return "\n".join(lines) + "\n"
