"""The per-layer table (rich). Returns a renderable; only the CLI prints."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..engine import Plan, display_shape
from ..memory import explain_totals
from .columns import RIGHT
from .common import size_text
from .rows import row_cells, row_explain, rows
from .summary import check_lines, columns, mismatch_map, notice_lines, totals_lines


def render(plan: Plan, report: Any = None, *, explain: bool = False, depth: int | None = None,
           chosen: tuple[str, ...] | None = None) -> Group:
    title = (f"{plan.name or 'model'}: input {size_text(display_shape(plan.input_shape, plan.layout))} "
             f"({plan.layout}), kernels {plan.kernel_layout}")
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    names = columns(plan, report, chosen)
    for name in names:
        table.add_column(name, justify="right" if name in RIGHT else "left", no_wrap=True)
    bad = mismatch_map(report)
    shown = rows(plan, depth)
    for item in shown:
        row = row_cells(plan, item, report, bad)
        if "check" in row:
            row["check"] = f"[red]{row['check']}[/red]" if row["check"] != "✓" else f"[green]{row['check']}[/green]"
        table.add_row(*(row[name] for name in names))
    parts: list[Any] = [Text(title, style="bold"), table]
    if explain:
        parts.append(Text("How each number is computed:", style="bold"))
        for item in shown:
            label, lines = row_explain(plan, item)
            parts.extend(Text(f"  {label}  {line}") for line in lines)
        parts.extend(Text(f"  {line}") for line in explain_totals(plan))
    parts.extend(Text(line, style="yellow" if line.startswith("Warning") else "") for line in notice_lines(plan))
    parts.extend(Text(line) for line in totals_lines(plan))
    for line in check_lines(plan, report):
        parts.append(Text(line, style="green" if report.status == "passed" else "bold red"))
    return Group(*parts)
