"""A progress bar for long checks: ``layer n of N`` and the layer's name, on stderr.

``check`` calls its ``progress`` hook before each layer with ``(index, total, layer_id)``.
:class:`LayerProgress` is such a hook. It stays silent for the first ``delay`` seconds, so a
check that finishes within about a second never shows a bar, and it is off entirely when stderr
is not a terminal (CI logs, pipes) or the user asked for quiet. The bar is transient: it is
erased when the check ends, leaving stdout and stderr as they would be without it. rich is
imported only when a bar is really shown.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable

DELAY = 1.0  # seconds of checking before the bar appears


def wanted(quiet: bool = False, stream: Any = None) -> bool:
    """A bar only for a person watching: stderr is a terminal and --quiet was not given."""
    stream = sys.stderr if stream is None else stream
    return not quiet and bool(getattr(stream, "isatty", lambda: False)())


class LayerProgress:
    """The ``progress`` hook of :func:`convcalc.reference.check`; use it as a context manager."""

    def __init__(self, enabled: bool, *, delay: float = DELAY, clock: Callable[[], float] = time.monotonic,
                 console: Any = None) -> None:
        self.enabled, self.delay, self.clock, self.console = enabled, delay, clock, console
        self.started: float | None = None
        self.bar: Any = None
        self.task: Any = None

    def __call__(self, index: int, total: int, name: str) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if self.started is None:
            self.started = now
        if self.bar is None and now - self.started >= self.delay:
            self._show(total)
        if self.bar is not None:
            self.bar.update(self.task, completed=index, layer=f"layer {index + 1} of {total}", name=name)

    def _show(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        console = self.console or Console(stderr=True)
        self.bar = Progress(TextColumn("check"), BarColumn(), TextColumn("{task.fields[layer]}"),
                            TextColumn("{task.fields[name]}"), TimeElapsedColumn(), console=console, transient=True)
        self.task = self.bar.add_task("check", total=total, layer="", name="")
        self.bar.start()

    def __enter__(self) -> LayerProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
