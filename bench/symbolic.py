"""What symbolic sizes cost: `convcalc plan` on the symbolic seed next to the concrete one.

    python bench/symbolic.py [--runs 9] [--write]

Whole-process wall time of the `convcalc` command (median, min, max of --runs after a warm-up),
then the in-process time of plan + JSON document alone (median of 50), which isolates the
symbolic work (two inference passes with --set, the smallest-value search, the peak proof)
from the interpreter and import start-up. --write replaces the "Symbolic sizes" section of
bench/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from measure import CONVCALC, ROOT, interleaved  # noqa: E402
from run import put_section  # noqa: E402

CONCRETE = ["examples/seed-filterbank.yaml"]
SYMBOLIC = ["examples/seed-filterbank-symbolic.yaml"]
VGG = ["examples/vgg16.yaml", "--input", "3xHxW"]
CASES = [
    ("plan seed-filterbank (1000x80x3)", CONCRETE),
    ("plan seed-filterbank-symbolic (Tx80x3)", SYMBOLIC),
    ("plan seed-filterbank-symbolic --set T=1000", SYMBOLIC + ["--set", "T=1000"]),
    ("plan vgg16 (3x224x224)", ["examples/vgg16.yaml"]),
    ("plan vgg16 --input 3xHxW", VGG),
]


def in_process_ms(args: list[str], reps: int = 50) -> float:
    from convcalc.cli import build_spec
    from convcalc.engine import infer
    from convcalc.render.json_out import plan_dict

    file, rest = args[0], args[1:]
    opts = {"layout": None, "input_shape": None, "values": ()}
    if "--input" in rest:
        opts["input_shape"] = rest[rest.index("--input") + 1]
    if "--set" in rest:
        opts["values"] = (rest[rest.index("--set") + 1],)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        plan_dict(infer(build_spec(file, opts, [])))
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def table(runs: int) -> str:
    rows = ["| `convcalc ... --format json` | process median s | min s | max s | plan + JSON in-process ms |",
            "| --- | ---: | ---: | ---: | ---: |"]
    res = interleaved({name: CONVCALC + ["plan", *args, "--format", "json"] for name, args in CASES}, runs)
    for name, args in CASES:
        times = [wall for wall, _ in res[name]]
        rows.append(f"| `{name}` | {statistics.median(times):.3f} | {min(times):.3f} | {max(times):.3f} "
                    f"| {in_process_ms(args):.2f} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--write", action="store_true", help="update bench/README.md")
    args = parser.parse_args()
    result = table(args.runs)
    print(result)
    if args.write:
        readme = ROOT / "bench" / "README.md"
        head = (f"Median of {args.runs} interleaved runs after a warm-up; {time.strftime('%Y-%m-%d')}, machine under "
                f"*Issue 7 targets*.\nCommand: `python bench/symbolic.py --runs {args.runs} --write`")
        readme.write_text(put_section(readme.read_text(encoding="utf-8"), "Symbolic sizes", f"{head}\n\n{result}"),
                          encoding="utf-8")


if __name__ == "__main__":
    main()
