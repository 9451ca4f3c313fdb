"""Designs side by side (``convcalc compare A.yaml B.yaml ...``). Pure: no numpy, no rich.

Each spec file is planned on its own; the comparison takes, per design, the output shape, the
totals (params, MACs, FLOPs, parameter and activation bytes) and the receptive field of the
network's output (or, where flatten, dense or global pooling end it, of the last layer that has
one, named), and every count's ratio to the first design's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .dims import Dim, is_concrete
from .engine import Plan, display_shape, infer
from .errors import Loc, SpecError
from .fields import RF
from .memory import bytes_of, naive_elements, peak
from .spec import load_file


@dataclass
class Design:
    label: str  # the spec's name, else the file name without .yaml
    file: str
    plan: Plan
    budgets: dict[str, Any] = field(default_factory=dict)  # the spec's `budgets:` (budgets.Limit by name)

    @property
    def output_shape(self) -> tuple[Dim, ...]:
        return display_shape(self.plan.output, self.plan.layout)

    @property
    def field_layer(self) -> str | None:
        """The last layer with a receptive field on the way to the output: the output's, or the one
        before the field ends."""
        return next((lp.node.id for lp in self.plan.path_to_output() if lp.rf is not None), None)

    @property
    def receptive_field(self) -> RF | None:
        return next((lp.rf for lp in self.plan.path_to_output() if lp.rf is not None), None)


def _peak_bytes(plan: Plan) -> Dim | None:
    top = peak(plan)[0]
    return None if top is None else bytes_of(plan, top)


# the counted rows: key (as in JSON), label (as in the table), value
COUNTS: list[tuple[str, str, Callable[[Plan], Dim | None]]] = [
    ("params", "params", lambda p: p.params),
    ("macs", "MACs", lambda p: p.macs),
    ("flops", "FLOPs", lambda p: 2 * p.macs),
    ("param_bytes", "param bytes", lambda p: p.param_bytes),
    ("peak_activation_bytes", "peak act. bytes", _peak_bytes),
    ("naive_activation_bytes", "naive act. bytes", lambda p: bytes_of(p, naive_elements(p))),
]


def ratio(value: Dim | None, base: Dim | None) -> float | None:
    """value / base, or None when either is unknown or symbolic, or the base is 0."""
    if value is None or base is None or not (is_concrete(value) and is_concrete(base)) or base == 0:
        return None
    return int(value) / int(base)  # type: ignore[arg-type]


def counts(design: Design) -> dict[str, Dim | None]:
    return {key: value(design.plan) for key, _, value in COUNTS}


def ratios(design: Design, first: Design) -> dict[str, float | None]:
    mine, base = counts(design), counts(first)
    return {key: ratio(mine[key], base[key]) for key, _, _ in COUNTS}


def load_designs(files: list[str] | tuple[str, ...], *, dtype: str = "float32", batch: int = 1) -> list[Design]:
    """Plan every file (errors keep their file and line)."""
    if len(files) < 2:
        raise SpecError("compare needs at least two spec files", loc=Loc("<cli>"),
                        hint="convcalc compare A.yaml B.yaml [C.yaml ...]")
    designs = []
    for file in files:
        spec = load_file(file)
        plan = infer(spec, dtype=dtype, batch=batch)
        designs.append(Design(spec.name or Path(file).stem, file, plan, spec.budgets))
    return designs


def exceeded(designs: list[Design]) -> list[str]:
    """A line per budget a design's spec sets and its plan exceeds (``file: budget ...``)."""
    from .errors import ConvCalcError

    lines = []
    for design in designs:
        if design.budgets:
            from .budgets import evaluate

            try:
                outcomes = evaluate(design.plan, design.budgets)
            except ConvCalcError as exc:  # a count over unset symbols: compare has no --set
                exc.hint = "give the symbols values in the spec file (set: {T: 1000})"
                raise
            lines += [f"{design.file}: {o.line()}" for o in outcomes if not o.ok]
    return lines


def summary(designs: list[Design]) -> dict[str, Any]:
    """Plain data for the renderers: per design its numbers and ratios against the first."""
    first = designs[0]
    return {
        "dtype": first.plan.dtype,
        "batch": first.plan.batch,
        "designs": [{"design": d, "counts": counts(d), "ratios": ratios(d, first)} for d in designs],
    }
