"""In-process measurements of the numpy executor: its ResNet-50 forward pass next to torch's,
conv layers against numpy's own sgemm rate, depthwise convs against torch, weight drawing, and
the memory estimate against what numpy really allocated.

Torch runs in the same process, interleaved run by run with the executor, so both see the same
machine state; a pause between the two lets the other library's idle BLAS/OpenMP threads stop
spinning before the next measurement starts.
"""

from __future__ import annotations

import time
import tracemalloc
from typing import Any

from measure import med, spread, table, timed, verdict

PAUSE = 0.2  # seconds between a torch run and a numpy run (OpenBLAS threads spin ~0.1 s when idle)
MOBILENET_DW = [  # MobileNet v1's depthwise 3x3 layers: (size, channels, stride); 14x14x512 runs 5 times
    (112, 32, 1), (112, 64, 2), (56, 128, 1), (56, 128, 2), (28, 256, 1), (28, 256, 2),
    (14, 512, 1), (14, 512, 2), (7, 1024, 1),
]
SGEMM = (9728, 821, 512)  # 4,089,184,256 MACs: ResNet-50's, as the floor process does
SLACK = 256 << 10  # the Python objects a check makes (its report), which the estimate leaves out


def torch_or_none(threads: int) -> Any:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


def _timer(module: Any, name: str, spent: list[float]) -> None:
    """Replace ``module.name`` by a wrapper that adds each call's seconds to ``spent``."""
    original = module[name] if isinstance(module, dict) else getattr(module, name)

    def timed_call(*args: Any) -> Any:
        t0 = time.perf_counter()
        out = original(*args)
        spent.append(time.perf_counter() - t0)
        return out

    if isinstance(module, dict):
        module[name] = timed_call
    else:
        setattr(module, name, timed_call)


def _timed_parts() -> tuple[list[float], list[float], list[float]]:
    """Time, inside every check, the layers' ops (every FORWARD entry), the weight drawing
    within them and the receptive-field probe (which runs after the layers, on intervals rather
    than values), so that the forward pass can be told apart from the rest of a check."""
    import importlib

    from convcalc.reference import FORWARD, core

    ops: list[float] = []
    draws: list[float] = []
    probes: list[float] = []
    for name in ("spatial", "depthwise", "ops", "norm", "transpose"):
        module = importlib.import_module(f"convcalc.reference.{name}")
        if getattr(module, "draw", None) is core.draw:
            _timer(module, "draw", draws)
    for name in list(FORWARD):
        _timer(FORWARD, name, ops)
    _timer(importlib.import_module("convcalc.reference.check"), "probe", probes)
    return ops, draws, probes


def forward(plan: Any, doc: dict, runs: int, threads: int) -> tuple[str, list[tuple]]:
    """ResNet-50: the executor's check, its forward pass (the layers' ops without their weight
    drawing) and torch's forward."""
    from convcalc.reference import check

    from torchnet import build

    ops_spent, draws_spent, probes_spent = _timed_parts()
    torch = torch_or_none(threads)
    model = build(doc) if torch else None
    x = torch.randn(1, *doc["input"]) if torch else None
    checks, ops, draws, probes, torch_times = [], [], [], [], []
    check(plan)  # warm-up
    for _ in range(runs):
        for spent in (ops_spent, draws_spent, probes_spent):
            spent.clear()
        t0 = time.perf_counter()
        report = check(plan)
        checks.append(time.perf_counter() - t0)
        ops.append(sum(ops_spent))
        draws.append(sum(draws_spent))
        probes.append(sum(probes_spent))
        assert report.passed
        if torch:
            time.sleep(PAUSE)
            with torch.inference_mode():
                torch_times += timed(lambda: model(x), 1, warmup=1 if torch_times else 2)
            time.sleep(PAUSE)
    fwd = [o - d for o, d in zip(ops, draws)]
    rest = [c - o - p for c, o, p in zip(checks, ops, probes)]
    rows = [["executor: whole check (draws, forward, probe, bookkeeping)", *spread(checks, 1e3, 1)],
            ["executor: weight drawing within it", *spread(draws, 1e3, 1)],
            ["executor: receptive-field probe within it", *spread(probes, 1e3, 1)],
            ["executor: bookkeeping within it (memory estimate, comparisons, live bytes; check minus ops and probe)",
             *spread(rest, 1e3, 1)],
            ["executor: forward (the layers' ops, without their weight drawing)", *spread(fwd, 1e3, 1)]]
    targets = []
    if torch:
        rows.append([f"torch {torch.__version__}: model(x), inference_mode", *spread(torch_times, 1e3, 1)])
        ratio = med(fwd) / med(torch_times)
        targets.append(("executor forward <= 1.3x torch forward (ResNet-50, same threads)",
                        f"{ratio:.2f}x ({med(fwd) * 1e3:.0f} vs {med(torch_times) * 1e3:.0f} ms)", verdict(ratio <= 1.3)))
    share = med(draws) / med(checks)
    targets.append(("weight drawing does not dominate the check", f"{share:.0%} of the check", verdict(share < 0.5)))
    body = (f"{runs} runs after a warm-up, {threads} thread(s); ResNet-50 at 224x224, batch 1. The forward row is "
            "the time each check spent inside the layers' ops (the FORWARD functions: im2col, matmul, batchnorm, "
            "relu, ...) minus the weight drawing within them; torch's row is model(x) alone. The probe "
            "(reference/probe.py) reruns the windows on intervals after the layers.\n\n"
            + table(["what", "median ms", "min ms", "max ms"], rows))
    return body, targets


def _sgemm() -> Any:
    """The reference product: a callable running one SGEMM-sized float32 matmul."""
    import numpy as np

    m, k, n = SGEMM
    a, b = np.full((m, k), 0.5, np.float32), np.full((k, n), 0.25, np.float32)
    return lambda: a @ b


def _side_by_side(fn: Any, reference: Any, runs: int) -> tuple[list[float], list[float]]:
    """Times of ``fn`` (``runs`` in a row after a warm-up, as a layer runs with its operands in
    cache) and of ``reference`` just before and just after them, so that both see the same
    machine: on this VM the sgemm rate moved between 220 and 330 GFLOP/s from one minute to the
    next. (Alternating single runs instead flushed the layer's operands from the caches.)"""
    half = max(2, runs // 2)
    before = timed(reference, half)
    ours = timed(fn, runs)
    return ours, before + timed(reference, half)


def _conv_cases(plan: Any) -> dict[tuple, dict]:
    """The distinct conv layers of a plan: (input, kernel, filters, stride, padding) -> one of them."""
    cases: dict[tuple, dict] = {}
    for lp in plan.layers:
        if lp.node.type != "conv":
            continue
        kernel = tuple(lp.result.kernel[:-2])
        key = (tuple(lp.input_shapes[0]), kernel, lp.output[-1], str(lp.node.args.get("stride", 1)),
               str(lp.node.args.get("padding", "valid")))
        cases.setdefault(key, {"args": lp.node.args, "input": lp.input_shapes[0], "kernel": kernel,
                               "name": lp.node.id, "count": 0})
        cases[key]["count"] += 1
    return cases


def conv(plan: Any, runs: int, threads: int) -> tuple[str, list[tuple]]:
    """Every distinct ResNet-50 conv (pad + im2col + matmul) in GFLOP/s against the sgemm rate."""
    import numpy as np

    from convcalc.reference.core import draw
    from convcalc.reference.machine import keep_freed_memory
    from convcalc.reference.sliding import per_axis, resolve_pads
    from convcalc.reference.spatial import conv_nd

    keep_freed_memory()  # as check() does before its first layer

    sgemm, flops = _sgemm(), 2 * SGEMM[0] * SGEMM[1] * SGEMM[2]
    rng = np.random.default_rng(0)
    rows, worst, rates = [], 1e9, []
    for case in sorted(_conv_cases(plan).values(), key=lambda c: -int(np.prod(c["kernel"]))):
        shape, kernel, args = case["input"], case["kernel"], case["args"]
        x = rng.standard_normal((1, *shape), dtype=np.float32)
        w = draw(rng, kernel + (shape[-1], int(args["filters"])), 0.1)
        stride = per_axis(args.get("stride", 1), len(kernel), "stride")
        pads = resolve_pads(args.get("padding", "valid"), shape[:-1], kernel, stride, (1,) * len(kernel))
        macs = conv_nd(x, w, stride, (1,) * len(kernel), pads)[1]
        times, reference = _side_by_side(lambda: conv_nd(x, w, stride, (1,) * len(kernel), pads), sgemm, runs)
        t, rate = med(times), flops / med(reference) / 1e9
        rates.append(rate)
        gflops = 2 * macs / t / 1e9
        big = min(kernel) >= 3
        worst = min(worst, gflops / rate) if big else worst
        rows.append([f"{case['name']} x{case['count']}", "x".join(map(str, kernel)), "x".join(map(str, shape)),
                     args["filters"], f"{t * 1e3:.2f}", f"{gflops:.0f}", f"{rate:.0f}", f"{gflops / rate:.0%}",
                     verdict(gflops / rate >= 0.5) if big else "(1x1)"])
    body = (f"Each distinct conv layer of ResNet-50 (first use named, x uses): median of {runs} runs of pad + "
            f"im2col + matmul, between runs of numpy's sgemm ({SGEMM[0]}x{SGEMM[1]} @ {SGEMM[1]}x{SGEMM[2]}, "
            f"float32, {threads} thread(s); {min(rates):.0f}-{max(rates):.0f} GFLOP/s over the table) just before "
            "and after it, against which the layer's rate is taken. GFLOP/s = 2 x MACs / time.\n\n"
            + table(["layer", "kernel", "input (HWC)", "filters", "ms", "GFLOP/s", "sgemm GFLOP/s", "of sgemm",
                     ">= 50%"], rows, 4))
    return body, [("conv layers 3x3 and larger >= 50% of numpy's sgemm GFLOP/s", f"slowest {worst:.0%}",
                   verdict(worst >= 0.5))]


def _torch_depthwise(torch: Any, x: Any, w: Any, s: int, runs: int, threads: int) -> list[float]:
    """Torch's time for one depthwise layer: its faster of 1 and ``threads`` threads (on this
    machine two OpenMP threads sometimes stall for ~30 ms), each after its own warm-up."""
    import numpy as np

    xt = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    wt = torch.from_numpy(np.ascontiguousarray(w.transpose(2, 3, 0, 1)))
    best: list[float] = []
    for n in sorted({1, threads}):
        torch.set_num_threads(n)
        with torch.inference_mode():
            times = timed(lambda: torch.nn.functional.conv2d(xt, wt, stride=s, padding=1, groups=x.shape[-1]), runs, 3)
        best = times if not best or med(times) < med(best) else best
    torch.set_num_threads(threads)
    time.sleep(PAUSE)
    return best


def depthwise(runs: int, threads: int) -> tuple[str, list[tuple]]:
    import numpy as np

    from convcalc.reference.depthwise import depthwise_nd
    from convcalc.reference.machine import keep_freed_memory

    keep_freed_memory()  # as check() does before its first layer

    torch = torch_or_none(threads)
    rng = np.random.default_rng(0)
    rows, ratios = [], []
    for h, c, s in MOBILENET_DW:
        x = rng.standard_normal((1, h, h, c), dtype=np.float32)
        w = rng.standard_normal((3, 3, c, 1), dtype=np.float32)
        ours = timed(lambda: depthwise_nd(x, w, (s, s), (1, 1), ((1, 1), (1, 1))), runs, 3)
        row = [f"{h}x{h}x{c}", s, f"{med(ours) * 1e3:.2f}"]
        if torch:
            theirs = _torch_depthwise(torch, x, w, s, runs, threads)
            ratios.append(med(ours) / med(theirs))
            row += [f"{med(theirs) * 1e3:.2f}", f"{ratios[-1]:.1f}", verdict(ratios[-1] <= 3)]
        rows.append(row)
    header = ["depthwise 3x3 layer (HWC)", "stride", "executor ms"] + (["torch ms", "ratio", "<= 3x"] if torch else [])
    body = (f"MobileNet v1's depthwise layers, padding 1, median of {runs} runs after warm-ups. The executor's einsum "
            f"runs on one thread; torch's time is its faster of 1 and {threads} thread(s).\n\n" + table(header, rows))
    targets = [("depthwise within 3x of torch, no loop over channels", f"worst {max(ratios):.1f}x",
                verdict(max(ratios) <= 3))] if torch else []
    return body, targets


def weights(runs: int) -> tuple[str, list[tuple]]:
    import numpy as np

    from convcalc.reference.core import draw

    n = 25_557_032
    rng = np.random.default_rng(0)
    cases = [("rng.standard_normal(n, dtype=float32)", lambda: rng.standard_normal(n, dtype=np.float32)),
             ("rng.random(n, dtype=float32) (then shifted and scaled in place: the executor's draw)",
              lambda: draw(rng, (n,), 0.1))]
    rows = [[name, *spread(timed(fn, runs), 1e3, 0)] for name, fn in cases]
    body = (f"Drawing ResNet-50's {n:,} parameters as one float32 array from numpy's default generator "
            f"(PCG64), median of {runs}.\n\n" + table(["draw", "median ms", "min ms", "max ms"], rows))
    return body, []


def memory(plans: dict[str, Any]) -> tuple[str, list[tuple]]:
    """estimate_bytes (what --max-check-memory compares) against tracemalloc's peak of the check."""
    from convcalc.reference import check, estimate_bytes

    rows, ok = [], True
    for name, plan in plans.items():
        tracemalloc.start()
        check(plan)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        est = estimate_bytes(plan)
        ok = ok and peak - SLACK <= est <= 2 * peak
        rows.append([name, f"{est / 2**20:.1f}", f"{peak / 2**20:.1f}", f"{est / peak:.2f}"])
    body = ("`estimate_bytes(plan)` against the peak of memory numpy (and Python) allocated during `check`, "
            "as tracemalloc counts it (the interpreter and numpy's own code are not included). The target: the "
            "estimate is at least the measured peak less 256 KiB (the check's own Python objects, which the "
            "estimate leaves out) and at most twice it.\n\n"
            + table(["network", "estimate MiB", "measured peak MiB", "estimate / measured"], rows))
    return body, [("check's memory estimate covers its real peak, within 2x", "see Memory estimate", verdict(ok))]
