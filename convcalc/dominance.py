"""Which of several symbolic sizes can be the largest for some valid value of the symbols.

A maximum of expressions (the peak memory over the layers) has no closed form in
:mod:`convcalc.dims`; but most candidates are provably at most some other one for every valid
value, and dropping them leaves a short exact ``max(...)``, often of a single expression.

The proof that ``a - b >= 0`` for all symbol values ``>= minima``: each symbol ``x`` has a
period ``L`` (:func:`convcalc.dims.period`) such that on every residue class
``x = L*(q0 + u) + r`` the difference is an integer polynomial in ``u >= 0`` of known degree
``D``. A polynomial of degree ``<= D`` is the sum of its forward differences at ``u = 0``
times ``binomial(u, k)``, and ``binomial(u, k) >= 0`` for integers ``u >= 0``; so if every
forward difference (computed from the ``(D+1)`` values per symbol) is ``>= 0`` the difference
is ``>= 0`` on the whole class. For one symbol of degree 1 this is exact: a negative value
or slope is a counterexample. The work grows with the product of the periods, so it stops at
:data:`BUDGET` evaluations and answers "cannot tell" (the expression is then kept).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product as cartesian
from math import comb, lcm, prod
from typing import Callable, Sequence

from .dims import Dim, degree, function, is_concrete, period, symbols

BUDGET = 200_000  # evaluations of compiled expressions per question (about 0.1 s)
FAR = 1_000_003  # a large, odd, prime offset: where the candidates are ranked


class _Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit

    def spend(self, n: int) -> bool:
        self.left -= n
        return self.left >= 0


def _delta(f, base: Sequence[int], levels: Sequence[int], periods: Sequence[int]) -> int:
    """The forward difference of order levels[s] along each symbol s (steps of its period) at
    base: sum over j <= levels of prod (-1)**(k-j) * binomial(k, j) * f(base + j*period)."""
    total = 0
    for js in cartesian(*(range(k + 1) for k in levels)):
        weight = 1
        for k, j in zip(levels, js):
            weight *= (-1) ** (k - j) * comb(k, j)
        total += weight * f(*(b + j * p for b, j, p in zip(base, js, periods)))
    return total


@dataclass(frozen=True)
class _Shape:
    """What the proof needs of an expression over fixed symbol names: a fast function, and per
    name its period and degree (1 and 0 for a name it does not use)."""

    f: Callable[..., int]
    periods: tuple[int, ...]
    degrees: tuple[int, ...]
    uses: frozenset[str]

    @staticmethod
    def of(x: Dim, names: tuple[str, ...]) -> "_Shape":
        return _Shape(function(x, names), tuple(period(x, n) for n in names),
                      tuple(degree(x, n) for n in names), symbols(x))

    def minus(self, other: "_Shape") -> "_Shape":
        """self - other, without building the expression: evaluated as the two functions."""
        f, g = self.f, other.f
        return _Shape(lambda *v: f(*v) - g(*v), tuple(map(lcm, self.periods, other.periods)),
                      tuple(map(max, self.degrees, other.degrees)), self.uses | other.uses)


def nonnegative(x: Dim, minima: dict[str, int], budget: _Budget | None = None) -> bool | None:
    """True if x >= 0 for every value of its symbols >= minima, False if not, None if the
    test cannot tell (or the budget ran out)."""
    if is_concrete(x):
        return x >= 0  # type: ignore[operator]
    names = tuple(sorted(symbols(x)))
    return _nonnegative(_Shape.of(x, names), names, minima, budget or _Budget(BUDGET))


def _nonnegative(x: _Shape, names: tuple[str, ...], minima: dict[str, int], budget: _Budget) -> bool | None:
    """nonnegative() on a _Shape. Along a symbol of degree 1 the differences do not depend on
    its class (each atom changes by the same amount whatever its value), so a difference of
    order >= 1 along it is taken on one class only: the work is about the product of the
    periods, not 2**symbols times it."""
    f, periods, degrees = x.f, x.periods, x.degrees
    # the smallest value of each class, smallest first: counterexamples are usually small
    bases = [sorted(_first_at_least(minima.get(n, 1), p, r) for r in range(p)) for n, p in zip(names, periods)]
    exact = len(x.uses) == 1 and max(degrees) <= 1
    plans = []
    for levels in cartesian(*(range(d + 1) for d in degrees)):
        lists = [b if k == 0 or d > 1 else b[:1] for b, k, d in zip(bases, levels, degrees)]
        plans.append((levels, lists))
        if not budget.spend(prod(len(v) for v in lists) * prod(k + 1 for k in levels)):
            return None
    for levels, lists in plans:
        if not any(levels):  # the values themselves: a negative one is a counterexample
            if any(f(*base) < 0 for base in cartesian(*lists)):
                return False
        elif any(_delta(f, base, levels, periods) < 0 for base in cartesian(*lists)):
            return False if exact else None
    return True


def _first_at_least(lo: int, step: int, residue: int) -> int:
    """The smallest v >= max(lo, 1) with v % step == residue."""
    lo = max(lo, 1)
    return lo + (residue - lo) % step


def maximal(exprs: Sequence[Dim], minima: dict[str, int]) -> list[int]:
    """Indices of expressions whose maximum equals the maximum of all of them: an expression
    is dropped only when another is proved >= it for every valid value (so the max of the
    kept ones is exact even when a proof fails). The first index of each distinct expression,
    largest first (ranked far out, where the symbols are large)."""
    distinct: dict[Dim, int] = {}
    for i, e in enumerate(exprs):
        distinct.setdefault(e, i)
    names = tuple(sorted(set().union(*(symbols(e) for e in distinct))))
    shapes = {e: _Shape.of(e, names) for e in distinct}
    far = [minima.get(n, 1) + FAR + 2 * k for k, n in enumerate(names)]
    order = sorted(distinct, key=lambda e: (-shapes[e].f(*far), distinct[e]))
    budget = _Budget(BUDGET)

    def covers(k: Dim, e: Dim) -> bool:
        return _nonnegative(shapes[k].minus(shapes[e]), names, minima, budget) is True

    kept: list[Dim] = []
    for e in order:
        if not any(covers(k, e) for k in kept):
            kept.append(e)
    kept = [e for e in kept if not any(k != e and covers(k, e) for k in kept)]
    return [distinct[e] for e in kept]
