"""Parsed YAML data and where each value came from (no YAML library here: a spec given by CLI
flags alone never imports one)."""

from __future__ import annotations

from typing import Any

from ..errors import Loc

Path = tuple[Any, ...]


class Source:
    """Parsed YAML data plus a map from value paths to their positions."""

    def __init__(self, data: Any, locs: dict[Path, Loc], key_locs: dict[Path, Loc], file: str | None) -> None:
        self.data = data
        self.locs = locs
        self.key_locs = key_locs
        self.file = file

    def key_loc(self, path: Path) -> Loc:
        """The position of the mapping key that ends ``path`` (for unknown-key errors)."""
        return self.key_locs.get(path) or self.loc(path)

    def loc(self, path: Path) -> Loc:
        """The position of the value at ``path``, or of its nearest enclosing value."""
        while path:
            if path in self.locs:
                return self.locs[path]
            path = path[:-1]
        return self.locs.get((), Loc(self.file))
