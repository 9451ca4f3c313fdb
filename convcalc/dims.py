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

from keyword import iskeyword
from math import gcd, lcm

__all__ = ["Dim", "Expr", "UnboundSymbolError", "ceil_div", "degree", "evaluate", "floor_div",
           "function", "is_concrete", "parse", "period", "substitute", "symbol", "symbols",
           "to_str"]

_SYM, _FLOOR = 0, 1
_RESERVED = frozenset({"ceil", "floor"})
_FLOORS: dict = {}  # caches: floor normal forms, atom symbol sets, display strings
_SYMS: dict = {}
_TEXTS: dict = {}
_FUNCS: dict = {}


def _cached(cache: dict, key, make):
    if key not in cache:
        value = make()
        if len(cache) > 50000:
            cache.clear()
        cache[key] = value
    return cache[key]


class UnboundSymbolError(KeyError):
    """evaluate() was given no value for a symbol (a KeyError naming it)."""

    def __str__(self) -> str:
        return f"no value given for symbol {self.args[0]!r}"


# ---------------------------------------------------------------- polynomials as dicts

def _add(acc: dict, poly, k: int = 1) -> dict:
    """acc += k * poly (poly a dict or an items tuple), in place."""
    for m, c in poly.items() if isinstance(poly, dict) else poly:
        v = acc.get(m, 0) + k * c
        if v:
            acc[m] = v
        else:
            acc.pop(m, None)
    return acc


def _mono_mul(a: tuple, b: tuple) -> tuple:
    if not a or not b:
        return a or b
    powers = dict(a)
    for atom, p in b:
        powers[atom] = powers.get(atom, 0) + p
    return tuple(sorted(powers.items()))


def _mul(a: dict, b: dict) -> dict:
    out: dict = {}
    for ma, ca in a.items():
        for mb, cb in b.items():
            _add(out, {_mono_mul(ma, mb): ca * cb})
    return out


def _power(p: dict, e: int) -> dict:
    out = {(): 1}
    for _ in range(e):
        out = _mul(out, p)
    return out


def _items(p) -> tuple:
    return tuple(sorted(p.items()))


def _linear_atoms(p: dict) -> list:
    """The floor atoms F of p that occur only as a monomial ``F**1`` of their own, sorted."""
    found = []
    for mono in sorted(p):
        if len(mono) == 1 and mono[0][1] == 1 and mono[0][0][0] == _FLOOR:
            atom = mono[0][0]
            if all(m == mono or all(a != atom for a, _ in m) for m in p):
                found.append(atom)
    return found


def _flip_atom(poly: dict, atom: tuple) -> tuple[dict, tuple]:
    """Rule 4 on an atom: F = floor((N+q)/d) is S - G with S the sum of N's monomials and
    G = floor((N'+d-1-q)/d), N' having coefficients d-c for N's c. Returns (poly with F
    replaced by S - G, G)."""
    _, d, inner = atom
    q = dict(inner).get((), 0)
    g = (_FLOOR, d, tuple(sorted([(m, d - c) for m, c in inner if m]
                                 + [((), d - 1 - q)] * (q != d - 1))))
    sub = {m: 1 for m, _ in inner if m}
    sub[((g, 1),)] = -1
    out: dict = {}
    for mono, c in poly.items():
        rest = {tuple(f for f in mono if f[0] != atom): c}
        _add(out, _mul(rest, _power(sub, dict(mono).get(atom, 0))))
    return out, g


def _cost(p) -> int:
    return sum(1 + sum(1 + (_cost(a[2]) if a[0] == _FLOOR else 0) for a, _ in m)
               for m, _ in (p.items() if isinstance(p, dict) else p))


def _mentions(p, atom) -> bool:
    return any(a == atom or (a[0] == _FLOOR and _mentions(a[2], atom))
               for m, _ in (p.items() if isinstance(p, dict) else p) for a, _ in m)


def _floor(p: dict, d: int) -> dict:
    """The canonical polynomial equal to floor(p / d): the smallest of rules 1-4 applied
    directly, nesting each linear inner floor in turn, or after rewriting one with rule 4."""
    return dict(_cached(_FLOORS, (_items(p), d), lambda: _items(_floor_search(p, d))))


def _floor_search(p: dict, d: int) -> dict:
    cands = []
    for sign, start in ((1, p), (-1, _add({(): d - 1}, p, -1))):
        cands.append(_add({}, _floor1(start, d), sign))
        for atom in _linear_atoms(start):
            for alt_p, g in ((start, atom), _flip_atom(start, atom)):
                alt = _floor1(alt_p, d, g)
                if not _mentions(alt, g):
                    cands.append(_add({}, alt, sign))
    return min(cands, key=lambda c: (_cost(c), _items(c)))


def _floor1(p: dict, d: int, prefer: tuple | None = None) -> dict:
    """floor(p / d) by rules 1-4, nesting the atom ``prefer`` if rule 3 allows it."""
    out: dict = {}
    rest: dict = {}
    for m, c in p.items():
        q, r = divmod(c, d)
        if q:
            out[m] = q
        if r:
            rest[m] = r
    q0 = rest.pop((), 0)
    if not rest:
        return out
    g = gcd(d, *rest.values())
    d, q0, rest = d // g, q0 // g, {m: c // g for m, c in rest.items()}
    linear = _linear_atoms(rest)
    ones = [a for a in linear if rest[((a, 1),)] == 1]
    if ones:
        atom = prefer if prefer in ones else ones[0]
        _, a, inner = atom
        b = _add({m: c for m, c in rest.items() if m != ((atom, 1),)}, {(): q0})
        return _add(out, _floor(_add(dict(inner), b, a), a * d))
    coefs = [c for _, c in sorted(rest.items())]
    flipped = [d - c for c in coefs]
    if (any(rest[((a, 1),)] == d - 1 for a in linear) or flipped < coefs
            or (flipped == coefs and d - 1 - q0 < q0)):
        neg = _add({(): d - 1 - q0}, rest, -1)
        return _add(out, _floor1(neg, d, prefer), -1)
    if q0:
        rest[()] = q0
    return _add(out, {(((_FLOOR, d, _items(rest)), 1),): 1})


# ---------------------------------------------------------------- the Expr type

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


def symbol(name: str) -> Expr:
    """A positive-integer symbol; name is an identifier, not ceil, floor or a keyword."""
    if not isinstance(name, str) or not name.isidentifier() or iskeyword(name) \
            or name in _RESERVED:
        raise ValueError(f"invalid symbol name {name!r}: need an identifier other than "
                         "ceil, floor or a Python keyword")
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


def _atom_syms(atom: tuple) -> frozenset:
    return _cached(_SYMS, atom, lambda: frozenset((atom[1],)) if atom[0] == _SYM else
                   frozenset().union(*(_atom_syms(a) for m, _ in atom[2] for a, _ in m)))


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


# ---------------------------------------------------------------- display


def to_str(x: Dim) -> str:
    """The shortest form found, in Python syntax with ceil() and floor()."""
    if isinstance(x, Expr):
        return _render(x._p)
    if isinstance(x, int):
        return str(int(x))
    raise TypeError(f"expected an int or Expr, got {type(x).__name__}")


def _render(p: tuple) -> str:
    return _cached(_TEXTS, p, lambda: _shortest(p))


def _shortest(p: tuple) -> str:
    poly, best = dict(p), _plain(dict(p))
    for atom in sorted({a for m in p for a, _ in m[0] if a[0] == _FLOOR}):
        cand = _flip_atom(poly, atom)[0]  # greedy rule 4 rewrites
        s = _plain(cand)
        if len(s) < len(best):
            best, poly = s, cand
    f = _factored(dict(p))
    return f if f is not None and len(f) < len(best) else best


def _plain(poly: dict) -> str:
    const = poly.get((), 0)
    terms = sorted(((m, c) for m, c in poly.items() if m),
                   key=lambda t: (-sum(p for _, p in t[0]), t[0]))  # higher degree first
    cands = [_join(terms, const, -1)]
    for i, (m, c) in enumerate(terms):
        if const and abs(c) == 1 and len(m) == 1 and m[0][1] == 1 and m[0][0][0] == _FLOOR:
            cands.append(_join(terms, const, i))
    return min(cands, key=len)


def _join(terms: list, const: int, absorb: int) -> str:
    """Sum of terms, positive ones first, then the constant (or it goes into term absorb)."""
    pieces = []
    for i, (mono, c) in enumerate(terms):
        shift = const * c if i == absorb else 0
        body = "*".join(_render_atom(a, shift) + (f"**{p}" if p > 1 else "")
                        for a, p in sorted(mono, key=lambda f: (sorted(_atom_syms(f[0])), f)))
        pieces.append((c < 0, body if abs(c) == 1 else f"{abs(c)}*{body}"))
    pieces.sort(key=lambda t: t[0])
    if const and absorb < 0:
        pieces.append((const < 0, str(abs(const))))
    out = "".join(("-" if neg else "+") + s for neg, s in pieces) or "+0"
    return out[1:] if out[0] == "+" else out


def _render_atom(atom: tuple, shift: int = 0) -> str:
    if atom[0] == _SYM:
        return atom[1]
    _, d, inner = atom
    p = _add(dict(inner), {(): shift * d})
    floor_form = f"floor({_paren(_render(_items(p)))}/{d})"
    ceil_form = f"ceil({_paren(_render(_items(_add(p, {(): 1 - d}))))}/{d})"
    return floor_form if len(floor_form) <= len(ceil_form) else ceil_form


def _paren(s: str) -> str:
    """s, parenthesised if it has a + or - outside parentheses (other than a leading -)."""
    depth = 0
    for i, ch in enumerate(s):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and i > 0 and ch in "+-":
            return f"({s})"
    return s


def _factored(poly: dict) -> str | None:
    """poly as content * A * B with A over the first symbol only and B over the others."""
    names = sorted(frozenset().union(*(_atom_syms(a) for m in poly for a, _ in m)))
    if len(names) < 2:
        return None
    rows: dict = {}
    for mono, c in poly.items():
        mine = tuple(f for f in mono if _atom_syms(f[0]) == {names[0]})
        other = tuple(f for f in mono if names[0] not in _atom_syms(f[0]))
        if len(mine) + len(other) != len(mono):
            return None
        rows.setdefault(mine, {})[other] = c
    r0, row0 = next(iter(rows.items()))
    c0, m00 = next(iter(row0.items()))
    a = {r: row.get(c0, 0) for r, row in rows.items()}
    if any(row.get(c, 0) * m00 != a[r] * b for r, row in rows.items() for c, b in row0.items()) \
            or any(c not in row0 for row in rows.values() for c in row):
        return None
    ga, gb = gcd(*a.values()), gcd(*row0.values())
    a, b = {m: c // ga for m, c in a.items() if c}, {m: c // gb for m, c in row0.items()}
    texts = [[_render(_items({m: k * c for m, c in f.items()})) for k in (1, -1)] for f in (a, b)]
    cands = []
    for i in range(4):  # the four sign choices for the two factors; keep the shortest
        content = ga * gb // m00 * (-1) ** (i // 2 + i % 2)
        fa, fb = (t if t[0] != "-" else f"({t})" for t in (texts[0][i // 2], texts[1][i % 2]))
        cands.append(("-" if content == -1 else "" if content == 1 else f"{content}*")
                     + _paren(fa) + "*" + _paren(fb))
    return min(cands, key=lambda c: (len(c), c.count("(-")))


# ---------------------------------------------------------------- parsing

def _tokens(text: str) -> list:
    toks, i, n = [], 0, len(text)
    while i < n:
        j = i + 1
        if text[i].isspace():
            i = j
            continue
        if text[i] in "0123456789":
            while j < n and text[j] in "0123456789":
                j += 1
            toks.append(("int", int(text[i:j]), i))
        elif text[i].isalpha() or text[i] == "_":
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            toks.append(("name", text[i:j], i))
        elif text.startswith(("**", "//"), i) or text[i] in "+-*/()":
            j += text.startswith(("**", "//"), i)
            toks.append(("op", text[i:j], i))
        else:
            raise ValueError(f"unexpected character {text[i]!r} at position {i}")
        i = j
    return toks + [("end", None, n)]


class _Parser:
    """sum := product (('+'|'-') product)*;  product := unary (('*'|'//') unary)*;
    unary := ('-'|'+') unary | atom ['**' INT];  atom := INT | NAME | '(' sum ')'
    | ('ceil'|'floor') '(' sum ['/' INT] ')'  where a '/' needs a single-term numerator."""

    def __init__(self, text: str) -> None:
        self.toks, self.i = _tokens(text), 0

    def fail(self, what: str):
        kind, val, pos = self.toks[self.i]
        got = "the end" if kind == "end" else repr(val)
        raise ValueError(f"{what} at position {pos}, got {got}")

    def take(self, *ops: str):
        kind, val, _ = self.toks[self.i]
        if kind == "op" and val in ops:
            self.i += 1
            return val
        return None

    def need(self, kind: str, what: str):
        if self.toks[self.i][0] != kind:
            self.fail(f"expected {what}")
        self.i += 1
        return self.toks[self.i - 1][1]

    def sum(self) -> tuple[Dim, int]:
        value, n = self.product(), 1
        while (op := self.take("+", "-")) is not None:
            value, n = (value + self.product() if op == "+" else value - self.product()), n + 1
        return value, n

    def product(self) -> Dim:
        value = self.unary()
        while (op := self.take("*", "//")) is not None:
            value = value * self.unary() if op == "*" else floor_div(value, self.unary())
        return value

    def unary(self) -> Dim:
        if (op := self.take("-", "+")) is not None:
            return -self.unary() if op == "-" else self.unary()
        value = self.atom()
        if self.take("**") is not None:
            e = self.need("int", "an integer exponent")
            value = value ** e if e <= 64 else self.fail("exponent too large")
        return value

    def atom(self) -> Dim:
        kind, val, _ = self.toks[self.i]
        if kind == "int":
            self.i += 1
            return val
        if self.take("(") is not None:
            value = self.sum()[0]
        else:
            name = self.need("name", "a number, a name or '('")
            if name not in _RESERVED:
                return symbol(name)
            if self.take("(") is None:
                self.fail(f"expected '(' after {name}")
            value, terms = self.sum()
            if self.take("/") is not None:
                if terms > 1:
                    self.fail("a '/' numerator with + or - needs parentheses")
                d = self.need("int", "an integer denominator")
                value = floor_div(value, d) if name == "floor" else ceil_div(value, d)
        if self.take(")") is None:
            self.fail("expected ')'")
        return value


def parse(text: str) -> Dim:
    """Parse what to_str() prints: ints, names, + - * // **, ceil(P/d), floor(P/d), ()."""
    if not isinstance(text, str):
        raise ValueError(f"expected a string, got {type(text).__name__}")
    try:
        p = _Parser(text)
        value = p.sum()[0]
        if p.toks[p.i][0] != "end":
            p.fail("unexpected input")
    except (TypeError, ValueError, ZeroDivisionError) as e:
        raise ValueError(f"cannot parse {text!r}: {e}") from None
    return value
