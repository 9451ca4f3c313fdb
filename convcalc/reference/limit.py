"""How much memory ``check`` may use: ``--max-check-memory``, or half of the available RAM.

``check`` estimates its peak (:func:`convcalc.reference.check.estimate_bytes`) before it
allocates anything and refuses, with a clear error, a run that would not fit, instead of being
killed by the operating system. Available memory is read from /proc/meminfo (MemAvailable) or,
where there is none, from ``os.sysconf``; no psutil.
"""

from __future__ import annotations

import os

FRACTION = 2  # the default limit is 1/FRACTION of the available memory
FALLBACK_BYTES = 2 << 30  # when the available memory cannot be read


def available_bytes(meminfo: str = "/proc/meminfo") -> int | None:
    """Memory available to a new process now, in bytes, or None if the system does not say."""
    try:
        with open(meminfo, encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    value, unit = line.split()[1:3]
                    return int(value) * (1024 if unit == "kB" else 1)
    except (OSError, ValueError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def default_limit() -> tuple[int, str]:
    """The limit when ``--max-check-memory`` is not given, and how it was chosen."""
    from ..units import format_bytes

    available = available_bytes()
    if available is None:
        return FALLBACK_BYTES, "the default when the available memory is unknown"
    return available // FRACTION, f"half of the {format_bytes(available)} available"
