"""Table rows with ``--depth N``: layers nested deeper than N levels fold into their group's row.

A layer's level is one more than the number of block uses and repeats around it (its scope):
top-level layers are level 1, the layers of a top-level block use level 2, and so on, as
torchinfo's ``depth`` counts module nesting. With ``--depth N`` every layer deeper than N is
shown as part of the row of its enclosing group at level N, which sums the layers' parameters
and MACs; ``--explain`` writes each sum out, one term per part one level down (a nested use or
repeat, or a layer). Without ``--depth`` every layer is a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from ..dims import Dim
from ..engine import LayerPlan, Plan, display_shape
from ..spec.model import Group
from .common import check_cell, explain_lines, num, size_text
from .summary import cells


@dataclass
class GroupRow:
    group: Group
    output: str  # the group's output shape as displayed
    level: int  # the depth it is shown at: its layers' scopes have it at index level - 1
    layers: list[LayerPlan] = field(default_factory=list)

    def total(self, count: Any) -> Dim:
        return sum((count(lp) for lp in self.layers), 0)

    def parts(self) -> dict[str, list[LayerPlan]]:
        """The layers by the next level down: a nested use or repeat, or the layer itself."""
        out: dict[str, list[LayerPlan]] = {}
        for lp in self.layers:
            scope = lp.node.scope
            out.setdefault(scope[self.level] if len(scope) > self.level else lp.node.id, []).append(lp)
        return out

    def derivation(self, label: str, count: Any) -> str | None:
        """``params: 4,736 + 4,736 = 9,472``: one term per part that has any."""
        sums = [sum((count(lp) for lp in part), 0) for part in self.parts().values()]
        terms = [num(x) for x in sums if x != 0]
        if not terms:
            return None
        return f"{label}: {' + '.join(terms)} = {num(self.total(count))}"


Row = Union[LayerPlan, GroupRow]


def rows(plan: Plan, depth: int | None) -> list[Row]:
    """The rows in plan order; a group's row stands where its first layer would."""
    if depth is None:
        return list(plan.layers)
    out: list[Row] = []
    folded: dict[str, GroupRow] = {}
    shapes = {lp.node.id: lp.output for lp in plan.layers}
    for lp in plan.layers:
        scope = lp.node.scope
        if len(scope) < depth:
            out.append(lp)
            continue
        gid = scope[depth - 1]
        if gid not in folded:
            group = plan.groups[gid]
            shape = shapes.get(group.output, plan.input_shape)  # a group may pass its input through
            folded[gid] = GroupRow(group, size_text(display_shape(shape, plan.layout)), depth)
            out.append(folded[gid])
        folded[gid].layers.append(lp)
    return out


def _params(lp: LayerPlan) -> Dim:
    return lp.params


def _non_trainable(lp: LayerPlan) -> Dim:
    return lp.result.non_trainable


def _macs(lp: LayerPlan) -> Dim:
    return lp.result.macs


def group_type(group: Group) -> str:
    return f"{group.type} x{group.count}" if group.kind == "repeat" else group.type


def group_cells(plan: Plan, row: GroupRow, bad: dict[int, list[str]]) -> dict[str, str]:
    """A folded group's cells: counts summed over its layers (activations too: the sum of the
    outputs inside it), the input of its first layer and the field of its output layer."""
    from ..fields import rf_text
    from ..memory import bytes_of

    first, last = row.layers[0].node.index, row.layers[-1].node.index
    issues = sorted({q for lp in row.layers for q in bad.get(lp.node.index, [])})
    out_layer = next((lp for lp in row.layers if lp.node.id == row.group.output), row.layers[-1])
    elements = row.total(lambda lp: lp.activation_elements)
    return {
        "#": f"{first}-{last}" if last != first else str(first),
        "layer": row.group.id,
        "type": group_type(row.group),
        "input": size_text(display_shape(row.layers[0].input_shapes[0], plan.layout)),
        "output": row.output,
        "kernel": "",
        "params": num(row.total(_params)),
        "non-train.": num(row.total(_non_trainable)),
        "MACs": num(row.total(_macs)),
        "FLOPs": num(2 * row.total(_macs)),
        "RF": rf_text(out_layer.rf),
        "act. elements": num(elements),
        "act. bytes": num(bytes_of(plan, elements)),
        "check": check_cell(issues),
    }


def group_explain(row: GroupRow) -> list[str]:
    lines = [row.derivation("params", _params), row.derivation("MACs", _macs)]
    return [line for line in lines if line is not None]


def row_cells(plan: Plan, row: Row, report: Any, bad: dict[int, list[str]]) -> dict[str, str]:
    return group_cells(plan, row, bad) if isinstance(row, GroupRow) else cells(plan, row, report, bad)


def row_explain(plan: Plan, row: Row) -> tuple[str, list[str]]:
    """The row's label and its explanation lines (a group's: its sums written out)."""
    if isinstance(row, GroupRow):
        return row.group.id, group_explain(row)
    return row.node.id, explain_lines(plan, row)
