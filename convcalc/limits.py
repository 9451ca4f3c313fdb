"""The smallest valid value of each input symbol, and which layer imposes it.

A layer that only fits large enough inputs records a requirement ``(expression, minimum,
what)`` in its Result (a valid conv with kernel 9 needs its padded size ``>= 9``); a layer that
records none still needs every output size ``>= 1``. With symbols in the input the engine plans
once symbolically, collects the requirements whose expression depends on a symbol (and that
some values do not meet: one met with every symbol at 1 is met by all) and finds per symbol the
smallest value that meets all of them.

Every size the layers compute is non-decreasing in each symbol (floors and ceilings of
increasing affine expressions, sums and products of sizes), so once a requirement holds it holds
for all larger values: the smallest value is found by doubling and then bisection. With several
symbols each requirement on one symbol bounds that symbol; a requirement joining several (after a
flatten or reshape) that the per-symbol minima do not meet is met by raising the first of its
symbols in input order. Each minimum therefore assumes the other symbols at their minima; when
some symbols are given values, the minima of the others are taken again from the plan with
those values in (H*W >= 9 with H=3: W >= 3).

A ``--set`` value is checked against every requirement before the concrete plan is made, so a
value too small gives one error naming the layer and the smallest value that fits.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

from .dims import Dim, evaluate, is_concrete, symbols, to_str
from .errors import ConvCalcError, ShapeError

SEARCH_LIMIT = 1 << 64  # doubling stops here: a requirement no size below it meets is an error


@dataclass(frozen=True)
class Requirement:
    """One layer's need: ``expr >= minimum`` (``what`` says which size it is)."""

    index: int
    layer: str
    where: str  # "layers[3] (conv)": the layer as errors name it
    loc: Any
    expr: Dim
    minimum: int
    what: str
    least: int | None = None  # single-symbol requirement: the smallest value meeting it alone

    @property
    def text(self) -> str:
        return f"{to_str(self.expr)} >= {self.minimum}"

    @property
    def name(self) -> str:
        """What the expression is ("padded size on axis 0"), without a repeated bound."""
        return self.what.removesuffix(f" >= {self.minimum}")


@dataclass(frozen=True)
class Limit:
    """The smallest valid value of a symbol and the requirement that sets it (by None: any
    value >= 1 fits; value None: not computed, for the reason given)."""

    symbol: str
    value: int | None
    by: Requirement | None = None
    reason: str = ""


def requirements(plan: Any) -> list[Requirement]:
    """The symbolic requirements of a plan's layers, in layer order."""
    found = []
    for lp in plan.layers:
        node, r = lp.node, lp.result
        needs = list(r.constraints) or [
            (size, 1, f"output size on axis {i} >= 1") for i, size in enumerate(r.output)]
        where = f"{node.path} ({node.type})"
        for expr, minimum, what in needs:
            ones = {name: 1 for name in symbols(expr)}
            if not is_concrete(expr) and evaluate(expr, ones) < minimum:  # else always met
                req = Requirement(node.index, node.id, where, node.loc, expr, minimum, what)
                names = symbols(expr)
                if len(names) == 1:
                    (name,) = names
                    req = replace(req, least=smallest(req, name, {}))
                found.append(req)
    return found


def _holds(req: Requirement, values: dict[str, int]) -> bool:
    return evaluate(req.expr, values) >= req.minimum


def smallest(req: Requirement, name: str, others: dict[str, int], start: int = 1) -> int:
    """The smallest value >= start of symbol name meeting req, the other symbols fixed."""
    def ok(v: int) -> bool:
        return _holds(req, {**others, name: v})

    if ok(start):
        return start
    lo, hi = start, max(start, 1) * 2
    while not ok(hi):
        if hi > SEARCH_LIMIT:
            raise ShapeError(
                f"no value of {name} makes this layer fit: it needs {req.text} ({req.what})",
                loc=req.loc, layer=req.where,
            )
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return hi


def min_values(reqs: list[Requirement], names: list[str]) -> dict[str, Limit]:
    """Per symbol, the smallest valid value (others at theirs) and the requirement setting it."""
    limits = {name: Limit(name, 1, None) for name in names}
    for req in reqs:
        if req.least is not None:
            (name,) = symbols(req.expr)
            if req.least > limits[name].value:
                limits[name] = Limit(name, req.least, req)
    for req in reqs:
        values = {name: limit.value for name, limit in limits.items()}
        if req.least is None and not _holds(req, values):
            name = next(n for n in names if n in symbols(req.expr))
            limits[name] = Limit(name, smallest(req, name, values, values[name]), req)
    return limits


def _given(names: Any, values: dict[str, int]) -> str:
    return ", ".join(f"{n}={values[n]}" for n in sorted(names))


def check_values(reqs: list[Requirement], values: dict[str, int], limits: dict[str, Limit],
                 locs: dict[str, Any] | None = None) -> None:
    """Raise a ShapeError at the first layer whose requirement the given values do not meet,
    located where the value was given (a `set:` entry; else the layer)."""
    for req in reqs:
        names = symbols(req.expr)
        if not names <= set(values) or _holds(req, values):
            continue
        given = _given(names, values)
        detail = "" if to_str(req.expr) in names else (
            (f", which holds from {_given(names, {n: req.least for n in names})} on" if req.least else "")
            + f"; at {given} it is {evaluate(req.expr, values)}")
        best = {n: max(values[n], limits[n].value or 1) for n in names}
        raise ShapeError(
            f"{given} is too small: this layer needs {req.text} ({req.name}){detail}",
            loc=next((locs[n] for n in sorted(names) if locs and n in locs), req.loc), layer=req.where,
            field="set",  # the value given (--set or set:) is what to change
            hint=f"give {_given(names, best)} or more (the line under `convcalc plan`'s table "
                 "names the smallest valid values)",
        )


def infer_with_limits(spec: Any, infer_once: Callable[..., Any], **options: Any) -> Any:
    """Plan symbolically to find the requirements and minima, then with the --set values."""
    values = dict(spec.values)
    try:
        sym = infer_once(replace(spec, values={}), **options)
    except ConvCalcError as exc:
        if not values:
            raise
        # with the given values in (a symbolic channel count, say), the others still symbols; its
        # error, if any, is the one that matters (it knows the values: "kernel 3 is larger...")
        plan = infer_once(spec, **options)
        reason = f"without values, {exc.message}"
        return _with_free_minima(plan, [], {name: Limit(name, None, reason=reason) for name in plan.symbols})
    reqs = requirements(sym)
    limits = min_values(reqs, list(sym.symbols))
    if not values:
        sym.requirements, sym.limits = reqs, limits
        return sym
    check_values(reqs, values, limits, spec.value_locs)
    return _with_free_minima(infer_once(spec, **options), reqs, limits)


def _with_free_minima(plan: Any, reqs: list[Requirement], limits: dict[str, Limit]) -> Any:
    """``plan`` (made with the values given) with its requirements and limits: those of the symbols
    still unset come from this plan, so they assume the values given (H*W >= 9 with H=3: W >= 3)."""
    unset = [name for name, value in plan.symbols.items() if value is None]
    if unset:
        reqs = requirements(plan)
        limits = {**limits, **min_values(reqs, unset)}
    plan.requirements, plan.limits = reqs, limits
    return plan
