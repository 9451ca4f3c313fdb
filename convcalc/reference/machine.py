"""What the executor asks of the machine: an allocator that keeps freed memory.

Every layer allocates its output and scratch afresh. glibc gives the top of its heap back to the
OS as soon as more than a few MiB there are free, and each page touched again then costs a page
fault: a depthwise layer whose padded input and output were both fresh ran 2.3x slower (1.8 ms
instead of 0.78 ms at 56x56x128). :func:`keep_freed_memory` asks glibc to keep 16 MiB at the top,
and to serve arrays up to 32 MiB from the heap (the largest threshold glibc's own adaptive rule
would reach; setting any of these options switches that rule off, and a top pad alone then sent
every array above 128 KiB to mmap and made the same layer 3x slower).
"""

from __future__ import annotations

import ctypes
import sys

TOP_PAD = 16 << 20  # bytes glibc keeps at the top of its heap (measured enough for ResNet/MobileNet layers)
MMAP_THRESHOLD = 32 << 20  # arrays up to this size come from the heap
_M_TOP_PAD, _M_MMAP_THRESHOLD = -2, -3  # mallopt's parameter numbers (malloc.h)
_tuned = False


def keep_freed_memory() -> None:
    """Once per process, on glibc: keep ``TOP_PAD`` bytes of freed memory instead of returning it.
    ctypes is already loaded by numpy; elsewhere than glibc nothing changes."""
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
