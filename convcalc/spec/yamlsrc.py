"""Load YAML safely and remember where every value came from.

PyYAML's composer gives us the node graph with positions; we construct plain Python values
ourselves so that each value's location can be looked up by its path
(``("layers", 3, "conv", "stride")``). Only the safe constructor builds scalars, so tags such
as ``!!python/object`` are refused. Aliases are followed with a budget, so an alias bomb
("billion laughs") is refused instead of expanded; nesting is bounded while composing (PyYAML's
composer recurses, so ``[[[[...`` would otherwise exhaust the stack); duplicate keys are errors,
not silently overwritten. The limits live in :mod:`convcalc.input_limits`.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import Composer

from ..errors import Loc, SpecError
from ..input_limits import MAX_ALIAS_VALUES, MAX_DEPTH, check_int, digits_error
from .source import Path, Source

_SAFE_TAGS = {
    "tag:yaml.org,2002:" + t
    for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
}


class _LibyamlLoader(Composer, getattr(yaml, "CSafeLoader", object)):  # type: ignore[misc]
    """libyaml scans and parses (7x faster than PyYAML's Python scanner on a 10,000-layer
    spec); PyYAML's Python composer builds the nodes from its events, so composing stays
    overridable."""

    def __init__(self, stream: str) -> None:
        yaml.CSafeLoader.__init__(self, stream)
        Composer.__init__(self)
        self.text, self.lines = stream, None

    def compose_scalar_node(self, anchor: Any) -> Any:
        node = super().compose_scalar_node(anchor)
        if node.value == "" and not node.style:
            # an empty value: libyaml marks the next token (`}` in `{batchnorm: }`), PyYAML the end of
            # the `:` before it; take PyYAML's, so a location never depends on which one is installed
            self.lines = self.lines or self.text.split("\n")
            m = node.start_mark
            line = self.lines[m.line] if m.line < len(self.lines) else ""
            column = m.column
            while column > 0 and line[column - 1 : column] in (" ", "\t"):
                column -= 1
            node.start_mark = yaml.Mark(m.name, m.index - (m.column - column), m.line, column, None, None)
        return node


def _mark_loc(mark: Any, file: str | None) -> Loc:
    return Loc(file, mark.line + 1, mark.column + 1)


def _too_deep(loc: Loc) -> SpecError:
    return SpecError(
        f"the document is nested more than {MAX_DEPTH} levels deep", loc=loc,
        hint="a spec needs a few levels (layers, a layer, its arguments); deeper nesting is refused",
    )


class _DepthLimit:
    """Refuses nesting deeper than MAX_DEPTH while composing (mixed into either loader below)."""

    def __init__(self, text: str, file: str | None) -> None:
        super().__init__(text)  # type: ignore[call-arg]
        self.file = file
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH + 1:
                raise _too_deep(_mark_loc(self.peek_event().start_mark, self.file))  # type: ignore[attr-defined]
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self.depth -= 1


class _Loader(_DepthLimit, yaml.SafeLoader):
    """PyYAML's pure-Python safe loader, depth-limited."""


# libyaml's, depth-limited; PyYAML built without libyaml has only the pure-Python one
_FastLoader: Any = type("_FastLoader", (_DepthLimit, _LibyamlLoader), {}) if hasattr(yaml, "CSafeLoader") else _Loader


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, file: str | None) -> None:
        self.loader = loader
        self.file = file
        self.locs: dict[Path, Loc] = {}
        self.key_locs: dict[Path, Loc] = {}
        self.built: set[int] = set()  # ids of nodes built once: meeting one again is an alias
        self.alias_values = 0

    def _count(self, node: yaml.Node, loc: Loc) -> None:
        if id(node) not in self.built:
            self.built.add(id(node))
            return
        self.alias_values += 1
        if self.alias_values > MAX_ALIAS_VALUES:
            raise SpecError(
                f"YAML aliases expand to more than {MAX_ALIAS_VALUES:,} values",
                loc=loc,
                hint="aliases (&anchor / *alias) that multiply (a 'billion laughs' document) are refused",
            )

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        loc = _mark_loc(node.start_mark, self.file)
        self._count(node, loc)
        if depth > MAX_DEPTH:
            raise _too_deep(loc)
        if node.tag not in _SAFE_TAGS:
            raise SpecError(
                f"YAML tag '{node.tag}' is not allowed",
                loc=loc,
                hint="convcalc reads plain YAML only (mappings, lists, numbers, strings)",
            )
        self.locs[path] = loc
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(n, path + (i,), depth + 1) for i, n in enumerate(node.value)]
        return self._scalar(node, loc)

    def _scalar(self, node: yaml.Node, loc: Loc) -> Any:
        try:
            return check_int(self.loader.construct_object(node, deep=True))
        except SpecError as exc:
            raise exc.located(loc=loc)
        except ValueError:  # an int beyond Python's 4300-digit conversion limit
            raise digits_error(str(node.value).lstrip("+-")).located(loc=loc) from None

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise SpecError("YAML merge keys (<<) are not supported", loc=_mark_loc(key_node.start_mark, self.file),
                                hint="write the keys out in each mapping")
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _SAFE_TAGS:
                what = "a list" if isinstance(key_node, yaml.SequenceNode) else (
                    "a mapping" if isinstance(key_node, yaml.MappingNode) else f"tag '{key_node.tag}'")
                raise SpecError(
                    f"mapping keys must be plain names, got {what}", loc=_mark_loc(key_node.start_mark, self.file)
                )
            key = self.loader.construct_object(key_node)
            if key_node.tag == "tag:yaml.org,2002:null":
                key = "null"  # `- null:` is never meant as a None key
            if key in out:
                raise SpecError(
                    f"duplicate key '{key}'",
                    loc=_mark_loc(key_node.start_mark, self.file),
                    hint="each key may appear once in a mapping",
                )
            self.key_locs[path + (key,)] = _mark_loc(key_node.start_mark, self.file)
            out[key] = self.build(value_node, path + (key,), depth + 1)
        return out


def _reader_error(exc: Any, text: str, file: str | None) -> SpecError:
    """A character YAML does not allow (NUL, other control characters), located by line and column."""
    pos = exc.position
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    char = exc.character if isinstance(exc.character, int) else ord(exc.character)
    return SpecError(
        f"character U+{char:04X} is not allowed in YAML", loc=Loc(file, line, column),
        hint="a spec is a plain text file; control characters such as NUL are refused",
    )


def load_yaml(text: str, file: str | None = None, loader_class: Any = None) -> Source:
    """Parse one YAML document into plain data with locations; SpecError on any problem.

    A document is read with libyaml when PyYAML has it; one that fails in any way is read again
    by PyYAML's pure-Python loader, so every error is PyYAML's, in wording and position, whichever
    loader is installed."""
    if loader_class is None:
        if _FastLoader is not _Loader:
            try:
                return load_yaml(text, file, _FastLoader)
            except Exception:  # noqa: BLE001 - any failure (a SpecError, a surrogate libyaml cannot encode)
                pass
        loader_class = _Loader
    loader = None
    try:
        loader = loader_class(text, file)
        node = loader.get_single_node()
        if node is None:
            raise SpecError("the file is empty", loc=Loc(file, 1, 1))
        builder = _Builder(loader, file)
        data = builder.build(node, (), 0)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = _mark_loc(mark, file) if mark else Loc(file)
        text = exc.problem or exc.context
        if exc.context and exc.problem and exc.problem.startswith("but "):  # "expected X, but found Y"
            text = f"{exc.context}, {exc.problem}"
        raise SpecError(f"YAML syntax error: {text}", loc=loc) from None
    except yaml.reader.ReaderError as exc:
        raise _reader_error(exc, text, file) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"YAML error: {exc}", loc=Loc(file)) from None
    finally:
        if loader is not None:
            loader.dispose()
    return Source(data, builder.locs, builder.key_locs, file)
