"""Sizes as text: the shortest form found, in Python syntax with ceil() and floor()."""

from __future__ import annotations

from math import gcd

from .poly import _FLOOR, _SYM, _add, _atom_syms, _cached, _flip_atom, _items

_TEXTS: dict = {}


def render(p: tuple) -> str:
    """The text of the polynomial ``p`` (an Expr's tuple), cached."""
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
    floor_form = f"floor({_paren(render(_items(p)))}/{d})"
    ceil_form = f"ceil({_paren(render(_items(_add(p, {(): 1 - d}))))}/{d})"
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
    texts = [[render(_items({m: k * c for m, c in f.items()})) for k in (1, -1)] for f in (a, b)]
    cands = []
    for i in range(4):  # the four sign choices for the two factors; keep the shortest
        content = ga * gb // m00 * (-1) ** (i // 2 + i % 2)
        fa, fb = (t if t[0] != "-" else f"({t})" for t in (texts[0][i // 2], texts[1][i % 2]))
        cands.append(("-" if content == -1 else "" if content == 1 else f"{content}*")
                     + _paren(fa) + "*" + _paren(fb))
    return min(cands, key=lambda c: (len(c), c.count("(-")))

