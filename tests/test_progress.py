"""The check's progress hook and bar: called per layer, shown only on a terminal after a delay."""

from __future__ import annotations

import io

import pytest
from click.testing import CliRunner

from convcalc.cli import main
from convcalc.progress import LayerProgress, wanted
from convcalc.reference import check

from helpers import plan_yaml

NET = """
input: 9x8x2
layers:
  - {id: first, conv: 3x3x4}
  - relu
  - {id: last, conv: 1x1x3}
"""


def test_check_calls_the_hook_before_each_layer_in_order():
    calls = []
    check(plan_yaml(NET), progress=lambda i, n, name: calls.append((i, n, name)))
    assert calls == [(0, 3, "first"), (1, 3, "relu1"), (2, 3, "last")]


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("quiet, stream, shown", [
    (False, Tty(), True),
    (True, Tty(), False),
    (False, io.StringIO(), False),
], ids=["terminal", "quiet", "not-a-terminal"])
def test_wanted_only_on_a_terminal_without_quiet(quiet, stream, shown):
    assert wanted(quiet=quiet, stream=stream) is shown


def _console(out: io.StringIO):
    from rich.console import Console

    return Console(file=out, force_terminal=True, width=100)


def test_bar_appears_after_the_delay_with_layer_n_of_total_and_name():
    out, now = io.StringIO(), [0.0]
    with LayerProgress(True, delay=1.0, clock=lambda: now[0], console=_console(out)) as progress:
        progress(0, 4, "conv1")
        now[0] = 0.9
        progress(1, 4, "relu1")
        assert progress.bar is None  # under a second: nothing shown
        now[0] = 1.2
        progress(2, 4, "layer2.0.conv1")
        assert progress.bar is not None
        progress.bar.refresh()
        assert "layer 3 of 4" in out.getvalue() and "layer2.0.conv1" in out.getvalue()
    assert progress.bar is None  # stopped (and, being transient, erased) at the end


def test_disabled_hook_never_builds_a_bar():
    progress = LayerProgress(False, delay=0.0)
    progress(0, 2, "conv1")
    assert progress.bar is None


def test_cli_check_prints_no_bar_when_stderr_is_not_a_terminal():
    result = CliRunner().invoke(main, ["check", "--input", "9x8x2", "--conv", "3x3x4", "--format", "json"])
    assert result.exit_code == 0
    assert "layer 1 of" not in result.output
