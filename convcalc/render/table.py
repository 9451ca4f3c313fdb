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
from .fit import DROP_ORDER, WRAPS, fit
from .rows import row_cells, row_explain, rows
from .summary import check_lines, columns, mismatch_map, notice_lines, totals_lines


def _table(plan: Plan, report: Any, shown: list[Any], names: list[str], plain: bool = False) -> Table:
    """The layer table with these columns; ``plain``: numbers without thousands separators."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for name in names:
        table.add_column(name, justify="right" if name in RIGHT else "left", no_wrap=name != WRAPS, overflow="fold")
    bad = mismatch_map(report)
    for item in shown:
        row = row_cells(plan, item, report, bad)
        # Text, not markup: a layer id such as "[red]" or "[/x]" is shown as written
        texts = {name: Text(value.replace(",", "") if plain and name in RIGHT else value) for name, value in row.items()}
        if "check" in row:
            texts["check"].stylize("green" if row["check"] in ("✓", "ok") else "red")
        table.add_row(*(texts[name] for name in names))
    return table


def render(plan: Plan, report: Any = None, *, explain: bool = False, depth: int | None = None,
           chosen: tuple[str, ...] | None = None, width: int | None = None) -> Group:
    """The title, the table and the totals. Given a ``width``, the table is fitted to it: default
    columns are dropped (render/fit.py), columns chosen with --columns never are."""
    title = (f"{plan.name or 'model'}: input {size_text(display_shape(plan.input_shape, plan.layout))} "
             f"({plan.layout}), kernels {plan.kernel_layout}")
    shown = rows(plan, depth)
    table = fit(lambda names, plain: _table(plan, report, shown, names, plain), columns(plan, report, chosen), width,
                droppable=DROP_ORDER if chosen is None else ())
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
