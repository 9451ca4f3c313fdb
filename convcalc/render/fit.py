"""Fit a table to the terminal: drop the least useful columns, never cut a number.

Rich would shrink a table wider than the terminal by cutting cells with an ellipsis, turning
``17,279,654,401`` into ``17,279,654,4…``. Instead, columns are dropped in DROP_ORDER until the
table fits, then numbers lose their thousands separators (still exact), then long layer ids
fold onto a second line (the layer column is the only one allowed to wrap); if even that does
not fit, the table keeps its natural width and the terminal wraps the lines: nothing is cut.
"""

from __future__ import annotations

from typing import Callable

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

DROP_ORDER = ("type", "non-train.", "#", "kernel")
WRAPS = "layer"  # the one column whose text may fold (ids are names, not numbers)
MIN_WRAPPED = 10  # the narrowest the layer column is folded to, padding included

Build = Callable[[list[str], bool], Table]  # (columns, plain numbers) -> table


def natural_width(table: Table) -> int:
    console = Console(width=1 << 16, emoji=False)  # measures only; never prints
    return Measurement.get(console, console.options, table).maximum


def fit(build: Build, names: list[str], width: int | None, droppable: tuple[str, ...] = DROP_ORDER) -> Table:
    """``build(columns, plain)`` with the fewest ``droppable`` columns dropped to fit ``width``
    (None: no limit)."""
    names = list(names)
    table = build(names, False)
    if width is None or natural_width(table) <= width:
        return table
    for victim in droppable:
        if victim in names:
            names.remove(victim)
            table = build(names, False)
            if natural_width(table) <= width:
                return table
    table = build(names, True)
    if natural_width(table) <= width:
        return table
    if WRAPS in names and natural_width(build([n for n in names if n != WRAPS], True)) + MIN_WRAPPED <= width:
        return table  # rich narrows the layer column, folding its longest ids
    table.width = natural_width(table)  # too wide anyway: the terminal wraps lines, nothing is cut
    return table
