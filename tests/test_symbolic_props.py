"""Property tests: a symbolic plan evaluated at valid values equals concrete inference there.

Random chains of conv and pooling layers (and ``conv_transpose`` whenever that layer type is
registered) with random kernel, stride, dilation, ceil_mode and every padding form (valid,
same, full, causal in 1D, an int, one int per axis, [before, after] pairs) over 1D and 2D
inputs with one or two symbols. For each chain: the plan with the symbols unset gives per
layer exact expressions; at the smallest valid values and at random larger ones they must equal
what the concrete engine computes with ``--set`` (output, kernel and bias shapes, parameters,
MACs, activation elements, receptive field, totals, peak); the smallest valid value must fit
and one less must not; and a chain the symbolic engine rejects must be rejected concretely too.
"""

from __future__ import annotations

import math

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convcalc.dims import evaluate, to_str
from convcalc.engine import infer, infer_once
from convcalc.errors import ConvCalcError, ShapeError
from convcalc.layers import REGISTRY
from convcalc.spec import load_yaml, parse_source

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def per_axis(draw, rank: int, lo: int, hi: int):
    """An int, or (sometimes) a list with one value per spatial axis."""
    if rank > 1 and draw(st.booleans()):
        return [draw(st.integers(lo, hi)) for _ in range(rank)]
    return draw(st.integers(lo, hi))


def padding(draw, rank: int, words: tuple[str, ...], most: int):
    form = draw(st.sampled_from(["word", "int", "ints", "pairs"]))
    if form == "word":
        return draw(st.sampled_from(words + (("causal",) if rank == 1 and "full" in words else ())))
    if form == "int":
        return draw(st.integers(0, most))
    if form == "ints":
        return [draw(st.integers(0, most)) for _ in range(rank)]
    return [[draw(st.integers(0, most)), draw(st.integers(0, most))] for _ in range(rank)]


@st.composite
def layer(draw, rank: int) -> dict:
    kinds = ["conv", "maxpool", "avgpool"] + (["conv_transpose"] if "conv_transpose" in REGISTRY else [])
    kind = draw(st.sampled_from(kinds))
    args: dict = {"kernel": per_axis(draw, rank, 1, 5)}
    if kind in ("conv", "conv_transpose"):
        args["filters"] = draw(st.integers(1, 3))
        args["stride"] = per_axis(draw, rank, 1, 3)
        args["dilation"] = per_axis(draw, rank, 1, 3)
        words = ("valid", "same", "full")
        args["padding"] = padding(draw, rank, words, 3)
        if kind == "conv_transpose":
            known = REGISTRY["conv_transpose"].args
            args = {k: v for k, v in args.items() if k in known}
            if "output_padding" in known and draw(st.booleans()):
                args["output_padding"] = draw(st.integers(0, 1))
    else:
        if draw(st.booleans()):
            args["stride"] = per_axis(draw, rank, 1, 3)
        smallest = min(args["kernel"]) if isinstance(args["kernel"], list) else args["kernel"]
        args["padding"] = padding(draw, rank, ("valid", "same"), smallest // 2)  # PyTorch's limit
        args["ceil_mode"] = draw(st.booleans())
        if kind == "maxpool" and draw(st.booleans()):
            args["dilation"] = per_axis(draw, rank, 1, 2)
    return {kind: args}


@st.composite
def chain(draw) -> tuple[str, list[str]]:
    """(YAML text, symbol names) of an input with symbols and 1-4 windowed layers."""
    rank = draw(st.integers(1, 2))
    if rank == 1:
        shape, names = "Tx3", ["T"]
    else:
        shape, names = draw(st.sampled_from([(f"Tx{draw(st.integers(5, 30))}x2", ["T"]), ("HxWx2", ["H", "W"])]))
    layers = draw(st.lists(layer(rank), min_size=1, max_size=4))
    return yaml.safe_dump({"input": shape, "layers": layers}), names


def spec_of(text: str, values: dict[str, int] | None = None):
    spec = parse_source(load_yaml(text, "chain.yaml"))
    spec.values = dict(values or {})
    return spec


def assert_equal_at(sym, peak_terms: list, conc, values: dict[str, int]) -> None:
    def ev_shape(s):
        return None if s is None else tuple(evaluate(d, values) for d in s)

    assert ev_shape(sym.input_shape) == conc.input_shape
    for s, c in zip(sym.layers, conc.layers, strict=True):
        where = f"{s.node.id} at {values}"
        assert ev_shape(s.output) == c.output, where
        for d in s.output:  # the JSON strings evaluate with math.ceil / math.floor
            assert eval(to_str(d), {"ceil": math.ceil, "floor": math.floor, **values}) == evaluate(d, values)  # noqa: S307
        assert (ev_shape(s.result.kernel), ev_shape(s.result.bias)) == (c.result.kernel, c.result.bias), where
        for count in ("trainable", "non_trainable", "macs"):
            assert evaluate(getattr(s.result, count), values) == getattr(c.result, count), (where, count)
        assert evaluate(s.activation_elements, values) == c.activation_elements, where
        if s.rf is not None:
            assert s.rf == c.rf, where
    for total in ("params", "macs", "param_bytes"):
        assert evaluate(getattr(sym, total), values) == getattr(conc, total), total
    assert max(evaluate(t, values) for t in peak_terms) == conc.peak_activation_elements()


def assert_smallest(text: str, minima: dict[str, int]) -> None:
    infer_once(spec_of(text, minima))
    for name, least in minima.items():
        if least > 1:
            try:
                infer_once(spec_of(text, {**minima, name: least - 1}))
            except ShapeError:
                continue
            raise AssertionError(f"{name}={least - 1} fits, but the smallest valid value is {least}")


@SETTINGS
@given(case=chain(), offsets=st.lists(st.integers(0, 80), min_size=3, max_size=3))
def test_symbolic_plan_equals_concrete_inference(case, offsets):
    text, names = case
    try:
        sym = infer(spec_of(text))
    except ConvCalcError:
        try:
            infer_once(spec_of(text, {name: 37 for name in names}))
        except ConvCalcError:
            return
        raise AssertionError("the symbolic engine rejects a chain the concrete one accepts") from None
    minima = {name: sym.limits[name].value for name in names}
    assert_smallest(text, minima)
    samples = [minima] + [{n: minima[n] + off + k for k, n in enumerate(names)} for off in offsets]
    peak_terms = sym.peak_activation()[0]
    for values in samples:
        assert_equal_at(sym, peak_terms, infer(spec_of(text, values)), values)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layers=st.lists(layer(1), min_size=1, max_size=3))
def test_check_at_sampled_values_passes_on_real_tensors(layers):
    from convcalc.symcheck import check

    text = yaml.safe_dump({"input": "Tx2", "layers": layers})
    try:
        plan = infer(spec_of(text))
    except ConvCalcError:
        return
    report = check(plan)
    assert report.passed, report.mismatches
    assert len(report.values) == 4 and report.values[0]["T"] == plan.limits["T"].value
