"""The :class:`Expr` type, the constructors of sizes and what can be asked of one (its value,
its symbols, its period and degree in a symbol, a fast function of it)."""

from __future__ import annotations

from keyword import iskeyword
from math import lcm

from .display import render
from .poly import _SYM, _add, _atom_syms, _cached, _floor, _items, _mul, _power

_RESERVED = frozenset({"ceil", "floor", "max", "min"})  # the functions printed sizes and totals use
_FUNCS: dict = {}


class UnboundSymbolError(KeyError):
    """evaluate() was given no value for a symbol (a KeyError naming it)."""

    def __str__(self) -> str:
        return f"no value given for symbol {self.args[0]!r}"


def _as_poly(x) -> dict | None:
    if isinstance(x, Expr):
        return dict(x._p)
    return ({(): int(x)} if x else {}) if isinstance(x, int) else None


def _mk(p: dict) -> Dim:
    if not p or (len(p) == 1 and () in p):
        return p.get((), 0)
    return Expr(_items(p))


def _op(fn, swap: bool = False):
    def method(self, other):
        q = _as_poly(other)
        if q is None:
            return NotImplemented
        return _mk(fn(q, dict(self._p)) if swap else fn(dict(self._p), q))
    return method


def _refuse(message: str):
    def method(self, *other):
        raise TypeError(message.format(self))
    return method


class Expr:
    """An exact symbolic size; build one with symbol() or parse(), not directly."""

    __slots__ = ("_p", "_h")

    def __init__(self, p: tuple) -> None:
        self._p = p
        self._h = hash(p)

    __add__ = __radd__ = _op(_add)
    __sub__ = _op(lambda a, b: _add(a, b, -1))
    __rsub__ = _op(lambda a, b: _add(a, b, -1), swap=True)
    __mul__ = __rmul__ = _op(_mul)
    __rfloordiv__ = _refuse("cannot floor-divide by the symbolic size {}; divisors must be ints")
    __truediv__ = __rtruediv__ = _refuse("'/' is not defined on sizes; use // or ceil_div()")
    __bool__ = _refuse("the truth value of the symbolic size {} is undefined")
    __lt__ = __le__ = __gt__ = __ge__ = _refuse(
        "symbolic sizes cannot be ordered ({}); test is_concrete() first or evaluate()")

    def __neg__(self):
        return _mk({m: -c for m, c in self._p})

    def __pos__(self):
        return self

    def __pow__(self, e):
        if not isinstance(e, int) or e < 0:
            return NotImplemented
        return _mk(_power(dict(self._p), e))

    def __floordiv__(self, d):
        return floor_div(self, d) if isinstance(d, (int, Expr)) else NotImplemented

    def __mod__(self, d):
        return self - d * floor_div(self, d) if isinstance(d, (int, Expr)) else NotImplemented

    def __eq__(self, o):
        if isinstance(o, Expr):
            return self._h == o._h and self._p == o._p
        return False if isinstance(o, int) else NotImplemented

    def __hash__(self):
        return self._h

    def __str__(self):
        return to_str(self)

    def __repr__(self):
        return f"Expr({to_str(self)})"


Dim = int | Expr


def is_symbol_name(name: object) -> bool:
    """Whether ``name`` can name a symbol: an identifier other than ceil, floor, max, min or a
    Python keyword (printed expressions call those functions)."""
    return isinstance(name, str) and name.isidentifier() and not iskeyword(name) and name not in _RESERVED


def symbol(name: str) -> Expr:
    """A positive-integer symbol; ``name`` passes :func:`is_symbol_name`."""
    if not is_symbol_name(name):
        raise ValueError(f"invalid symbol name {name!r}: need an identifier other than "
                         "ceil, floor, max, min or a Python keyword")
    return Expr((((((_SYM, name), 1),), 1),))


def floor_div(x: Dim, d: int) -> Dim:
    """floor(x / d) for a positive int d."""
    if isinstance(d, Expr):
        raise TypeError(f"cannot floor-divide by the symbolic size {d}; divisors must be ints")
    if not isinstance(d, int) or isinstance(d, bool):
        raise TypeError(f"divisor must be a positive int, got {type(d).__name__}")
    if d <= 0:
        raise ValueError(f"divisor must be a positive int, got {d}")
    if isinstance(x, Expr):
        return _mk(_floor(dict(x._p), d))
    if isinstance(x, int):
        return x // d
    raise TypeError(f"expected an int or Expr, got {type(x).__name__}")


def ceil_div(x: Dim, d: int) -> Dim:
    """ceil(x / d) for a positive int d: ``-((-x) // d)``."""
    return -floor_div(-x, d)


def is_concrete(x: Dim) -> bool:
    return isinstance(x, int)


def symbols(x: Dim) -> frozenset[str]:
    """The names of the symbols occurring in x."""
    p = x._p if isinstance(x, Expr) else ()
    return frozenset().union(*(_atom_syms(a) for m, _ in p for a, _ in m))


def _fold(x: Dim, leaf) -> Dim:
    """Rebuild x with Dim arithmetic, symbols replaced by leaf(name)."""
    memo: dict = {}

    def poly(p: tuple) -> Dim:
        total: Dim = 0
        for mono, c in p:
            for atom, k in mono:
                if atom not in memo:
                    memo[atom] = (leaf(atom[1]) if atom[0] == _SYM
                                  else floor_div(poly(atom[2]), atom[1]))
                c = c * memo[atom] ** k
            total = total + c
        return total

    return poly(x._p) if isinstance(x, Expr) else x


def evaluate(x: Dim, values) -> int:
    """The exact integer value of x, given an int for every symbol in it."""
    def leaf(name: str) -> int:
        if name not in values:
            raise UnboundSymbolError(name)
        if not isinstance(values[name], int):
            raise TypeError(f"value of symbol {name!r} must be an int, got {values[name]!r}")
        return values[name]

    return _fold(x, leaf)  # type: ignore[return-value]


def substitute(x: Dim, values) -> Dim:
    """x with the symbols named in values replaced by them (ints or Dims), re-simplified."""
    return _fold(x, lambda name: values[name] if name in values else symbol(name))


# ---------------------------------------------------------------- periodic structure

def _atom_period(atom: tuple, name: str) -> int:
    if atom[0] == _SYM or name not in _atom_syms(atom):
        return 1
    return atom[1] * _poly_period(atom[2], name)


def _poly_period(p: tuple, name: str) -> int:
    return lcm(1, *(_atom_period(a, name) for m, _ in p for a, _ in m))


def period(x: Dim, name: str) -> int:
    """A period L of x in the symbol name: on each class name = L*q + r (r fixed), x is an
    integer polynomial in q. For floor(P/d) it is d times the lcm of the periods inside P:
    then every inner atom changes by a multiple of d when q does, and the floor divides it."""
    return _poly_period(x._p, name) if isinstance(x, Expr) else 1


def _atom_degree(atom: tuple, name: str) -> int:
    if atom[0] == _SYM:
        return int(atom[1] == name)
    return _poly_degree(atom[2], name)


def _poly_degree(p: tuple, name: str) -> int:
    return max((sum(k * _atom_degree(a, name) for a, k in m) for m, _ in p), default=0)


def degree(x: Dim, name: str) -> int:
    """The degree of x in the symbol name, counting floor(P/d) as the degree of P: on a class
    name = period*q + r, x is a polynomial of at most this degree in q."""
    return _poly_degree(x._p, name) if isinstance(x, Expr) else 0


def _code(p: tuple) -> str:
    terms = ["*".join([str(c)] + [_atom_code(a) + (f"**{k}" if k > 1 else "") for a, k in m])
             for m, c in p]
    return "(" + "+".join(terms) + ")" if terms else "0"


def _atom_code(atom: tuple) -> str:
    return atom[1] if atom[0] == _SYM else f"({_code(atom[2])}//{atom[1]})"


def function(x: Dim, names: tuple[str, ...]):
    """x as a fast Python function of the symbols in names (positional ints): integer ``//``
    for every floor, so exact for any size. Every symbol of x must be in names."""
    missing = symbols(x) - set(names)
    if missing:
        raise UnboundSymbolError(sorted(missing)[0])

    def make():
        code = _code(x._p) if isinstance(x, Expr) else str(int(x))
        return eval(f"lambda {', '.join(names)}: {code}", {"__builtins__": {}})  # noqa: S307

    return _cached(_FUNCS, (x, tuple(names)), make)


def to_str(x: Dim) -> str:
    """The shortest form found, in Python syntax with ceil() and floor()."""
    if isinstance(x, Expr):
        return render(x._p)
    if isinstance(x, int):
        return str(int(x))
    raise TypeError(f"expected an int or Expr, got {type(x).__name__}")

