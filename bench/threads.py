"""Would Python threads give the executor the second core? The experiments behind README's
"Performance" notes, kept so that they can be rerun.

    python bench/threads.py [--runs 9] [--rounds 3] [--write]

Two cores in all, in child processes.

Layers: the executor's conv_nd with OpenBLAS at two threads, against im2col + matmul on two row
halves with OPENBLAS_NUM_THREADS=1, each half copied and multiplied on its own Python thread into
preallocated buffers (numpy releases the GIL inside copies, matmul and einsum, so the halves can
overlap).

Whole checks: ``check()`` of ResNet-50 and MobileNetV2 as the executor runs them (OpenBLAS at two
threads, everything else on the calling thread), against the same checks in a child with
OPENBLAS_NUM_THREADS=1 whose convs and depthwise einsums are cut into pieces that two Python
threads take in turn (a faster core takes more pieces): convs with 256 or more output positions
by output rows (copy and product of a piece together), smaller ones by filters; depthwise by
output rows. The two children alternate ``--rounds`` times. The executor itself runs no Python
threads: this experiment is the reason (docs/architecture.md, "Threads").

--write puts both tables under "Python threads" in bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import ENV, PY, ROOT, med, spread, table, timed  # noqa: E402

NETS = ("resnet50", "mobilenetv2")
PIECES = 4  # pieces per cut op in the whole-check experiment (8 measured no better)
CONVS = [(224, 3, 64, 7, 2, 3), (56, 64, 64, 3, 1, 1), (28, 128, 128, 3, 1, 1), (14, 256, 256, 3, 1, 1),
         (7, 512, 512, 3, 1, 1)]


def layers(runs: int) -> dict:
    """Run in a child process: {case: [conv_nd ms, two halves ms]}."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    from convcalc.reference.machine import keep_freed_memory
    from convcalc.reference.sliding import pad, windows
    from convcalc.reference.spatial import conv_nd
    keep_freed_memory()  # as check() does
    pool = ThreadPoolExecutor(1)
    rng = np.random.default_rng(0)
    out = {}

    def halves(n: int, work) -> None:
        h = n // 2
        job = pool.submit(work, h, n)
        work(0, h)
        job.result()

    for h, c, f, k, s, p in CONVS:
        x = rng.standard_normal((1, h, h, c), dtype=np.float32)
        w = rng.standard_normal((k, k, c, f), dtype=np.float32)
        view = np.moveaxis(windows(pad(x, ((p, p), (p, p))), (k, k), (s, s), (1, 1))[0], 2, -1)
        oh, ow = view.shape[:2]
        cols = np.empty(view.shape, np.float32)
        res = np.empty((oh * ow, f), np.float32)
        mat = w.reshape(-1, f)

        def part(lo: int, hi: int) -> None:
            np.copyto(cols[lo:hi], view[lo:hi])
            np.matmul(cols[lo:hi].reshape((hi - lo) * ow, -1), mat, out=res[lo * ow:hi * ow])

        whole = med(timed(lambda: conv_nd(x, w, (s, s), (1, 1), ((p, p), (p, p))), runs, 3))
        split = med(timed(lambda: halves(oh, part), runs, 3))
        out[f"conv {k}x{k} over {h}x{h}x{c}, {f} filters, stride {s}"] = [whole * 1e3, split * 1e3]
    return out


def _in_turns(pool, work, n: int, pieces: int) -> None:
    """``work(lo, hi)`` over ``range(n)`` cut into ``pieces`` ranges, which this thread and one pool
    thread take in turn until none is left (a core that runs faster takes more)."""
    pieces = max(1, min(pieces, n))
    bounds = [n * i // pieces for i in range(pieces + 1)]
    todo = iter(range(pieces))  # next() on it is atomic under the GIL

    def take() -> None:
        for i in todo:
            work(bounds[i], bounds[i + 1])

    job = pool.submit(take)
    take()
    job.result()


def cut_executor() -> None:
    """Make this process's executor cut its convs and depthwise einsums over two Python threads
    (the experiment; run with OPENBLAS_NUM_THREADS=1)."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    from convcalc.reference import depthwise, spatial
    from convcalc.reference.sliding import pad, windows

    pool = ThreadPoolExecutor(1)
    whole = spatial.conv_nd

    def conv_nd(x, weight, stride, dilation, pads, groups=1):
        if groups != 1 or x.ndim != 4:
            return whole(x, weight, stride, dilation, pads, groups)
        kernel, filters = tuple(weight.shape[:2]), weight.shape[-1]
        if kernel == (1, 1) and not any(b or a for b, a in pads):
            view = x[0, :: stride[0], :: stride[1]]  # (out..., C)
        else:
            view = np.moveaxis(windows(pad(x, pads), kernel, stride, dilation)[0], 2, -1)  # (out..., k..., C)
        cols = view if view.flags.c_contiguous else np.empty(view.shape, np.float32)
        oh, ow = view.shape[:2]
        rows, mat = cols.reshape(oh * ow, -1), weight.reshape(-1, filters)
        out = np.empty((oh * ow, filters), np.float32)

        def gather(lo: int, hi: int) -> None:
            if cols is not view:
                np.copyto(cols[lo:hi], view[lo:hi])

        def by_rows(lo: int, hi: int) -> None:
            gather(lo, hi)
            np.matmul(rows[lo * ow: hi * ow], mat, out=out[lo * ow: hi * ow])

        if oh * ow >= 256:
            _in_turns(pool, by_rows, oh, PIECES)
        else:
            _in_turns(pool, gather, oh, 2)
            _in_turns(pool, lambda lo, hi: np.matmul(rows, mat[:, lo:hi], out=out[:, lo:hi]), filters, PIECES)
        return out.reshape((1, oh, ow, filters)), rows.shape[0] * mat.size

    class CutEinsum:  # numpy for depthwise.py, whose one einsum leads with the output rows
        def __getattr__(self, name: str):
            return getattr(np, name)

        @staticmethod
        def einsum(subscripts, lhs, rhs, out):
            _in_turns(pool, lambda lo, hi: np.einsum(subscripts, lhs[lo:hi], rhs, out=out[lo:hi]), out.shape[0],
                      PIECES)

    spatial.conv_nd = conv_nd
    depthwise.np = CutEinsum()


def checks(runs: int, cut: bool) -> dict:
    """Run in a child process: {net: [check seconds]}, each check asserted to pass."""
    import convcalc
    from convcalc.reference import check

    if cut:
        cut_executor()
    out = {}
    for name in NETS:
        plan = convcalc.plan(ROOT / "examples" / f"{name}.yaml")

        def one() -> None:
            report = check(plan)
            assert report.passed, str(report)

        out[name] = timed(one, runs, 2)
    return out


def run(mode: str, blas_threads: int, runs: int) -> dict:
    env = dict(ENV, OPENBLAS_NUM_THREADS=str(blas_threads), OMP_NUM_THREADS=str(blas_threads))
    proc = subprocess.run(PY + [__file__, "--child", mode, "--runs", str(runs)], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def whole_checks(runs: int, rounds: int) -> str:
    times: dict[str, dict[str, list[float]]] = {"as is": {n: [] for n in NETS}, "cut": {n: [] for n in NETS}}
    for _ in range(rounds):  # alternate the children, so that both see the machine's states
        for variant, mode, blas in (("as is", "checks", 2), ("cut", "checks-cut", 1)):
            for name, values in run(mode, blas, runs).items():
                times[variant][name] += values
    rows = []
    for name in NETS:
        whole, cut = times["as is"][name], times["cut"][name]
        rows.append([f"check {name}", *spread(whole, 1e3, 0), *spread(cut, 1e3, 0), f"{med(whole) / med(cut):.2f}"])
    return table(["whole check", "as is: median ms", "min", "max", "cut over two threads: median ms", "min", "max",
                  "speed-up"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--rounds", type=int, default=3, help="alternations of the whole-check children")
    parser.add_argument("--write", action="store_true", help="update bench/README.md")
    parser.add_argument("--child", choices=["layers", "checks", "checks-cut"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        out = layers(args.runs) if args.child == "layers" else checks(args.runs, args.child == "checks-cut")
        print(json.dumps(out))
        return
    blas2, blas1 = run("layers", 2, args.runs), run("layers", 1, args.runs)
    rows = [[name, "conv_nd, OpenBLAS 2 threads", f"{blas2[name][0]:.2f}", "two row halves, OpenBLAS 1 thread each",
              f"{blas1[name][1]:.2f}", f"{blas2[name][0] / blas1[name][1]:.2f}"] for name in blas2]
    result = table(["layer", "executor", "ms", "split over Python threads", "ms", "speed-up"], rows, 2)
    print(result)
    checked = whole_checks(args.runs, args.rounds)
    print(checked)
    if args.write:
        from run import put_section

        head = (f"Two cores in all; {time.strftime('%Y-%m-%d %H:%M')}, machine under *Issue 7 targets*. Command: "
                f"`python bench/threads.py --runs {args.runs} --rounds {args.rounds} --write` (what each column runs: "
                "the script's docstring). A speed-up below 1 means the split was slower.\n\n"
                f"Single layers, median of {args.runs} runs after warm-ups:")
        result += (f"\n\nWhole checks, {args.runs} runs after two warm-ups in each of {args.rounds} alternations "
                   f"of the two children:\n\n{checked}")
        readme = ROOT / "bench" / "README.md"
        readme.write_text(put_section(readme.read_text(encoding="utf-8"), "Python threads", f"{head}\n\n{result}"),
                          encoding="utf-8")


if __name__ == "__main__":
    main()
