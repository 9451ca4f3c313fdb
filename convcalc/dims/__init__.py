"""Exact symbolic sizes: ints and positive-integer symbols under + - * and floor division by ints.

An :class:`Expr` is a polynomial with integer coefficients over *atoms*, held as plain tuples
so that sorting, hashing and ``==`` are structural:

* poly     = sorted tuple of ``(monomial, coefficient)``, no zero coefficient, the constant
  under the empty monomial ``()``;
* monomial = sorted tuple of ``(atom, power)``;
* atom     = ``(0, name)`` for a symbol, or ``(1, d, poly)`` for ``floor(poly / d)``, ``d >= 2``.

A result without atoms collapses to a plain ``int``. ``floor(P/d)`` is normalised by these
rules, each valid for *all* integer values of the symbols (so evaluation is always exact):

1. reduce every coefficient mod ``d``: ``floor((d*A + B)/d) = A + floor(B/d)``;
2. divide out ``g = gcd(d, non-constant coefficients)``:
   ``floor((g*A + q)/(g*d')) = floor((A + q//g)/d')``;
3. nesting: ``floor((floor(X/a) + B)/c) = floor((X + a*B)/(a*c))`` when the inner floor occurs
   once, linearly, with coefficient 1 (or ``c-1``, via rule 4), so a chain of strided convs or
   pools over ``T`` stays one floor of an affine expression;
4. sign: ``floor(P/d) = -floor((d-1-P)/d)``; of the two forms we keep the one whose coefficient
   vector is lexicographically smaller (a tie, only possible for ``d=2``: constant 0), so
   ``ceil(T/4)`` is stored as ``floor((T+3)/4)`` and ``ceil(T/2)`` as ``T - floor(T/2)``.

Several routes are tried (rule 4 on the whole numerator first, nesting each eligible inner
floor in turn, or an inner floor rewritten with rule 4 first: ``T - floor(T/2)`` is
``floor((T+1)/2)``) and the smallest result, by size and then tuple order, is kept. Equal forms
mean equal values; the converse holds for chains of convs and pools but not always (Hermite
identities such as ``floor(T/3) + floor((T+1)/3) + floor((T+2)/3) = T`` are not applied).

:func:`to_str` prints the shortest form it finds: each floor as ``floor(P/d)`` or
``ceil((P-d+1)/d)``, the constant absorbed into a floor, floors rewritten with rule 4
(``T - floor(T/2)`` prints as ``ceil(T/2)``), products over separate symbols factored.
"""

from __future__ import annotations

from typing import Any

from .expr import (Dim, Expr, UnboundSymbolError, ceil_div, degree, evaluate, floor_div, function, is_concrete,
                   is_symbol_name, period, substitute, symbol, symbols, to_str)

__all__ = ["Dim", "Expr", "UnboundSymbolError", "ceil_div", "degree", "evaluate", "floor_div",
           "function", "is_concrete", "is_symbol_name", "parse", "period", "substitute", "symbol", "symbols",
           "to_str"]


def __getattr__(name: str) -> Any:
    """``parse`` loads on first use: planning never reads sizes back from text."""
    if name == "parse":
        from .syntax import parse

        return parse
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
