"""The ${...} evaluator: what it computes, and everything it refuses (it never calls Python eval)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcalc.spec.expr import LIMIT, ExprError, evaluate, substitute

ENV = {"filters": 64, "stride": 2, "project": False, "k": 3}

VALUES = [
    ("filters * 4", 64 * 4),
    ("filters // 3", 64 // 3),
    ("filters % 3", 64 % 3),
    ("-7 // 2", -4),  # floor division, as Python and numpy: floor(-3.5)
    ("-7 % 2", 1),
    ("2 + 3 * 4", 2 + 3 * 4),  # * binds tighter than +
    ("(2 + 3) * 4", (2 + 3) * 4),
    ("10 - 4 - 3", (10 - 4) - 3),  # left associative
    ("- -k", 3),
    ("+k", 3),
    ("k * -1", -3),
    ("stride != 1 or project", True),
    ("stride == 1 or project", False),
    ("not project and filters >= 64", True),
    ("k < 3", False),
    ("k <= 3", True),
    ("k > 2 and k < 4", True),
    ("true", True),
    ("false == project", True),
    ("not not true", True),
    ("2 if stride == 2 else 1", 2),
    ("2 if stride == 1 else 1", 1),
    ("1 if false else 2 if true else 3", 2),
    ("true or 1 // 0 == 1", True),  # short-circuit: the right side is never evaluated
    ("filters*4", 256),
    (str(LIMIT), LIMIT),
]


@pytest.mark.parametrize("text,value", VALUES, ids=[v[0] for v in VALUES])
def test_values(text, value):
    result = evaluate(text, ENV)
    assert result == value and type(result) is type(value)


REFUSED = [
    ("filters ** 2", "'**' (powers) is not supported"),
    ("filters / 2", "'/' is not supported; use // for integer division"),
    ("filters.real", "attribute access and decimals are not supported"),
    ("1.5", "attribute access and decimals are not supported"),
    ("'abc'", "strings are not supported"),
    ('"abc"', "strings are not supported"),
    ("__import__('os')", "strings are not supported"),
    ("abs(k)", "calls are not supported (abs(...))"),
    ("[k]", "indexing and lists are not supported"),
    ("k, k", "',' is not supported (calls and tuples are refused)"),
    ("lambda: 1", "unexpected character ':'"),
    ("k = 3", "unexpected character '='"),
    ("1" * 19 + "0", "the number 11111111111111111110 is too large (limit 1e+18)"),
    (f"{LIMIT} + 1", "a result exceeds the integer limit 1e+18"),
    (f"{LIMIT} * {LIMIT}", "a result exceeds the integer limit 1e+18"),
    ("k // 0", "division by zero (3 // 0)"),
    ("k % 0", "division by zero (3 % 0)"),
    ("true + 1", "'+' needs integers, got a boolean (true)"),
    ("-project", "'-' needs integers, got a boolean (false)"),
    ("k and true", "'and' needs booleans, got an integer (3)"),
    ("not k", "'not' needs booleans, got an integer (3)"),
    ("1 if k else 2", "'if' needs booleans, got an integer (3)"),
    ("k == true", "'==' compares an integer (3) with a boolean (true)"),
    ("project < true", "'<' needs integers, got a boolean (false)"),
    ("1 < k < 5", "chained comparisons are not supported; join them with 'and'"),
    ("1 if true", "expected 'else', got the end"),
    ("(k", "expected ')', got the end"),
    ("k k", "unexpected input, got 'k'"),
    ("", "the expression is empty"),
    ("(" * 60 + "1" + ")" * 60, "the expression is nested more than 50 levels deep"),
    ("-" * 60 + "1", "the expression is nested more than 50 levels deep"),
    ("1+" * 300 + "1", "the expression is longer than 500 characters"),
    ("filter", "unknown name 'filter'"),
    ("True", "unknown name 'True'"),
]


@pytest.mark.parametrize("text,message", REFUSED, ids=[r[0][:30] for r in REFUSED])
def test_refused(text, message):
    with pytest.raises(ExprError) as info:
        evaluate(text, ENV)
    shown = text if len(text) <= 500 else f"{text[:80]}... ({len(text)} characters)"  # a long one is cut
    assert info.value.message == f"in ${{{shown}}}: {message}"


def test_unknown_name_suggests_an_argument():
    with pytest.raises(ExprError) as info:
        evaluate("filter * 2", ENV)
    assert info.value.hint == "did you mean 'filters'?"


SUBSTITUTIONS = [
    ("${filters}", 64),  # a whole-string ${...} keeps its type
    ("${project}", False),
    ("3x3x${filters},stride=${stride}", "3x3x64,stride=2"),  # embedded: text
    ("${k}x${k}", "3x3"),
    ("bias=${project}", "bias=false"),
    ("no placeholders", "no placeholders"),
    (["${k}", 5], [3, 5]),
    ({"filters": "${filters * 2}", "kernel": ["${k}", "${k + 2}"]}, {"filters": 128, "kernel": [3, 5]}),
    (7, 7),
    (None, None),
]


@pytest.mark.parametrize("value,expected", SUBSTITUTIONS, ids=[repr(s[0])[:30] for s in SUBSTITUTIONS])
def test_substitute(value, expected):
    result = substitute(value, ENV)
    assert result == expected and type(result) is type(expected)


def test_unclosed_placeholder_is_an_error():
    with pytest.raises(ExprError, match=r"'\$\{' without a closing '\}'"):
        substitute("3x3x${filters", ENV)


@settings(max_examples=200, deadline=None)
@given(st.integers(-10**6, 10**6), st.integers(-10**6, 10**6), st.sampled_from(["+", "-", "*", "//", "%"]))
def test_arithmetic_agrees_with_python_integers(a, b, op):
    # Python's int semantics are the documented ones; the oracle is the operator module, not eval
    import operator

    fn = {"+": operator.add, "-": operator.sub, "*": operator.mul, "//": operator.floordiv, "%": operator.mod}[op]
    if op in ("//", "%") and b == 0:
        with pytest.raises(ExprError):
            evaluate(f"a {op} b", {"a": a, "b": b})
    else:
        assert evaluate(f"a {op} b", {"a": a, "b": b}) == fn(a, b)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789+-*/%()<>=!. abcdefgtruxnot_'\"[],:", max_size=40))
def test_arbitrary_text_gives_a_value_or_an_expr_error(text):
    try:
        value = evaluate(text, ENV)
    except ExprError:
        return
    assert isinstance(value, (int, bool))
