"""convcalc.dominance (which sizes can be the largest) and the dims helpers it stands on."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcalc.dims import ceil_div, degree, evaluate, floor_div, function, period, symbol
from convcalc.dominance import _Budget, maximal, nonnegative

T, W = symbol("T"), symbol("W")

PERIODS = [
    # id, expression, symbol, period, degree
    ("ceil(T/4)", ceil_div(T, 4), "T", 4, 1),
    ("ceil(ceil(T/2)/3) is ceil(T/6)", ceil_div(ceil_div(T, 2), 3), "T", 6, 1),
    ("floor(T*W/3) in T", floor_div(T * W, 3), "T", 3, 1),
    ("floor(T*W/3) in W", floor_div(T * W, 3), "W", 3, 1),
    ("T*ceil(T/2)", T * ceil_div(T, 2), "T", 2, 2),
    ("W in T", W + 5, "T", 1, 0),
    ("int", 7, "T", 1, 0),
]


@pytest.mark.parametrize("x,name,p,d", [c[1:] for c in PERIODS], ids=[c[0] for c in PERIODS])
def test_period_and_degree(x, name, p, d):
    assert (period(x, name), degree(x, name)) == (p, d)


def _diffs(seq: list[int]) -> list[int]:
    return [b - a for a, b in zip(seq, seq[1:])]


LINEAR = st.tuples(st.integers(1, 3), st.integers(-4, 4), st.integers(2, 6))  # a*x+b over d


@settings(max_examples=200, deadline=None)
@given(chain=st.lists(LINEAR, min_size=1, max_size=4), r=st.integers(0, 50), w=st.integers(1, 30))
def test_on_each_residue_class_an_expression_is_a_polynomial_of_its_degree(chain, r, w):
    x = T
    for a, b, d in chain:
        x = floor_div(a * x + b, d) + T
    x = x * W + floor_div(x * x, 2)
    p, deg = period(x, "T"), degree(x, "T")
    f = function(x, ("T", "W"))
    seq = [f(r % p + p * q, w) for q in range(deg + 3)]
    assert seq[0] == evaluate(x, {"T": r % p, "W": w})
    for _ in range(deg + 1):
        seq = _diffs(seq)
    assert set(seq) == {0}  # the (deg+1)-th differences vanish: a polynomial of degree <= deg


NONNEG = [
    # id, expression, minima, verdict
    ("2*ceil(T/4) >= ceil(T/2)", 2 * ceil_div(T, 4) - ceil_div(T, 2), {}, True),
    ("ceil(T/2) < 2*ceil(T/4) at T=1", ceil_div(T, 2) - 2 * ceil_div(T, 4), {}, False),
    ("T >= 9 from 9", T - 9, {"T": 9}, True),
    ("T >= 9 fails at 8", T - 9, {"T": 8}, False),
    ("slope negative", 100 - T, {}, False),
    # Hermite's identity, which dims does not simplify: the difference is 0 on every class
    ("Hermite", floor_div(T, 3) + floor_div(T + 1, 3) + floor_div(T + 2, 3) - T, {}, True),
    ("two symbols", T * W - 3 * W, {"T": 3, "W": 1}, True),
    ("two symbols, counterexample", T * W - T - W, {"T": 1, "W": 2}, False),
    # (T-2)*(T-3) >= 0 on the integers, but its forward differences 2, -2, 2 are not all >= 0
    ("incomplete: degree 2", T * T - 5 * T + 6, {}, None),
]


@pytest.mark.parametrize("x,minima,verdict", [c[1:] for c in NONNEG], ids=[c[0] for c in NONNEG])
def test_nonnegative(x, minima, verdict):
    assert nonnegative(x, minima) is verdict


def test_nonnegative_stops_at_its_budget():
    x = floor_div(T, 997) * floor_div(W, 991) + 1  # 997*2 * 991*2 points
    assert nonnegative(x, {}, _Budget(10_000)) is None
    assert nonnegative(floor_div(T, 997) + 1, {}, _Budget(10_000)) is True


MAXIMAL = [
    # id, expressions, minima, indices kept (largest far out first)
    ("one dominates", [T, 2 * T, T + 1], {}, [1]),
    ("ties keep the first", [2 * T, T + T, T], {}, [0]),
    ("crossing lines", [3 * T, 2 * T + 5], {}, [0, 1]),
    ("crossing before the minimum", [3 * T, 2 * T + 5], {"T": 5}, [0]),
    ("five crossing lines", [k * T - k * k for k in range(1, 6)], {}, [4, 3, 2, 1, 0]),
]


@pytest.mark.parametrize("exprs,minima,kept", [c[1:] for c in MAXIMAL], ids=[c[0] for c in MAXIMAL])
def test_maximal(exprs, minima, kept):
    assert maximal(exprs, minima) == kept


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(st.tuples(st.integers(0, 5), st.integers(-20, 20), st.integers(1, 4)), min_size=1, max_size=6),
       lo=st.integers(1, 12))
def test_maximal_keeps_the_max_exact(lines, lo):
    exprs = [ceil_div(a * T + b, d) for a, b, d in lines]
    kept = maximal(exprs, {"T": lo})
    for t in range(lo, lo + 60):
        values = [evaluate(e, {"T": t}) for e in exprs]
        assert max(values[i] for i in kept) == max(values)
