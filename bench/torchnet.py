"""The same network in PyTorch, built from a convcalc plan, for side-by-side measurements.

    python bench/torchnet.py forward NET.json [RUNS]   # time torch's forward pass (prints JSON)
    python bench/torchnet.py summary NET.json          # torchinfo's summary of the same model
    python bench/torchnet.py depthwise LAYERS.json RUNS # time F.conv2d(groups=C) per [h, c, stride]

NET.json is written by :func:`net_doc` (the plan's layers: type, arguments, inputs, channels).
Torch's own modules (Conv2d, BatchNorm2d in eval mode, MaxPool2d, Linear, ...) run the graph
in NCHW; each activation is dropped after its last consumer, as the executor does. Only the
benchmark imports this file; it imports torch only when a torch row is measured, so the benchmark
runs without torch.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from measure import timed


def net_doc(plan: Any) -> dict[str, Any]:
    """What the torch model needs from a plan (channels-first input, per layer its args)."""
    from convcalc.engine import display_shape

    return {
        "input": [int(s) for s in display_shape(plan.input_shape, "chw")],
        "trainable_params": int(plan.trainable),
        "layers": [
            {"id": lp.node.id, "type": lp.node.type, "args": lp.node.args, "inputs": list(lp.node.inputs),
             "in_channels": int(lp.input_shapes[0][-1]), "out_channels": int(lp.output[-1])}
            for lp in plan.layers
        ],
    }


def _pair(value: Any) -> Any:
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _conv(nn: Any, layer: dict) -> Any:
    a = layer["args"]
    size = a.get("size")
    kernel = tuple(size[:-1]) if size else _pair(a["kernel"])
    groups = layer["in_channels"] if layer["type"] == "depthwise_conv" else int(a.get("groups", 1))
    padding = a.get("padding", "valid")
    padding = padding if isinstance(padding, str) else _pair(padding)
    return nn.Conv2d(layer["in_channels"], layer["out_channels"], kernel, stride=_pair(a.get("stride", 1)),
                     padding=padding, dilation=_pair(a.get("dilation", 1)), groups=groups, bias=bool(a.get("bias", True)))


def _module(nn: Any, layer: dict) -> Any:
    kind, a = layer["type"], layer["args"]
    if kind in ("conv", "depthwise_conv"):
        return _conv(nn, layer)
    if kind == "batchnorm":
        return nn.BatchNorm2d(layer["in_channels"], eps=1e-3)
    if kind == "relu":
        return nn.ReLU()
    if kind == "maxpool":
        stride = a.get("stride") if a.get("stride") is not None else a["kernel"]
        return nn.MaxPool2d(_pair(a["kernel"]), _pair(stride), _pair(a.get("padding", 0)))
    if kind == "global_avgpool":
        return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
    if kind == "dense":
        return nn.Linear(layer["in_channels"], int(a["units"]), bias=bool(a.get("bias", True)))
    if kind == "add":
        return None
    raise ValueError(f"bench/torchnet.py has no torch module for {kind!r}")


def build(doc: dict[str, Any]) -> Any:
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = doc["layers"]
            self.mods = nn.ModuleDict({str(i): m for i, layer in enumerate(self.layers)
                                       if (m := _module(nn, layer)) is not None})
            self.last = {name: i for i, layer in enumerate(self.layers) for name in layer["inputs"]}

        def forward(self, x: Any) -> Any:
            values = {"input": x}
            for i, layer in enumerate(self.layers):
                ins = [values[name] for name in layer["inputs"]]
                values[layer["id"]] = ins[0] + ins[1] if layer["type"] == "add" else self.mods[str(i)](ins[0])
                for name in [n for n in layer["inputs"] if self.last[n] == i]:
                    del values[name]
            return values[self.layers[-1]["id"]]

    model = Net().eval()
    params = sum(p.numel() for p in model.parameters())
    if params != doc["trainable_params"]:
        raise ValueError(f"the torch model has {params} parameters, the plan {doc['trainable_params']}")
    torch.manual_seed(0)
    return model


def forward(doc: dict[str, Any], runs: int) -> dict[str, Any]:
    import torch

    model = build(doc)
    x = torch.randn(1, *doc["input"])
    with torch.inference_mode():  # two warm-up passes first: oneDNN picks its kernels
        times = timed(lambda: model(x), runs, warmup=2)
    return {"times": times, "threads": torch.get_num_threads(), "version": torch.__version__}


def depthwise(layers: list[list[int]], runs: int) -> list[list[float]]:
    """Times of torch's depthwise 3x3 conv (padding 1) for each (size, channels, stride)."""
    import torch

    out = []
    with torch.inference_mode():
        for h, c, s in layers:
            x, w = torch.randn(1, c, h, h), torch.randn(c, 1, 3, 3)
            out.append(timed(lambda: torch.nn.functional.conv2d(x, w, stride=s, padding=1, groups=c), runs, warmup=2))
    return out


def main() -> None:
    what, path = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if what == "forward":
        print(json.dumps(forward(doc, int(sys.argv[3]) if len(sys.argv) > 3 else 5)))
    elif what == "depthwise":
        print(json.dumps(depthwise(doc, int(sys.argv[3]))))
    elif what == "summary":
        import torchinfo

        torchinfo.summary(build(doc), input_size=(1, *doc["input"]))
    else:
        raise SystemExit(f"unknown command {what!r}")


if __name__ == "__main__":
    main()
