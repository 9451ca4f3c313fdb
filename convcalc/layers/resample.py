"""Layers that resample the spatial axes without weights: adaptive pooling, upsampling and the
pixel (un)shuffles. None has parameters; all count 0 MACs (interpolation weights and window
averages are fixed arithmetic, not learned weight products).

* ``adaptive_avgpool`` / ``adaptive_maxpool`` (PyTorch AdaptiveAvgPoolNd): ``output`` sizes per
  axis; window ``i`` covers ``floor(i*n/out)`` up to ``ceil((i+1)*n/out)``. When ``out`` divides
  ``n`` that is a plain ``n/out`` window and stride, and the receptive field follows; otherwise
  the windows are uneven and it is not reported.
* ``upsample`` (Keras UpSamplingND, PyTorch nn.Upsample with ``scale_factor``): each spatial size
  times ``scale``; ``mode`` changes the values, never the shape. As in PyTorch, ``linear`` is for
  1D, ``bilinear`` and ``bicubic`` for 2D, ``trilinear`` for 3D; ``nearest`` for any rank.
* ``pixel_shuffle`` / ``depth_to_space`` (scale ``r``, ``d`` spatial axes): ``C -> C/r^d``, each
  spatial size ``x r``. Element order is PyTorch's: ``out[c, h*r+i, w*r+j] = in[c*r*r + i*r + j,
  h, w]`` (TensorFlow's depth_to_space orders the channels ``(i, j, c)`` instead: same shape).
* ``pixel_unshuffle`` / ``space_to_depth``: the inverse; every spatial size must be divisible by
  ``r``. Each output position sees one ``r x ... x r`` block: receptive field kernel ``r``,
  stride ``r``.
"""

from __future__ import annotations

from ..dims import Dim, is_concrete, to_str
from ..errors import ShapeError
from .base import (
    Arg,
    Ctx,
    LayerType,
    Node,
    Result,
    Shape,
    channels,
    choice,
    compact_as,
    fmt,
    ints,
    per_axis,
    pos_int,
    register,
    set_hint,
    spatial_rank,
)


def _concrete(n: Dim, what: str, axis: int) -> int:
    if not is_concrete(n):
        raise ShapeError(f"{what} needs a concrete size on spatial axis {axis}, got {to_str(n)}",
                         hint=set_hint(n))
    return int(n)  # type: ignore[arg-type]


def infer_adaptive(node: Node, inputs: list[Shape], ctx: Ctx) -> Result:
    (shape,) = inputs
    rank = spatial_rank(shape, node.type)
    out = per_axis(node.args["output"], rank, "output")
    even = all(is_concrete(n) and n % o == 0 for n, o in zip(shape, out))  # type: ignore[operator]
    explain = [f"axis {i}: windows floor(i*{fmt(n)}/{o}) .. ceil((i+1)*{fmt(n)}/{o}), {o} of them"
               for i, (n, o) in enumerate(zip(shape, out))]
    rf = tuple((int(n) // o, int(n) // o, 0) for n, o in zip(shape, out)) if even else None  # type: ignore[arg-type]
    return Result(output=tuple(out) + (shape[-1],), explain=explain, rf=rf)


for _name in ("adaptive_avgpool", "adaptive_maxpool"):
    register(
        LayerType(
            name=_name,
            args={"output": Arg(ints(pos_int), doc="output size: an int or one per spatial axis")},
            infer=infer_adaptive,
            doc=f"adaptive {'average' if 'avg' in _name else 'max'} pooling to a fixed output size (PyTorch)",
            compact=compact_as("output"),
        )
    )

MODE_RANK = {"nearest": None, "linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def infer_upsample(node: Node, inputs: list[Shape], ctx: Ctx) -> Result:
    (shape,) = inputs
    rank = spatial_rank(shape, node.type)
    mode = node.args["mode"]
    want = MODE_RANK[mode]
    if want is not None and want != rank:
        fit = [m for m, r in MODE_RANK.items() if r in (rank, None)]
        raise ShapeError(f"mode {mode} is for {want}D inputs, this one is {rank}D", field="mode",
                         hint=f"for {rank}D use {' or '.join(fit)}")
    scale = per_axis(node.args["scale"], rank, "scale")
    out = tuple(n * s for n, s in zip(shape, scale))
    explain = [f"axis {i}: {fmt(n)}*{s} = {fmt(o)}" for i, (n, s, o) in enumerate(zip(shape, scale, out))]
    return Result(output=out + (shape[-1],), explain=explain)


register(
    LayerType(
        name="upsample",
        args={
            "scale": Arg(ints(pos_int), 2, "scale factor: an int or one per spatial axis (Keras' default 2)"),
            "mode": Arg(choice(*MODE_RANK), "nearest", "nearest | linear | bilinear | bicubic | trilinear"),
        },
        infer=infer_upsample,
        doc="upsampling by an integer factor per axis (Keras UpSamplingND, PyTorch nn.Upsample)",
        compact=compact_as("scale"),
    )
)


def infer_pixel_shuffle(node: Node, inputs: list[Shape], ctx: Ctx) -> Result:
    (shape,) = inputs
    rank = spatial_rank(shape, node.type)
    c, r = channels(shape, node.type), node.args["scale"]
    block = r**rank
    if c % block:
        raise ShapeError(f"{c} channels are not divisible by scale^{rank} = {block}", field="scale",
                         hint=f"pixel_shuffle turns each {block} channels into one {'x'.join([str(r)] * rank)} block")
    out = tuple(n * r for n in shape[:-1]) + (c // block,)
    explain = [f"axis {i}: {fmt(n)}*{r} = {fmt(n * r)}" for i, n in enumerate(shape[:-1])]
    return Result(output=out, explain=explain + [f"channels: {c}/{r}^{rank} = {c // block}"])


def infer_pixel_unshuffle(node: Node, inputs: list[Shape], ctx: Ctx) -> Result:
    (shape,) = inputs
    rank = spatial_rank(shape, node.type)
    c, r = channels(shape, node.type), node.args["scale"]
    # a symbolic size is fine when it is a multiple of r for every value (2*H after an upsample by 2)
    sizes = [n if not is_concrete(n) and n % r == 0 else _concrete(n, node.type, i) for i, n in enumerate(shape[:-1])]
    for i, n in enumerate(sizes):
        if is_concrete(n) and n % r:
            raise ShapeError(f"spatial axis {i} ({n}) is not divisible by the scale {r}", field="scale",
                             hint="crop or pad the input to a multiple of the scale first")
    explain = [f"axis {i}: {fmt(n)}/{r} = {to_str(n // r)}" for i, n in enumerate(sizes)]
    return Result(
        output=tuple(n // r for n in sizes) + (c * r**rank,),
        explain=explain + [f"channels: {c}*{r}^{rank} = {c * r**rank}"],
        rf=((r, r, 0),) * rank,
    )


_SCALE = {"scale": Arg(pos_int, doc="the block size r")}
register(LayerType(
    name="pixel_shuffle", args=_SCALE, infer=infer_pixel_shuffle, compact=compact_as("scale"), aliases=("depth_to_space",),
    doc="channels to space: C -> C/r^d, each spatial size x r (PyTorch PixelShuffle's element order)",
))
register(LayerType(
    name="pixel_unshuffle", args=_SCALE, infer=infer_pixel_unshuffle, compact=compact_as("scale"), aliases=("space_to_depth",),
    doc="space to channels: each spatial size / r, C -> C*r^d (PyTorch PixelUnshuffle's element order)",
))
