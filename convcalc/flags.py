"""The command line's layer flags, --input and --set, made into a ModelSpec.

click groups repeated options by name and loses their order, so the layer flags are read again
from the raw arguments (:func:`scan_layer_flags`). Without a file they are parsed on their own
(``spec.flag_layer``); with one they are expanded with the file's top-level entries, so they may
use its blocks (``spec.load_file(file, flags)``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import SpecError

if TYPE_CHECKING:  # the spec package loads the layer registry: only when a command runs
    from .spec.model import Flag

# flag -> (layer type, takes a value); --layer takes 'TYPE ARGS', --act an activation name
LAYER_FLAGS: dict[str, tuple[str | None, bool]] = {
    "--conv": ("conv", True),
    "--maxpool": ("maxpool", True),
    "--avgpool": ("avgpool", True),
    "--bn": ("batchnorm", False),
    "--relu": ("relu", False),
    "--act": (None, True),
    "--dropout": ("dropout", True),
    "--flatten": ("flatten", False),
    "--dense": ("dense", True),
    "--layer": (None, True),
}
META_KEY = "convcalc.layer_flags"


def scan_layer_flags(args: list[str]) -> list[tuple[str, str | None]]:
    """The layer flags in the order given (click groups repeated options, losing the order)."""
    found: list[tuple[str, str | None]] = []
    i = 0
    while i < len(args):
        token = args[i]
        if token == "--":
            break
        flag, eq, value = token.partition("=")
        if flag in LAYER_FLAGS:
            takes_value = LAYER_FLAGS[flag][1]
            if takes_value and not eq:
                value = args[i + 1] if i + 1 < len(args) else ""
                i += 1
            found.append((flag, value if takes_value else None))
        i += 1
    return found


def _set_value(item: str) -> tuple[str, int]:
    """``--set T=1000`` -> ("T", 1000)."""
    from .errors import Loc
    from .input_limits import int_from_text

    name, eq, value = item.partition("=")
    digits = value.strip()
    error = SpecError(f"--set expects NAME=POSITIVE_INT, got {item!r}", loc=Loc("<cli>"), field="set")
    if not eq or not (digits.isascii() and digits.isdigit()) or not name.strip().isidentifier():
        raise error
    try:
        number = int_from_text(digits)
    except SpecError as exc:
        exc.field = "set"
        raise exc.located(loc=Loc("<cli>"))
    if number <= 0:
        raise error
    return name.strip(), number


def build_spec(file: str | None, opts: dict[str, Any], flags: list[tuple[str, str | None]]) -> Any:
    from .spec import ModelSpec, flag_layer, load_file, parse_shape
    from .errors import Loc

    layer_flags = [_flag(flag, value, i) for i, (flag, value) in enumerate(flags)]
    if file:  # the flags are expanded with the file's own layers: they may use its blocks
        spec = load_file(file, layer_flags)
    else:
        spec = ModelSpec(input=None, layers=[flag_layer(f) for f in layer_flags])
    if opts["layout"]:
        spec.layout = opts["layout"]
    if opts["input_shape"]:
        spec.input = parse_shape(opts["input_shape"], Loc("<cli>"))
        spec.input_loc = Loc("<cli>")
        # the file's `set:` named the symbols of the input it had; those the new one has keep theirs
        spec.values = {name: value for name, value in spec.values.items() if name in spec.input}
    given: set[str] = set()
    for item in opts["values"]:
        name, number = _set_value(item)
        if name in given:  # as a duplicate key in a file's set: is
            raise SpecError(f"--set gives {name} a value twice", loc=Loc("<cli>"), field="set",
                            hint=f"keep one --set {name}=...")
        given.add(name)
        spec.values[name] = number
        spec.value_locs[name] = Loc("<cli>")
    return spec


def _flag(flag: str, value: str | None, index: int) -> Flag:
    """A layer flag as (type, the text after the type, its path in errors)."""
    from .spec.model import Flag, flag_path

    type_name, _ = LAYER_FLAGS[flag]
    if flag == "--layer":
        from .errors import Loc
        from .spec.compact import split_type

        try:
            type_name, value = split_type(value or "")
        except SpecError as exc:
            raise exc.located(loc=Loc("<cli>"), layer=flag_path(flag, index))
        value = value or None  # `--layer relu`: the type alone
    elif flag == "--act":
        from .layers.basic import ACTIVATIONS

        name = (value or "").strip()
        # a named activation type (relu, gelu, ...) stays itself; others go through `activation`,
        # whose argument check rejects anything that is not an activation
        type_name, value = (name, None) if name in ACTIVATIONS else ("activation", name)
    return Flag(type_name or "", value, flag_path(flag, index))
