"""`convcalc check` for a plan whose input still has symbols: run the executor at several values.

The executor only ever sees concrete arrays, so a symbolic plan is checked by *evaluating* it:
at each sample of values every planned expression (shapes, kernel and bias shapes, params,
MACs) is evaluated, giving a concrete plan that the executor runs and compares as usual. What is
verified is therefore the expressions themselves, not a second concrete inference.

The samples, per symbol with smallest valid value ``m`` and period ``L`` (the lcm of the
periods of the plan's sizes, :func:`convcalc.dims.period`, at most :data:`MAX_PERIOD`):
``m``, ``m+1`` (an odd and an even one), then an odd ``v >= m+L+2`` and an even ``v+L+1``-ish
value, so the larger ones fall in other residue classes. With several symbols the k-th
symbol's list is rotated by k, so no two symbols share a value in one sample (when they share
their minimum) and a swapped axis shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from math import lcm
from typing import Any

from .dims import evaluate, period
from .engine import LayerPlan, Plan
from .errors import CheckError
from .reference.check import CheckReport, Mismatch
from .reference.check import check as run_executor

MAX_PERIOD = 64  # larger periods only choose the sample values; they need not cover all classes


@dataclass(frozen=True)
class AtMismatch(Mismatch):
    """A mismatch found at these symbol values."""

    at: dict[str, int] = field(default_factory=dict)


@dataclass
class SampledReport(CheckReport):
    """One executor run per entry of ``values``; counts and mismatches are summed over them."""

    values: list[dict[str, int]] = field(default_factory=list)


def unset_symbols(plan: Plan) -> list[str]:
    return [name for name, value in plan.symbols.items() if value is None]


def sample_values(plan: Plan) -> list[dict[str, int]]:
    """The symbol values at which to run the executor (see the module docstring)."""
    names = unset_symbols(plan)
    sizes = [d for lp in plan.layers for d in lp.output]
    columns = []
    for name in names:
        lim = plan.limits.get(name)
        if lim is None or lim.value is None:
            raise CheckError(f"the smallest valid value of {name} is unknown, so convcalc "
                             "cannot choose values to check at",
                             hint=f"give {name} a value with --set {name}=...")
        m = lim.value
        step = min(lcm(1, *(period(d, name) for d in sizes)), MAX_PERIOD)
        big = m + step + 2
        big += 1 - big % 2  # odd
        bigger = big + step + 1
        bigger += bigger % 2  # even
        columns.append([m, m + 1, big, bigger])
    rotated = [col[k % 4:] + col[:k % 4] for k, col in enumerate(columns)]
    return [dict(zip(names, row)) for row in zip(*rotated)] if names else [{}]


def evaluate_plan(plan: Plan, values: dict[str, int]) -> Plan:
    """The plan with every expression evaluated at values: what the executor compares against."""
    def shape(s: Any) -> Any:
        return None if s is None else tuple(evaluate(d, values) for d in s)

    layers = []
    for lp in plan.layers:
        r = lp.result
        result = replace(r, output=shape(r.output), kernel=shape(r.kernel), bias=shape(r.bias),
                         trainable=evaluate(r.trainable, values),
                         non_trainable=evaluate(r.non_trainable, values),
                         macs=evaluate(r.macs, values), constraints=[])
        layers.append(LayerPlan(lp.node, [shape(s) for s in lp.input_shapes], result, lp.rf))
    return replace(plan, input_shape=shape(plan.input_shape), layers=layers,
                   symbols={**plan.symbols, **values})


def check(plan: Plan, *, seed: int = 0, backend: str = "numpy", max_bytes: int | None = None,
          progress: Any = None) -> SampledReport:
    """Run the executor on the plan, at each sample of values if symbols are left unset
    (each run refused above ``max_bytes``, see reference/check.py; ``progress`` is called before
    each layer of each run)."""
    samples = sample_values(plan)
    total = SampledReport(seed=seed, values=[])
    for values in samples:
        concrete = evaluate_plan(plan, values) if values else plan
        report = run_executor(concrete, seed=seed, backend=backend, max_bytes=max_bytes, progress=progress)
        total.backend = report.backend
        total.cross = report.cross if total.cross is None else total.cross.merge(report.cross)
        given = {name: v for name, v in concrete.symbols.items() if v is not None}
        total.values.append(given)
        total.compared += report.compared
        total.estimated_bytes = max(total.estimated_bytes, report.estimated_bytes)
        total.layers = report.layers
        total.probed = report.probed  # the receptive fields measured (in the last run)
        total.mismatches += [AtMismatch(m.index, m.layer_id, m.quantity, m.planned, m.observed,
                                        at=given) for m in report.mismatches]
    return total
