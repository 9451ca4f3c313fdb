"""The JSON document (``--format json``): schema_version 1, see docs/json-output.md.

Standard library only, so ``plan --format json`` imports neither rich nor numpy.
"""

from __future__ import annotations

import json
from typing import Any

from .. import __version__
from ..engine import Plan, display_shape
from ..memory import bytes_of, naive_elements, peak
from .common import dim_json, explain_lines, kernel_shape, mismatch_value, out_shape, peak_bytes, rf_json, shape_json

SCHEMA_VERSION = 1


def layer_dict(plan: Plan, lp: Any) -> dict[str, Any]:
    r = lp.result
    inputs = [shape_json(display_shape(shape, plan.layout)) for shape in lp.input_shapes]
    return {
        "index": lp.node.index,
        "id": lp.node.id,
        "type": lp.node.type,
        "from": list(lp.node.inputs),
        "input_shape": list(inputs[0]),
        "input_shapes": inputs,
        "output_shape": shape_json(out_shape(plan, lp)),
        "kernel_shape": shape_json(kernel_shape(plan, lp)),
        "bias_shape": shape_json(r.bias),
        "params": dim_json(lp.params),
        "trainable_params": dim_json(r.trainable),
        "non_trainable_params": dim_json(r.non_trainable),
        "params_formula": r.params_formula,
        "macs": dim_json(r.macs),
        "macs_formula": r.macs_formula,
        "activation_elements": dim_json(lp.activation_elements),
        "activation_bytes": dim_json(bytes_of(plan, lp.activation_elements)),
        "receptive_field": rf_json(lp),
        "explain": explain_lines(plan, lp),
        "path": list(lp.node.scope),
        "block": innermost_block(plan, lp.node.scope),
    }


def innermost_block(plan: Plan, scope: tuple[str, ...]) -> str | None:
    """The name of the block whose use most closely encloses a layer (None outside blocks)."""
    kinds = [plan.groups[gid] for gid in scope if plan.groups[gid].kind == "block"]
    return kinds[-1].type if kinds else None


def groups_list(plan: Plan) -> list[dict[str, Any]]:
    return [{"id": g.id, "kind": g.kind, "type": g.type, "count": g.count, "output": g.output}
            for g in plan.groups.values()]


def totals_dict(plan: Plan) -> dict[str, Any]:
    top, note = peak_bytes(plan)
    where = peak(plan)[1]
    return {
        "params": dim_json(plan.params),
        "trainable_params": dim_json(plan.trainable),
        "non_trainable_params": dim_json(plan.non_trainable),
        "macs": dim_json(plan.macs),
        "flops": dim_json(2 * plan.macs),
        "param_bytes": dim_json(plan.param_bytes),
        "peak_activation_bytes": top if top is None or isinstance(top, str) else dim_json(top),
        "peak_activation_note": note,
        "peak_activation_layer": None if where is None else where.layer,
        "naive_activation_bytes": dim_json(bytes_of(plan, naive_elements(plan))),
        "dtype": plan.dtype,
        "batch": plan.batch,
    }


def limits_dict(plan: Plan) -> dict[str, Any]:
    """input.min_values and input.min_value_sources (see docs/json-output.md)."""
    values: dict[str, Any] = {}
    sources: dict[str, Any] = {}
    for name, lim in plan.limits.items():
        values[name] = lim.value
        req = lim.by
        sources[name] = None if req is None else {
            "index": req.index, "layer": req.layer, "requires": req.text, "what": req.name}
    return {"min_values": values, "min_value_sources": sources}


def check_dict(plan: Plan, report: Any) -> dict[str, Any]:
    out = _check_core(plan, report)
    if report.cross is not None:
        out["torch"] = {"version": report.cross.version, "layers": report.cross.layers,
                        "max_abs_diff": report.cross.max_abs_diff}
    return out


def _check_core(plan: Plan, report: Any) -> dict[str, Any]:
    return {
        "status": report.status,
        "backend": report.backend,
        "compared": report.compared,
        "receptive_field_probed": list(report.probed),
        "values": list(getattr(report, "values", [{}])),
        "mismatches": [
            {
                "at": dict(getattr(m, "at", {})),
                "index": m.index,
                "layer": m.layer_id,
                "quantity": m.quantity,
                "planned": mismatch_value(plan, m.quantity, m.planned),
                "observed": mismatch_value(plan, m.quantity, m.observed),
            }
            for m in report.mismatches
        ],
    }


def plan_dict(plan: Plan, report: Any = None, budgets: Any = ()) -> dict[str, Any]:
    """The document; ``budgets`` are the budgets.Outcome of each budget checked."""
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "convcalc_version": __version__,
        "model": plan.name,
        "layout": plan.layout,
        "kernel_layout": plan.kernel_layout,
        "input": {
            "shape": shape_json(display_shape(plan.input_shape, plan.layout)),
            "symbols": dict(plan.symbols),
            **limits_dict(plan),
        },
        "output_shape": shape_json(display_shape(plan.output, plan.layout)),
        "layers": [layer_dict(plan, lp) for lp in plan.layers],
        "groups": groups_list(plan),
        "totals": totals_dict(plan),
        "notes": list(plan.notes),
        "warnings": [
            {"kind": "unused_input", "layer": w.layer, "axis": w.axis, "pixels": w.pixels, "message": w.message}
            for w in plan.warnings
        ],
        "budgets": {b.name: b.to_dict() for b in budgets},
    }
    if report is not None:
        doc["check"] = check_dict(plan, report)
    return doc


def error_dict(exc: Any) -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, "error": exc.to_dict()}


def dumps(doc: dict[str, Any]) -> str:
    """The document with one top-level key per line and one item of a list of objects (a layer, a group) per line.

    Every item is encoded by the json module's C encoder; ``indent=`` would switch to its
    pure-Python encoder, 5x slower on a 100,000-layer plan. Same data, just laid out this way.
    """
    lines = []
    for key, value in doc.items():
        head = f"  {json.dumps(key)}: "
        if isinstance(value, list) and value and isinstance(value[0], dict):
            items = ",\n".join("    " + text for text in _encoded_items(value))
            lines.append(f"{head}[\n{items}\n  ]")
        else:
            lines.append(head + json.dumps(value))
    return "{\n" + ",\n".join(lines) + "\n}"


ENCODE_BATCH = 2000  # items per call of the C encoder (measured: 100,000 layers in 0.85 s, 1.3 s in one call)


def _encoded_items(items: list[dict[str, Any]]) -> list[str]:
    """Each object of the list as JSON, ``ENCODE_BATCH`` items per call of the C encoder, each
    call's text cut between its items: a third faster than one call per item on 10,000 layers,
    and a third faster than one call for all on 100,000, whose 70 MB of text no cache holds."""
    out: list[str] = []
    for start in range(0, len(items), ENCODE_BATCH):
        out += _encoded_batch(items[start:start + ENCODE_BATCH])
    return out


def _encoded_batch(items: list[dict[str, Any]]) -> list[str]:
    """The items all open with the same key, so ``}, {"key": `` separates them in one encoding
    of the list; it cannot occur inside a string (quotes there are escaped), and if a nested
    object repeats it the count shows it and each item is encoded on its own instead."""
    first = next(iter(items[0]), None)
    if isinstance(first, str) and all(next(iter(item), None) == first for item in items):
        opening = "{" + json.dumps(first) + ": "
        parts = json.dumps(items)[1:-1].split("}, " + opening)
        if len(parts) == len(items):
            last = len(parts) - 1
            return [("" if i == 0 else opening) + part + ("" if i == last else "}") for i, part in enumerate(parts)]
    return [json.dumps(item) for item in items]
