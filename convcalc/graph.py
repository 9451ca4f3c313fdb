"""Spec -> Graph: name every layer, resolve ``from``, reject unknown ids and cycles, order them.

Default ids follow Keras' naming (``conv1``, ``conv2``, ``relu1``...); the network input is
called ``input``. The result is a list of nodes in topological order (ties keep file order).
"""

from __future__ import annotations

import heapq
from collections import Counter

from .errors import Loc, SpecError, did_you_mean
from .layers import Node, lookup
from .spec import LayerSpec, ModelSpec
from .spec.model import default_id

INPUT = "input"


def _ids(spec: ModelSpec) -> list[str]:
    counts: Counter[str] = Counter()
    taken = {layer.id for layer in spec.layers if layer.id} | set(spec.aliases)  # block uses, repeats
    ids: list[str] = []
    seen: dict[str, str] = {}
    for layer in spec.layers:
        if layer.id:
            if layer.id == INPUT or layer.id in seen:
                other = "the network input" if layer.id == INPUT else seen[layer.id]
                raise SpecError(f"id '{layer.id}' is already used by {other}", loc=layer.loc, layer=layer.path, field="id")
            ident = layer.id
        else:
            while True:
                counts[layer.type] += 1
                ident = default_id(layer.type, counts[layer.type])
                if ident not in taken:
                    break
        seen[ident] = layer.path
        ids.append(ident)
    return ids


def resolve(name: str, aliases: dict[str, str], layer: LayerSpec | None = None) -> str:
    """Follow aliases (block uses, repeats, entries disabled by ``when``) to the layer they name.

    Every alias on the way is then pointed at that layer directly, so a chain is walked once
    however many names on it are resolved (a block whose entries are all disabled, repeated
    1,000 times, is a chain of 1,000 aliases)."""
    trail, seen = [name], {name}
    while name in aliases:
        name = aliases[name]
        if name in seen:
            cycle = " <- ".join(trail[trail.index(name):] + [name])
            raise SpecError(f"the layers form a cycle: {cycle}", loc=layer.loc if layer else None,
                            layer=layer.path if layer else None, field="from")
        trail.append(name)
        seen.add(name)
    for alias in trail[:-1]:
        aliases[alias] = name
    return name


def build(spec: ModelSpec) -> list[Node]:
    """The nodes of ``spec`` in an order where every input comes before its consumer."""
    if not spec.layers:  # nothing to plan or check (a check would compare a peak with no arrays)
        disabled = bool(spec.aliases)
        raise SpecError("the network has no layers" + (": every entry is disabled by when" if disabled else ""),
                        loc=spec.layers_loc or (Loc(spec.file) if spec.file else Loc("<cli>")),
                        hint=("add entries to the file's layers: or " if spec.file else "add ")
                        + "layer flags such as --conv 3x3x16 or --layer 'TYPE ARGS'")
    ids = _ids(spec)
    known = set(ids) | {INPUT} | set(spec.aliases)
    nodes: list[Node] = []
    prev = INPUT
    for i, (layer, ident) in enumerate(zip(spec.layers, ids)):
        inputs = layer.inputs if layer.inputs is not None else [prev]  # flags without a file
        prev = ident
        for name in inputs:
            if name not in known:
                raise SpecError(
                    f"from names '{name}', which is not a layer id",
                    loc=layer.loc, layer=layer.path, field="from", hint=did_you_mean(name, known),
                )
        inputs = [resolve(name, spec.aliases, layer) for name in inputs]
        arity = lookup(layer.type).inputs
        if (arity and len(inputs) != arity) or (not arity and len(inputs) < 2):
            want = f"exactly {arity}" if arity else "at least 2"
            raise SpecError(f"{layer.type} takes {want} input(s), got {len(inputs)}: {', '.join(inputs)}",
                            loc=layer.loc, layer=layer.path, field="from")
        nodes.append(Node(i, ident, layer.type, layer.args, list(inputs), layer.path, layer.loc, layer.arg_locs,
                          layer.scope))
    return _toposort(nodes)


def _toposort(nodes: list[Node]) -> list[Node]:
    """Kahn's algorithm, taking ready nodes in file order (so a plain sequence keeps its order)."""
    waiting = {n.id: len(set(n.inputs) - {INPUT}) for n in nodes}
    consumers: dict[str, list[Node]] = {}
    for n in nodes:
        for name in set(n.inputs) - {INPUT}:
            consumers.setdefault(name, []).append(n)
    ready = [(n.index, n.id) for n in nodes if waiting[n.id] == 0]
    heapq.heapify(ready)
    by_id = {n.id: n for n in nodes}
    order: list[Node] = []
    while ready:
        _, ident = heapq.heappop(ready)
        order.append(by_id[ident])
        for consumer in consumers.get(ident, []):
            waiting[consumer.id] -= 1
            if waiting[consumer.id] == 0:
                heapq.heappush(ready, (consumer.index, consumer.id))
    if len(order) < len(nodes):
        raise _cycle_error(by_id, waiting)
    for i, node in enumerate(order):
        node.index = i
    return order


def _cycle_error(by_id: dict[str, Node], waiting: dict[str, int]) -> SpecError:
    """Walk back through still-waiting inputs until a node repeats: that loop is a cycle."""
    node = next(by_id[i] for i, w in waiting.items() if w)
    trail: list[str] = []
    while node.id not in trail:
        trail.append(node.id)
        node = next(by_id[name] for name in node.inputs if name in by_id and waiting[name])
    cycle = trail[trail.index(node.id):] + [node.id]
    return SpecError(
        f"the layers form a cycle: {' <- '.join(cycle)}", loc=node.loc, layer=node.path, field="from"
    )
