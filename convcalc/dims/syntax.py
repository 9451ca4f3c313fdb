"""Parsing what :func:`~convcalc.dims.to_str` prints back into a size."""

from __future__ import annotations

from .expr import _RESERVED, Dim, ceil_div, floor_div, symbol


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
