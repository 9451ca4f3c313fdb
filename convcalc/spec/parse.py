"""Turn YAML data or CLI flag values into a :class:`ModelSpec`, checking every key.

Each layer's arguments are coerced here against the layer type's schema, so an error points at
the exact file, line and field. Unknown keys are errors with a "did you mean".
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from ..dims import is_symbol_name
from ..errors import Loc, SpecError, did_you_mean, show
from ..input_limits import MAX_FILE_BYTES, check_int, int_from_text
from ..layers import lookup
from ..layers.base import REQUIRED
from .compact import parse_compact
from .model import Flag, LayerSpec, ModelSpec, Size
from .source import Source

TOP_KEYS = ("name", "input", "layout", "kernel_layout", "blocks", "layers", "set", "budgets")
LAYOUTS = ("hwc", "chw")
KERNEL_LAYOUTS = ("hwio", "oihw")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_keys(keys: Any, allowed: Any, what: str, loc_of: Any) -> None:
    """An error for the first of ``keys`` not ``allowed`` (``what``: "argument for conv"), with a
    did-you-mean, at ``loc_of(key)``."""
    for key in keys:
        if key not in allowed:
            kind, _, owner = what.partition(" for ")  # "argument for relu": relu takes no arguments
            hint = did_you_mean(str(key), allowed) if allowed else f"{owner or 'it'} takes no {kind}s"
            raise SpecError(f"unknown {what} '{key}'", loc=loc_of(key), field=str(key), hint=hint)


def _refuse_a_name_cut_at_x(text: str, items: list[str], loc: Loc) -> None:
    """``max_lenx80x3`` splits into ``ma``, ``_len``...: a piece after an ``x`` that starts with
    ``_`` was most likely a name with an x in it (``T_x80x3`` is T_ by 80 by 3, and stays so).
    Say so rather than plan an input of the wrong rank."""
    for i, piece in enumerate(items[1:], 1):
        if piece.startswith("_") and items[i - 1]:
            name = f"{items[i - 1]}x{piece}"
            listed = ", ".join(items[: i - 1] + [name] + items[i + 1:])
            raise SpecError(f"input shape {show(text)}: 'x' separates the sizes, so the name {name!r} is cut in two",
                            loc=loc, field="input", hint=f"name the symbol without an x, or give the input as a "
                                                         f"list in a spec file: input: [{listed}]")


def parse_shape(value: Any, loc: Loc) -> tuple[Size, ...]:
    """``28x28x1`` / ``Tx80x3`` / ``[28, 28, 1]``: sizes are positive ints or symbol names."""
    items = value.split("x") if isinstance(value, str) else value
    if isinstance(value, str):
        _refuse_a_name_cut_at_x(value, items, loc)
    if isinstance(value, int) and not isinstance(value, bool):
        items = [value]
    if not isinstance(items, list) or not items:
        raise SpecError(f"input shape must look like 28x28x1 or [28, 28, 1], got {show(value)}", loc=loc, field="input")
    sizes: list[Size] = []
    for item in items:
        item = item.strip() if isinstance(item, str) else item
        try:
            if isinstance(item, str) and item.isdigit() and item.isascii():
                item = int_from_text(item)
            check_int(item)
        except SpecError as exc:
            raise SpecError(f"{exc.message} (input shape)", loc=loc, field="input") from None
        ok = (isinstance(item, int) and not isinstance(item, bool) and item > 0) or (
            isinstance(item, str) and _NAME.fullmatch(item)
        )
        if not ok:
            raise SpecError(
                f"size {show(item)} in input shape {show(value)} is neither a positive integer nor a name",
                loc=loc, field="input", hint="write sizes like 28x28x1, or Tx80x3 with a symbol T",
            )
        if isinstance(item, str) and not is_symbol_name(item):
            raise SpecError(f"{item!r} in input shape {show(value)} cannot name a size: ceil, floor, max, min "
                            "and Python keywords are reserved", loc=loc, field="input", hint="choose another symbol name, e.g. T")
        sizes.append(item)
    return tuple(sizes)


_COERCED: dict[Any, tuple[str, dict[str, Any]]] = {}  # (type, frozen arguments) -> coerced, for valid ones


def _frozen(value: Any) -> Any:
    """A hashable, type-exact image of YAML data (so ``true`` and ``1`` differ)."""
    if isinstance(value, dict):
        return ("map",) + tuple((k, _frozen(v)) for k, v in value.items())
    if isinstance(value, list):
        return ("seq",) + tuple(_frozen(v) for v in value)
    return (type(value), value)


def coerce_args(
    type_name: str, raw: Any, loc: Loc, arg_locs: dict[str, Loc], key_locs: dict[str, Loc] | None = None
) -> tuple[str, dict[str, Any]]:
    """Resolve the type name and coerce its arguments: a mapping, a compact string, a number or None.

    Coercion is a pure function of the type and the arguments, so a large spec's repeated layers
    are coerced once (only valid arguments are remembered: errors are raised afresh, located)."""
    key = (type_name, _frozen(raw))
    if key not in _COERCED:
        _COERCED[key] = _coerce_args(type_name, raw, loc, arg_locs, key_locs)
    name, args = _COERCED[key]
    return name, dict(args)


def _coerce_args(
    type_name: str, raw: Any, loc: Loc, arg_locs: dict[str, Loc], key_locs: dict[str, Loc] | None = None
) -> tuple[str, dict[str, Any]]:
    try:
        layer_type = lookup(type_name)
    except SpecError as exc:
        raise exc.located(loc=loc)
    if isinstance(raw, str) and not raw.strip():  # `dropout: ''`: not the same as leaving it out
        required = [n for n, spec in layer_type.args.items() if spec.default is REQUIRED]
        hint = (f"give its {', '.join(required)}" if required else
                f"give them, or leave the value out for the defaults (in a file: - {layer_type.name}; "
                f"as a flag: --layer {layer_type.name})")
        raise SpecError(f"the arguments of {layer_type.name} are an empty string", loc=loc, hint=hint)
    if raw is None:
        given: dict[str, Any] = {}
    elif isinstance(raw, dict):
        given = dict(raw)
    else:
        size, given = parse_compact(raw) if isinstance(raw, str) else (raw, {})
        if size is not None:
            if layer_type.compact is None:
                raise SpecError(
                    f"{layer_type.name} takes no leading size (got {size!r})", loc=loc,
                    hint=f"write its arguments as key=value: {', '.join(layer_type.args) or 'none'}",
                )
            try:
                from_size = layer_type.compact(size)
            except SpecError as exc:
                exc.field = exc.field or "size"
                raise exc.located(loc=loc)
            for name in from_size.keys() & given.keys():  # neither may silently win
                raise SpecError(f"{name} is given twice: in the compact size {show(size)} and as "
                                f"{name}={show(given[name])}", loc=loc, field=name)
            given = {**from_size, **given}
    args: dict[str, Any] = {}
    schema = layer_type.args
    keys = key_locs or arg_locs
    check_keys(given, schema, f"argument for {layer_type.name}", lambda k: keys.get(k, loc))
    for name, spec in schema.items():
        where = arg_locs.get(name, loc)
        if name in given:
            try:
                args[name] = spec.coerce(given[name])
            except SpecError as exc:
                exc.field = name
                raise exc.located(loc=where)
        elif spec.default is REQUIRED:
            raise SpecError(f"{layer_type.name} needs '{name}'", loc=loc, field=name, hint=spec.doc or None)
        elif spec.default is not None:
            args[name] = spec.default
    return layer_type.name, args


def _entry(src: Source, item: dict[Any, Any], base: tuple[Any, ...], path: str) -> LayerSpec:
    """One layer ``{type: arguments}`` found at ``base`` in the source (``("layers", 3)``), coerced.

    The entry keys (``id``, ``from``, ``repeat``, ``when``) and ``${...}`` are handled before, by
    the expansion (expand.py); ``item`` holds the type and its substituted arguments only."""
    ((key, raw),) = item.items()
    arg_locs = {k: src.loc(base + (key, k)) for k in raw} if isinstance(raw, dict) else {}
    key_locs = {k: src.key_loc(base + (key, k)) for k in raw} if isinstance(raw, dict) else {}
    try:
        name, args = coerce_args(str(key), raw, src.loc(base + (key,)), arg_locs, key_locs)
    except SpecError as exc:
        raise exc.located(loc=src.loc(base + (key,)), layer=path)
    return LayerSpec(name, args, path, src.loc(base), arg_locs)


def _choice(src: Source, key: str, options: tuple[str, ...]) -> str | None:
    value = src.data.get(key)
    if value is None:
        return None
    if value not in options:
        raise SpecError(f"{key} must be {' or '.join(options)}, got {show(value)}", loc=src.loc((key,)), field=key,
                        hint=did_you_mean(str(value), options))
    return value


def _values(src: Source) -> dict[str, int]:
    raw = src.data.get("set") or {}
    if not isinstance(raw, dict):
        raise SpecError(f"set must map symbol names to integers, e.g. set: {{T: 1000}}; got {show(raw)}",
                        loc=src.loc(("set",)), field="set")
    for k, v in raw.items():
        if not (isinstance(v, int) and not isinstance(v, bool) and v > 0):
            raise SpecError(f"set.{k} must be a positive integer, got {show(v)}", loc=src.loc(("set", k)), field="set")
    return dict(raw)


def _kind(value: Any) -> str:
    """What the user gave instead, in words: 'a list', 'a string', ..."""
    kinds = ((bool, "a boolean"), (int, "an integer"), (float, "a number"), (str, "a string"),
             (list, "a list"), (dict, "a mapping"), (type(None), "nothing"))
    return next((word for t, word in kinds if isinstance(value, t)), type(value).__name__)


def parse_source(src: Source, flags: Sequence[Flag] = ()) -> ModelSpec:
    """The spec of a parsed YAML file; ``flags`` (CLI layer flags) are appended to its top-level
    layers and expanded with them, so that a flag may also use one of the file's blocks."""
    data = src.data
    if not isinstance(data, dict):
        raise SpecError(f"a spec must be a mapping with 'input' and 'layers', got {_kind(data)} {show(data)}", loc=src.loc(()))
    check_keys(data, TOP_KEYS, "top-level key", lambda k: src.key_loc((k,)))
    layers = data.get("layers")
    if layers is None:
        layers = []
    if not isinstance(layers, list):
        raise SpecError(f"layers must be a list, got {_kind(layers)} {show(layers)}", loc=src.loc(("layers",)), field="layers")
    inp = data.get("input")
    name = data.get("name")
    if name is not None and (isinstance(name, bool) or not isinstance(name, (str, int, float))):
        raise SpecError(f"name must be a string, got {_kind(name)} {show(name)}", loc=src.loc(("name",)), field="name")
    shape = parse_shape(inp, src.loc(("input",))) if inp is not None else None
    # a YAML spec's own machinery, loaded here so that CLI flags never pay for it
    from .blocks import parse_blocks
    from .expand import expand

    expanded = expand(src, parse_blocks(src), layers, _entry, flags)
    values = _values(src)
    return ModelSpec(
        input=shape,
        layers=expanded.layers,
        groups=expanded.groups,
        aliases=expanded.aliases,
        output=expanded.output,
        name=str(name) if name is not None else None,
        layout=_choice(src, "layout", LAYOUTS) or "hwc",
        kernel_layout=_choice(src, "kernel_layout", KERNEL_LAYOUTS),
        values=values,
        value_locs={name: src.loc(("set", name)) for name in values},
        file=src.file,
        input_loc=src.loc(("input",)),
        layers_loc=src.loc(("layers",)),
        budgets=_budgets(src, data.get("budgets")),
    )


def _budgets(src: Source, raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    from ..budgets import parse_budgets

    return parse_budgets(raw, src.loc, src.key_loc)


def _read(path: str) -> str:
    """The file's text, or a located SpecError (missing, a directory, too large, not UTF-8)."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise SpecError("no such file", loc=Loc(path)) from None
    except IsADirectoryError:
        raise SpecError("is a directory, not a spec file", loc=Loc(path)) from None
    except OSError as exc:
        raise SpecError(f"cannot read the file: {exc.strerror}", loc=Loc(path)) from None
    if len(data) > MAX_FILE_BYTES:
        raise SpecError(f"the file is larger than {MAX_FILE_BYTES >> 20} MiB; is it really a spec?", loc=Loc(path))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"not a UTF-8 text file (byte {exc.start}: {data[exc.start:exc.start + 1]!r})",
                        loc=Loc(path)) from None


def load_file(path: str, flags: Sequence[Flag] = ()) -> ModelSpec:
    """The spec in the YAML file at ``path``, with the CLI layer ``flags`` appended to its layers."""
    from .yamlsrc import load_yaml  # PyYAML only when there is a file

    return parse_source(load_yaml(_read(path), path), flags)


def flag_layer(flag: Flag) -> LayerSpec:
    """One CLI layer flag (``--conv 3x3x16,s=2``) as a LayerSpec located at ``<cli>`` (the flags
    of a spec without a file; with a file they are expanded with it, see :func:`load_file`)."""
    loc, path = Loc("<cli>"), flag.path
    try:
        name, args = coerce_args(flag.type, flag.text, loc, {})
    except SpecError as exc:
        raise exc.located(loc=loc, layer=path)
    return LayerSpec(name, args, path, loc)
