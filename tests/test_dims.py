"""Tests for convcalc.dims: exact symbolic sizes, their shortest display and the parser."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcalc.dims import (
    Dim,
    Expr,
    UnboundSymbolError,
    ceil_div,
    evaluate,
    floor_div,
    is_concrete,
    parse,
    substitute,
    symbol,
    symbols,
    to_str,
)

T = symbol("T")
W = symbol("W")


# ------------------------------------------------------------- the layer formulas (int or Expr)

def conv(n: Dim, k: int, s: int = 1, dil: int = 1, pb: int = 0, pa: int = 0) -> Dim:
    return (n + pb + pa - (dil * (k - 1) + 1)) // s + 1


def same(n: Dim, s: int) -> Dim:
    return ceil_div(n, s)


def pool_ceil(n: Dim, k: int, s: int, p: int = 0) -> Dim:
    return ceil_div(n + 2 * p - k, s) + 1


def tconv(n: Dim, k: int, s: int = 1, dil: int = 1, pads: int = 0, out_pad: int = 0) -> Dim:
    return (n - 1) * s - pads + dil * (k - 1) + 1 + out_pad


def check_roundtrip(e: Dim, values: dict[str, int]) -> None:
    """to_str evaluates like evaluate() with math.ceil/floor, and parses back to e."""
    text = to_str(e)
    env = {"ceil": math.ceil, "floor": math.floor, **values}
    assert eval(text, env) == evaluate(e, values), text  # noqa: S307 - test of the printed form
    back = parse(text)
    assert back == e, (text, to_str(back))
    assert hash(back) == hash(e)


# ------------------------------------------------------------- known cases

KNOWN = [
    ("same-s2-twice", lambda: same(same(T, 2), 2), "ceil(T/4)"),
    ("same-s2-s3", lambda: same(same(T, 2), 3), "ceil(T/6)"),
    ("same-s2", lambda: same(T, 2), "ceil(T/2)"),
    ("maxpool-2", lambda: T // 2, "floor(T/2)"),
    ("valid-k3-s1", lambda: conv(T, 3), "T-2"),
    ("valid-k3-s2", lambda: conv(T, 3, 2), "ceil(T/2)-1"),
    ("valid-k3-s3", lambda: conv(T, 3, 3), "floor(T/3)"),
    ("valid-k5-s2", lambda: conv(T, 5, 2), "ceil(T/2)-2"),
    ("valid-k3-s2-twice", lambda: conv(conv(T, 3, 2), 3, 2), "ceil((T-6)/4)"),
    ("floor-T-plus-1-minus-1", lambda: (T + 1) // 2 - 1, "ceil(T/2)-1"),
    ("concat-T-and-half", lambda: T + same(T, 2), "T+ceil(T/2)"),
    ("affine", lambda: 2 * T + 1, "2*T+1"),
    ("product", lambda: T * W, "T*W"),
    ("square", lambda: T * T, "T**2"),
    ("macs-compact", lambda: same(T, 4) * 20 * 32, "640*ceil(T/4)"),
    ("macs-conv", lambda: same(same(T, 2), 2) * 20 * 32 * 16 * 3 * 3, "92160*ceil(T/4)"),
    ("product-of-ceils", lambda: same(T, 2) * same(W, 2), "ceil(T/2)*ceil(W/2)"),
    ("product-of-floors", lambda: (T // 2) * (W // 2), "floor(T/2)*floor(W/2)"),
    ("tconv-s2", lambda: tconv(T, 3, 2, pads=2, out_pad=1), "2*T"),
    ("tconv-after-same", lambda: tconv(same(T, 2), 4, 2, pads=2), "2*ceil(T/2)"),
    ("tconv-chain", lambda: tconv(tconv(T, 4, 2, pads=2), 3, 3, pads=1, out_pad=1), "6*T"),
    ("unet-down-up", lambda: tconv(T // 2, 2, 2), "2*floor(T/2)"),
    ("cancel-to-int", lambda: same(T, 2) + T // 2 - T, "0"),
    ("symbol-minus-symbol", lambda: T - T, "0"),
    ("two-symbols-floor", lambda: (T * W) // 2, "floor(T*W/2)"),
    ("nested-mixed", lambda: (T + 2 * (W // 3)) // 5, "floor((T+2*floor(W/3))/5)"),
    ("macs-hw", lambda: conv(T, 3, 2, 1, 1, 1) * conv(W, 3, 2, 1, 1, 1) * 64 * 32 * 9,
     "18432*ceil(T/2)*ceil(W/2)"),
    ("macs-factored", lambda: (T // 2 - 1) * (W // 2 - 1) * 576,
     "576*(floor(T/2)-1)*(floor(W/2)-1)"),
    ("negated-product", lambda: -(T - 9) * (W + 5), "-(T-9)*(W+5)"),
    ("pool-ceil-mode-chain", lambda: run(T, [("pool", 3, 2, 1)] * 12), "ceil((T-1)/4096)+1"),
]


@pytest.mark.parametrize(("build", "text"), [(b, t) for _, b, t in KNOWN],
                         ids=[i for i, _, _ in KNOWN])
def test_known_display(build, text):
    e = build()
    assert to_str(e) == text
    assert parse(text) == e
    for t in range(1, 60):
        check_roundtrip(e, {"T": t, "W": t * 7 % 23 + 1})


def test_constant_collapses_to_int():
    assert T - T == 0 and type(T - T) is int
    assert type(same(T, 2) + T // 2 - T) is int
    assert type(floor_div(7, 2)) is int and floor_div(7, 2) == 3
    assert ceil_div(7, 2) == 4 and ceil_div(-7, 2) == -3


def test_valid_conv_matches_formula_everywhere():
    e = conv(T, 3, 2)
    for t in range(3, 201):
        assert evaluate(e, {"T": t}) == (t - 3) // 2 + 1


EQUAL = [
    ("ceil-via-neg", lambda: -((-T) // 2), lambda: ceil_div(T, 2)),
    ("ceil-as-floor", lambda: (T + 3) // 4, lambda: ceil_div(T, 4)),
    ("floor-k3-s2", lambda: (T - 3) // 2 + 1, lambda: ceil_div(T, 2) - 1),
    ("nested-floor", lambda: (T // 2) // 3, lambda: T // 6),
    ("nested-ceil", lambda: ceil_div(ceil_div(T, 3), 5), lambda: ceil_div(T, 15)),
    ("gcd", lambda: (2 * T + 2) // 4, lambda: (T + 1) // 2),
    ("pull-out", lambda: (4 * T + 5) // 2, lambda: 2 * T + 2),
    ("hermite-2", lambda: T // 2 + (T + 1) // 2, lambda: T),
    ("distribute", lambda: (T + 1) * (W - 1), lambda: T * W - T + W - 1),
    ("mod", lambda: T % 2, lambda: T - 2 * (T // 2)),
]


@pytest.mark.parametrize(("a", "b"), [(a, b) for _, a, b in EQUAL], ids=[i for i, _, _ in EQUAL])
def test_structurally_equal(a, b):
    assert a() == b()
    assert hash(a()) == hash(b())


# ------------------------------------------------------------- API behaviour and errors

def test_api_basics():
    assert is_concrete(3) and not is_concrete(T)
    assert symbols(3) == frozenset()
    assert symbols(T * W + (T // 2)) == {"T", "W"}
    assert symbols((W + 2 * (T // 3)) // 5) == {"T", "W"}
    assert substitute(same(T, 2) * W, {"W": 3}) == 3 * same(T, 2)
    assert substitute(same(T, 2) * W, {"W": 3, "T": 5}) == 9
    assert evaluate(7, {}) == 7 and to_str(-3) == "-3" and parse("5") == 5
    assert type(parse("T-T")) is int
    assert str(same(T, 4)) == "ceil(T/4)" and repr(same(T, 4)) == "Expr(ceil(T/4))"
    assert len({same(T, 2), T - T // 2, parse("ceil(T/2)")}) == 1
    assert T != 3 and T + 1 != T and (T == "T") is False
    assert T ** 2 == T * T and T ** 0 == 1


@pytest.mark.parametrize(("fn", "exc", "match"), [
    (lambda: bool(T), TypeError, "truth value"),
    (lambda: T < 3, TypeError, "ordered"),
    (lambda: 3 >= T, TypeError, "ordered"),
    (lambda: T <= W, TypeError, "ordered"),
    (lambda: T // W, TypeError, "divisors must be ints"),
    (lambda: 6 // T, TypeError, "divisors must be ints"),
    (lambda: T / 2, TypeError, "ceil_div"),
    (lambda: floor_div(T, 0), ValueError, "positive"),
    (lambda: ceil_div(T, -2), ValueError, "positive"),
    (lambda: floor_div(T, 2.0), TypeError, "positive int"),
    (lambda: T + 1.5, TypeError, None),
    (lambda: int(T), TypeError, None),
    (lambda: symbol("ceil"), ValueError, "invalid symbol"),
    (lambda: symbol("2x"), ValueError, "invalid symbol"),
    (lambda: symbol("for"), ValueError, "invalid symbol"),
    (lambda: evaluate(T * W, {"T": 3}), UnboundSymbolError, "'W'"),
    (lambda: evaluate(T, {"T": 2.5}), TypeError, "must be an int"),
], ids=["bool", "lt", "ge-reflected", "le-two-exprs", "div-expr", "rdiv-expr", "truediv",
        "div-zero", "div-negative", "div-float", "add-float", "int", "reserved", "non-identifier",
        "keyword", "missing-symbol", "float-value"])
def test_errors(fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()


def test_missing_symbol_is_a_key_error():
    with pytest.raises(KeyError):
        evaluate(T, {})


PARSES = [
    ("T", "T"), (" 2 * T + 1 ", "2*T+1"), ("T//4", "floor(T/4)"), ("-T//2", "-ceil(T/2)"),
    ("floor((T+3)/4)", "ceil(T/4)"), ("ceil((T-3)/2)+1", "floor(T/2)"),
    ("floor(3*T/4)", "T-ceil(T/4)"), ("floor(T)", "T"), ("(T+1)*(T-1)", "T**2-1"),
    ("-T**2", "-T**2"), ("T*W//2", "floor(T*W/2)"), ("ceil(ceil(T/2)/2)", "ceil(T/4)"),
    ("+T-+1", "T-1"), ("floor(-T/2)", "-ceil(T/2)"), ("42", "42"),
]


@pytest.mark.parametrize(("text", "shown"), PARSES, ids=[p[0].strip() for p in PARSES])
def test_parse(text, shown):
    e = parse(text)
    assert to_str(e) == shown
    for t in range(1, 40):
        env = {"ceil": math.ceil, "floor": math.floor, "T": t, "W": t + 3}
        assert evaluate(e, {"T": t, "W": t + 3}) == eval(text, env)  # noqa: S307


BAD = ["", "T/2", "T +", "(T", "T)", "ceil(T+1/2)", "floor(T/W)", "floor(T/2", "T x 80",
       "T//W", "T//0", "2**T", "T**-1", "ceil", "for", "1.5", "T @ 2", "floor(T/2.0)",
       "__import__('os')", "T**99"]


@pytest.mark.parametrize("text", BAD, ids=[repr(b) for b in BAD])
def test_parse_rejects(text):
    with pytest.raises(ValueError, match="."):
        parse(text)


# ------------------------------------------------------------- property tests

OPS = st.one_of(
    st.tuples(st.just("conv"), st.integers(1, 7), st.integers(1, 4), st.integers(1, 3),
              st.integers(0, 3), st.integers(0, 3)),
    st.tuples(st.just("same"), st.integers(1, 4)),
    st.tuples(st.just("pool"), st.integers(1, 4), st.integers(1, 4), st.integers(0, 1)),
    st.tuples(st.just("tconv"), st.integers(1, 5), st.integers(1, 4), st.integers(1, 2),
              st.integers(0, 3), st.integers(0, 1)),
    st.tuples(st.just("add"), st.integers(-3, 3)),
    st.tuples(st.just("mul"), st.integers(1, 5)),
)


def apply(n: Dim, op: tuple) -> Dim:
    kind, *a = op
    if kind == "conv":
        return conv(n, *a)
    if kind == "same":
        return same(n, *a)
    if kind == "pool":
        return pool_ceil(n, *a)
    if kind == "tconv":
        return tconv(n, *a)
    if kind == "add":
        return n + a[0]
    return n * a[0]


def run(n: Dim, chain: list) -> Dim:
    for op in chain:
        n = apply(n, op)
    return n


CHAINS = st.lists(OPS, min_size=1, max_size=6)


@settings(max_examples=200, deadline=None)
@given(chain=CHAINS, ts=st.lists(st.integers(1, 10**6), min_size=1, max_size=5))
def test_chain_matches_int_arithmetic(chain, ts):
    e = run(T, chain)
    for t in ts + [1, 2, 3, 7, 64, 0, -5]:  # the rules hold for every integer, even <= 0
        assert evaluate(e, {"T": t}) == run(t, chain)
        check_roundtrip(e, {"T": t})
    assert substitute(e, {"T": ts[0]}) == run(ts[0], chain)


@settings(max_examples=200, deadline=None)
@given(a=CHAINS, b=CHAINS, c=CHAINS, combine=st.sampled_from(["concat", "mul", "hw", "mixed"]),
       t=st.integers(1, 5000), w=st.integers(1, 5000))
def test_two_symbols(a, b, c, combine, t, w):
    def build(x: Dim, y: Dim) -> Dim:
        if combine == "concat":
            return run(x, a) + run(x, b)
        if combine == "mul":
            return run(x, a) * run(y, b) * 16
        if combine == "hw":  # MACs of a conv on an H x W map: out_h*out_w*c_out*c_in*k*k
            return run(run(x, a), c) * run(y, b) * 8 * 3 * 9
        return run(run(x, a) + run(y, b), c)

    e = build(T, W)
    assert evaluate(e, {"T": t, "W": w}) == build(t, w)
    check_roundtrip(e, {"T": t, "W": w})
    assert substitute(substitute(e, {"T": t}), {"W": w}) == build(t, w)
    partial = substitute(e, {"W": w})  # equal in value to build(T, w); see test_known_limits
    assert symbols(partial) <= {"T"}
    for t2 in (t, t + 1, t + 12345):
        assert evaluate(partial, {"T": t2}) == build(t2, w)


@settings(max_examples=200, deadline=None)
@given(chain=CHAINS)
def test_equal_chains_display_equal(chain):
    """Building the same value twice, or through parse, gives one canonical Expr."""
    e = run(T, chain)
    assert run(T, chain) == e
    assert parse(to_str(e)) == e
    assert symbols(e) <= {"T"}


DOWN = st.lists(st.tuples(st.sampled_from(["conv", "same", "pool", "add"]), st.integers(1, 7),
                          st.integers(1, 4), st.integers(1, 3), st.integers(0, 3),
                          st.integers(0, 3)), min_size=1, max_size=8)


def run_variant(n: Dim, chain: list, variant: bool) -> Dim:
    """A downsampling chain with each step written in one of two equivalent ways."""
    for kind, k, s, dil, pb, pa in chain:
        eff = dil * (k - 1) + 1
        if kind == "conv":
            n = ceil_div(n + pb + pa - eff + 1, s) if variant else (n + pb + pa - eff) // s + 1
        elif kind == "same":
            n = (n + s - 1) // s if variant else ceil_div(n, s)
        elif kind == "pool":
            n = (n + 2 * pb - k + s - 1) // s + 1 if variant else ceil_div(n + 2 * pb - k, s) + 1
        else:
            n = n + (pb - pa)
    return n


@settings(max_examples=200, deadline=None)
@given(chain=DOWN)
def test_equivalent_formulas_give_one_canonical_form(chain):
    a, b = run_variant(T, chain, False), run_variant(T, chain, True)
    assert a == b and hash(a) == hash(b) and to_str(a) == to_str(b)


def test_known_limits_are_still_exact():
    """Hermite-type identities are not all recognised, but values are always exact."""
    e = T // 3 + (T + 1) // 3 + (T + 2) // 3
    assert all(evaluate(e, {"T": t}) == t for t in range(-20, 100))
    assert T // 2 + (T + 1) // 2 == T  # the d=2 case is


def test_resnet_like_macs_are_fast_and_compact():
    h, w, macs = T, W, 0
    for stage in range(4):
        for block in range(3):
            s = 2 if block == 0 and stage > 0 else 1
            h, w = conv(h, 3, s, 1, 1, 1), conv(w, 3, s, 1, 1, 1)
            macs = macs + h * w * 64 * 64 * 9
    assert to_str(macs) == ("110592*T*W+110592*ceil(T/2)*ceil(W/2)+110592*ceil(T/4)*ceil(W/4)"
                            "+110592*ceil(T/8)*ceil(W/8)")
    check_roundtrip(macs, {"T": 224, "W": 97})


def test_import_is_light():
    code = ("import sys; import convcalc.dims; "
            "print(' '.join(m for m in ('numpy', 'sympy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_expr_is_immutable_and_hashable():
    e = same(T, 4)
    with pytest.raises(AttributeError):
        e.foo = 1  # type: ignore[attr-defined]
    assert isinstance(e, Expr)
    assert {e: 1}[parse("ceil(T/4)")] == 1
