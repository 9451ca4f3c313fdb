"""The JSON Schema of spec files (`convcalc schema spec`), generated from the layer registry.

Every registered layer type (and alias) becomes a layer-entry schema whose arguments are
described by their coercers' ``json_schema`` (see ``layers.base.describe``), so a layer type
added to the registry appears here with no further work. The schema is JSON Schema draft-07,
the draft editors support best (yaml-language-server, the VS Code YAML extension). It is an
aid for editors, slightly more permissive than the parser in places (a compact string is only
checked to be a string, a `${...}` expression may stand for any value, and in a file with
`blocks:` an entry may name any block); the parser stays the authority.
"""

from __future__ import annotations

from typing import Any

from ..budgets import BUDGETS
from ..layers import ALIASES, REGISTRY
from ..layers.base import REQUIRED, LayerType
from ..units import _QUANTITY
from .blocks import BLOCK_KEYS, ENTRY_KEYS, REQUIRED as BLOCK_REQUIRED
from .parse import KERNEL_LAYOUTS, LAYOUTS, TOP_KEYS

DRAFT = "http://json-schema.org/draft-07/schema#"
_SIZE = r"\s*([0-9]+|[A-Za-wyz_][A-Za-wyz0-9_]*)\s*"  # a size: digits or a name without 'x'
_NAME = "^[A-Za-z_][A-Za-z0-9_]*$"
EXPR = {"type": "string", "pattern": r"\$\{", "description": "a ${...} expression (block arguments, index)"}
_QUANTITY_SCHEMA = {"anyOf": [
    {"type": "integer", "minimum": 0},
    {"type": "number", "minimum": 0},
    {"type": "string", "pattern": f"^{_QUANTITY.pattern}$"},
]}


def _or_expr(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema``, or a ``${...}`` expression wherever a value may stand (list items too)."""
    inner = dict(schema)
    if "anyOf" in inner:
        inner["anyOf"] = [_or_expr(s) for s in inner["anyOf"]]
    if isinstance(inner.get("items"), dict):
        inner["items"] = _or_expr(inner["items"])
    return {"anyOf": [inner, EXPR]}


def _arg_schema(arg: Any) -> dict[str, Any]:
    schema = _or_expr(getattr(arg.coerce, "json_schema", {}))
    if arg.doc:
        schema["description"] = arg.doc
    if arg.default is not REQUIRED and isinstance(arg.default, (int, float, str, bool)):
        schema["default"] = arg.default
    return schema


def _value_schema(layer_type: LayerType) -> dict[str, Any]:
    """What may follow ``TYPE:`` in a layer entry: nothing, a compact string, a size, or arguments."""
    arguments = {
        "type": "object",
        "properties": {name: _arg_schema(arg) for name, arg in layer_type.args.items()},
        "additionalProperties": False,
    }
    required = [name for name, arg in layer_type.args.items() if arg.default is REQUIRED]
    if required:
        arguments["required"] = required
    forms: list[dict[str, Any]] = [
        {"type": "null"},
        {"type": "string", "description": "the compact form, as on the command line: SIZE,key=value,..."},
        arguments,
    ]
    if layer_type.compact is not None:
        forms.insert(2, {"type": ["integer", "number", "array"], "description": "the compact form's leading size"})
    return {"anyOf": forms}


def _entry_key_schemas() -> dict[str, Any]:
    known = {
        "id": {"type": ["string", "null"], "description": "the layer's name, for `from`"},
        "from": {"description": "the input(s): a layer id, `input`, or a list of ids",
                 "anyOf": [{"type": ["string", "null"]}, {"type": "array", "items": {"type": "string"}, "minItems": 1}]},
        "repeat": {"description": "the entry N times in sequence", "anyOf": [{"type": "integer", "minimum": 1}, EXPR]},
        "when": {"description": "false: the entry is left out, its id names its input",
                 "anyOf": [{"type": "boolean"}, EXPR]},
    }
    return {key: known.get(key, {}) for key in ENTRY_KEYS}


def _entry_schemas() -> list[dict[str, Any]]:
    """One schema per type name and alias: a mapping with that one type key plus the entry keys."""
    names = {**{name: name for name in REGISTRY}, **ALIASES}
    entries = []
    for name, canonical in sorted(names.items()):
        layer_type = REGISTRY[canonical]
        doc = layer_type.doc + ("" if name == canonical else f" (alias of {canonical})")
        entries.append({
            "type": "object",
            "description": doc,
            "required": [name],
            "properties": {name: {**_value_schema(layer_type), "description": doc}, **_entry_key_schemas()},
            "additionalProperties": False,
        })
    return entries


def _layer_schema() -> dict[str, Any]:
    names = sorted({*REGISTRY, *ALIASES})
    bare = {"type": "string", "pattern": rf"^\s*({'|'.join(names)})(\s.*)?$",
            "description": "a layer type alone (`flatten`) or with compact arguments (`conv 3x3x16`)"}
    return {"anyOf": [{"enum": names}, bare, *_entry_schemas()]}


def _use_schemas() -> list[dict[str, Any]]:
    """A use of a block (any name but a layer type's): ``{basic: {filters: 64}, repeat: 2}`` or ``- basic``."""
    value = {"anyOf": [{"type": "integer"}, {"type": "boolean"}, EXPR]}
    return [
        {"type": "object", "description": "a use of a block defined under blocks:",
         "properties": _entry_key_schemas(),
         "propertyNames": {"anyOf": [{"enum": list(ENTRY_KEYS)},
                                     {"pattern": _NAME, "not": {"enum": sorted({*REGISTRY, *ALIASES})}}]},
         "not": {"propertyNames": {"enum": list(ENTRY_KEYS)}},  # one key must name the block
         "additionalProperties": {"anyOf": [{"type": "null"}, {"type": "object", "additionalProperties": value}]}},
        {"type": "string", "pattern": r"^\s*[A-Za-z_][A-Za-z0-9_]*\s*$", "description": "a block used with its defaults"},
    ]


def _blocks_schema() -> dict[str, Any]:
    arg = {"anyOf": [{"type": "integer"}, {"type": "boolean"}, {"const": BLOCK_REQUIRED}]}
    known = {
        "args": {"type": ["object", "null"], "description": "argument defaults: an integer, true/false or 'required'",
                 "propertyNames": {"pattern": _NAME}, "additionalProperties": arg},
        "layers": {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/entry"}},
    }
    block = {"type": "object", "required": ["layers"], "additionalProperties": False,
             "properties": {key: known.get(key, {}) for key in BLOCK_KEYS}}
    return {"type": "object", "description": "named sub-networks with arguments, used like layer types",
            "propertyNames": {"pattern": _NAME}, "additionalProperties": block}


def _top_schemas() -> dict[str, Any]:
    known = {
        "name": {"type": ["string", "number"], "description": "the model's name, shown in the output"},
        "input": {"description": "the input shape, spatial sizes then channels: 28x28x1, Tx80x3 or [28, 28, 1]",
                  "anyOf": [{"type": "string", "pattern": f"^{_SIZE}(x{_SIZE})*$"},
                            {"type": "integer", "minimum": 1},
                            {"type": "array", "minItems": 1, "items": {"anyOf": [
                                {"type": "integer", "minimum": 1},
                                {"type": "string", "pattern": r"^\s*([0-9]+|[A-Za-z_][A-Za-z0-9_]*)\s*$"}]}}]},
        "layout": {"enum": list(LAYOUTS), "description": "hwc: channels last (Keras), chw: channels first (PyTorch)"},
        "kernel_layout": {"enum": list(KERNEL_LAYOUTS), "description": "kernel shape order in the output"},
        "layers": {"type": "array", "description": "the layers, in order"},  # items: see spec_schema's if/then
        "blocks": _blocks_schema(),
        "set": {"type": "object", "description": "values of the input's symbols, e.g. {T: 1000}",
                "additionalProperties": {"type": "integer", "minimum": 1}},
        "budgets": {"type": "object", "description": "CI limits: exceeding one makes convcalc exit 1",
                    "properties": {name: {**_QUANTITY_SCHEMA, "description": f"at most this many {b.what} ({b.flag})"}
                                   for name, b in BUDGETS.items()},
                    "additionalProperties": False},
    }
    # the parser treats an empty value (`layout:`) as the key left out
    return {key: {"description": known[key].get("description", ""), "anyOf": [known[key], {"type": "null"}]}
            if key in known else {} for key in TOP_KEYS}


def spec_schema() -> dict[str, Any]:
    return {
        "$schema": DRAFT,
        "$id": "https://convcalc.invalid/schemas/spec.json",
        "title": "convcalc spec file",
        "description": "A network for convcalc: input shape and layers (docs/spec-format.md).",
        "type": "object",
        "properties": _top_schemas(),
        "additionalProperties": False,
        # entries may use blocks only in a file that defines some: elsewhere an unknown type is an error
        "if": {"required": ["blocks"], "properties": {"blocks": {"type": "object"}}},
        "then": {"properties": {"layers": {"items": {"$ref": "#/definitions/entry"}}}},
        "else": {"properties": {"layers": {"items": {"$ref": "#/definitions/layer"}}}},
        "definitions": {
            "layer": _layer_schema(),
            "entry": {"anyOf": [{"$ref": "#/definitions/layer"}, *_use_schemas()]},
        },
    }
