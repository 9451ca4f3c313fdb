"""Plain-text pieces shared by the table and markdown renderers: totals and the check verdict."""

from __future__ import annotations

from typing import Any

from ..engine import DTYPE_BYTES, Plan
from ..fields import rf_text
from ..memory import bytes_of, naive_elements
from .columns import headers
from .common import MACS_NOTE, check_cell, mismatch_text, nbytes, num, peak_bytes


def totals_lines(plan: Plan) -> list[str]:
    width = DTYPE_BYTES[plan.dtype]
    lines = limit_lines(plan) + [
        f"Params: {num(plan.params)} (trainable {num(plan.trainable)}, non-trainable {num(plan.non_trainable)})",
        f"MACs: {num(plan.macs)}   FLOPs: {num(2 * plan.macs)}",
        f"Parameter memory: {nbytes(plan.param_bytes)} ({plan.dtype}, {width} B each)",
    ]
    lines.extend(peak_lines(plan))
    if plan.layers:
        lines.append(f"All tensors summed (naive): {nbytes(bytes_of(plan, naive_elements(plan)))}")
    lines.append(MACS_NOTE)
    return lines


def notice_lines(plan: Plan) -> list[str]:
    """Notes (misaligned paths) and warnings (unused input pixels), shown under the table."""
    return [f"Note: {note}" for note in plan.notes] + [f"Warning: {w.message}" for w in plan.warnings]


def peak_lines(plan: Plan) -> list[str]:
    """The peak line, and with symbols unset a second line saying where it is."""
    peak, note = peak_bytes(plan)
    if peak is None:
        return [f"Peak activation memory: not computed ({note})"]
    amount = peak + " B" if isinstance(peak, str) else nbytes(peak)
    line = f"Peak activation memory: {amount} (batch {plan.batch}, inference, by liveness)"
    return [line] + ([f"  {note}"] if note else [])


def limit_lines(plan: Plan) -> list[str]:
    """The smallest valid value of each input symbol and the layer that sets it."""
    lines = []
    for name, lim in plan.limits.items():
        if lim.value is None:
            lines.append(f"Smallest valid {name}: not computed ({lim.reason})")
        elif lim.by is None:
            lines.append(f"Smallest valid {name}: 1 (every layer fits any {name} >= 1)")
        else:
            req = lim.by
            lines.append(f"Smallest valid {name}: {lim.value}, set by {req.layer}: it needs "
                         f"{req.text} ({req.name})")
    if len(plan.limits) > 1:
        given = [name for name, value in plan.symbols.items() if value is not None]
        free = [name for name, value in plan.symbols.items() if value is None]
        lines.append("(each smallest value assumes the other symbols at their smallest" +
                     (f"; those of {', '.join(free)} assume {', '.join(given)} as given)" if given and free else ")"))
    return lines


def check_lines(plan: Plan, report: Any) -> list[str]:
    if report is None:
        return []
    at = sampled_text(getattr(report, "values", []))
    cross = report.cross
    if report.status == "passed":
        if cross is None:
            return [f"Verified on real tensors ({report.backend} executor){at}: all {report.compared} planned quantities agree."]
        return [
            f"Verified on real tensors (numpy executor){at}: all {report.compared - cross.layers} planned quantities agree.",
            f"PyTorch {cross.version} agreed on all {cross.layers} layer outputs (max abs diff {cross.max_abs_diff:.2g}).",
        ]
    lines = [f"CHECK FAILED{at}: {len(report.mismatches)} of {report.compared} planned quantities disagree:"]
    for m in report.mismatches:
        planned, observed = (mismatch_text(plan, m.quantity, v) for v in (m.planned, m.observed))
        where = " at " + values_text(m.at) if getattr(m, "at", None) else ""
        if m.quantity == "values":  # the torch backend: allowed and found max abs difference
            found = f"max abs difference {m.observed:.3g}" if isinstance(m.observed, float) else m.observed
            lines.append(f"  {m.layer_id} values{where}: PyTorch disagrees with numpy: {found} (allowed {m.planned:.3g})")
        else:
            lines.append(f"  {m.layer_id} {m.quantity}{where}: planned {planned}, observed {observed}")
    return lines


def values_text(values: dict[str, int]) -> str:
    return " ".join(f"{name}={v}" for name, v in values.items())


def sampled_text(samples: list[dict[str, int]]) -> str:
    """ " at T=1, 2, 7 and 12" when the executor ran at several values of the symbols."""
    if len(samples) < 2:
        return ""
    if len(samples[0]) == 1:
        (name,) = samples[0]
        vals = [str(s[name]) for s in samples]
        return f" at {name}={', '.join(vals[:-1])} and {vals[-1]}"
    return " at " + "; ".join(values_text(s) for s in samples)


def columns(plan: Plan, report: Any, chosen: tuple[str, ...] | None = None) -> list[str]:
    """Table headers: the chosen columns (render/columns.py), by default "non-train." (of the
    params) only when some parameters are not trainable."""
    return headers(plan, report, chosen)


def cells(plan: Plan, lp: Any, report: Any, bad: dict[int, list[str]]) -> dict[str, str]:
    from ..engine import display_shape
    from .common import kernel_shape, out_shape, shape_text, size_text

    issues = bad.get(lp.node.index)
    return {
        "#": str(lp.node.index),
        "layer": lp.node.id,
        "type": lp.node.type,
        "input": size_text(display_shape(lp.input_shapes[0], plan.layout)),
        "output": size_text(out_shape(plan, lp)),
        "kernel": shape_text(kernel_shape(plan, lp)) if lp.result.kernel is not None else "",
        "params": num(lp.params),
        "non-train.": num(lp.result.non_trainable),
        "MACs": num(lp.result.macs),
        "FLOPs": num(2 * lp.result.macs),
        "RF": rf_text(lp.rf),
        "act. elements": num(lp.activation_elements),
        "act. bytes": num(bytes_of(plan, lp.activation_elements)),
        "check": check_cell(issues),
    }


def mismatch_map(report: Any) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if report is not None:
        for m in report.mismatches:
            out.setdefault(m.index, []).append(m.quantity)
    return out
