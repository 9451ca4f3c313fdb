"""``${...}``: a small, safe expression language over block arguments (never Python ``eval``).

    cond    := or ['if' or 'else' cond]
    or      := and ('or' and)*          and := not ('and' not)*        not := 'not' not | compare
    compare := sum [('=='|'!='|'<'|'<='|'>'|'>=') sum]
    sum     := product (('+'|'-') product)*
    product := unary (('*'|'//'|'%') unary)*
    unary   := ('-'|'+') unary | INT | 'true' | 'false' | NAME | '(' cond ')'

Values are integers and booleans, never mixed: arithmetic and ordering take integers, ``and``,
``or``, ``not`` and the condition of ``if``/``else`` take booleans, ``==``/``!=`` compare values
of one type. ``//`` and ``%`` are floor division and modulo (Python's, so ``-7 // 2`` is ``-4``).
Everything else (strings, calls, attribute access, ``**``, ``/``, floats) is refused, integers
are bounded by ``LIMIT`` and expressions by length and nesting depth, so evaluating user text is
cheap and can do nothing but compute a number.

:func:`substitute` applies this to YAML values: a string that is exactly one ``${...}`` becomes
the value itself (an int or a bool); ``${...}`` inside a longer string is replaced by its text.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from ..errors import SpecError, did_you_mean, show

LIMIT = 10**18  # the largest magnitude of any integer literal or intermediate result
MAX_LENGTH = 500
MAX_DEPTH = 50
KEYWORDS = ("and", "or", "not", "if", "else", "true", "false")

_TOKEN = re.compile(r"\s*(?:([0-9]+)|([A-Za-z_][A-Za-z0-9_]*)|(==|!=|<=|>=|//|\*\*|[-+*%<>()]))")
_REFUSED = {
    "**": "'**' (powers) is not supported",
    "/": "'/' is not supported; use // for integer division",
    ".": "attribute access and decimals are not supported",
    "'": "strings are not supported",
    '"': "strings are not supported",
    "[": "indexing and lists are not supported",
    ",": "',' is not supported (calls and tuples are refused)",
}
_ARITH = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "//": lambda a, b: a // b,
    "%": lambda a, b: a % b,
}
_ORDER = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


class ExprError(SpecError):
    """A ``${...}`` expression is malformed or cannot be evaluated."""


def _tokens(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    pos = 0
    while text[pos:].strip():
        m = _TOKEN.match(text, pos)
        if not m:
            ch = text[pos:].lstrip()[0]
            raise ExprError(_REFUSED.get(ch, f"unexpected character {ch!r}"))
        number, name, op = m.groups()
        if op == "**":
            raise ExprError(_REFUSED["**"])
        if number is not None:
            if len(number) > len(str(LIMIT)) or int(number) > LIMIT:
                raise ExprError(f"the number {number[:24]}{'...' if len(number) > 24 else ''} is too large (limit {LIMIT:.0e})")
            out.append(("int", int(number)))
        else:
            out.append(("name", name) if name is not None else ("op", op))
        pos = m.end()
    return out + [("end", None)]


class _Parser:
    """Recursive descent over the tokens, building a tuple tree: (op, operand...)."""

    def __init__(self, text: str) -> None:
        self.toks, self.i, self.depth = _tokens(text), 0, 0

    def peek(self, *values: str) -> str | None:
        kind, value = self.toks[self.i]
        if kind in ("op", "name") and value in values:
            return value
        return None

    def take(self, *values: str) -> str | None:
        value = self.peek(*values)
        if value is not None:
            self.i += 1
        return value

    def fail(self, what: str) -> ExprError:
        kind, value = self.toks[self.i]
        return ExprError(f"{what}, got {'the end' if kind == 'end' else repr(value)}")

    def nested(self, rule: Any) -> Any:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"the expression is nested more than {MAX_DEPTH} levels deep")
        try:
            return rule()
        finally:
            self.depth -= 1

    def cond(self) -> Any:
        value = self.binary_or()
        if self.take("if"):
            test = self.binary_or()
            if not self.take("else"):
                raise self.fail("expected 'else'")
            return ("if", test, value, self.nested(self.cond))
        return value

    def binary_or(self) -> Any:
        node = self.binary_and()
        while self.take("or"):
            node = ("or", node, self.binary_and())
        return node

    def binary_and(self) -> Any:
        node = self.unary_not()
        while self.take("and"):
            node = ("and", node, self.unary_not())
        return node

    def unary_not(self) -> Any:
        if self.take("not"):
            return ("not", self.nested(self.unary_not))
        return self.compare()

    def compare(self) -> Any:
        node = self.sum()
        op = self.take("==", "!=", *_ORDER)
        if op:
            node = (op, node, self.sum())
            if self.peek("==", "!=", *_ORDER):
                raise ExprError("chained comparisons are not supported; join them with 'and'")
        return node

    def sum(self) -> Any:
        node = self.product()
        while op := self.take("+", "-"):
            node = (op, node, self.product())
        return node

    def product(self) -> Any:
        node = self.unary()
        while op := self.take("*", "//", "%"):
            node = (op, node, self.unary())
        return node

    def unary(self) -> Any:
        if op := self.take("-", "+"):
            return ("neg" if op == "-" else "pos", self.nested(self.unary))
        kind, value = self.toks[self.i]
        if self.take("("):
            node = self.nested(self.cond)
            if not self.take(")"):
                raise self.fail("expected ')'")
            return node
        if kind == "int":
            self.i += 1
            return ("const", value)
        if kind == "name" and (value not in KEYWORDS or value in ("true", "false")):
            self.i += 1
            if value in ("true", "false"):
                return ("const", value == "true")
            if self.peek("("):
                raise ExprError(f"calls are not supported ({value}(...))")
            return ("name", value)
        raise self.fail("expected a number, a name, true, false or '('")


def parse(text: str) -> Any:
    if len(text) > MAX_LENGTH:
        raise ExprError(f"the expression is longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise ExprError("the expression is empty")
    p = _Parser(text)
    tree = p.cond()
    if p.toks[p.i][0] != "end":
        raise p.fail("unexpected input")
    return tree


def _kind(v: Any) -> str:
    return "a boolean" if isinstance(v, bool) else "an integer"


def _need(v: Any, want: type, op: str) -> Any:
    if (want is bool) != isinstance(v, bool):
        raise ExprError(f"'{op}' needs {'booleans' if want is bool else 'integers'}, got {_kind(v)} ({_show(v)})")
    return v


def _show(v: Any) -> str:
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


def _bounded(v: int) -> int:
    if abs(v) > LIMIT:
        raise ExprError(f"a result exceeds the integer limit {LIMIT:.0e}")
    return v


def _eval(node: Any, env: Mapping[str, Any]) -> Any:
    op = node[0]
    if op == "const":
        return node[1]
    if op == "name":
        if node[1] not in env:
            raise ExprError(f"unknown name '{node[1]}'", hint=did_you_mean(node[1], env) if env else "no arguments are defined here")
        return env[node[1]]
    if op == "if":
        return _eval(node[2] if _need(_eval(node[1], env), bool, "if") else node[3], env)
    if op == "not":
        return not _need(_eval(node[1], env), bool, "not")
    if op in ("and", "or"):
        left = _need(_eval(node[1], env), bool, op)
        if left == (op == "or"):
            return left
        return _need(_eval(node[2], env), bool, op)
    if op in ("neg", "pos"):
        value = _need(_eval(node[1], env), int, "-" if op == "neg" else "+")
        return -value if op == "neg" else value
    a, b = _eval(node[1], env), _eval(node[2], env)
    if op in ("==", "!="):
        if isinstance(a, bool) != isinstance(b, bool):
            raise ExprError(f"'{op}' compares {_kind(a)} ({_show(a)}) with {_kind(b)} ({_show(b)})")
        return (a == b) == (op == "==")
    _need(a, int, op)
    _need(b, int, op)
    if op in _ORDER:
        return _ORDER[op](a, b)
    if op in ("//", "%") and b == 0:
        raise ExprError(f"division by zero ({_show(a)} {op} 0)")
    return _bounded(_ARITH[op](a, b))


def evaluate(text: str, env: Mapping[str, Any]) -> int | bool:
    """The value of one expression (the text between ``${`` and ``}``)."""
    try:
        return _eval(parse(text), env)
    except ExprError as exc:
        shown = text if len(text) <= MAX_LENGTH else f"{text[:80]}... ({len(text)} characters)"
        exc.message = f"in ${{{shown}}}: {exc.message}"
        exc.args = (exc.message,)
        raise


_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


def blank_placeholders(text: str) -> str:
    """``text`` with each ``${...}`` replaced by ``0``: its shape without the expressions (an
    ``==`` inside one is not a ``key=value``)."""
    return _PLACEHOLDER.sub("0", text)


def names(value: Any) -> set[str]:
    """The names the ``${...}`` of a string read (none for another value, or one that does not
    parse: evaluating it reports that)."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, tuple) and node:
            if node[0] == "name":
                found.add(node[1])
            for part in node[1:]:
                walk(part)

    for match in _PLACEHOLDER.finditer(value) if isinstance(value, str) else ():
        try:
            walk(parse(match.group(1)))
        except ExprError:
            pass
    return found


def substitute(value: Any, env: Mapping[str, Any]) -> Any:
    """``value`` with every ``${...}`` evaluated, recursing into lists and mappings."""
    if isinstance(value, list):
        return [substitute(v, env) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, env) for k, v in value.items()}
    if not isinstance(value, str) or "${" not in value:
        return value
    whole = _PLACEHOLDER.fullmatch(value)
    if whole:
        return evaluate(whole.group(1), env)
    text = _PLACEHOLDER.sub(lambda m: _show(evaluate(m.group(1), env)), value)
    if "${" in text:
        raise ExprError(f"'${{' without a closing '}}' in {show(value)}")
    return text
