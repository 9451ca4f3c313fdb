"""Graph -> Plan: the shape engine. Pure: no numpy, no I/O, no printing.

For every node: its input and output shapes, kernel and bias shapes, parameters (trainable and
non-trainable) with the formula, MACs, activation elements and the receptive field; then the
totals, with peak activation memory computed by liveness (a tensor lives from the layer that
makes it until its last consumer has run).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction

from .dims import Dim, is_concrete, symbol
from .errors import ConvCalcError, SpecError
from .graph import INPUT, build, resolve
from .layers import Ctx, Node, Result, Shape, lookup
from .layers.base import product
from .spec import ModelSpec
from .spec.model import Group

DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8, "int8": 1}


@dataclass(frozen=True)
class RF:
    """Receptive field per spatial axis: size, jump (effective stride), start (centre of the first unit)."""

    size: tuple[int, ...]
    jump: tuple[int, ...]
    start: tuple[Fraction, ...]


@dataclass
class LayerPlan:
    node: Node
    input_shapes: list[Shape]
    result: Result
    rf: RF | None

    @property
    def output(self) -> Shape:
        return self.result.output

    @property
    def params(self) -> Dim:
        return self.result.trainable + self.result.non_trainable

    @property
    def activation_elements(self) -> Dim:
        return product(self.result.output)


@dataclass
class Plan:
    name: str | None
    layout: str
    kernel_layout: str
    input_shape: Shape
    symbols: dict[str, int | None]
    layers: list[LayerPlan]
    dtype: str = "float32"
    batch: int = 1
    notes: list[str] = field(default_factory=list)
    groups: dict[str, Group] = field(default_factory=dict)  # block uses and repeats, output resolved

    @property
    def trainable(self) -> Dim:
        return sum((lp.result.trainable for lp in self.layers), 0)

    @property
    def non_trainable(self) -> Dim:
        return sum((lp.result.non_trainable for lp in self.layers), 0)

    @property
    def params(self) -> Dim:
        return self.trainable + self.non_trainable

    @property
    def macs(self) -> Dim:
        return sum((lp.result.macs for lp in self.layers), 0)

    @property
    def param_bytes(self) -> Dim:
        return self.params * DTYPE_BYTES[self.dtype]

    @property
    def output(self) -> Shape:
        return self.layers[-1].output if self.layers else self.input_shape

    def peak_activation_elements(self) -> Dim | None:
        """Largest sum of live tensors while any one layer runs (inputs kept until last use)."""
        last_use: dict[str, int] = {}
        for i, lp in enumerate(self.layers):
            for name in lp.node.inputs:
                last_use[name] = i
        if self.layers:
            last_use[self.layers[-1].node.id] = len(self.layers)
        sizes: dict[str, Dim] = {INPUT: product(self.input_shape)}
        live = {INPUT}
        peak: Dim = sizes[INPUT]
        for i, lp in enumerate(self.layers):
            sizes[lp.node.id] = lp.activation_elements
            live.add(lp.node.id)
            total = sum((sizes[name] for name in live), 0)
            if not is_concrete(total):
                return None
            peak = max(peak, total)  # type: ignore[type-var]
            live = {name for name in live if last_use.get(name, -1) > i}
        return peak


def canonical_input(spec: ModelSpec) -> tuple[Shape, dict[str, int | None]]:
    """The input in channels-last order with symbols made Dims (and --set values applied)."""
    assert spec.input is not None
    sizes = list(spec.input)
    if spec.layout == "chw":
        sizes = sizes[1:] + sizes[:1]
    symbols: dict[str, int | None] = {}
    shape: list[Dim] = []
    for s in sizes:
        if isinstance(s, str):
            value = spec.values.get(s)
            symbols[s] = value
            shape.append(value if value is not None else symbol(s))
        else:
            shape.append(s)
    unused = set(spec.values) - set(symbols)
    if unused:
        raise SpecError(
            f"set gives a value to {', '.join(sorted(unused))}, which the input shape does not use",
            loc=spec.input_loc, field="set",
        )
    return tuple(shape), symbols


def _rf(prev: RF | None, result: Result, elementwise: bool) -> RF | None:
    """Araujo et al. (Distill 2019): r += (k-1)*j; j *= s; start += ((k-1)/2 - pad_before)*j."""
    if elementwise:
        return prev
    if result.rf is None or prev is None:
        return None
    size, jump, start = [], [], []
    for (k, s, p), r, j, st in zip(result.rf, prev.size, prev.jump, prev.start):
        size.append(r + (k - 1) * j)
        jump.append(j * s)
        start.append(st + (Fraction(k - 1, 2) - p) * j)
    return RF(tuple(size), tuple(jump), tuple(start))


def _merge_rf(rfs: list[RF | None]) -> RF | None:
    """A merge sees every input's field; per axis it takes the input whose field is largest.

    A first approximation (the union of differently aligned fields is refined later). None when
    an input's field is unknown or the inputs differ in spatial rank."""
    known = [rf for rf in rfs if rf is not None]
    if len(known) < len(rfs) or len({len(rf.size) for rf in known}) != 1:
        return None
    widest = [max(known, key=lambda rf: rf.size[a]) for a in range(len(known[0].size))]
    return RF(
        tuple(rf.size[a] for a, rf in enumerate(widest)),
        tuple(rf.jump[a] for a, rf in enumerate(widest)),
        tuple(rf.start[a] for a, rf in enumerate(widest)),
    )


def infer_node(node: Node, inputs: list[Shape], ctx: Ctx) -> Result:
    try:
        return lookup(node.type).infer(node, inputs, ctx)
    except ConvCalcError as exc:
        if exc.field and exc.field in node.arg_locs:
            exc.located(loc=node.arg_locs[exc.field])
        raise exc.located(loc=node.loc, layer=f"{node.path} ({node.type})")


def infer(spec: ModelSpec, *, kernel_layout: str | None = None, dtype: str = "float32", batch: int = 1) -> Plan:
    """Run the shape engine over a spec."""
    if spec.input is None:
        raise SpecError("no input shape: give --input (e.g. --input 28x28x1) or 'input:' in the file")
    shape, symbols = canonical_input(spec)
    nodes = build(spec)
    ctx = Ctx(layout=spec.layout)
    shapes: dict[str, Shape] = {INPUT: shape}
    rank = len(shape) - 1
    rfs: dict[str, RF | None] = {INPUT: RF((1,) * rank, (1,) * rank, (Fraction(0),) * rank) if rank else None}
    layers = []
    for node in nodes:
        ins = [shapes[name] for name in node.inputs]
        result = infer_node(node, ins, ctx)
        shapes[node.id] = result.output
        if len(ins) == 1:
            rf = _rf(rfs[node.inputs[0]], result, lookup(node.type).elementwise)
        else:
            rf = _merge_rf([rfs[name] for name in node.inputs])
        rfs[node.id] = rf
        layers.append(LayerPlan(node, ins, result, rf))
    return Plan(
        name=spec.name,
        layout=spec.layout,
        kernel_layout=kernel_layout or spec.kernel_layout or ("oihw" if spec.layout == "chw" else "hwio"),
        input_shape=shape,
        symbols=symbols,
        layers=layers,
        dtype=dtype,
        batch=batch,
        groups={gid: replace(g, output=resolve(gid, spec.aliases)) for gid, g in spec.groups.items()},
    )


def display_shape(shape: Shape, layout: str) -> Shape:
    """A canonical (channels-last) shape in the user's layout."""
    if layout == "chw" and len(shape) > 1:
        return (shape[-1],) + tuple(shape[:-1])
    return shape


def display_kernel(kernel: Shape | None, kernel_layout: str, oihw: Shape | None = None) -> Shape | None:
    """Canonical HWIO (spatial..., I, O) as HWIO or OIHW (O, I, spatial...); ``oihw`` is a layer's
    own PyTorch order where that is not the plain transform (Result.oihw)."""
    if kernel is None or kernel_layout == "hwio":
        return kernel
    if oihw is not None:
        return oihw
    return (kernel[-1], kernel[-2]) + tuple(kernel[:-2])


