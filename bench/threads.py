"""Would Python threads give the executor the second core? The experiment behind README's
"Performance" notes, kept so that it can be rerun.

    python bench/threads.py [--runs 9] [--write]

Two cores in all, in two child processes:

* depthwise, OPENBLAS_NUM_THREADS=2: the executor's einsum (reference/depthwise.py) on the whole
  map, against the same einsum on two row halves (each with its halo rows), one half on a worker
  thread, written into one preallocated output;
* conv, OPENBLAS_NUM_THREADS=1 and two Python threads: im2col + matmul on two row halves, each
  half copied and multiplied on its own thread into preallocated buffers, against the executor's
  conv_nd with OpenBLAS at two threads (the first child).

numpy releases the GIL inside einsum, copies and matmul, so the halves can overlap. --write puts
the table under "Python threads" in bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import ENV, PY, ROOT, med, table  # noqa: E402

DEPTHWISE = [(112, 32, 1), (112, 64, 2), (56, 128, 1), (56, 128, 2), (28, 256, 1), (14, 512, 1)]
CONVS = [(224, 3, 64, 7, 2, 3), (56, 64, 64, 3, 1, 1), (28, 128, 128, 3, 1, 1), (14, 256, 256, 3, 1, 1),
         (7, 512, 512, 3, 1, 1)]


def child(kind: str, runs: int) -> dict:
    """Run in a child process: {case: [one thread ms, two thread ms]}."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    from convcalc.reference.depthwise import depthwise_nd
    from convcalc.reference.sliding import pad, windows
    from convcalc.reference.spatial import conv_nd
    from measure import timed

    pool = ThreadPoolExecutor(1)
    rng = np.random.default_rng(0)
    out = {}

    def halves(n: int, work) -> None:
        h = n // 2
        job = pool.submit(work, h, n)
        work(0, h)
        job.result()

    if kind == "depthwise":
        for h, c, s in DEPTHWISE:
            x = rng.standard_normal((1, h, h, c), dtype=np.float32)
            w = rng.standard_normal((3, 3, c, 1), dtype=np.float32)
            xp = pad(x, ((1, 1), (1, 1)))
            rows = (h + 2 - 3) // s + 1
            res = np.empty((1, rows, rows, c), np.float32)

            def part(lo: int, hi: int) -> None:
                res[:, lo:hi] = depthwise_nd(xp[:, lo * s:(hi - 1) * s + 3], w, (s, s), (1, 1), ((0, 0), (0, 0)))[0]

            whole = med(timed(lambda: depthwise_nd(x, w, (s, s), (1, 1), ((1, 1), (1, 1))), runs, 3))
            split = med(timed(lambda: halves(rows, part), runs, 3))
            out[f"depthwise {h}x{h}x{c} stride {s}"] = [whole * 1e3, split * 1e3]
    else:
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


def run(kind: str, blas_threads: int, runs: int) -> dict:
    env = dict(ENV, OPENBLAS_NUM_THREADS=str(blas_threads), OMP_NUM_THREADS=str(blas_threads))
    proc = subprocess.run(PY + [__file__, "--child", kind, "--runs", str(runs)], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--write", action="store_true", help="update bench/README.md")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.runs)))
        return
    rows = []
    dw = run("depthwise", 2, args.runs)
    rows += [[name, "einsum, one thread", f"{a:.2f}", "two row halves, two threads", f"{b:.2f}", f"{a / b:.2f}"]
             for name, (a, b) in dw.items()]
    blas2, blas1 = run("conv", 2, args.runs), run("conv", 1, args.runs)
    rows += [[name, "conv_nd, OpenBLAS 2 threads", f"{blas2[name][0]:.2f}", "two row halves, OpenBLAS 1 thread each",
              f"{blas1[name][1]:.2f}", f"{blas2[name][0] / blas1[name][1]:.2f}"] for name in blas2]
    result = table(["layer", "executor", "ms", "split over Python threads", "ms", "speed-up"], rows, 2)
    print(result)
    if args.write:
        from run import put_section

        head = (f"Median of {args.runs} runs after warm-ups, two cores in all; {time.strftime('%Y-%m-%d %H:%M')}, "
                f"machine under *Issue 7 targets*. Command: `python bench/threads.py --runs {args.runs} --write` "
                "(what each column runs: the script's docstring). A speed-up below 1 means the split was slower.")
        readme = ROOT / "bench" / "README.md"
        readme.write_text(put_section(readme.read_text(encoding="utf-8"), "Python threads", f"{head}\n\n{result}"),
                          encoding="utf-8")


if __name__ == "__main__":
    main()
