"""Graph -> Plan: the shape engine. Pure: no numpy, no I/O, no printing.

For every node: its input and output shapes, kernel and bias shapes, parameters (trainable and
non-trainable) with the formula, MACs, activation elements and the receptive field; then the
totals, with peak activation memory computed by liveness (a tensor lives from the layer that
makes it until its last consumer has run).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from .dims import Dim, is_concrete, symbol
from .errors import ConvCalcError, SpecError
from .fields import RF, UnusedInput, field_of, input_field, unused_input
from .graph import INPUT, build, resolve
from .layers import Ctx, Node, Result, Shape, lookup
from .layers.base import product
from .spec import ModelSpec
from .spec.model import Group

DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8, "int8": 1}


@dataclass
class LayerPlan:
    node: Node
    input_shapes: list[Shape]
    result: Result
    rf: RF | None
    rf_explain: list[str] = field(default_factory=list)

    @property
    def output(self) -> Shape:
        return self.result.output

    @property
    def params(self) -> Dim:
        return self.result.trainable + self.result.non_trainable

    @cached_property
    def activation_elements(self) -> Dim:
        return product(self.result.output)  # read by the JSON, the memory lines and the liveness steps


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
    notes: list[str] = field(default_factory=list)  # e.g. misaligned paths where they merge
    warnings: list[UnusedInput] = field(default_factory=list)  # e.g. input pixels a stride leaves unused
    # with symbols in the input (convcalc/limits.py): the layers' symbolic requirements and per
    # symbol a Limit: its smallest valid value and the requirement setting it
    requirements: list[Any] = field(default_factory=list)
    limits: dict[str, Any] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)  # block uses and repeats, output resolved
    # the layer whose output the network returns: what the file's last entry names (an entry
    # `when` turned off names its input); None: the last layer
    output_id: str | None = None

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
    def output_name(self) -> str:
        """The tensor the network returns: a layer's id, or "input" when every entry after the input
        is turned off or a dead end. It lives to the end (memory.steps, the executor)."""
        if self.output_id is None:
            return self.layers[-1].node.id if self.layers else "input"
        return self.output_id

    @property
    def output_layer(self) -> LayerPlan | None:
        """The layer the network's output comes from (None: the network returns its input)."""
        return next((lp for lp in reversed(self.layers) if lp.node.id == self.output_name), None)

    def path_to_output(self) -> list[LayerPlan]:
        """The layers the output depends on, last first (what its receptive field runs through)."""
        by_id = {lp.node.id: lp for lp in self.layers}
        out, todo, seen = [], [self.output_name], set()
        while todo:
            name = todo.pop()
            if name in by_id and name not in seen:
                seen.add(name)
                out.append(by_id[name])
                todo += by_id[name].node.inputs
        return sorted(out, key=lambda lp: -lp.node.index)

    @property
    def output(self) -> Shape:
        out = self.output_layer
        return out.output if out is not None else self.input_shape

    @cached_property
    def live_steps(self) -> list[Any]:
        """The tensors alive at each step (convcalc/memory.py), worked out once per plan: the
        totals, the peak and its explanation all read them (a 100,000-layer plan paid 3x)."""
        from .memory import steps

        return steps(self)

    def step_totals(self) -> list[Dim]:
        """Per layer, the sum of the tensors alive while it runs (inputs kept until last use)."""
        return [s.total for s in self.live_steps[1:]]

    def peak_activation(self) -> tuple[list[Dim], list[int | None]]:
        """Peak activation elements as the max of the returned totals, each with the index of
        the layer running then (None: the input alone). A concrete plan gives one int (the
        first layer on a tie). With symbols, the totals that may be the largest for some valid
        value (convcalc/dominance.py drops those provably at most another): a single
        expression when one layer's total is the largest for every valid value."""
        totals = [product(self.input_shape)] + self.step_totals()
        if all(is_concrete(t) for t in totals):
            keep = [max(range(len(totals)), key=lambda i: (totals[i], -i))]
        else:
            from .dominance import maximal

            keep = maximal(totals, {n: lim.value for n, lim in self.limits.items() if lim.value})
        return [totals[i] for i in keep], [i - 1 if i else None for i in keep]

    def peak_activation_elements(self) -> Dim | None:
        """Largest sum of live tensors while any one layer runs; None if no single expression is."""
        terms = self.peak_activation()[0]
        return terms[0] if len(terms) == 1 else None


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


def infer_node(node: Node, inputs: list[Shape], ctx: Ctx) -> Result:
    try:
        return lookup(node.type).infer(node, inputs, ctx)
    except ConvCalcError as exc:
        if exc.field and exc.field in node.arg_locs:
            exc.located(loc=node.arg_locs[exc.field])
        raise exc.located(loc=node.loc, layer=f"{node.path} ({node.type})")


def infer(spec: ModelSpec, **options: Any) -> Plan:
    """Run the shape engine over a spec; with symbols in the input, also find their smallest
    valid values and check the --set ones against them (convcalc/limits.py)."""
    if spec.input is None or not any(isinstance(s, str) for s in spec.input):
        return infer_once(spec, **options)
    from .limits import infer_with_limits

    return infer_with_limits(spec, infer_once, **options)


def infer_once(spec: ModelSpec, *, kernel_layout: str | None = None, dtype: str = "float32", batch: int = 1) -> Plan:
    """Run the shape engine over a spec once, with the --set values substituted."""
    if spec.input is None:
        raise SpecError("no input shape: give --input (e.g. --input 28x28x1) or 'input:' in the file")
    shape, symbols = canonical_input(spec)
    nodes = build(spec)
    ctx = Ctx(layout=spec.layout)
    shapes: dict[str, Shape] = {INPUT: shape}
    rank = len(shape) - 1
    rfs: dict[str, RF | None] = {INPUT: input_field(rank)}
    layers, notes, warnings = [], [], []
    for node in nodes:
        ins = [shapes[name] for name in node.inputs]
        result = infer_node(node, ins, ctx)
        shapes[node.id] = result.output
        fs = field_of(node.id, node.inputs, [rfs[name] for name in node.inputs], result.rf, lookup(node.type).elementwise)
        rfs[node.id] = fs.rf
        notes += fs.notes
        if len(ins) == 1:
            warnings += unused_input(node.id, ins[0], result.output, result.rf)
        layers.append(LayerPlan(node, ins, result, fs.rf, fs.explain))
    return Plan(
        name=spec.name,
        layout=spec.layout,
        kernel_layout=kernel_layout or spec.kernel_layout or ("oihw" if spec.layout == "chw" else "hwio"),
        input_shape=shape,
        symbols=symbols,
        layers=layers,
        dtype=dtype,
        batch=batch,
        notes=notes,
        warnings=warnings,
        groups={gid: replace(g, output=resolve(gid, spec.aliases)) for gid, g in spec.groups.items()},
        output_id=resolve(spec.output, spec.aliases) if spec.output else None,
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


