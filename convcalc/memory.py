"""Activation memory for inference: liveness over the graph, and the naive sum. Pure Python.

Model: every layer writes a new output tensor. While a layer runs, its output and every tensor
that is still needed are alive: a tensor lives from the layer that makes it until its last
consumer has run (so the inputs of a merge are alive together), and the network's output until
the end. The peak is the largest sum of live tensors over the layers. In-place operations and
the temporaries a framework allocates inside a layer (im2col buffers, workspaces) are not
modelled. The *naive* figure, which most summaries print, adds up every layer's output as if
all were alive at once, with the input (about what a training step keeps for the backward
pass); it is never below the peak.

Sizes are elements of one sample; bytes = elements x batch x the dtype's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .dims import Dim
from .engine import DTYPE_BYTES
from .graph import INPUT
from .layers.base import fmt, product


@dataclass(frozen=True)
class Step:
    """The tensors alive while one layer runs (``index`` -1: before the first layer)."""

    index: int
    layer: str
    live: tuple[tuple[str, Dim], ...]  # (tensor name, elements), in order of creation
    total: Dim  # the sum of ``live``'s elements


def steps(plan: Any) -> list[Step]:
    """One Step per layer, in execution order. The total is kept as tensors come and go, not
    summed again at every step (a long chain of layers has few tensors alive, a wide one many)."""
    last_use: dict[str, int] = {}
    for i, lp in enumerate(plan.layers):
        for name in lp.node.inputs:
            last_use[name] = i
    last_use[plan.output_name] = len(plan.layers)  # the network's output lives to the end
    total = product(plan.input_shape)
    live: dict[str, Dim] = {INPUT: total}
    out = [Step(-1, INPUT, tuple(live.items()), total)]
    for i, lp in enumerate(plan.layers):
        live[lp.node.id] = lp.activation_elements
        total = total + lp.activation_elements
        out.append(Step(i, lp.node.id, tuple(live.items()), total))
        freed = [name for name in live if last_use.get(name, -1) <= i]
        for name in freed:
            total = total - live.pop(name)
    return out


def peak(plan: Any) -> tuple[Dim | None, Step | None]:
    """The peak of live elements and the step where it occurs, when one step's total is the
    largest (for a symbolic plan: for every valid value; see ``Plan.peak_activation``)."""
    terms, where = plan.peak_activation()
    if len(terms) != 1:
        return None, None
    return terms[0], plan.live_steps[0 if where[0] is None else where[0] + 1]


def naive_elements(plan: Any) -> Dim:
    """The input and every layer's output added up, as if all were alive at once."""
    return sum((lp.activation_elements for lp in plan.layers), product(plan.input_shape))


def bytes_of(plan: Any, elements: Dim) -> Dim:
    return elements * plan.batch * DTYPE_BYTES[plan.dtype]


def _times(plan: Any) -> str:
    return f"x {DTYPE_BYTES[plan.dtype]} B x batch {plan.batch}"


def _sum_text(terms: list[Dim]) -> str:
    if len(terms) > 8:
        return f"the input and {len(terms) - 1} layer outputs"
    from .render.common import num

    return " + ".join(num(t) for t in terms)


def layer_line(plan: Any, lp: Any) -> str:
    """``activations: 26*26*16 = 10,816 elements x 4 B (float32) x batch 1 = 43,264 B``."""
    from .render.common import num

    n = lp.activation_elements
    return f"activations: {'*'.join(fmt(s) for s in lp.output)} = {num(n)} {_times(plan)} = {num(bytes_of(plan, n))} B"


def explain_totals(plan: Any) -> list[str]:
    """The arithmetic behind each memory total."""
    from .render.common import num

    width = DTYPE_BYTES[plan.dtype]
    lines = [f"parameter memory: {num(plan.params)} x {width} B ({plan.dtype}) = {num(plan.param_bytes)} B"]
    top, where = peak(plan)
    if top is not None and where is not None:
        names = " + ".join(f"{name} {num(n)}" for name, n in where.live)
        running = "before the first layer" if where.index < 0 else f"at {where.layer}"
        lines.append(f"peak activations {running}: {names} = {num(top)} {_times(plan)} = {num(bytes_of(plan, top))} B")
    if plan.layers:
        total = naive_elements(plan)
        terms = [product(plan.input_shape)] + [lp.activation_elements for lp in plan.layers]
        lines.append(f"all tensors summed: {_sum_text(terms)} = "
                     f"{num(total)} {_times(plan)} = {num(bytes_of(plan, total))} B")
    return lines
