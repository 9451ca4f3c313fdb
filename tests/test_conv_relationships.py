"""Every relationship of Dumoulin & Visin, "A guide to convolution arithmetic for deep learning"
(arXiv 1603.07285), with the sizes of the paper's own figures.

Read from the paper's source (vdumoulin/conv_arithmetic, conv_arithmetic.tex). Numbering:
1-6 convolution (no padding unit strides; zero padding; half; full; strides; padding and
strides), 7 pooling, 8-14 their transposed counterparts (14: the odd case, with
``a = (i + 2p - k) mod s`` zeros added at the bottom/right, which is ``output_padding``), 15
dilation. A transposed row is "the transpose of the conv with (i, k, s, p)": its input is that
conv's output ``i'``, and its output must be the conv's input size.

Expected sizes are the paper's formula evaluated, written out; each row also names the figure.
"""

from __future__ import annotations

import pytest

from convcalc.reference import check
from helpers import plan_layers

# (relationship, figure, kind, i, k, s, p, d, expected o written as the paper's formula)
ROWS = [
    (1, "no_padding_no_strides", "conv", 4, 3, 1, 0, 1, (4 - 3) + 1),
    (2, "arbitrary_padding_no_strides", "conv", 5, 4, 1, 2, 1, (5 - 4) + 2 * 2 + 1),
    (3, "same_padding_no_strides", "conv", 5, 3, 1, 3 // 2, 1, 5 + 2 * (3 // 2) - (3 - 1)),
    (4, "full_padding_no_strides", "conv", 5, 3, 1, 3 - 1, 1, 5 + (3 - 1)),
    (5, "no_padding_strides", "conv", 5, 3, 2, 0, 1, (5 - 3) // 2 + 1),
    (6, "padding_strides", "conv", 5, 3, 2, 1, 1, (5 + 2 * 1 - 3) // 2 + 1),
    (6, "padding_strides_odd", "conv", 6, 3, 2, 1, 1, (6 + 2 * 1 - 3) // 2 + 1),
    (7, "numerical_max_pooling", "maxpool", 5, 3, 1, 0, 1, (5 - 3) // 1 + 1),
    (7, "numerical_average_pooling", "avgpool", 5, 3, 1, 0, 1, (5 - 3) // 1 + 1),
    # transposed: i is the direct conv's input; the transposed input is i' = that conv's output
    (8, "no_padding_no_strides_transposed", "transpose", 4, 3, 1, 0, 1, 2 + (3 - 1)),
    (9, "arbitrary_padding_no_strides_transposed", "transpose", 5, 4, 1, 2, 1, 6 + (4 - 1) - 2 * 2),
    (10, "same_padding_no_strides_transposed", "transpose", 5, 3, 1, 1, 1, 5),
    (11, "full_padding_no_strides_transposed", "transpose", 5, 3, 1, 2, 1, 7 - (3 - 1)),
    (12, "no_padding_strides_transposed", "transpose", 5, 3, 2, 0, 1, 2 * (2 - 1) + 3),
    (13, "padding_strides_transposed", "transpose", 5, 3, 2, 1, 1, 2 * (3 - 1) + 3 - 2 * 1),
    (14, "padding_strides_odd_transposed", "transpose", 6, 3, 2, 1, 1, 2 * (3 - 1) + (6 + 2 - 3) % 2 + 3 - 2 * 1),
    (15, "dilation", "conv", 7, 3, 1, 0, 2, (7 + 2 * 0 - 3 - (3 - 1) * (2 - 1)) // 1 + 1),
]
IDS = [f"rel{r[0]}-{r[1]}" for r in ROWS]


def conv_out(i: int, k: int, s: int, p: int, d: int = 1) -> int:
    """Relationship 15, the most general direct form (1-6 are its special cases)."""
    return (i + 2 * p - k - (k - 1) * (d - 1)) // s + 1


def layer(kind: str, k: int, s: int, p: int, d: int, a: int = 0) -> str:
    if kind == "transpose":
        return f"conv_transpose: {{filters: 1, kernel: {k}, stride: {s}, padding: {p}, output_padding: {a}}}"
    if kind == "conv":
        return f"conv: {{filters: 1, kernel: {k}, stride: {s}, padding: {p}, dilation: {d}}}"
    return f"{kind}: {{kernel: {k}, stride: {s}}}"


def size_in(kind: str, i: int, k: int, s: int, p: int, d: int) -> tuple[int, int]:
    """The layer's input size, and a = (i + 2p - k) mod s for the transposed odd case."""
    if kind != "transpose":
        return i, 0
    return conv_out(i, k, s, p, d), (i + 2 * p - k) % s


@pytest.mark.parametrize("rel, figure, kind, i, k, s, p, d, expected", ROWS, ids=IDS)
def test_relationship(rel, figure, kind, i, k, s, p, d, expected):
    n, a = size_in(kind, i, k, s, p, d)
    plan = plan_layers(f"{n}x1", layer(kind, k, s, p, d, a))
    assert plan.layers[0].output == (expected, 1)
    if kind == "transpose":
        assert expected == i  # the transpose restores the direct conv's input size
    assert check(plan).passed


@pytest.mark.parametrize("word, rel, i, k", [("same", 3, 5, 3), ("full", 4, 5, 3)], ids=["rel3-same", "rel4-full"])
def test_named_paddings_are_half_and_full(word, rel, i, k):
    # TensorFlow's same at unit stride is half padding for odd k; full is k-1 on each side
    row = next(r for r in ROWS if r[0] == rel)
    assert plan_layers(f"{i}x1", f"conv: {{filters: 1, kernel: {k}, padding: {word}}}").layers[0].output == (row[-1], 1)


@pytest.mark.parametrize("word, rel", [("same", 10), ("full", 11)], ids=["rel10-same", "rel11-full"])
def test_named_paddings_transposed(word, rel):
    # Keras same: n*s = i' at unit stride; full: the transpose of a fully padded conv
    _, _, _, i, k, s, p, d, expected = next(r for r in ROWS if r[0] == rel)
    n, _ = size_in("transpose", i, k, s, p, d)
    out = plan_layers(f"{n}x1", f"conv_transpose: {{filters: 1, kernel: {k}, padding: {word}}}").layers[0].output
    assert out == (expected, 1)


PAIRS = [(ROWS[j], ROWS[j + 1]) for j in range(len(ROWS) - 1)
         if ROWS[j][2] == ROWS[j + 1][2] in ("conv", "transpose")]


@pytest.mark.parametrize("first, second", PAIRS, ids=[f"rel{a[0]}+rel{b[0]}" for a, b in PAIRS])
def test_two_relationships_on_two_axes(first, second):
    """Axes do not interact: two rows at once, one per axis, each keeps its own answer."""
    kind = first[2]
    (n0, a0), (n1, a1) = size_in(kind, *first[3:8]), size_in(kind, *second[3:8])
    k, s, p, d = ([first[c], second[c]] for c in (4, 5, 6, 7))
    text = layer(kind, k, s, p, d[0], 0).replace(f"dilation: {d[0]}", f"dilation: {d}")
    if kind == "transpose":
        text = text.replace("output_padding: 0", f"output_padding: [{a0}, {a1}]")
    plan = plan_layers(f"{n0}x{n1}x2", text)
    assert plan.layers[0].output == (first[-1], second[-1], 1)
    assert check(plan).passed
