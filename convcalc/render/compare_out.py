"""Renderers for ``convcalc compare``: a rich table, Markdown, and JSON (stdlib only).

One column per design, one row per quantity; every count of a later design carries its ratio to
the first design's (``1,792 (x0.333)``). Bytes are exact (the ``bytes`` rows). The JSON
document is described in docs/json-output.md and its schema is ``convcalc schema compare``.
"""

from __future__ import annotations

import json
from typing import Any

from .. import __version__
from ..compare import COUNTS, Design
from ..engine import display_shape
from ..fields import rf_text
from .common import dim_json, md, num, rf_dict, shape_json, size_text

SCHEMA_VERSION = 1


def _ratio_text(r: float | None) -> str:
    if r is None:
        return ""
    return f" (x{r:,.0f})" if r >= 1000 else f" (x{r:.3g})" if r >= 0.001 else f" (x{r:.1e})"


def _field_text(d: Design) -> str:
    last = d.plan.output_name
    at = "" if d.field_layer in (None, last) else f" at {d.field_layer}"
    return rf_text(d.receptive_field) + at


def _count_text(key: str, value: Any) -> str:
    if value is None:
        return "-"
    return num(value)


def rows(data: dict[str, Any]) -> list[list[str]]:
    """The table body: a label, then one cell per design."""
    entries = data["designs"]
    out = [["input"] + [size_text(display_shape(e["design"].plan.input_shape, e["design"].plan.layout)) for e in entries],
           ["output"] + [size_text(e["design"].output_shape) for e in entries]]
    for key, label, _ in COUNTS:
        out.append([label] + [_count_text(key, e["counts"][key]) + (_ratio_text(e["ratios"][key]) if i else "")
                              for i, e in enumerate(entries)])
    out.append(["receptive field"] + [_field_text(e["design"]) for e in entries])
    return out


def notice_lines(designs: list[Design]) -> list[str]:
    lines = []
    for d in designs:
        lines += [f"Note ({d.label}): {n}" for n in d.plan.notes]
        lines += [f"Warning ({d.label}): {w.message}" for w in d.plan.warnings]
    return lines


def _title(data: dict[str, Any]) -> str:
    return f"{len(data['designs'])} designs ({data['dtype']}, batch {data['batch']}); ratios against the first"


def table(data: dict[str, Any]) -> Any:
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    t.add_column("", no_wrap=True)
    for e in data["designs"]:
        t.add_column(e["design"].label, justify="right", no_wrap=True)
    for row in rows(data):
        t.add_row(*row)
    notes = [Text(line) for line in notice_lines([e["design"] for e in data["designs"]])]
    return Group(Text(_title(data), style="bold"), t, *notes)


def markdown(data: dict[str, Any]) -> str:
    labels = [e["design"].label for e in data["designs"]]
    lines = [f"**{md(_title(data))}**", "", "| | " + " | ".join(map(md, labels)) + " |", "|---|" + "---:|" * len(labels)]
    lines += ["| " + " | ".join(map(md, row)) + " |" for row in rows(data)]
    notes = notice_lines([e["design"] for e in data["designs"]])
    return "\n".join(lines + ([""] + [f"{md(n)}  " for n in notes] if notes else [])) + "\n"


def design_dict(entry: dict[str, Any]) -> dict[str, Any]:
    d: Design = entry["design"]
    return {
        "label": d.label,
        "file": d.file,
        "model": d.plan.name,
        "layout": d.plan.layout,
        "input_shape": shape_json(display_shape(d.plan.input_shape, d.plan.layout)),
        "output_shape": shape_json(d.output_shape),
        **{key: None if value is None else dim_json(value) for key, value in entry["counts"].items()},
        "receptive_field": None if d.receptive_field is None else {**rf_dict(d.receptive_field), "layer": d.field_layer},
        "ratios": entry["ratios"],
        "notes": list(d.plan.notes),
        "warnings": [w.message for w in d.plan.warnings],
    }


def to_json(data: dict[str, Any]) -> str:
    doc = {
        "schema_version": SCHEMA_VERSION,
        "convcalc_version": __version__,
        "dtype": data["dtype"],
        "batch": data["batch"],
        "designs": [design_dict(e) for e in data["designs"]],
    }
    return json.dumps(doc, indent=2)
