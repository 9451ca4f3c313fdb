"""The parsed spec: plain dataclasses, every node keeping its source location."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import Loc

Size = int | str  # an int, or a symbol name such as "T"


@dataclass
class LayerSpec:
    type: str  # canonical layer type name (aliases resolved)
    args: dict[str, Any]  # coerced arguments, defaults filled in
    path: str  # "layers[3]" or "--conv #2"
    loc: Loc
    arg_locs: dict[str, Loc] = field(default_factory=dict)
    id: str | None = None
    inputs: list[str] | None = None  # `from`; None means the previous layer


@dataclass
class ModelSpec:
    input: tuple[Size, ...] | None
    layers: list[LayerSpec]
    name: str | None = None
    layout: str = "hwc"
    kernel_layout: str | None = None
    values: dict[str, int] = field(default_factory=dict)  # `set:` / --set
    file: str | None = None
    input_loc: Loc = field(default_factory=Loc)
    budgets: dict[str, Any] = field(default_factory=dict)  # `budgets:` name -> budgets.Limit
