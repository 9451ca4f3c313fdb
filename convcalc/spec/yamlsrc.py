"""Load YAML safely and remember where every value came from.

PyYAML's composer gives us the node graph with positions; we construct plain Python values
ourselves so that each value's location can be looked up by its path
(``("layers", 3, "conv", "stride")``). Only the safe constructor builds scalars, so tags such
as ``!!python/object`` are refused. Aliases are followed with a budget, so an alias bomb
("billion laughs") is refused instead of expanded; duplicate keys are errors, not silently
overwritten.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import Composer

from ..errors import Loc, SpecError
from .source import Path, Source

MAX_NODES = 200_000
MAX_DEPTH = 100
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


# PyYAML built without libyaml has only its pure-Python loader
_CLoader: Any = _LibyamlLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader


def _mark_loc(mark: Any, file: str | None) -> Loc:
    return Loc(file, mark.line + 1, mark.column + 1)


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, file: str | None) -> None:
        self.loader = loader
        self.file = file
        self.locs: dict[Path, Loc] = {}
        self.key_locs: dict[Path, Loc] = {}
        self.count = 0

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.count += 1
        loc = _mark_loc(node.start_mark, self.file)
        if self.count > MAX_NODES:
            raise SpecError(
                f"the document expands to more than {MAX_NODES} values",
                loc=loc,
                hint="YAML aliases (&anchor / *alias) that multiply are refused",
            )
        if depth > MAX_DEPTH:
            raise SpecError(f"the document is nested more than {MAX_DEPTH} levels deep", loc=loc)
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
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _SAFE_TAGS:
                raise SpecError(
                    "mapping keys must be plain names", loc=_mark_loc(key_node.start_mark, self.file)
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


def load_yaml(text: str, file: str | None = None, loader_class: Any = None) -> Source:
    """Parse one YAML document into plain data with locations; SpecError on any problem.

    A document is read with libyaml; one that fails in any way is read again by PyYAML's
    pure-Python loader, so every error is PyYAML's, in wording and position, whichever loader is
    installed."""
    if loader_class is None:
        try:
            return load_yaml(text, file, _CLoader)
        except Exception:  # noqa: BLE001 - any failure (a SpecError, libyaml refusing a surrogate): PyYAML decides
            loader_class = yaml.SafeLoader
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise SpecError("the file is empty", loc=Loc(file, 1, 1))
        builder = _Builder(loader, file)
        data = builder.build(node, (), 0)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = _mark_loc(mark, file) if mark else Loc(file)
        raise SpecError(f"YAML syntax error: {exc.problem or exc.context}", loc=loc) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"YAML error: {exc}", loc=Loc(file)) from None
    finally:
        loader.dispose()
    return Source(data, builder.locs, builder.key_locs, file)
