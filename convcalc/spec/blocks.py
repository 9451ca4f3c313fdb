"""``blocks:``: named sub-networks with arguments, read and checked before anything is expanded.

    blocks:
      basic:
        args: {filters: required, stride: 1}     # a default, or `required`
        layers: [...]                            # layer entries, as at the top level

A block name must not be a layer type; an argument value is an integer or a boolean. A block
may use other blocks but never itself, directly or through others: that is checked here, once,
whatever the arguments, so expansion always ends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import Loc, SpecError, did_you_mean, show
from ..layers import ALIASES, REGISTRY
from .expr import KEYWORDS
from .source import Source

BLOCK_KEYS = ("args", "layers")
ENTRY_KEYS = ("id", "from", "repeat", "when")  # what a layer entry may have besides its type
RESERVED = frozenset(KEYWORDS) | {"input", "index"}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
REQUIRED = "required"


@dataclass(frozen=True)
class Block:
    name: str
    args: dict[str, Any]  # default value, or REQUIRED
    layers: list[Any]  # the raw YAML entries
    base: tuple[Any, ...]  # where the definition is in the source: ("blocks", name)


def is_value(v: Any) -> bool:
    return isinstance(v, (int, bool))


def _arg_defaults(src: Source, name: str, raw: Any) -> dict[str, Any]:
    base = ("blocks", name, "args")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise SpecError("args must map argument names to defaults, e.g. args: {filters: required, stride: 1}",
                        loc=src.loc(base), layer=f"blocks.{name}", field="args")
    for arg, default in raw.items():
        where = {"loc": src.key_loc(base + (arg,)), "layer": f"blocks.{name}", "field": str(arg)}
        if not isinstance(arg, str) or not _NAME.fullmatch(arg) or arg in RESERVED:
            raise SpecError(f"argument name {show(arg)} must be a name other than {', '.join(sorted(RESERVED))}", **where)
        if not (is_value(default) or default == REQUIRED):
            raise SpecError(f"the default of '{arg}' must be an integer, true/false or 'required', got {show(default)}",
                            **where)
    return dict(raw)


def _block(src: Source, name: Any, raw: Any) -> Block:
    base = ("blocks", name)
    where = {"loc": src.key_loc(base), "layer": f"blocks.{name}"}
    if not isinstance(name, str) or not _NAME.fullmatch(name) or name in RESERVED:
        raise SpecError(f"block name {show(name)} must be a name (letters, digits, _) other than "
                        f"{', '.join(sorted(RESERVED))}", **where)
    if name in REGISTRY or name in ALIASES:
        raise SpecError(f"block name '{name}' is already a layer type", **where, hint="choose another name")
    if not isinstance(raw, dict):
        raise SpecError("a block is a mapping with 'layers' (and optionally 'args')", **where)
    for key in raw:
        if key not in BLOCK_KEYS:
            raise SpecError(f"unknown block key '{key}'", loc=src.key_loc(base + (key,)), layer=f"blocks.{name}",
                            field=str(key), hint=did_you_mean(str(key), BLOCK_KEYS))
    layers = raw.get("layers")
    if not isinstance(layers, list) or not layers:
        raise SpecError("a block needs a non-empty list of layers", **where, field="layers")
    return Block(name, _arg_defaults(src, name, raw.get("args")), layers, base)


def entry_type(item: Any) -> str | None:
    """The type key of a raw layer entry (a block name or a layer type), if it has exactly one."""
    if isinstance(item, str):
        return item.strip().split(" ", 1)[0]
    if isinstance(item, dict):
        keys = [k for k in item if k not in ENTRY_KEYS]
        return str(keys[0]) if len(keys) == 1 else None
    return None


def block_uses(blocks: dict[str, Block]) -> dict[str, list[str]]:
    """Per block, the blocks its entries name."""
    return {n: [t for t in map(entry_type, b.layers) if t in blocks] for n, b in blocks.items()}


def reachable(name: str, uses: dict[str, list[str]]) -> set[str]:
    """``name`` and every block it uses, directly or through others (``uses``: :func:`block_uses`)."""
    found: set[str] = set()
    todo = [name]
    while todo:
        block = todo.pop()
        if block not in found:
            found.add(block)
            todo += uses[block]
    return found


def _check_recursion(src: Source, blocks: dict[str, Block]) -> None:
    """Depth-first search over "block uses block": a path that returns to a block is a cycle."""
    uses = block_uses(blocks)
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            cycle = trail[trail.index(name):] + [name]
            raise SpecError(f"block '{name}' uses itself: {' > '.join(cycle)}", loc=src.key_loc(blocks[name].base),
                            layer=f"blocks.{name}", hint="blocks may use other blocks, but not recursively")
        if name not in done:
            for used in uses[name]:
                visit(used, trail + [name])
            done.add(name)

    for name in blocks:
        visit(name, [])


def parse_blocks(src: Source) -> dict[str, Block]:
    raw = src.data.get("blocks")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise SpecError("blocks must map block names to definitions", loc=src.loc(("blocks",)), field="blocks")
    blocks = {str(name): _block(src, name, body) for name, body in raw.items()}
    _check_recursion(src, blocks)
    return blocks


def bind_args(block: Block, given: Any, loc: Loc, key_loc: Any) -> dict[str, Any]:
    """The argument values of one use: the given ones (already substituted) over the defaults."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise SpecError(f"the arguments of block '{block.name}' are a mapping, e.g. {{{block.name}: {{...}}}}, "
                        f"got {show(given)}", loc=loc)
    for arg, value in given.items():
        if arg not in block.args:
            raise SpecError(f"unknown argument for block {block.name} '{arg}'", loc=key_loc(arg), field=str(arg),
                            hint=did_you_mean(str(arg), block.args) if block.args else "this block takes no arguments")
        default = block.args[arg]
        if not is_value(value) or (default != REQUIRED and isinstance(default, bool) != isinstance(value, bool)):
            want = "true or false" if isinstance(default, bool) else "an integer" if is_value(default) else \
                "an integer or true/false"
            raise SpecError(f"block argument '{arg}' must be {want}, got {show(value)}", loc=key_loc(arg), field=str(arg))
    missing = [a for a, d in block.args.items() if d == REQUIRED and a not in given]
    if missing:
        raise SpecError(f"block {block.name} needs '{missing[0]}'", loc=loc, field=missing[0],
                        hint=f"required arguments: {', '.join(a for a, d in block.args.items() if d == REQUIRED)}")
    return {**{a: d for a, d in block.args.items() if d != REQUIRED}, **given}
