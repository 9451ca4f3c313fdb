"""Issue 7's targets, measured: start-up, planning scale, the ResNet-50 check against its floor
and torch, conv and depthwise speed, weight drawing and memory.

    python bench/run.py [--runs 5] [--threads N] [--only startup,scale,...] [--write]

Every timing is the median of --runs (default 5; --write refuses fewer) with min and max; whole processes run
interleaved after a warm-up (bench/measure.py). Torch and torchinfo rows appear when they are
installed; nothing here needs them. --write puts the tables into bench/README.md, each under its
own heading, with the machine, the load and the command.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import CONVCALC, PY, ROOT, interleaved, load, machine, med, set_threads, spread, table, verdict  # noqa: E402

sys.path.insert(0, str(ROOT))
SEED = ["--input", "28x28x1", "--conv", "3x3x16", "--conv", "3x3x32"]
R50 = "examples/resnet50.yaml"
CC = CONVCALC
SCALE_SIZES = (1_000, 10_000, 100_000)
SCALE_LIMITS = {10_000: 1.0, 100_000: 10.0}


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _net_files(tmp: Path) -> dict[str, Path]:
    """The seed and ResNet-50 as torchnet.py documents (for the torch and torchinfo rows)."""
    import convcalc
    from convcalc.spec import load_yaml, parse_source

    from torchnet import net_doc

    seed = parse_source(load_yaml("input: 1x28x28\nlayout: chw\nlayers:\n  - conv: 3x3x16\n  - conv: 3x3x32\n"))
    out = {}
    for name, plan in (("seed", convcalc.infer(seed)), ("resnet50", convcalc.plan(R50))):
        out[name] = tmp / f"{name}.json"
        out[name].write_text(json.dumps(net_doc(plan)), encoding="utf-8")
    return out


def startup(runs: int, tmp: Path) -> tuple[str, list[tuple]]:
    cases = {
        "python -c pass": PY + ["-c", "pass"],
        "python -c 'import numpy'": PY + ["-c", "import numpy"],
        "convcalc plan SEED --format json": CC + ["plan", *SEED, "--format", "json"],
        "convcalc plan SEED": CC + ["plan", *SEED],
        "convcalc check SEED": CC + ["check", *SEED],
        "convcalc check SEED --format json": CC + ["check", *SEED, "--format", "json"],
        f"convcalc plan {R50} --format json": CC + ["plan", R50, "--format", "json"],
        f"convcalc plan {R50}": CC + ["plan", R50],
    }
    if _has("torch"):
        cases["python -c 'import torch'"] = PY + ["-c", "import torch"]
        if _has("torchinfo"):
            nets = _net_files(tmp)
            for name, path in nets.items():
                cases[f"torchinfo.summary, {name} (torch model built from the plan)"] = (
                    PY + [str(ROOT / "bench" / "torchnet.py"), "summary", str(path)])
    res = interleaved(cases, runs)
    wall = {name: [w for w, _ in values] for name, values in res.items()}
    base, numpy = med(wall["python -c pass"]), med(wall["python -c 'import numpy'"])
    limits = {"convcalc plan SEED --format json": ("pass", 6), "convcalc plan SEED": ("pass", 8),
              "convcalc check SEED": ("numpy", 2), f"convcalc plan {R50}": ("pass", 10)}
    rows, targets = [], []
    for name, times in wall.items():
        ratio_pass, ratio_np = med(times) / base, med(times) / numpy
        row = [f"`{name}`", *spread(times), f"{ratio_pass:.1f}", f"{ratio_np:.2f}", ""]
        if name in limits:
            which, limit = limits[name]
            ratio = ratio_pass if which == "pass" else ratio_np
            what = "`python -c pass`" if which == "pass" else "`python -c 'import numpy'`"
            row[-1] = f"<= {limit}x: {verdict(ratio <= limit)}"
            targets.append((f"`{name}` <= {limit}x {what}", f"{ratio:.2f}x", verdict(ratio <= limit)))
        rows.append(row)
    body = (f"SEED = `{' '.join(SEED)}`. Whole processes, stdout discarded; median, min and max of {runs} "
            "interleaved runs after a warm-up.\n\n"
            + table(["command", "median s", "min s", "max s", "x pass", "x numpy", "target"], rows))
    return body, targets


def scale(runs: int, tmp: Path) -> tuple[str, list[tuple]]:
    from specs import write

    rows, targets = [], []
    for kind in ("flat", "repeat"):
        cases = {n: CC + ["plan", str(write(tmp, kind, n)), "--format", "json"] for n in SCALE_SIZES}
        for n, values in interleaved({str(n): cmd for n, cmd in cases.items()}, runs).items():
            n = int(n)
            wall, rss = [w for w, _ in values], max(r for _, r in values)
            limit = SCALE_LIMITS.get(n)
            met = verdict(med(wall) < limit) if limit else ""
            rows.append([kind, f"{n:,}", *spread(wall, digits=2), f"{med(wall) / n * 1e6:.0f}", f"{rss:.0f}",
                         f"< {limit:.0f} s: {met}" if limit else ""])
            if limit:
                targets.append((f"plan of a {n:,}-layer spec ({kind}) < {limit:.0f} s", f"{med(wall):.2f} s", met))
    body = ("`convcalc plan FILE --format json > /dev/null` of generated chains of `conv 3x3x8, padding=same` and "
            "`relu` over 16x16x8 (bench/specs.py): *flat* has one YAML entry per layer, *repeat* one two-layer "
            f"block used with `repeat:`. Median, min and max of {runs}.\n\n"
            + table(["spec", "layers", "median s", "min s", "max s", "us per layer", "peak RSS MiB", "target"], rows, 1))
    return body, targets


def resnet_check(runs: int, tmp: Path) -> tuple[str, list[tuple]]:
    floor = str(ROOT / "bench" / "floor.py")
    cases = {"floor: numpy + 25.6M uniform float32 draws + one 4.089 G-MAC sgemm": PY + [floor, "uniform"],
             "floor, drawing normals instead": PY + [floor, "normal"],
             f"convcalc check {R50} --format json": CC + ["check", R50, "--format", "json"],
             f"convcalc check {R50}": CC + ["check", R50]}
    if _has("torch"):
        doc = _net_files(tmp)["resnet50"]
        cases["torch: import, build ResNet-50, 3 forward passes"] = (
            PY + [str(ROOT / "bench" / "torchnet.py"), "forward", str(doc), "1"])
    res = interleaved(cases, runs)
    names = list(res)
    base = med([w for w, _ in res[names[0]]])
    rows = [[f"`{n}`", *spread([w for w, _ in v]), f"{med([w for w, _ in v]) / base:.2f}", f"{max(r for _, r in v):.0f}"]
            for n, v in res.items()]
    ratio = med([w for w, _ in res[names[3]]]) / base  # the default output: the table
    rss = max(r for _, r in res[names[3]])
    targets = [(f"`convcalc check {R50}` <= 2.5x the floor process", f"{ratio:.2f}x", verdict(ratio <= 2.5))]
    if _has("torch"):
        torch_rss = max(r for _, r in res[names[-1]])
        targets.append(("ResNet-50 check peak RSS below torch's forward pass", f"{rss:.0f} vs {torch_rss:.0f} MiB",
                        verdict(rss < torch_rss)))
    body = (f"Whole processes, median, min and max of {runs} interleaved runs; peak RSS is the largest of the runs "
            "(getrusage of each child).\n\n"
            + table(["command", "median s", "min s", "max s", "x floor", "peak RSS MiB"], rows))
    return body, targets


def _executor_sections(runs: int, threads: int) -> dict:
    import executor

    import convcalc

    from torchnet import net_doc

    plan = convcalc.plan(R50)
    plans = {name: convcalc.plan(f"examples/{name}.yaml") for name in
             ("resnet50", "mobilenetv2", "vgg16", "alexnet", "seed-filterbank", "resnet-basic-block", "lenet5")}
    return {
        "ResNet-50 forward pass": lambda: executor.forward(plan, net_doc(plan), runs, threads),
        "Conv layers against sgemm": lambda: executor.conv(plan, runs, threads),
        "Depthwise convs": lambda: executor.depthwise(runs, threads),
        "Weight drawing": lambda: executor.weights(runs),
        "Memory estimate": lambda: executor.memory(plans),
    }


SECTIONS = {"startup": "Start-up targets", "scale": "Planning scale", "check": "ResNet-50 check", "forward": "ResNet-50 forward pass",
            "conv": "Conv layers against sgemm", "depthwise": "Depthwise convs", "weights": "Weight drawing",
            "memory": "Memory estimate"}


def put_section(text: str, title: str, body: str) -> str:
    section = f"## {title}\n\n{body}\n"
    if f"## {title}\n" in text:
        return re.sub(rf"## {re.escape(title)}\n.*?(?=\n## |\Z)", lambda _: section, text, flags=re.S)
    return text.rstrip("\n") + "\n\n" + section


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated: " + ", ".join(SECTIONS))
    parser.add_argument("--write", action="store_true", help="update bench/README.md")
    args = parser.parse_args()
    if args.write and args.runs < 5:
        parser.error("--write needs --runs 5 or more: the tables quote medians of at least 5 runs")
    set_threads(args.threads)  # before numpy or torch is imported
    # the default is every core; another thread count gets headings of its own
    suffix = "" if args.threads == (os.cpu_count() or 1) else f" ({args.threads} thread{'s' * (args.threads > 1)})"
    before, started = load(), time.strftime("%Y-%m-%d %H:%M")
    results, targets = {}, []
    with tempfile.TemporaryDirectory() as tmp:
        procs = {"startup": startup, "scale": scale, "check": resnet_check}
        inproc = _executor_sections(args.runs, args.threads)
        for key in args.only.split(","):
            title = SECTIONS[key]
            body, found = procs[key](args.runs, Path(tmp)) if key in procs else inproc[title]()
            results[title + suffix] = body
            targets += found
            print(f"## {title}\n\n{body}\n", flush=True)
    summary = table(["target (issue 7)", "measured", "met"], targets, 3)
    command = f"python bench/run.py --runs {args.runs} --threads {args.threads}" + (
        f" --only {args.only}" if args.only != ",".join(SECTIONS) else "") + " --write"
    head = "\n".join(machine(args.threads)) + (
        f"\n- load average: {before} before, {load()} after (other work on the machine inflates timings)"
        f"\n- {started}; command: `{command}`")
    print(summary + "\n\n" + head)
    if args.write:
        readme = ROOT / "bench" / "README.md"
        text = readme.read_text(encoding="utf-8")
        text = put_section(text, "Issue 7 targets" + suffix, head + "\n\n" + summary)
        for title, body in results.items():
            text = put_section(text, title, f"{body}\n\nWritten by `{command}` ({started}, machine under *Issue 7 targets*).")
        readme.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
