"""Would Python threads give the executor's convs the second core? The experiment behind
README's "Performance" notes, kept so that it can be rerun.

    python bench/threads.py [--runs 9] [--write]

Two cores in all, in two child processes: the executor's conv_nd with OpenBLAS at two threads,
against im2col + matmul on two row halves with OPENBLAS_NUM_THREADS=1, each half copied and
multiplied on its own Python thread into preallocated buffers (numpy releases the GIL inside
copies and matmul, so the halves can overlap). Depthwise layers are no longer part of it: the
executor itself cuts a large depthwise einsum over its threads (reference/machine.py), which the
"Depthwise convs" section of bench/run.py measures. --write puts the table under "Python
threads" in bench/README.md.
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

CONVS = [(224, 3, 64, 7, 2, 3), (56, 64, 64, 3, 1, 1), (28, 128, 128, 3, 1, 1), (14, 256, 256, 3, 1, 1),
         (7, 512, 512, 3, 1, 1)]


def child(runs: int) -> dict:
    """Run in a child process: {case: [conv_nd ms, two halves ms]}."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    from convcalc.reference.machine import keep_freed_memory
    from convcalc.reference.sliding import pad, windows
    from convcalc.reference.spatial import conv_nd
    from measure import timed

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


def run(blas_threads: int, runs: int) -> dict:
    env = dict(ENV, OPENBLAS_NUM_THREADS=str(blas_threads), OMP_NUM_THREADS=str(blas_threads))
    proc = subprocess.run(PY + [__file__, "--child", "--runs", str(runs)], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--write", action="store_true", help="update bench/README.md")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.runs)))
        return
    blas2, blas1 = run(2, args.runs), run(1, args.runs)
    rows = [[name, "conv_nd, OpenBLAS 2 threads", f"{blas2[name][0]:.2f}", "two row halves, OpenBLAS 1 thread each",
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
