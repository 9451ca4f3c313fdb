"""What the executor asks of the machine: its threads, and an allocator that keeps freed memory.

Threads. 
numpy's BLAS uses every core for a matmul, but its element-wise loops and einsum run on the
calling thread. They release the GIL while they loop, so a large einsum cut into row ranges runs
on several Python threads at once. The thread count follows the convention torch and OpenBLAS
read: ``OMP_NUM_THREADS``, then ``OPENBLAS_NUM_THREADS``, else the CPUs this process may use.

Memory. Every layer allocates its output and scratch afresh. glibc gives the top of its heap back
to the OS as soon as more than a few MiB there are free, and each page touched again then costs a
page fault: a depthwise layer whose padded input and output were both fresh ran 2.3x slower
(1.8 ms instead of 0.78 ms at 56x56x128). :func:`keep_freed_memory` asks glibc to keep 16 MiB
at the top, and to serve arrays up to 32 MiB from the heap (the largest threshold glibc's own
adaptive rule would reach; setting any of these options switches that rule off, and a top pad
alone then sent every array above 128 KiB to mmap and made the same layer 3x slower).
"""

from __future__ import annotations

import ctypes
import os
import sys
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")
_pool: ThreadPoolExecutor | None = None
_pool_size = 0


def thread_count() -> int:
    for var in THREAD_VARS:
        value = os.environ.get(var, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


TOP_PAD = 16 << 20  # bytes glibc keeps at the top of its heap (measured enough for ResNet/MobileNet layers)
MMAP_THRESHOLD = 32 << 20  # arrays up to this size come from the heap
_M_TOP_PAD, _M_MMAP_THRESHOLD = -2, -3  # mallopt's parameter numbers (malloc.h)
_tuned = False


def keep_freed_memory() -> None:
    """Once per process, on glibc: keep ``TOP_PAD`` bytes of freed memory instead of returning it."""
    global _tuned
    if _tuned or not sys.platform.startswith("linux"):
        return
    _tuned = True
    try:
        mallopt = ctypes.CDLL(None).mallopt
        mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        mallopt(_M_TOP_PAD, TOP_PAD)
    except (OSError, AttributeError):  # another C library (musl has no mallopt): nothing to tune
        pass


def run_split(work: Callable[[int, int], None], n: int, parts: int) -> None:
    """``work(lo, hi)`` over ``range(n)`` cut into ``parts`` contiguous ranges: the first on this
    thread, the others on pool threads (created once). ``work`` writes into preallocated output
    slices; an exception in any part is raised here."""
    global _pool, _pool_size
    parts = max(1, min(parts, n))
    bounds = [n * i // parts for i in range(parts + 1)]
    if parts == 1:
        work(0, n)
        return
    if _pool is None or _pool_size < parts - 1:  # made once, remade only if a caller asks for more
        from concurrent.futures import ThreadPoolExecutor  # 5 ms of imports (logging): only when a layer is cut

        _pool, _pool_size = ThreadPoolExecutor(max_workers=parts - 1, thread_name_prefix="convcalc"), parts - 1
    futures = [_pool.submit(work, lo, hi) for lo, hi in zip(bounds[1:-1], bounds[2:])]
    try:
        work(bounds[0], bounds[1])
    finally:
        for future in futures:
            future.result()
