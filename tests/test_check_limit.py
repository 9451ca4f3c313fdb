"""`check` estimates its peak memory first and refuses (exit 2) what would not fit."""

import pytest
from click.testing import CliRunner

from convcalc.cli import main
from convcalc.reference import limit
from convcalc.reference.check import estimate_bytes

SEED = ["--input", "28x28x1", "--conv", "3x3x16", "--conv", "3x3x32"]


def seed_estimate() -> int:
    from helpers import plan_layers

    return estimate_bytes(plan_layers("28x28x1", "conv: 3x3x16", "conv: 3x3x32"))


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_limit_at_the_estimate_passes_one_byte_below_refuses():
    need = seed_estimate()
    assert run("check", *SEED, "--max-check-memory", str(need)).exit_code == 0
    result = run("check", *SEED, "--max-check-memory", str(need - 1))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        f"error: check would need about {need:,} B ({need / 1024:.2f} KiB) at its estimated peak; "
        f"the limit is {need - 1:,} B ({(need - 1) / 1024:.2f} KiB), from --max-check-memory")
    assert result.stderr.splitlines()[1].startswith("  hint: plan answers for any size without running")


def test_default_limit_is_half_of_the_available_memory(monkeypatch):
    monkeypatch.setattr(limit, "available_bytes", lambda: 2 * (seed_estimate() - 1))
    result = run("check", *SEED)
    assert result.exit_code == 2
    assert "at its estimated peak; the limit is" in result.stderr
    assert f"half of the {2 * (seed_estimate() - 1):,} B" in result.stderr
    monkeypatch.setattr(limit, "available_bytes", lambda: 2 * seed_estimate())
    assert run("check", *SEED).exit_code == 0


def test_unknown_available_memory_falls_back_to_2_gib(monkeypatch):
    monkeypatch.setattr(limit, "available_bytes", lambda: None)
    assert limit.default_limit() == (2 << 30, "the default when the available memory is unknown")


MEMINFO = [
    ("MemTotal:       32768000 kB\nMemFree:         1000 kB\nMemAvailable:   24000000 kB\n", 24000000 * 1024),
    ("MemTotal: 1 kB\n", "sysconf"),  # no MemAvailable line: ask sysconf
]


@pytest.mark.parametrize("text,expected", MEMINFO, ids=["meminfo", "no-MemAvailable"])
def test_available_bytes(tmp_path, monkeypatch, text, expected):
    path = tmp_path / "meminfo"
    path.write_text(text)
    monkeypatch.setattr(limit.os, "sysconf", lambda name: {"SC_AVPHYS_PAGES": 1000, "SC_PAGE_SIZE": 4096}[name])
    assert limit.available_bytes(str(path)) == (1000 * 4096 if expected == "sysconf" else expected)


def test_memory_error_during_the_run_is_a_clean_error(monkeypatch):
    import sys

    check_module = sys.modules["convcalc.reference.check"]  # the package re-exports check(), the function

    def no_memory(*args):
        raise MemoryError

    monkeypatch.setattr(check_module, "_run", no_memory)
    result = run("check", *SEED)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: numpy could not allocate the arrays (estimated peak {seed_estimate():,} B)")


SUFFIXES = [("1.5KiB", 2, "the limit is 1,536 B (1.50 KiB), from --max-check-memory"),
            ("12 GiB", 0, None), ("3G", 0, None)]


@pytest.mark.parametrize("value,code,text", SUFFIXES, ids=[s[0] for s in SUFFIXES])
def test_max_check_memory_accepts_suffixes(value, code, text):
    result = run("check", *SEED, "--max-check-memory", value)
    assert result.exit_code == code
    assert text is None or text in result.stderr
