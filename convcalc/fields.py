"""Receptive fields, per spatial axis, after Araujo, Norris & Sim, "Computing Receptive Fields of
Convolutional Neural Networks" (Distill, 2019). Pure Python: no numpy.

A field is three numbers per spatial axis: ``size`` (how many input pixels one output unit
spans), ``jump`` (the distance, in input pixels, between neighbouring output units: the
effective stride) and ``start`` (the input coordinate of the centre of the first unit's field;
a half-integer for even sizes, negative when padding is involved). Unit ``u`` sees the input
pixels ``start + u*jump - (size-1)/2 .. start + u*jump + (size-1)/2``.

A layer reports its window per axis in ``Result.rf`` as ``(k, s, p)``: output unit ``u`` reads
input units ``u*s - p .. u*s - p + k - 1`` (``k`` the effective, dilated kernel; ``p`` the
padding *before*, as actually applied: TensorFlow's ``same`` puts the odd pixel after). One step
of the recurrence::

    size  = size_in + (k - 1) * jump_in
    jump  = jump_in * s
    start = start_in + ((k - 1)/2 - p) * jump_in

Elementwise layers pass the field through; a layer whose ``Result.rf`` is ``None`` ends it
(flatten, dense, global pooling, and any layer whose output units are not an evenly spaced
window over the same axes: upsampling, pixel shuffle, transposed convs with stride > 1, permute,
reshape). Where paths meet (add, concat over channels), the field is merged: paths with equal
jumps give the exact union of their fields; different jumps give the largest field over paths,
flagged ``exact=False``. Either misalignment (different start or jump) adds a note to the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

from .dims import Dim, is_concrete

Window = tuple[int, int, int]  # (effective kernel, stride, pad before) on one axis


@dataclass(frozen=True)
class RF:
    """Receptive field per spatial axis: size, jump (effective stride), start (centre of the first unit)."""

    size: tuple[int, ...]
    jump: tuple[int, ...]
    start: tuple[Fraction, ...]
    exact: bool = True  # False after merging paths with different jumps: size is the largest


@dataclass(frozen=True)
class UnusedInput:
    """A stride that leaves the last input pixels of an axis outside every window."""

    layer: str
    axis: int
    pixels: int
    message: str


@dataclass
class FieldStep:
    """A layer's field, how it was computed (for --explain) and any notes for the plan."""

    rf: RF | None
    explain: list[str]
    notes: list[str]


def num(x: Fraction | int) -> str:
    """An exact number: ``3``, ``0.5``, ``-1.5`` (fields only ever need halves)."""
    x = x if isinstance(x, Fraction) else Fraction(x)
    if x.denominator == 1:
        return str(x.numerator)
    return str(float(x)) if x.denominator in (2, 4, 8) else f"{x.numerator}/{x.denominator}"


def input_field(rank: int) -> RF | None:
    """The input's own field: each pixel sees itself."""
    return RF((1,) * rank, (1,) * rank, (Fraction(0),) * rank) if rank else None


def step_axis(r: int, j: int, start: Fraction, window: Window) -> tuple[int, int, Fraction, str]:
    """One axis of one layer: the recurrence, and its text with the numbers filled in."""
    k, s, p = window
    size, jump = r + (k - 1) * j, j * s
    new_start = start + Fraction((k - 1 - 2 * p) * j, 2)  # ((k-1)/2 - p) * j, one Fraction made
    text = (f"size {r}+({k}-1)*{j} = {size}, jump {j}*{s} = {jump}, "
            f"start {num(start)}+(({k}-1)/2-{p})*{j} = {num(new_start)}")
    return size, jump, new_start, text


def step(prev: RF, windows: Sequence[Window]) -> tuple[RF, list[str]]:
    axes = [step_axis(r, j, st, w) for r, j, st, w in zip(prev.size, prev.jump, prev.start, windows)]
    rf = RF(tuple(a[0] for a in axes), tuple(a[1] for a in axes), tuple(a[2] for a in axes), prev.exact)
    return rf, [f"RF axis {i}: {a[3]}" for i, a in enumerate(axes)]


def _bounds(rf: RF, axis: int) -> tuple[Fraction, Fraction]:
    """First and last input pixel of the first unit's field on one axis."""
    half = Fraction(rf.size[axis] - 1, 2)
    return rf.start[axis] - half, rf.start[axis] + half


def merge(layer: str, names: Sequence[str], rfs: Sequence[RF]) -> FieldStep:
    """The field where several paths meet, axis by axis (see the module docstring)."""
    size, jump, start, explain, notes = [], [], [], [], []
    exact = all(rf.exact for rf in rfs)
    for a in range(len(rfs[0].size)):
        paths = ", ".join(f"{n} {rf.size[a]} /{rf.jump[a]} at {num(rf.start[a])}" for n, rf in zip(names, rfs))
        jumps, starts = {rf.jump[a] for rf in rfs}, {rf.start[a] for rf in rfs}
        if len(jumps) == 1:
            lo = min(_bounds(rf, a)[0] for rf in rfs)
            hi = max(_bounds(rf, a)[1] for rf in rfs)
            size.append(int(hi - lo) + 1)
            jump.append(rfs[0].jump[a])
            start.append((lo + hi) / 2)
            explain.append(f"RF axis {a}: union of the paths ({paths}): pixels {num(lo)}..{num(hi)}, "
                           f"size {size[-1]}, start {num(start[-1])}")
            if len(starts) > 1:
                notes.append(f"{layer}: its input paths are misaligned on axis {a} (field centres "
                             f"{' vs '.join(num(s) for s in sorted(starts))}); the field shown is their union")
            continue
        widest = max(rfs, key=lambda rf: rf.size[a])
        size.append(widest.size[a])
        jump.append(widest.jump[a])
        start.append(widest.start[a])
        exact = False
        explain.append(f"RF axis {a}: largest over the paths ({paths}) = {size[-1]}")
        notes.append(f"{layer}: its input paths are misaligned on axis {a} (jumps "
                     f"{' vs '.join(map(str, sorted(jumps)))}): neighbouring units see differently placed "
                     f"pixels; the field shown is the largest over the paths")
    return FieldStep(RF(tuple(size), tuple(jump), tuple(start), exact), explain, notes)


def field_of(layer: str, names: Sequence[str], prevs: Sequence[RF | None], windows: Any, elementwise: bool) -> FieldStep:
    """The field of a layer's output from its inputs' fields and its window (``Result.rf``)."""
    if not prevs or any(p is None for p in prevs) or len({len(p.size) for p in prevs}) > 1:  # type: ignore[union-attr]
        return FieldStep(None, [], [])  # a path without a field, or broadcasting across spatial ranks
    merged = merge(layer, names, prevs) if len(prevs) > 1 else FieldStep(prevs[0], [], [])  # type: ignore[arg-type]
    if elementwise:
        return merged
    if windows is None or merged.rf is None or len(windows) != len(merged.rf.size):
        return FieldStep(None, merged.explain, merged.notes)
    rf, explain = step(merged.rf, windows)
    return FieldStep(rf, merged.explain + explain, merged.notes)


def unused_input(layer: str, in_shape: Sequence[Dim], out_shape: Sequence[Dim], windows: Any) -> list[UnusedInput]:
    """Input pixels after the last window on each axis: ``n + p - (out-1)*s - k`` of them.

    ``(out-1)*s - p + k - 1`` is the last input pixel the last window reads; anything after it
    never enters a window (cs231n calls such a stride "invalid"). TensorFlow's ``same`` and
    ``ceil_mode`` never drop pixels; a large enough right padding does not either. Reported only
    where the windows otherwise tile the input (1 < stride <= window): with stride 1 only a
    deliberate crop drops pixels, and a window smaller than its stride (a 1x1 stride-2 shortcut)
    skips pixels between windows by design.
    """
    found = []
    for axis, window in enumerate(windows or ()):
        n, out = in_shape[axis], out_shape[axis]
        if not (is_concrete(n) and is_concrete(out)):
            continue
        k, s, p = window
        last = (int(out) - 1) * s - p + k - 1  # type: ignore[arg-type]
        dropped = int(n) - 1 - last  # type: ignore[arg-type]
        if dropped > 0 and 1 < s <= k:
            found.append(UnusedInput(layer, axis, dropped, (
                f"{layer}: stride {s} drops the last {dropped} pixel{'s' if dropped > 1 else ''} of axis "
                f"{axis} (windows of {k} end at pixel {last} of 0..{int(n) - 1})")))  # type: ignore[arg-type]
    return found


def rf_text(rf: RF | None) -> str:
    """Table text: sizes and jump, ``7x7 /2`` (``5x7 /2x4`` when the jumps differ by axis)."""
    if rf is None:
        return "-"
    jump = str(rf.jump[0]) if len(set(rf.jump)) == 1 else "x".join(map(str, rf.jump))
    return "x".join(map(str, rf.size)) + f" /{jump}"
