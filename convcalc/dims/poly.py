"""Polynomials over atoms as plain dicts and tuples, and the normal form of ``floor(P/d)``
(rules 1-4 of the package docstring): the algebra under :class:`~convcalc.dims.Expr`."""

from __future__ import annotations

from math import gcd

_SYM, _FLOOR = 0, 1
_FLOORS: dict = {}  # caches: floor normal forms, atom symbol sets
_SYMS: dict = {}


def _cached(cache: dict, key, make):
    if key not in cache:
        value = make()
        if len(cache) > 50000:
            cache.clear()
        cache[key] = value
    return cache[key]


def _atom_syms(atom: tuple) -> frozenset:
    return _cached(_SYMS, atom, lambda: frozenset((atom[1],)) if atom[0] == _SYM else
                   frozenset().union(*(_atom_syms(a) for m, _ in atom[2] for a, _ in m)))


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

