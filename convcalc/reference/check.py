"""Run a Plan on real numpy tensors and compare every planned count with what the arrays show.

Per layer the quantities compared are: the output shape (the array's shape without the batch
axis), the kernel shape (the main weight array's shape, canonical HWIO / dense (in, units)) and
the bias shape whenever the plan or the op has one, the trainable and non-trainable parameter
counts (``.size`` of the weight arrays, split by which arrays are trainable), the MACs (the
M*K*N of every matmul the op performed; for depthwise's einsum, output elements x taps) and, where the plan has one, the receptive field
(measured by :mod:`.probe`). For the whole model: the peak of live activation elements, counted
from the arrays the run holds (each freed after its last consumer), when every output shape
agreed (the planned peak adds up the planned shapes). Nothing here calls the shape engine's
formulas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..dims import is_concrete
from ..errors import CheckError
from .core import draw, prod
from .machine import keep_freed_memory
from .ops import FORWARD, SCRATCH, Observed, RunCtx
from .probe import probe

INPUT = "input"
BYTES = 4  # the executor always runs in float32


@dataclass(frozen=True)
class Mismatch:
    index: int
    layer_id: str
    # named like the JSON layer fields: output_shape, kernel_shape, bias_shape, trainable_params,
    # non_trainable_params, macs (shapes canonical: channels last, kernels HWIO)
    quantity: str
    planned: Any
    observed: Any

    def __str__(self) -> str:
        return f"layer {self.index} ({self.layer_id}): {self.quantity} planned {self.planned}, observed {self.observed}"


@dataclass(frozen=True)
class LayerObservation:
    """What the arrays showed for one layer."""

    index: int
    layer_id: str
    type: str
    output: tuple[int, ...]
    kernel: tuple[int, ...] | None
    bias: tuple[int, ...] | None
    trainable: int
    non_trainable: int
    macs: int


@dataclass
class CheckReport:
    backend: str = "numpy"
    seed: int = 0
    compared: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    layers: list[LayerObservation] = field(default_factory=list)
    estimated_bytes: int = 0
    probed: list[str] = field(default_factory=list)  # layers whose receptive field was measured
    # the largest sum of .nbytes over the arrays alive during the run; an output an op wrote into
    # its dead input counts as a new array, as the plan counts every layer's output
    peak_live_bytes: int = 0
    cross: Any = None  # the torch cross-check (backend "numpy+torch"): its version, layers, max_abs_diff

    @property
    def status(self) -> str:
        return "failed" if self.mismatches else "passed"

    @property
    def passed(self) -> bool:
        return not self.mismatches


# --------------------------------------------------------------------------------------------
# plan access


def _shape(shape: Any) -> tuple[int, ...] | None:
    return None if shape is None else tuple(int(s) for s in shape)


def _require_concrete(plan: Any) -> None:
    values: list[Any] = list(plan.input_shape)
    for lp in plan.layers:
        r = lp.result
        values += list(r.output) + list(r.kernel or ()) + list(r.bias or ())
        values += [r.trainable, r.non_trainable, r.macs]
    if not all(is_concrete(v) for v in values):
        unset = ", ".join(name for name, value in plan.symbols.items() if value is None)
        raise CheckError(
            f"the plan has symbolic sizes ({unset}), which cannot be run on real tensors",
            hint="give the symbols values with --set (e.g. --set T=1000)",
        )


def _last_uses(plan: Any) -> dict[str, int]:
    """Per array, the last layer that reads it; the network's output is kept to the end."""
    last: dict[str, int] = {}
    for i, lp in enumerate(plan.layers):
        for name in lp.node.inputs:
            last[name] = i
    last[plan.output_name] = len(plan.layers)
    return last


# --------------------------------------------------------------------------------------------
# memory


def estimate_bytes(plan: Any) -> int:
    """Peak bytes of a run: the live activations while a layer runs (its inputs, kept until their
    last consumer, plus its output) and that layer's temporaries (padded input, im2col matrix,
    weights), maximised over layers. Needs a concrete plan."""
    _require_concrete(plan)
    last = _last_uses(plan)
    sizes = {INPUT: prod(_shape(plan.input_shape))}
    live = {INPUT}
    peak = sizes[INPUT]
    for i, lp in enumerate(plan.layers):
        out = _shape(lp.result.output)
        ins = [_shape(s) for s in lp.input_shapes]
        sizes[lp.node.id] = prod(out)
        live.add(lp.node.id)
        scratch_fn = SCRATCH.get(lp.node.type)
        scratch = scratch_fn(ins, out, lp.node.args) if scratch_fn else prod(ins[0]) if ins else 0
        weights = int(lp.result.trainable) + int(lp.result.non_trainable)
        peak = max(peak, sum(sizes[n] for n in live) + scratch + weights)
        live = {n for n in live if last.get(n, -1) > i}
    return peak * BYTES


# --------------------------------------------------------------------------------------------
# the run


def _observe(index: int, lp: Any, seen: Observed) -> LayerObservation:
    kernel, bias = seen.kernel, seen.bias
    return LayerObservation(
        index=index,
        layer_id=lp.node.id,
        type=lp.node.type,
        output=tuple(int(s) for s in seen.output.shape[1:]),
        kernel=None if kernel is None else tuple(kernel.shape),
        bias=None if bias is None else tuple(bias.shape),
        trainable=seen.trainable_count,
        non_trainable=seen.non_trainable_count,
        macs=int(seen.macs),
    )


def _compare(index: int, lp: Any, obs: LayerObservation, report: CheckReport) -> None:
    r = lp.result
    pairs: list[tuple[str, Any, Any]] = [("output_shape", _shape(r.output), obs.output)]
    for name, planned, observed in (
        ("kernel_shape", _shape(r.kernel), obs.kernel),
        ("bias_shape", _shape(r.bias), obs.bias),
    ):
        if planned is not None or observed is not None:
            pairs.append((name, planned, observed))
    pairs += [
        ("trainable_params", int(r.trainable), obs.trainable),
        ("non_trainable_params", int(r.non_trainable), obs.non_trainable),
        ("macs", int(r.macs), obs.macs),
    ]
    for quantity, planned, observed in pairs:
        report.compared += 1
        if planned != observed:
            report.mismatches.append(Mismatch(index, lp.node.id, quantity, planned, observed))


def refuse_above(estimated: int, max_bytes: int | None) -> None:
    """CheckError when the estimated peak exceeds ``max_bytes`` (default: half the available RAM)."""
    from ..units import format_bytes
    from .limit import default_limit

    limit, source = (max_bytes, "from --max-check-memory") if max_bytes is not None else default_limit()
    if estimated > limit:
        raise CheckError(
            f"check would need about {format_bytes(estimated)} at its estimated peak; the limit is "
            f"{format_bytes(limit)}, {source}",
            hint="plan answers for any size without running; check a smaller input (--input with smaller "
            "spatial sizes runs every layer the same way), or raise the limit with --max-check-memory",
        )


def _cross_backend(backend: str) -> Any:
    """None for numpy alone; for ``torch`` a callable that reruns each layer in PyTorch."""
    if backend == "numpy":
        return None
    if backend != "torch":
        raise CheckError(f"unknown backend {backend!r}", hint="expected one of: numpy, torch")
    from .torch_backend import CrossCheck  # imports torch: only on this path

    return CrossCheck()


def check(plan: Any, *, seed: int = 0, backend: str = "numpy", max_bytes: int | None = None,
          progress: Callable[[int, int, str], None] | None = None) -> CheckReport:
    """Run every layer of ``plan`` on float32 arrays (batch 1) and compare it with the plan.

    ``backend="torch"`` also reruns each layer in PyTorch on the same inputs and weights and
    compares the outputs (a disagreement is a mismatch of the quantity ``values``). Refuses
    (CheckError) before allocating anything when the estimated peak is above ``max_bytes``, by
    default half of the available memory. ``progress(index, total, layer_id)`` is called before
    each layer (see convcalc.progress)."""
    _require_concrete(plan)
    report = CheckReport(seed=seed, estimated_bytes=estimate_bytes(plan))
    refuse_above(report.estimated_bytes, max_bytes)
    cross = _cross_backend(backend)
    if cross is not None:
        report.backend, report.cross = "numpy+torch", cross
    keep_freed_memory()
    try:
        return _run(plan, report, progress)
    except MemoryError:
        raise CheckError(
            f"numpy could not allocate the arrays (estimated peak {report.estimated_bytes:,} B)",
            hint="lower --max-check-memory below what this machine can really give, or check a smaller input",
        ) from None


def _run(plan: Any, report: CheckReport, progress: Callable[[int, int, str], None] | None) -> CheckReport:
    seed, cross = report.seed, report.cross
    rng = np.random.default_rng(seed)
    ctx, ctx_overwrite = RunCtx(layout=plan.layout), RunCtx(layout=plan.layout, overwrite=True)
    last = _last_uses(plan)
    arrays: dict[str, np.ndarray] = {INPUT: draw(rng, (1,) + _shape(plan.input_shape), 1.0)}
    for i, lp in enumerate(plan.layers):
        node = lp.node
        forward = FORWARD.get(node.type)
        if forward is None:
            raise CheckError(
                f"the reference executor has no implementation of layer type '{node.type}'",
                layer=f"{node.path} ({node.type})",
            )
        if progress is not None:
            progress(i, len(plan.layers), node.id)
        ins = [arrays[name] for name in node.inputs]
        writable = cross is None and _last_reader(node.inputs, i, last, arrays)
        try:
            seen = forward(ins[0] if len(ins) == 1 else ins, node.args, ctx_overwrite if writable else ctx, rng)
        except (ValueError, IndexError) as exc:
            raise CheckError(
                f"the reference executor could not run this layer: {exc}",
                loc=node.loc, layer=f"{node.path} ({node.type})",
                hint="the plan accepted a layer that real arrays cannot run; please report it",
            ) from exc
        if cross is not None:
            report.compared += 1
            try:
                bad = cross(node.type, ins, node.args, seen.weights, plan.layout, seen.output)
            except CheckError as exc:  # a layer the cross-check cannot run (PyTorch has no conv4d)
                raise exc.located(loc=node.loc, layer=f"{node.path} ({node.type})")
            if bad is not None:
                report.mismatches.append(Mismatch(i, node.id, "values", *bad))
        del ins
        obs = _observe(i, lp, seen)
        report.layers.append(obs)
        _compare(i, lp, obs, report)
        arrays[node.id] = seen.output
        del seen
        report.peak_live_bytes = max(report.peak_live_bytes, sum(a.nbytes for a in arrays.values()))
        for name in [n for n in arrays if last.get(n, -1) <= i]:
            del arrays[name]
    _compare_model(plan, report)
    return report


def _last_reader(inputs: list[str], index: int, last: dict[str, int], arrays: dict[str, np.ndarray]) -> bool:
    """Whether layer ``index`` may overwrite its first input: it is that array's last consumer,
    reads it once, and no other live array shares its memory (a flatten or dropout passes views on)."""
    if not inputs or last.get(inputs[0]) != index or inputs.count(inputs[0]) > 1:
        return False
    first = arrays[inputs[0]]
    return not any(np.may_share_memory(first, a) for name, a in arrays.items() if name != inputs[0])


def _compare_model(plan: Any, report: CheckReport) -> None:
    """The receptive fields the probe measured, and the peak of live activations."""
    for p in probe(plan):
        report.probed.append(p.layer_id)
        report.compared += 1
        if not p.agrees:
            report.mismatches.append(Mismatch(p.index, p.layer_id, "receptive_field", p.planned, p.observed))
    planned, observed = plan.peak_activation_elements(), report.peak_live_bytes // BYTES
    if any(m.quantity == "output_shape" for m in report.mismatches):
        return  # the planned peak adds up the planned shapes: already reported as wrong
    if planned is not None:
        report.compared += 1
        if int(planned) != observed:
            report.mismatches.append(Mismatch(-1, "model", "peak_activation_elements", int(planned), observed))
