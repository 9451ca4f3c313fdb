"""Whole-process start-up timings of convcalc next to their floors.

    python bench/startup.py [--runs 7] [--write]

Each command runs --runs times (after one warm-up); the table shows median, min and max wall
time and the ratio of the median to `python -c pass`. --write replaces the "Start-up" section of
bench/README.md with the table, the machine and the command.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ["--input", "28x28x1", "--conv", "3x3x16", "--conv", "3x3x32"]
PY = [sys.executable]
CASES = [
    ("python -c pass", PY + ["-c", "pass"]),
    ("python -c 'import numpy'", PY + ["-c", "import numpy"]),
    ("convcalc plan SEED --format json", PY + ["-m", "convcalc", "plan", *SEED, "--format", "json"]),
    ("convcalc plan SEED (table)", PY + ["-m", "convcalc", "plan", *SEED]),
    ("convcalc check SEED --format json", PY + ["-m", "convcalc", "check", *SEED, "--format", "json"]),
    ("convcalc check SEED (table)", PY + ["-m", "convcalc", "check", *SEED]),
]


# bytecode caching on, as on a user's machine (some sandboxes set PYTHONDONTWRITEBYTECODE)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str], runs: int) -> list[float]:
    subprocess.run(cmd, cwd=ROOT, capture_output=True, check=True, env=ENV)  # warm-up (page cache, .pyc)
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, capture_output=True, check=True, env=ENV)
        out.append(time.perf_counter() - t0)
    return out


def table(runs: int) -> str:
    rows = ["| command | median s | min s | max s | x `python -c pass` |", "| --- | ---: | ---: | ---: | ---: |"]
    base = None
    for name, cmd in CASES:
        times = timed(cmd, runs)
        med = statistics.median(times)
        base = base or med
        rows.append(f"| `{name}` | {med:.3f} | {min(times):.3f} | {max(times):.3f} | {med / base:.1f} |")
    return "\n".join(rows)


def machine() -> str:
    return f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, {platform.machine()}"


def update_readme(title: str, section: str) -> None:
    """Replace the section "## title" of bench/README.md with section (or append it)."""
    readme = ROOT / "bench" / "README.md"
    text = readme.read_text() if readme.exists() else "# Benchmarks\n"
    pattern = rf"## {re.escape(title)}\n.*?(?=\n## |\Z)"
    if f"## {title}\n" in text:
        text = re.sub(pattern, lambda _: section, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    readme.write_text(text)


def bench_main(doc: str, title: str, runs: int, make_table, header) -> None:
    """Parse --runs and --write, print make_table(runs); with --write, put it in bench/README.md
    under "## title" after header(runs) (the conditions and the command)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--write", action="store_true", help="update bench/README.md")
    args = parser.parse_args()
    result = make_table(args.runs)
    print(result)
    if args.write:
        update_readme(title, f"## {title}\n\n{header(args.runs)}\n\n{result}\n")


def main() -> None:
    bench_main(__doc__, "Start-up", 7, table, lambda runs: (
        f"SEED = `{' '.join(SEED)}`. Median of {runs} runs after a warm-up; {machine()}; "
        f"{time.strftime('%Y-%m-%d')}.\nCommand: `python bench/startup.py --runs {runs} --write`"))


if __name__ == "__main__":
    main()
