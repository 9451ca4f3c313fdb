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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--write", action="store_true", help="update bench/README.md")
    args = parser.parse_args()
    result = table(args.runs)
    print(result)
    if args.write:
        readme = ROOT / "bench" / "README.md"
        section = (
            f"## Start-up\n\nSEED = `{' '.join(SEED)}`. Median of {args.runs} runs after a warm-up; "
            f"{machine()}; {time.strftime('%Y-%m-%d')}.\nCommand: `python bench/startup.py --runs {args.runs} --write`\n\n"
            f"{result}\n"
        )
        text = readme.read_text() if readme.exists() else "# Benchmarks\n\n"
        text = re.sub(r"## Start-up\n.*?(?=\n## |\Z)", lambda _: section, text, flags=re.S) if "## Start-up" in text else text + section
        readme.write_text(text)


if __name__ == "__main__":
    main()
