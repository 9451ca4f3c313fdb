"""Plain-text pieces shared by the table and markdown renderers: totals and the check verdict."""

from __future__ import annotations

from typing import Any

from ..engine import DTYPE_BYTES, Plan
from .common import MACS_NOTE, mismatch_value, nbytes, num


def totals_lines(plan: Plan) -> list[str]:
    width = DTYPE_BYTES[plan.dtype]
    peak = plan.peak_activation_elements()
    lines = [
        f"Params: {num(plan.params)} (trainable {num(plan.trainable)}, non-trainable {num(plan.non_trainable)})",
        f"MACs: {num(plan.macs)}   FLOPs: {num(2 * plan.macs)}",
        f"Parameter memory: {nbytes(plan.param_bytes)} ({plan.dtype}, {width} B each)",
    ]
    if peak is not None:
        lines.append(f"Peak activation memory: {nbytes(peak * width * plan.batch)} (batch {plan.batch}, inference, by liveness)")
    lines.append(MACS_NOTE)
    return lines


def check_lines(plan: Plan, report: Any) -> list[str]:
    if report is None:
        return []
    cross = report.cross
    if report.status == "passed":
        if cross is None:
            return [f"Verified on real tensors ({report.backend} executor): all {report.compared} planned quantities agree."]
        return [
            f"Verified on real tensors (numpy executor): all {report.compared - cross.layers} planned quantities agree.",
            f"PyTorch {cross.version} agreed on all {cross.layers} layer outputs (max abs diff {cross.max_abs_diff:.2g}).",
        ]
    lines = [f"CHECK FAILED: {len(report.mismatches)} of {report.compared} planned quantities disagree:"]
    for m in report.mismatches:
        planned, observed = (mismatch_value(plan, m.quantity, v) for v in (m.planned, m.observed))
        if m.quantity == "values":
            found = f"max abs difference {observed:.3g}" if isinstance(observed, float) else observed
            lines.append(f"  {m.layer_id} values: PyTorch disagrees with numpy: {found} (allowed {planned:.3g})")
        else:
            lines.append(f"  {m.layer_id} {m.quantity}: planned {planned}, observed {observed}")
    return lines


def columns(plan: Plan, report: Any) -> list[str]:
    """Table columns; "non-train." (of the params) appears when some parameters are not trainable."""
    split = ["non-train."] if plan.non_trainable != 0 else []
    return ["#", "layer", "type", "output", "kernel", "params", *split, "MACs"] + (["check"] if report else [])


def cells(plan: Plan, lp: Any, report: Any, bad: dict[int, list[str]]) -> dict[str, str]:
    from .common import kernel_shape, out_shape, shape_text, size_text

    issues = bad.get(lp.node.index)
    return {
        "#": str(lp.node.index),
        "layer": lp.node.id,
        "type": lp.node.type,
        "output": size_text(out_shape(plan, lp)),
        "kernel": shape_text(kernel_shape(plan, lp)) if lp.result.kernel is not None else "",
        "params": num(lp.params),
        "non-train.": num(lp.result.non_trainable),
        "MACs": num(lp.result.macs),
        "check": ("✗ " + ", ".join(issues)) if issues else "✓",
    }


def mismatch_map(report: Any) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if report is not None:
        for m in report.mismatches:
            out.setdefault(m.index, []).append(m.quantity)
    return out
