"""A GitHub-flavoured Markdown table: for pull requests and docs."""

from __future__ import annotations

from typing import Any

from ..engine import Plan, display_shape
from ..memory import explain_totals
from .columns import RIGHT
from .common import md, md_code, size_text
from .rows import row_cells, row_explain, rows
from .summary import check_lines, columns, mismatch_map, notice_lines, totals_lines


def render(plan: Plan, report: Any = None, *, explain: bool = False, depth: int | None = None,
           chosen: tuple[str, ...] | None = None) -> str:
    names = columns(plan, report, chosen)
    lines = [
        f"**{md(plan.name or 'model')}**: input {md(size_text(display_shape(plan.input_shape, plan.layout)))} "
        f"({plan.layout}), kernels {plan.kernel_layout}",
        "",
        "| " + " | ".join(names) + " |",
        "|" + "|".join("---:" if name in RIGHT else "---" for name in names) + "|",
    ]
    bad = mismatch_map(report)
    shown = rows(plan, depth)
    for item in shown:
        row = row_cells(plan, item, report, bad)
        lines.append("| " + " | ".join(md(row[name]) for name in names) + " |")
    lines.append("")
    if explain:
        for item in shown:
            label, explained = row_explain(plan, item)
            lines.extend(f"- {md_code(label)} {md(line)}" for line in explained)
        lines.extend(f"- {md(line)}" for line in explain_totals(plan))
        lines.append("")
    lines.extend(f"{md(line)}  " for line in notice_lines(plan) + totals_lines(plan) + check_lines(plan, report))
    return "\n".join(lines) + "\n"
