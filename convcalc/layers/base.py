"""What a layer type is: an argument schema, a shape rule and its counts.

Each layer family module registers its types with :func:`register`. A type's ``infer`` takes
the node (resolved arguments plus location) and the input shapes and returns a
:class:`Result`. Shapes are tuples of :data:`~convcalc.dims.Dim` in the *canonical* layout,
channels last (``spatial..., C``); only rendering converts to ``chw``. Kernel shapes are
canonical HWIO (``spatial..., C_in/groups, C_out``).

Counting conventions (the README repeats them): ``macs`` are the multiply-accumulates of the
layer's main operation (a conv's or dense layer's weight products); bias additions,
normalisation, activations and pooling count zero MACs; FLOPs = 2 x MACs. Bias is a parameter,
never a MAC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from ..dims import Dim, is_concrete, symbols, to_str
from ..errors import ShapeError, SpecError, did_you_mean, show

Shape = tuple[Dim, ...]

# --------------------------------------------------------------------------------------------
# argument coercion: each coercer takes the raw value and returns the clean one or raises
# SpecError (the caller adds the location and the field name)

Coercer = Callable[[Any], Any]


def describe(schema: dict[str, Any]) -> Callable[[Coercer], Coercer]:
    """Attach the JSON Schema of what a coercer accepts (``coercer.json_schema``); `convcalc
    schema spec` builds the spec file schema from these, so every coercer must have one."""

    def attach(coerce: Coercer) -> Coercer:
        coerce.json_schema = schema  # type: ignore[attr-defined]
        return coerce

    return attach


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


@describe({"type": "integer", "minimum": 1})
def pos_int(v: Any) -> int:
    if not _is_int(v) or v <= 0:
        raise SpecError(f"expected a positive integer, got {show(v)}")
    return int(v)


@describe({"type": "integer", "minimum": 0})
def nonneg_int(v: Any) -> int:
    if not _is_int(v) or v < 0:
        raise SpecError(f"expected an integer >= 0, got {show(v)}")
    return int(v)


def ints(item: Coercer) -> Coercer:
    """An int, or a list with one int per spatial axis (checked against the rank later)."""

    def coerce(v: Any) -> int | tuple[int, ...]:
        if isinstance(v, (list, tuple)):
            if not v:
                raise SpecError(f"expected an integer or a non-empty list of integers, got {show(v)}")
            return tuple(item(x) for x in v)
        return item(v)

    coerce.__name__ = f"ints({item.__name__})"
    one = getattr(item, "json_schema", {})
    return describe({"anyOf": [one, {"type": "array", "items": one, "minItems": 1}]})(coerce)


@describe({"type": "boolean"})
def boolean(v: Any) -> bool:
    if not isinstance(v, bool):
        raise SpecError(f"expected true or false, got {show(v)}")
    return v


@describe({"type": "number", "minimum": 0, "exclusiveMaximum": 1})
def rate(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < 1:
        raise SpecError(f"expected a number in [0, 1), got {show(v)}")
    return float(v)


def choice(*options: str) -> Coercer:
    def coerce(v: Any) -> str:
        if not isinstance(v, str) or v.lower() not in options:
            hint = did_you_mean(str(v), options)
            raise SpecError(f"expected one of {', '.join(options)}, got {show(v)}", hint=hint)
        return v.lower()

    return describe({"enum": list(options)})(coerce)


PADDING_WORDS = ("valid", "same", "causal", "full")


@describe({"anyOf": [
    {"enum": list(PADDING_WORDS)},
    {"type": "integer", "minimum": 0},
    {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 0}},
    {"type": "array", "minItems": 1, "items": {
        "type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "integer", "minimum": 0}}},
]})
def padding(v: Any) -> str | int | tuple[Any, ...]:
    """`valid` | `same` | `causal` | `full` | int | [int per axis] | [[before, after] per axis]."""
    if isinstance(v, str):
        return choice(*PADDING_WORDS)(v)
    if isinstance(v, (list, tuple)):
        if not v:
            raise SpecError(f"padding list is empty: got {show(v)}")
        if all(isinstance(x, (list, tuple)) for x in v):
            pairs = []
            for x in v:
                if len(x) != 2:
                    raise SpecError(f"padding pairs are [before, after], got {show(list(x))}")
                pairs.append((nonneg_int(x[0]), nonneg_int(x[1])))
            return tuple(pairs)
        return tuple(nonneg_int(x) for x in v)
    if _is_int(v):
        return nonneg_int(v)
    raise SpecError(
        f"padding must be valid, same, causal, full, an int, a list of ints or of [before, after] "
        f"pairs; got {show(v)}"
    )


@describe({"type": "array", "items": {"type": "integer"}})
def int_list(v: Any) -> tuple[int, ...]:
    """A list of integers (any length, -1 allowed): reshape targets and permutations."""
    if not isinstance(v, (list, tuple)) or not all(_is_int(x) for x in v):
        raise SpecError(f"expected a list of integers, got {show(v)}")
    return tuple(int(x) for x in v)


@describe({"type": "string"})
def string(v: Any) -> str:
    if not isinstance(v, str):
        raise SpecError(f"expected a string, got {show(v)}")
    return v


def compact_as(name: str) -> Callable[[Any], dict[str, Any]]:
    """A compact form whose leading size is argument ``name`` (``1x0x2`` arrives as a tuple),
    left for the schema to coerce so that an error names that field."""

    def compact(value: Any) -> dict[str, Any]:
        return {name: list(value) if isinstance(value, tuple) else value}

    return compact


REQUIRED = object()


@dataclass(frozen=True)
class Arg:
    coerce: Coercer
    default: Any = REQUIRED
    doc: str = ""


# --------------------------------------------------------------------------------------------
# results


@dataclass
class Result:
    """What a layer type's shape rule reports for one node."""

    output: Shape
    kernel: Shape | None = None  # canonical HWIO
    # the kernel in PyTorch's order, for a layer whose weight is not the (O, I, spatial...) transform
    # of its canonical kernel (a depthwise kernel (k..., C, m) is PyTorch's (C*m, 1, k...))
    oihw: Shape | None = None
    bias: Shape | None = None
    trainable: Dim = 0
    non_trainable: Dim = 0
    params_formula: str = "0"
    macs: Dim = 0
    macs_formula: str = "0"
    explain: list[str] = field(default_factory=list)
    # (expression, minimum, what) for sizes that must be large enough; symbolic ones are kept
    constraints: list[tuple[Dim, int, str]] = field(default_factory=list)
    # the receptive-field window per spatial axis of the output, (k, s, p): output unit u reads
    # input units u*s-p .. u*s-p+k-1 of the same axis (k effective, dilation included; p the
    # padding actually applied before). None ends the field (see convcalc/fields.py): layers
    # whose units are no evenly spaced window over the same axes (upsampling, pixel shuffle,
    # transposed convs with stride > 1, permute, reshape, flatten). Elementwise layers set
    # LayerType.elementwise instead; a merge (add, channel concat) sets it too and gets the
    # merged field of its inputs. A transposed conv with stride 1 is a conv with padding
    # k-1-p: (k, 1, k-1-p_before).
    rf: tuple[tuple[int, int, int], ...] | None = None


@dataclass
class Node:
    """One layer instance in the graph, with resolved arguments."""

    index: int
    id: str
    type: str
    args: dict[str, Any]
    inputs: list[str]
    path: str
    loc: Any = None
    arg_locs: dict[str, Any] = field(default_factory=dict)
    scope: tuple[str, ...] = ()  # ids of the enclosing block uses and repeats, outermost first


@dataclass(frozen=True)
class Ctx:
    layout: str = "hwc"


Infer = Callable[[Node, list[Shape], Ctx], Result]


@dataclass(frozen=True)
class LayerType:
    name: str
    args: Mapping[str, Arg]
    infer: Infer
    doc: str
    macs_doc: str = "0 (no multiply-accumulates)"
    compact: Callable[[Any], dict[str, Any]] | None = None  # the compact form's leading size
    inputs: int = 1  # number of inputs; 0 means any number >= 2 (merges)
    aliases: tuple[str, ...] = ()
    elementwise: bool = False  # output = input shape, each output sees one input position


REGISTRY: dict[str, LayerType] = {}
ALIASES: dict[str, str] = {}


def register(layer_type: LayerType) -> LayerType:
    REGISTRY[layer_type.name] = layer_type
    for alias in layer_type.aliases:
        ALIASES[alias] = layer_type.name
    return layer_type


def lookup(name: str) -> LayerType:
    key = ALIASES.get(name, name)
    if key not in REGISTRY:
        raise SpecError(
            f"unknown layer type '{name}'",
            hint=did_you_mean(name, list(REGISTRY) + list(ALIASES)),
        )
    return REGISTRY[key]


# --------------------------------------------------------------------------------------------
# small helpers shared by the shape rules


def fmt(x: Dim) -> str:
    """A size inside a formula: ints plain, expressions parenthesised when compound."""
    return str(x) if is_concrete(x) else parenthesised(to_str(x))


def parenthesised(s: str) -> str:
    """An expression's text as one factor of a product or shape: ``(T-2)``, but ``T`` and
    ``ceil(T/2)`` as they are."""
    return s if s.isidentifier() or _one_call(s) else f"({s})"


def _one_call(s: str) -> bool:
    """True for ``ceil(...)`` / ``floor(...)`` whose opening parenthesis closes at the end."""
    m = re.match(r"(ceil|floor)\(", s)
    if not m:
        return False
    depth = 0
    for i, ch in enumerate(s[m.end() - 1 :], m.end() - 1):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0:
            return i == len(s) - 1
    return False


def per_axis(value: int | tuple[int, ...], rank: int, name: str) -> tuple[int, ...]:
    """Expand an int to one value per spatial axis; a list must have exactly ``rank`` items."""
    if isinstance(value, tuple):
        if len(value) != rank:
            raise ShapeError(
                f"{name} {list(value)} has {len(value)} values but the input has {rank} spatial "
                f"{'axis' if rank == 1 else 'axes'}",
                field=name,
            )
        return value
    return (value,) * rank


def spatial_rank(shape: Shape, type_name: str) -> int:
    rank = len(shape) - 1
    if rank < 1:
        raise ShapeError(
            f"{type_name} needs an input with spatial axes and channels, got shape "
            f"({', '.join(fmt(s) for s in shape)})",
            hint="a flatten or dense layer before it removed the spatial axes",
        )
    return rank


def channels(shape: Shape, type_name: str) -> int:
    c = shape[-1]
    if not is_concrete(c):
        raise ShapeError(
            f"{type_name} needs a concrete channel count, got {to_str(c)}",
            hint=set_hint(c),
        )
    return int(c)


def set_hint(x: Dim) -> str:
    """A hint naming the symbols of x to give values to: "give C a value with --set C=..."."""
    names = sorted(symbols(x))
    return (f"give {' and '.join(names)} a value with "
            + " ".join(f"--set {name}=..." for name in names))


def product(values: Any) -> Dim:
    out: Dim = 1
    for v in values:
        out = out * v
    return out
