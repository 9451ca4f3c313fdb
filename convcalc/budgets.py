"""Budgets for CI: upper limits on a plan's parameters, MACs and peak activation memory.

A budget comes from a flag (``--max-params 5M``) or from the spec (``budgets: {params: 5M}``);
the flag wins. Each budget checked gives an :class:`Outcome` (limit, actual, ok); an exceeded
budget makes the CLI exit 1. ``memory`` is the peak activation memory (``totals.
peak_activation_bytes``: inference, by liveness, times the batch and the dtype's size), not the
parameter bytes. Pure Python: the engine's Plan is read, never changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .dims import is_concrete, to_str
from .errors import Loc, SpecError, did_you_mean
from .units import format_bytes, parse_quantity


@dataclass(frozen=True)
class Budget:
    name: str
    flag: str
    what: str
    actual: Callable[[Any], Any]  # Plan -> Dim | None
    unit_bytes: bool = False


def _peak_bytes(plan: Any) -> Any:
    from .engine import DTYPE_BYTES

    peak = plan.peak_activation_elements()
    return None if peak is None else peak * DTYPE_BYTES[plan.dtype] * plan.batch


BUDGETS: dict[str, Budget] = {
    b.name: b
    for b in (
        Budget("params", "--max-params", "parameters", lambda plan: plan.params),
        Budget("macs", "--max-macs", "MACs", lambda plan: plan.macs),
        Budget("memory", "--max-memory", "peak activation memory", _peak_bytes, unit_bytes=True),
    )
}


@dataclass(frozen=True)
class Limit:
    value: int
    source: str  # "--max-params" or "budgets.params in net.yaml:4:11"
    loc: Loc = Loc("<cli>")  # where it was set, for errors
    field: str = ""  # "--max-params" or "budgets.params"


@dataclass(frozen=True)
class Outcome:
    name: str
    limit: int
    actual: int
    source: str

    @property
    def ok(self) -> bool:
        return self.actual <= self.limit

    def line(self) -> str:
        show = format_bytes if BUDGETS[self.name].unit_bytes else (lambda n: f"{n:,}")
        verdict, cmp = ("ok", "<=") if self.ok else ("EXCEEDED", ">")
        return f"budget {self.name} {verdict}: actual {show(self.actual)} {cmp} limit {show(self.limit)} ({self.source})"

    def to_dict(self) -> dict[str, Any]:
        return {"limit": self.limit, "actual": self.actual, "ok": self.ok, "source": self.source}


def parse_budgets(raw: Any, loc_of: Callable[[tuple[Any, ...]], Loc], key_loc: Callable[[tuple[Any, ...]], Loc]) -> dict[str, Limit]:
    """The spec's ``budgets:`` mapping (located errors for unknown names and bad values)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise SpecError(f"budgets must be a mapping such as {{params: 5M, macs: 1.2G, memory: 512MiB}}, got {raw!r}",
                        loc=loc_of(("budgets",)), field="budgets")
    limits: dict[str, Limit] = {}
    for name, value in raw.items():
        if name not in BUDGETS:
            raise SpecError(f"unknown budget '{name}'", loc=key_loc(("budgets", name)), field=f"budgets.{name}",
                            hint=did_you_mean(str(name), BUDGETS))
        loc = loc_of(("budgets", name))
        try:
            limit = parse_quantity(value, unit_bytes=BUDGETS[name].unit_bytes)
        except SpecError as exc:
            exc.field = f"budgets.{name}"
            raise exc.located(loc=loc)
        limits[name] = Limit(limit, f"budgets.{name} in {loc}", loc, f"budgets.{name}")
    return limits


def with_flags(limits: dict[str, Limit], options: dict[str, Any]) -> dict[str, Limit]:
    """The spec's limits overridden by the flags given (``options["max_params"]``, ...)."""
    merged = dict(limits)
    for name, budget in BUDGETS.items():
        value = options.get(budget.flag[2:].replace("-", "_"))
        if value is not None:
            merged[name] = Limit(value, budget.flag, Loc("<cli>"), budget.flag)
    return merged


def evaluate(plan: Any, limits: dict[str, Limit]) -> list[Outcome]:
    """Check each budget that has a limit, in the order of BUDGETS."""
    outcomes = []
    for name, budget in BUDGETS.items():
        if name not in limits:
            continue
        actual = budget.actual(plan)
        if actual is None or not is_concrete(actual):
            value = "" if actual is None else f" = {to_str(actual)}"
            raise SpecError(
                f"budget {name} cannot be checked: the {budget.what}{value} depends on symbols",
                loc=limits[name].loc, field=limits[name].field or None,
                hint="give the symbols values with --set (e.g. --set T=1000)",
            )
        outcomes.append(Outcome(name, limits[name].value, int(actual), limits[name].source))
    return outcomes
