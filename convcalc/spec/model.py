"""The parsed spec: plain dataclasses, every node keeping its source location."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..errors import Loc

Size = int | str  # an int, or a symbol name such as "T"


class Flag(NamedTuple):
    """A CLI layer flag: the layer type (or, with a file, one of its blocks), the text after the
    type (``3x3x16,s=2``, or None) and how errors name it (:func:`flag_path`)."""

    type: str
    text: str | None
    path: str


def flag_path(flag: str, index: int) -> str:
    """How errors name a layer flag: ``--conv (layer flag #2)``."""
    return f"{flag} (layer flag #{index + 1})"


def default_id(type_name: str, n: int) -> str:
    """Keras-like default ids: conv1, conv2; relu6_1 where the type name ends in a digit."""
    return f"{type_name}{'_' if type_name[-1].isdigit() else ''}{n}"


@dataclass
class LayerSpec:
    type: str  # canonical layer type name (aliases resolved)
    args: dict[str, Any]  # coerced arguments, defaults filled in
    path: str  # "layers[3]" or "--conv (layer flag #2)"
    loc: Loc
    arg_locs: dict[str, Loc] = field(default_factory=dict)
    id: str | None = None
    inputs: list[str] | None = None  # `from`; None means the previous layer
    scope: tuple[str, ...] = ()  # the ids of the enclosing block uses and repeats, outermost first


@dataclass
class Group:
    """A block use or a repeat: the layers whose scope contains ``id`` belong to it."""

    id: str  # full dotted id, e.g. "layer2" or "layer2.1"
    kind: str  # "block" (one use of a block) or "repeat" (the repetitions of one entry)
    type: str  # the block's name, or the repeated entry's type
    count: int = 1  # repetitions (repeat groups)
    output: str = ""  # the id of the layer that produces the group's output (set by the graph)


@dataclass
class ModelSpec:
    input: tuple[Size, ...] | None
    layers: list[LayerSpec]
    name: str | None = None
    layout: str = "hwc"
    kernel_layout: str | None = None
    values: dict[str, int] = field(default_factory=dict)  # `set:` / --set
    value_locs: dict[str, Loc] = field(default_factory=dict)  # where each value was given (a `set:` entry)
    file: str | None = None
    input_loc: Loc = field(default_factory=Loc)
    layers_loc: Loc | None = None  # the file's layers: (or its start when it has none)
    groups: dict[str, Group] = field(default_factory=dict)  # block uses and repeats by id
    aliases: dict[str, str] = field(default_factory=dict)  # id -> the id it stands for
    output: str | None = None  # the id the last top-level entry names: the network's output (None: the last layer)
    budgets: dict[str, Any] = field(default_factory=dict)  # `budgets:` name -> budgets.Limit
