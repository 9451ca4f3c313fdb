"""Receptive fields measured on arrays, without the engine's recurrence.

Instead of pixel values, every position carries, per spatial axis, the lowest and the highest
input coordinate that can reach it. The input starts as its own coordinates. A conv or pooling
layer takes, over each window, the minimum of the lows and the maximum of the highs, using the
executor's own padding and windowing code (``resolve_pads``, ``pool_nd``, PyTorch's
``ceil_mode``, adaptive windows) with padding that reaches nothing. This is a conv with all
weights one, read out as an interval, so no weight can cancel and no ReLU can hide a path.
Depthwise and separable convs, stride-1 transposed convs (a window over the input padded, or
cropped, as the executor's crop leaves it), pixel unshuffle (r x r blocks), zero padding and
cropping have their windows too; elementwise and normalisation layers pass the intervals on; merges (add,
multiply, concat over channels) join them.

The plan then says where every output unit's field lies: unit ``u`` covers
``start + u*jump -+ (size-1)/2``. Where that interval lies inside the span of input pixels the
layer's units reach (the whole input, or less after a crop), the probe must find exactly it
(this checks size, jump and start at once); where it overhangs that span (padding), the probe's
interval must lie within the overlap (dilation can leave its ends unused). One
``receptive_field`` quantity per probed layer covers every unit and axis.

Bound: the probe stops at the first layer with more than ``MAX_POSITIONS`` spatial positions
(2**22, a 2048 x 2048 map); its cost per layer is about positions x window taps x 2 x rank
comparisons, less than the real run's. Layer types without a reach rule (flatten, dense, global
pooling, and types added later without one) end the probe on that path.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable

import numpy as np

from .core import prod
from .depthwise import _kernel as depthwise_kernel
from .ops import ACTIVATIONS, FORWARD
from .resample import adaptive_pool
from .sliding import extents, pad, per_axis, resolve_pads
from .spatial import _conv_geometry, pool_nd, window_geometry
from .transpose import layer_windows

MAX_POSITIONS = 1 << 22
Reach = Callable[[str, list[np.ndarray], dict], "np.ndarray | None"]
REACH: dict[str, Reach] = {}


def register_reach(*names: str) -> Callable[[Reach], Reach]:
    def add(fn: Reach) -> Reach:
        for name in names:
            REACH[name] = fn
        return fn

    return add


@register_reach("conv", "maxpool", "avgpool")
def windowed(layer_type: str, ins: list[np.ndarray], args: dict) -> np.ndarray:
    (x,) = ins  # channels: -low then high per axis; the max of -low is minus the min of the lows
    return pool_nd(x, "max", *window_geometry(layer_type, args, x.shape[1:-1]))


@register_reach("depthwise_conv", "separable_conv")
def depthwise(layer_type: str, ins: list[np.ndarray], args: dict) -> np.ndarray:
    (x,) = ins  # separable's pointwise stage is 1x1: the depthwise window is the whole field
    rank = x.ndim - 2
    kernel = depthwise_kernel(args, rank)
    stride, dilation = (per_axis(args.get(key, 1), rank, key) for key in ("stride", "dilation"))
    return pool_nd(x, "max", kernel, stride, dilation, resolve_pads(args.get("padding", "valid"), x.shape[1:-1],
                                                                    kernel, stride, dilation))


@register_reach("conv_transpose")
def transposed(layer_type: str, ins: list[np.ndarray], args: dict) -> np.ndarray | None:
    """At stride 1, output unit o is the sum of input units b+o-t*d over the taps t (b: the
    elements the crop drops first, reference/transpose.py): a window of the input padded by
    eff-1-b before (a negative padding crops). A larger stride spreads the input units apart:
    the probe ends, as the plan's field does."""
    (x,) = ins
    rank = x.ndim - 2
    kernel, _, stride, dilation = _conv_geometry(args, rank)
    if any(s != 1 for s in stride):
        return None
    sizes = x.shape[1:-1]
    spans = layer_windows(args, sizes, kernel, stride, dilation)
    effs = extents(kernel, dilation)
    befores = [e - 1 - b for (b, _), e in zip(spans, effs)]
    afters = [m - 1 + e - n - before for (_, m), e, n, before in zip(spans, effs, sizes, befores)]
    x = x[(slice(None),) + tuple(slice(max(0, -b), n - max(0, -a)) for b, a, n in zip(befores, afters, sizes))]
    pads = tuple((max(0, b), max(0, a)) for b, a in zip(befores, afters))
    return pool_nd(x, "max", kernel, stride, dilation, pads)


@register_reach("pixel_unshuffle", "space_to_depth")
def blocks(layer_type: str, ins: list[np.ndarray], args: dict) -> np.ndarray:
    (x,) = ins  # each output unit holds an r x r block of input units
    r = (int(args["scale"]),) * (x.ndim - 2)
    return pool_nd(x, "max", r, r, (1,) * len(r), ((0, 0),) * len(r))


@register_reach("adaptive_avgpool", "adaptive_maxpool")
def adaptive(layer_type: str, ins: list[np.ndarray], args: dict) -> np.ndarray:
    (x,) = ins
    return adaptive_pool(x, per_axis(args["output"], x.ndim - 2, "output"), "max")


@register_reach("zeropad", "crop")
def border(layer_type: str, ins: list[np.ndarray], args: dict) -> np.ndarray:
    (x,) = ins  # added zeros reach nothing; a crop keeps its units' own fields
    rank = x.ndim - 2
    amount = args.get("padding", 1) if layer_type == "zeropad" else args.get("cropping", 0)
    pads = resolve_pads(amount, x.shape[1:-1], (1,) * rank, (1,) * rank, (1,) * rank)
    if layer_type == "zeropad":
        return pad(x, pads, fill=-np.inf)
    return x[(slice(None),) + tuple(slice(b, n - a) for (b, a), n in zip(pads, x.shape[1:-1])) + (slice(None),)]


@register_reach("activation", "dropout", "batchnorm", "layernorm", "groupnorm", "instancenorm",
                *(n for n in ACTIVATIONS if n in FORWARD))
def elementwise(layer_type: str, ins: list[np.ndarray], args: dict) -> np.ndarray:
    return ins[0]


@register_reach("add", "multiply", "concat")
def union(layer_type: str, ins: list[np.ndarray], args: dict) -> np.ndarray | None:
    """Inputs on one grid: every output unit is reached from the same units of all of them. A
    concat along an explicit axis (maybe spatial) or inputs that broadcast end the probe."""
    if len({a.shape for a in ins}) != 1 or (layer_type == "concat" and args.get("axis") is not None):
        return None
    return np.maximum.reduce(ins)


def coordinates(sizes: tuple[int, ...]) -> np.ndarray:
    """``(1, *sizes, 2*rank)``: channel ``2a`` is minus the coordinate on axis ``a``, ``2a+1`` the coordinate."""
    grids = np.indices(sizes, dtype=np.float32)
    planes = [plane for g in grids for plane in (-g, g)]
    return np.stack(planes, axis=-1)[None]


@dataclass(frozen=True)
class Probe:
    index: int
    layer_id: str
    planned: dict[str, Any]
    observed: dict[str, Any]

    @property
    def agrees(self) -> bool:
        return "unit" not in self.observed


def _planned(rf: Any, a: int, spatial: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """First and last input pixel of every unit's planned field on axis ``a`` (broadcastable)."""
    u = np.arange(spatial[a]).reshape([-1 if i == a else 1 for i in range(len(spatial))])
    lo = float(rf.start[a] - Fraction(rf.size[a] - 1, 2)) + u * rf.jump[a]
    return lo, lo + rf.size[a] - 1


def _measured(lo: np.ndarray, hi: np.ndarray, line: tuple, units: np.ndarray) -> dict[str, Any]:
    """Size, jump and start along ``line`` from the probed fields of units planned inside the input."""
    seen: dict[str, Any] = {"size": None, "jump": None, "start": None}
    units = units[lo[line][units] <= hi[line][units]] if len(units) else units  # reached by something
    if len(units):
        u0, l0, h0 = int(units[0]), lo[line][units[0]], hi[line][units[0]]
        seen["size"] = int(h0 - l0 + 1)
        if len(units) > 1:
            step = (lo[line][units[1]] - l0) / (int(units[1]) - u0)
            seen["jump"] = int(step) if step == int(step) else float(step)
            seen["start"] = float((l0 + h0) / 2 - u0 * seen["jump"])
    return seen


def compare(index: int, layer_id: str, field: np.ndarray, rf: Any, input_sizes: tuple[int, ...]) -> Probe:
    """Every unit on every axis, against the span of input pixels the layer's units reach: the
    whole input, or less where a crop upstream (a crop layer, a transposed conv's padding)
    dropped border units that a later padded window would have read. A unit whose planned field
    is inside that span must see exactly that field; one partly outside it, the part inside; and
    a unit nothing reaches (padding, or dilation taps that all fall in it) is right only if its
    planned field leaves the span on some axis."""
    spatial = field.shape[1:-1]
    rank = len(spatial)
    lows = [-field[0, ..., 2 * a].astype(np.float64) for a in range(rank)]
    highs = [field[0, ..., 2 * a + 1].astype(np.float64) for a in range(rank)]
    plans = [_planned(rf, a, spatial) for a in range(rank)]
    empty = lows[0] > highs[0]
    spans = [(lo[~empty].min(), hi[~empty].max()) if not empty.all() else (0, n - 1)  # pixels reached
             for lo, hi, n in zip(lows, highs, input_sizes)]
    insides = [np.broadcast_to((w_lo >= s_lo) & (w_hi <= s_hi), spatial) for (w_lo, w_hi), (s_lo, s_hi) in zip(plans, spans)]
    everywhere = np.logical_and.reduce(insides)
    observed: dict[str, Any] = {"size": [], "jump": [], "start": []}
    first_bad = None
    for a, (s_lo, s_hi) in enumerate(spans):
        (w_lo, w_hi), lo, hi = plans[a], lows[a], highs[a]
        exact = (lo == w_lo) & (hi == w_hi)
        within = (lo >= np.maximum(w_lo, s_lo)) & (hi <= np.minimum(w_hi, s_hi))
        bad = np.where(empty, everywhere, ~np.where(insides[a], exact, within))
        anchor = np.argwhere(everywhere)
        line = tuple(slice(None) if i == a else (int(anchor[0][i]) if len(anchor) else 0) for i in range(rank))
        seen = _measured(lo, hi, line, np.flatnonzero(everywhere[line]) if len(anchor) else np.array([], int))
        for key in observed:
            observed[key].append(seen[key])
        if first_bad is None and bad.any():
            where = tuple(int(i[0]) for i in np.nonzero(bad))
            planned = [float(np.broadcast_to(w, spatial)[where]) for w in (w_lo, w_hi)]
            first_bad = {"axis": a, "position": list(where), "planned": planned, "probed": _interval(lo[where], hi[where])}
    if first_bad is not None:
        observed["unit"] = first_bad
    planned_rf = {"size": list(rf.size), "jump": list(rf.jump), "start": [float(s) for s in rf.start]}
    return Probe(index, layer_id, planned_rf, observed)


def _interval(lo: float, hi: float) -> list[float] | None:
    return None if lo > hi else [float(lo), float(hi)]


def probe(plan: Any) -> list[Probe]:
    """Propagate the intervals through the plan and compare every layer with a finite, exact field."""
    sizes = tuple(int(s) for s in plan.input_shape[:-1])
    if not sizes or prod(sizes) > MAX_POSITIONS:
        return []
    last: dict[str, int] = {}
    for i, lp in enumerate(plan.layers):
        for name in lp.node.inputs:
            last[name] = i
    fields: dict[str, np.ndarray | None] = {"input": coordinates(sizes)}
    found = []
    for i, lp in enumerate(plan.layers):
        ins = [fields.get(name) for name in lp.node.inputs]
        reach = REACH.get(lp.node.type)
        ready = reach is not None and all(x is not None for x in ins)
        out = reach(lp.node.type, ins, lp.node.args) if ready else None  # type: ignore[misc, arg-type]
        if out is not None and (out.ndim - 2 != len(sizes) or prod(out.shape[1:-1]) > MAX_POSITIONS):
            out = None
        fields[lp.node.id] = out
        planned_spatial = tuple(int(s) for s in lp.output[:-1])
        if out is not None and lp.rf is not None and lp.rf.exact and out.shape[1:-1] == planned_spatial:
            found.append(compare(i, lp.node.id, out, lp.rf, sizes))
        for name in [n for n in fields if last.get(n, -1) <= i]:
            del fields[name]
    return found
