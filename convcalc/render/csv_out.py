"""CSV (``--format csv``): a header, then one row per layer; numbers raw, shapes written 26x26x16.

Built from the JSON layer records, so both formats always agree. Standard library only.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from ..engine import Plan
from ..layers.base import parenthesised
from .json_out import layer_dict
from .summary import mismatch_map

COLUMNS = (
    "index", "id", "type", "from", "input_shape", "output_shape", "kernel_shape", "bias_shape",
    "params", "trainable_params", "non_trainable_params", "macs", "activation_elements",
)


def cell(name: str, value: Any) -> Any:
    """Shapes joined as the user writes them (26x26x16, (T-2)x4), `from` ids by spaces, None as
    empty."""
    if value is None:
        return ""
    if isinstance(value, list):
        if name == "from":
            return " ".join(value)
        return "x".join(parenthesised(v) if isinstance(v, str) else str(v) for v in value)
    return value


def render(plan: Plan, report: Any = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS + (("check",) if report is not None else ()))
    bad = mismatch_map(report)
    for lp in plan.layers:
        doc = layer_dict(plan, lp)
        row = [cell(name, doc[name]) for name in COLUMNS]
        if report is not None:
            row.append(" ".join(bad.get(lp.node.index, [])) or "ok")
        writer.writerow(row)
    return out.getvalue()
