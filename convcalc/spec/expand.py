"""Expand the layer entries, blocks and ``repeat`` into a flat list of layers with dotted ids.

Each list of entries (the top level, or one use of a block) is a *scope*: its ids are local,
``input`` names the scope's input (the network input at the top level, the use's input inside
a block), and an entry without ``from`` reads the previous entry. An entry's id is its ``id`` or
a Keras-like default (``conv1``, ``bottleneck2``: per type, counted in file order, skipping ids
given explicitly); inside a use ``layer2.1`` the layers get ``layer2.1.conv1``... An entry with
``repeat: N`` becomes ``<id>.0`` ... ``<id>.<N-1>`` in sequence, and ``${index}`` is its
repetition number there. ``when: false`` makes the entry an identity: its id names its input.

Block uses, repeats and disabled entries are not layers: their ids are *aliases* of the layer
that produces their output (a use's output is its last entry's), resolved by the graph. Every
layer remembers its *scope*, the ids of the uses and repeats around it (outermost first).

CLI layer flags given with a file are more top-level entries after the file's (located at
``<cli>``, their arguments taken literally), so a flag may use one of the file's blocks.

Expansion is bounded: at most ``MAX_LAYERS`` layers in all (an entry disabled by ``when`` counts
as one, so no expansion is free) and ``MAX_NESTING`` nested uses.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, Sequence

from ..errors import ConvCalcError, Loc, SpecError, did_you_mean, show
from ..layers import ALIASES, REGISTRY, lookup
from .blocks import ENTRY_KEYS, Block, bind_args, block_uses, reachable
from .compact import parse_compact
from .expr import blank_placeholders, names, substitute
from .model import Flag, Group, LayerSpec, default_id
from .parse import check_keys
from .source import Source

MAX_LAYERS = 100_000
MAX_NESTING = 16
INPUT = "input"
FLAGS = "<flags>"  # the CLI layer flags' place in the source's paths

Leaf = Callable[[Source, dict, tuple, str], LayerSpec]


@dataclass(frozen=True)
class Entry:
    key: Any  # the type key as written
    type: str
    raw: Any  # the arguments, not yet substituted
    id: str | None
    sources: list[str] | None  # `from`
    item: dict[str, Any]
    base: tuple[Any, ...]  # the entry's path in the source
    path: str  # how errors name it: "layers[3]" or "layers[3] (bottleneck layer2.1) > layers[6]"
    loc: Loc


@dataclass(frozen=True)
class Scope:
    prefix: str  # "" at the top level, "layer2.1." inside that use
    env: dict[str, Any]  # the values ${...} can name
    groups: tuple[str, ...]  # the enclosing uses and repeats
    path: str  # prefix of error paths
    base: tuple[Any, ...]  # where the entries are in the source
    input: str  # what `input` means here
    nesting: int = 0


def _mapping(item: Any, loc: Loc, path: str) -> dict[Any, Any]:
    """An entry as a mapping with exactly one type key (``- flatten`` is ``{flatten: None}``)."""
    if isinstance(item, str):
        item = {item.strip(): None} if " " not in item.strip() else dict([item.strip().split(" ", 1)])
    if not isinstance(item, dict):
        raise SpecError(f"a layer must be a mapping like {{conv: ...}} or a name, got {show(item)}", loc=loc, layer=path)
    found = [str(k) for k in item if k not in ENTRY_KEYS]
    if len(found) != 1:
        raise SpecError(f"a layer entry needs exactly one layer type, found {len(found)}: {', '.join(found) or 'none'}",
                        loc=loc, layer=path, hint=f"besides the type only {', '.join(ENTRY_KEYS)} may be given")
    return item


def _entry(src: Source, item: Any, base: tuple, path: str, types: set[str]) -> Entry:
    loc = src.loc(base)
    item = _mapping(item, loc, path)
    key = next(k for k in item if k not in ENTRY_KEYS)
    if str(key) not in types:
        raise SpecError(f"unknown layer type '{key}'", loc=src.loc(base + (key,)), layer=path,
                        hint=did_you_mean(str(key), types))
    ident = item.get("id")
    if ident is not None and (not isinstance(ident, str) or not ident or "." in ident):
        raise SpecError(f"id must be a name without dots, got {show(ident)}", loc=src.loc(base + ("id",)), layer=path,
                        field="id", hint="dots join the ids of nested blocks (layer2.1.conv1)")
    sources = item.get("from")
    if sources is not None:
        sources = [sources] if isinstance(sources, str) else sources
        if not isinstance(sources, list) or not sources or not all(isinstance(x, str) for x in sources):
            raise SpecError(f"from must be a layer id or a list of ids, got {show(item['from'])}",
                            loc=src.loc(base + ("from",)), layer=path,
                            field="from")
    return Entry(key, str(key), item[key], ident, sources, item, base, path, loc)


def _names(entries: list[Entry], scope_name: str) -> list[str]:
    """Explicit ids, unique in the scope; defaults ``<type><n>`` that skip the explicit ones."""
    taken: dict[str, Entry] = {}
    for e in entries:
        if e.id is None:
            continue
        if e.id == INPUT or e.id in taken:
            other = f"the {scope_name} input" if e.id == INPUT else taken[e.id].path
            raise SpecError(f"id '{e.id}' is already used by {other}", loc=e.loc, layer=e.path, field="id")
        taken[e.id] = e
    counts: dict[str, int] = {}
    names = []
    for e in entries:
        name = e.id
        while name is None or (e.id is None and name in taken):
            counts[e.type] = counts.get(e.type, 0) + 1
            name = default_id(e.type, counts[e.type])
        names.append(name)
    return names


class Expander:
    def __init__(self, src: Source, blocks: dict[str, Block], leaf: Leaf) -> None:
        self.src, self.blocks, self.leaf = src, blocks, leaf
        self.layers: list[LayerSpec] = []
        self.groups: dict[str, Group] = {}
        self.aliases: dict[str, str] = {}
        self.count = 0
        self.output = INPUT
        self.disabled_uses: set[str] = set()  # blocks named by an entry that `when` turned off
        self.uses: dict[str, list[str]] = {}  # block -> the blocks it names (blocks.block_uses)
        self.types = set(REGISTRY) | set(ALIASES) | set(blocks)

    def scope(self, scope: Scope, items: list[Any], extra: Sequence[Entry] = ()) -> str:
        """Expand one list of entries (then ``extra``, already parsed); returns the id its last
        entry names (the scope's output)."""
        entries = [self._parse(scope, j, item) for j, item in enumerate(items)] + list(extra)
        names = _names(entries, "block" if scope.prefix else "network")
        local = {name: scope.prefix + name for name in names}
        local[INPUT] = scope.input
        prev = scope.input
        for entry, name in zip(entries, names):
            inputs = [self._source(entry, s, local) for s in entry.sources] if entry.sources else [prev]
            prev = scope.prefix + name
            self.entry(scope, entry, prev, inputs)
        return prev

    def _parse(self, scope: Scope, j: int, item: Any) -> Entry:
        return _entry(self.src, item, scope.base + (j,), f"{scope.path}layers[{j}]", self.types)

    def _source(self, entry: Entry, name: str, local: dict[str, str]) -> str:
        if name not in local:
            raise SpecError(f"from names '{name}', which is not a layer id", loc=self.src.loc(entry.base + ("from",)),
                            layer=entry.path, field="from", hint=did_you_mean(name, local))
        return local[name]

    def sub(self, entry: Entry, raw: Any, env: dict[str, Any], where: tuple, field: str | None) -> Any:
        """``raw`` with its ${...} evaluated; an error is located at ``where`` in the entry."""
        try:
            return substitute(raw, env)
        except ConvCalcError as exc:
            exc.field = exc.field or field
            raise exc.located(loc=self.src.loc(entry.base + where), layer=entry.path)

    def args(self, entry: Entry, env: dict[str, Any]) -> Any:
        if entry.base[:1] == (FLAGS,):  # a flag's arguments are literal, with a file or without
            return entry.raw
        if isinstance(entry.raw, dict):
            return {k: self.sub(entry, v, env, (entry.key, k), str(k)) for k, v in entry.raw.items()}
        return self.sub(entry, entry.raw, env, (entry.key,), None)

    def tick(self, entry: Entry) -> None:
        self.count += 1
        if self.count > MAX_LAYERS:
            raise SpecError(f"the network expands to more than {MAX_LAYERS:,} layers", loc=entry.loc, layer=entry.path,
                            hint="check the repeat counts; blocks and repeats are expanded in full")

    def entry(self, scope: Scope, entry: Entry, full: str, inputs: list[str]) -> None:
        if "repeat" in entry.item and "index" in names(entry.item.get("when")):
            self.repeat(scope, entry, full, inputs, ask_each=True)  # `when: ${index ...}`: asked of each repetition
        elif self.enabled(entry, scope.env, full, inputs):  # asked once, before `repeat` is read
            if "repeat" in entry.item:
                self.repeat(scope, entry, full, inputs)
            else:
                self.one(scope, entry, full, inputs, scope.env, scope.groups)

    def enabled(self, entry: Entry, env: dict[str, Any], full: str, inputs: list[str]) -> bool:
        """The entry's ``when`` (true without one); when false, ``full`` becomes an alias of its input."""
        when = self.sub(entry, entry.item["when"], env, ("when",), "when") if "when" in entry.item else True
        if not isinstance(when, bool):
            raise SpecError(f"when must be true or false, got {show(when)}", loc=self.src.loc(entry.base + ("when",)),
                            layer=entry.path, field="when")
        if not when:
            if len(inputs) != 1:
                raise SpecError("an entry disabled by when needs exactly one input (it becomes that input)",
                                loc=entry.loc, layer=entry.path, field="when")
            self.check_names(entry)
            self.tick(entry)  # a disabled entry counts as a layer, so no expansion is free
            self.aliases[full] = inputs[0]
            if entry.type in self.blocks and entry.type not in self.disabled_uses:
                self.uses = self.uses or block_uses(self.blocks)  # once per expansion
                for name in sorted(reachable(entry.type, self.uses) - self.disabled_uses):
                    self.disabled_uses.add(name)  # used, though off: its entries' names are checked
                    self.check_block(name)
        return when

    def check_block(self, name: str) -> None:
        """The types and argument names of a block's entries, for a block whose only uses are
        turned off (so never expanded): as for an entry turned off, values are not read."""
        block = self.blocks[name]
        for j, item in enumerate(block.layers):
            self.check_names(_entry(self.src, item, block.base + ("layers", j), f"blocks.{name} > layers[{j}]", self.types))

    def check_names(self, entry: Entry) -> None:
        """The argument names of an entry `when` turned off: a typo there would otherwise show only
        once it is turned on. Values are not read (they may only make sense when it is on)."""
        raw = entry.raw
        if isinstance(raw, str) and "=" in raw:
            try:
                raw = parse_compact(blank_placeholders(raw), short_keys=entry.type not in self.blocks)[1]
            except SpecError as exc:
                raise exc.located(loc=self.src.loc(entry.base + (entry.key,)), layer=entry.path)
        if not isinstance(raw, dict):
            return
        known = self.blocks[entry.type].args if entry.type in self.blocks else lookup(entry.type).args
        owner = f"block {entry.type}" if entry.type in self.blocks else lookup(entry.type).name
        try:
            check_keys(raw, known, f"argument for {owner}", lambda k: self.src.key_loc(entry.base + (entry.key, k)))
        except SpecError as exc:
            raise exc.located(layer=entry.path)

    def repeat(self, scope: Scope, entry: Entry, full: str, inputs: list[str], ask_each: bool = False) -> None:
        n = self.sub(entry, entry.item["repeat"], scope.env, ("repeat",), "repeat")
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise SpecError(f"repeat must be a positive integer, got {show(n)}", loc=self.src.loc(entry.base + ("repeat",)),
                            layer=entry.path, field="repeat")
        if self.count + n > MAX_LAYERS:  # every repetition adds at least one layer
            self.count = MAX_LAYERS
            self.tick(entry)
        self.groups[full] = Group(full, "repeat", entry.type, n)
        on = 0
        for k in range(n):
            child, env = f"{full}.{k}", {**scope.env, "index": k}
            path = entry.path if entry.type in self.blocks else f"{entry.path} ({child})"  # a use names itself
            if not ask_each or self.enabled(entry, env, child, inputs):
                self.one(scope, replace(entry, path=path), child, inputs, env, scope.groups + (full,))
                on += 1
            inputs = [child]
        self.aliases[full] = inputs[0]
        if on < n:  # the group counts the repetitions that are there (none: no group, as a whole entry off)
            if on:
                self.groups[full] = replace(self.groups[full], count=on)
            else:
                del self.groups[full]

    def one(self, scope: Scope, entry: Entry, full: str, inputs: list[str], env: dict[str, Any],
            groups: tuple[str, ...]) -> None:
        """One layer, or one use of a block, with id ``full`` reading ``inputs``."""
        if entry.type in self.blocks:
            self.use(scope, entry, full, inputs, env, groups)
            return
        self.tick(entry)
        layer = self.leaf(self.src, {entry.key: self.args(entry, env)}, entry.base, entry.path)
        layer.id, layer.inputs, layer.scope = full, list(inputs), groups
        self.layers.append(layer)

    def use(self, scope: Scope, entry: Entry, full: str, inputs: list[str], env: dict[str, Any],
            groups: tuple[str, ...]) -> None:
        block = self.blocks[entry.type]
        if len(inputs) != 1:
            raise SpecError(f"block {block.name} takes one input, got {len(inputs)}", loc=entry.loc,
                            layer=entry.path, field="from")
        if scope.nesting >= MAX_NESTING:
            raise SpecError(f"blocks are nested more than {MAX_NESTING} deep", loc=entry.loc, layer=entry.path)
        try:
            args = bind_args(block, self.args(entry, env), self.src.loc(entry.base + (entry.key,)),
                             lambda k: self.src.key_loc(entry.base + (entry.key, k)))
        except SpecError as exc:
            raise exc.located(layer=entry.path)
        self.groups[full] = Group(full, "block", block.name)
        inner = Scope(f"{full}.", args, groups + (full,), f"{entry.path} ({block.name} {full}) > ",
                      block.base + ("layers",), inputs[0], scope.nesting + 1)
        self.aliases[full] = self.scope(inner, block.layers)


def _flag_entry(src: Source, flag: Flag, index: int, types: set[str], blocks: dict[str, Block]) -> Entry:
    """A CLI layer flag as one more top-level entry. Every position under its path is ``<cli>``;
    a block's arguments are ``key=value`` pairs (``--layer 'basic filters=32,stride=2'``)."""
    loc = Loc("<cli>")
    src.locs[(FLAGS,)] = loc
    if flag.type not in types:
        raise SpecError(f"unknown layer type '{flag.type}'", loc=loc, layer=flag.path, hint=did_you_mean(flag.type, types))
    raw: Any = flag.text
    if flag.type in blocks and raw is not None:
        try:
            size, raw = parse_compact(raw, short_keys=False)  # a block names its own arguments
        except SpecError as exc:
            raise exc.located(loc=loc, layer=flag.path)
        if size is not None:
            raise SpecError(f"block {flag.type} takes key=value arguments, not a leading size ({flag.text!r})", loc=loc,
                            layer=flag.path, hint=f"e.g. --layer '{flag.type} {next(iter(blocks[flag.type].args), 'arg')}=...'")
    return Entry(flag.type, flag.type, raw, None, None, {flag.type: raw}, (FLAGS, index), flag.path, loc)


def expand(src: Source, blocks: dict[str, Block], items: list[Any], leaf: Leaf, flags: Sequence[Flag] = ()) -> Expander:
    """Expand the top-level ``items``, then the CLI layer ``flags``; the result holds the layers,
    groups and aliases."""
    expander = Expander(src, blocks, leaf)
    top = Scope("", {}, (), "", ("layers",), INPUT)
    extra = [_flag_entry(src, flag, i, expander.types, blocks) for i, flag in enumerate(flags)]
    expander.output = expander.scope(top, items, extra)
    # a block only used where `when` turned it off is the user's choice, not one forgotten
    used = {group.type for group in expander.groups.values() if group.kind == "block"} | expander.disabled_uses
    for name, block in blocks.items():
        if name not in used:  # its layers would never be checked: say so instead of ignoring them
            raise SpecError(f"block '{name}' is defined but never used", loc=src.key_loc(block.base), layer=f"blocks.{name}",
                            hint="use it in layers (or in another block that is used), or remove it")
    return expander
