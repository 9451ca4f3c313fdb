"""Measuring helpers for bench/run.py: whole processes (wall time and peak RSS), in-process
timings, statistics, the machine, and the Markdown tables.

Processes of one table run interleaved (round-robin, after one warm-up each), so a burst of
load from elsewhere on the machine hits every command of the table alike and ratios stay fair.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

ROOT = Path(__file__).resolve().parent.parent
PY = [sys.executable]
# the `convcalc` command a user runs: pip's console-script wrapper (bench/convcalc_entry.py)
CONVCALC = PY + [str(ROOT / "bench" / "convcalc_entry.py")]
# bytecode caching on, as on a user's machine (some sandboxes set PYTHONDONTWRITEBYTECODE);
# this checkout first on the path, as an install would put it
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + ([ENV["PYTHONPATH"]] if ENV.get("PYTHONPATH") else []))
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def set_threads(n: int) -> None:
    """BLAS and OpenMP threads for this process (before numpy/torch load) and its children."""
    for var in THREAD_VARS:
        os.environ[var] = ENV[var] = str(n)


def run_process(cmd: Sequence[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one run of ``cmd`` with stdout and stderr discarded."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(list(cmd), cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {err[-500:]}")
    return wall, usage.ru_maxrss / 1024  # Linux reports KiB


def interleaved(cases: dict[str, Sequence[str]], runs: int) -> dict[str, list[tuple[float, float]]]:
    """Every command once to warm up (page cache, bytecode), then ``runs`` rounds of all of them."""
    for cmd in cases.values():
        run_process(cmd)
    out: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, cmd in cases.items():
            out[name].append(run_process(cmd))
    return out


def timed(fn: Callable[[], Any], runs: int, warmup: int = 1) -> list[float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def med(values: Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: Sequence[float], scale: float = 1.0, digits: int = 3) -> list[str]:
    """Median, min and max as table cells."""
    return [f"{v * scale:.{digits}f}" for v in (med(values), min(values), max(values))]


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], right_from: int = 1) -> str:
    align = ["---" if i < right_from else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            return next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    except OSError:
        return platform.processor() or "?"


def _blas() -> str:
    import numpy as np

    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        text = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # older numpy: no dict mode
        text = "see numpy.show_config()"
    try:
        from threadpoolctl import threadpool_info

        pools = [f"{p['internal_api']} {p['num_threads']} threads" for p in threadpool_info()]
        text += f" (threadpoolctl: {', '.join(pools)})"
    except ImportError:
        pass
    return text


def machine(threads: int) -> list[str]:
    import numpy as np

    lines = [
        f"- CPU: {_cpu_model()}, {os.cpu_count()} cores; {platform.system()} {platform.machine()}",
        f"- {platform.python_implementation()} {platform.python_version()}, numpy {np.__version__}, BLAS: {_blas()}",
        f"- threads: {threads} (OMP/OPENBLAS/MKL_NUM_THREADS={threads} for every process; torch.set_num_threads({threads}))",
    ]
    try:
        import torch

        lines.append(f"- torch {torch.__version__} (CPU), {torch.get_num_threads()} threads")
    except ImportError:
        lines.append("- torch: not installed (its rows are left out)")
    return lines


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (1 min), {five:.2f} (5 min)"
