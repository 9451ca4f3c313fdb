"""The command line: parse options, call load -> infer [-> check] -> render, map errors to exit codes.

No arithmetic here. Heavy imports (rich, numpy) happen inside the commands that need them, so
``convcalc plan --format json`` pays for neither.
"""

from __future__ import annotations

import atexit
import gc
import sys
from typing import Any

import click

from . import __version__
from .errors import EXIT_CHECK_FAILED, SpecError
from .render import FORMATS
from .flags import LAYER_FLAGS, META_KEY, build_spec, scan_layer_flags
from .usage import Quantity, UniformCommand, UniformErrors, UniformGroup

def _freeze_at_exit() -> None:
    """Run at exit, before the interpreter's last collections: move every object to the
    permanent generation so that those collections skip them. They walked every object numpy,
    rich, click and the plan had made: 38 ms from the end of a seed check to the end of the
    process, 6 ms with this (docs/architecture.md). Output files are closed by then (written
    under ``with``); the standard streams are flushed after the atexit handlers, as always."""
    gc.freeze()


_exit_hook: list[bool] = []


def _freeze_when_the_command_ends() -> None:
    """Register _freeze_at_exit once, when a command runs (not when the module is imported)."""
    if not _exit_hook:
        atexit.register(_freeze_at_exit)
        _exit_hook.append(True)


class LayerFlagCommand(UniformErrors, click.Command):
    """A command that remembers the order of its layer flags."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[META_KEY] = scan_layer_flags(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        # A plan allocates a few objects per layer and frees almost none until it exits; the
        # cyclic collector would rescan them all again and again (a 100,000-layer plan ran 2x
        # slower with it). Reference counting still frees everything, e.g. each numpy array.
        enabled = gc.isenabled()
        gc.disable()
        try:
            return super().invoke(ctx)
        finally:
            if enabled:
                gc.enable()


def _layer_options(f: Any) -> Any:
    helps = {
        "--conv": "conv layer, compact: KxKxFILTERS[,stride=..,padding=..,dilation=..,groups=..]",
        "--maxpool": "max pooling: K[,stride=..,padding=..]",
        "--avgpool": "average pooling: K[,stride=..,padding=..]",
        "--bn": "batch normalisation",
        "--relu": "ReLU activation",
        "--act": "activation by name (gelu, silu, sigmoid, tanh, softmax, ...)",
        "--dropout": "dropout: RATE",
        "--flatten": "flatten to one axis",
        "--dense": "dense layer: UNITS[,bias=false]",
        "--layer": "any layer type: 'TYPE ARGS', e.g. 'conv kernel=3,filters=8,groups=2'",
    }
    for flag in reversed(list(LAYER_FLAGS)):
        takes_value = LAYER_FLAGS[flag][1]
        name = "layer_" + flag[2:]
        if takes_value:
            f = click.option(flag, name, multiple=True, metavar="SPEC", help=helps[flag])(f)
        else:
            f = click.option(flag, name, count=True, help=helps[flag])(f)
    return f


MEMORY_OPTIONS = [
    click.option("--dtype", type=click.Choice(["float32", "float16", "bfloat16", "float64", "int8"]),
                 default="float32", show_default=True, help="element type for the memory figures"),
    click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True, help="batch size for activation memory"),
]


def _common_options(f: Any) -> Any:
    options = [
        click.option("--input", "input_shape", metavar="SHAPE", help="input shape, e.g. 28x28x1 or Tx80x3 (overrides the file's)"),
        click.option("--layout", type=click.Choice(["hwc", "chw"]), help="channels last (hwc, default) or first (chw)"),
        click.option("--kernel-layout", type=click.Choice(["hwio", "oihw"]), help="kernel shape order (default: hwio for hwc, oihw for chw)"),
        click.option("--set", "values", multiple=True, metavar="NAME=INT", help="give a symbol a value, e.g. --set T=1000"),
        click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="table", show_default=True),
        click.option("--explain", is_flag=True, help="show each count as a formula with the numbers filled in"),
        click.option("--columns", metavar="NAMES", help="table columns, e.g. output,params,macs,rf,memory (or all)"),
        *MEMORY_OPTIONS,
        click.option("--max-params", type=Quantity(), metavar="N", help="budget: fail (exit 1) above N parameters, e.g. 5M"),
        click.option("--max-macs", type=Quantity(), metavar="N", help="budget: fail (exit 1) above N MACs, e.g. 1.2G"),
        click.option("--max-memory", type=Quantity(unit_bytes=True), metavar="BYTES",
                     help="budget: fail (exit 1) above this peak activation memory, e.g. 512MiB"),
        click.option("-o", "--output", type=click.Path(dir_okay=False, writable=False), metavar="FILE",
                     help="write the output to FILE instead of stdout"),
        click.option("-q", "--quiet", is_flag=True, help="print nothing on stdout; errors and failures still go to stderr"),
        click.option("--depth", type=click.IntRange(min=1), metavar="N",
                     help="table/markdown: fold layers nested deeper than N block levels into one row per block"),
        click.option("--debug", is_flag=True, help="show the traceback of an internal error"),
    ]
    for option in reversed(options):
        f = option(f)
    return _layer_options(f)


BUDGET_OPTIONS = ("max_params", "max_macs", "max_memory")  # the flags of budgets.BUDGETS


def compute(file: str | None, opts: dict[str, Any], flags: list[Any], *, check: bool) -> tuple[Any, Any, list[Any]]:
    """load -> infer -> budgets [-> check]: the plan, the check report (or None), the budget outcomes."""
    from .engine import infer
    spec = build_spec(file, opts, flags)
    plan = infer(spec, kernel_layout=opts["kernel_layout"], dtype=opts["dtype"], batch=opts["batch"])
    outcomes = []
    if spec.budgets or any(opts.get(name) is not None for name in BUDGET_OPTIONS):
        from .budgets import evaluate, with_flags

        outcomes = evaluate(plan, with_flags(spec.budgets, opts))
    report = None
    if check:
        from .progress import LayerProgress, wanted
        from .symcheck import check as run_check  # at several values if symbols are unset

        with LayerProgress(wanted(quiet=opts["quiet"])) as progress:
            report = run_check(plan, seed=opts.get("seed", 0), backend=opts.get("backend", "numpy"),
                               max_bytes=opts.get("max_check_memory"), progress=progress)
    return plan, report, outcomes


def run(ctx: click.Context, file: str | None, opts: dict[str, Any], *, check: bool) -> None:
    from .output import Sink, emit_result, reported

    sink = Sink(opts["fmt"], quiet=opts["quiet"], path=opts["output"])
    failures: list[str] = []
    with reported(ctx, sink, debug=opts["debug"]):
        _refuse_options_the_format_ignores(opts)
        sink.refuse_overwriting(file)
        chosen = _columns(opts["columns"])
        plan, report, outcomes = compute(file, opts, ctx.meta.get(META_KEY, []), check=check)
        failures = emit_result(sink, plan, report, outcomes, opts["explain"], opts["depth"], chosen)
    if failures:
        ctx.exit(EXIT_CHECK_FAILED)


def _refuse_options_the_format_ignores(opts: dict[str, Any]) -> None:
    """--depth, --columns and --explain shape the table and markdown output; given with a format
    that has no use for them, they are an error rather than silently dropped."""
    from .errors import Loc

    fmt = opts["fmt"]
    if fmt in ("table", "markdown"):
        return
    every = "JSON has every field of every layer" if fmt == "json" else "CSV has every column"
    refused = (
        ("depth", opts["depth"] is not None, "folds the rows of", "JSON lists every layer; group them by their 'path'"),
        ("columns", opts["columns"] is not None, "chooses the columns of", every),
        ("explain", opts["explain"] and fmt == "csv", "adds the formulas to", "JSON has them (each layer's 'explain')"),
    )  # --explain with json: its formulas are always there
    for name, given, what, hint in refused:
        if given:
            raise SpecError(f"--{name} {what} the table and markdown output, not {fmt}", loc=Loc("<cli>"),
                            field=name, hint=hint)


def _columns(text: str | None) -> tuple[str, ...] | None:
    from .errors import Loc
    from .render.columns import parse

    try:
        return parse(text) if text is not None else None
    except SpecError as exc:
        raise exc.located(loc=Loc("<cli>"))


@click.group(cls=UniformGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="convcalc")
def main() -> None:
    """Shapes, parameters, MACs and memory of convolutional networks, verified on real tensors.

    Describe the layers in a YAML file or with flags, in the order they apply:

        convcalc check --input 28x28x1 --conv 3x3x16 --conv 3x3x32

    Exit codes: 0 all good; 1 a check found a mismatch or a budget was exceeded; 2 invalid
    spec, input or usage, or check refused to run; 3 internal error (a bug: please report it).
    """
    _freeze_when_the_command_ends()
    from .output import print_what_the_console_can

    print_what_the_console_can()


@main.command(cls=LayerFlagCommand)
@click.argument("file", required=False, type=click.Path(dir_okay=True))
@_common_options
@click.pass_context
def plan(ctx: click.Context, file: str | None, **opts: Any) -> None:
    """Plan a network: shapes, parameters and MACs per layer, without running it."""
    run(ctx, file, opts, check=False)


@main.command(cls=LayerFlagCommand)
@click.argument("file", required=False, type=click.Path(dir_okay=True))
@_common_options
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="seed (0 or more) for the random weights and input")
@click.option("--backend", type=click.Choice(["numpy", "torch"]), default="numpy", show_default=True,
              help="torch: also rerun every layer in PyTorch and compare the outputs (pip install 'convcalc[torch]')")
@click.option("--max-check-memory", type=Quantity(unit_bytes=True), metavar="BYTES",
              help="refuse (exit 2) a check whose estimated peak memory is above this, e.g. 2G or 512MiB "
              "[default: half of the available memory]")
@click.pass_context
def check(ctx: click.Context, file: str | None, **opts: Any) -> None:
    """Plan a network, then run it on real numpy tensors and verify every count.

    With --backend torch, PyTorch reruns every layer on the same inputs and weights and each
    output is compared with numpy's."""
    run(ctx, file, opts, check=True)


def _memory_options(f: Any) -> Any:
    for option in reversed(MEMORY_OPTIONS):
        f = option(f)
    return f


@main.command(cls=UniformCommand)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=False), metavar="FILE",
              help="write the comparison to FILE instead of stdout")
@click.option("-q", "--quiet", is_flag=True, help="print nothing on stdout; errors still go to stderr")
@_memory_options
@click.pass_context
def compare(ctx: click.Context, files: tuple[str, ...], fmt: str, output: str | None, quiet: bool, dtype: str,
            batch: int) -> None:
    """Compare designs side by side: shapes, params, MACs, FLOPs, memory, receptive field.

        convcalc compare A.yaml B.yaml [C.yaml ...]
    """
    from .compare import exceeded, load_designs, summary
    from .output import Sink, reported
    from .render import compare_out

    sink = Sink(fmt, quiet=quiet, path=output)
    failures: list[str] = []
    with reported(ctx, sink, debug=False):
        for file in files:
            sink.refuse_overwriting(file)
        designs = load_designs(files, dtype=dtype, batch=batch)
        failures = exceeded(designs)  # the specs' budgets: a symbolic count is an error here too
        data = summary(designs)
        if fmt == "json":
            sink.text(compare_out.to_json(data) + "\n")
        elif fmt == "markdown":
            sink.text(compare_out.markdown(data))
        else:
            sink.rich(lambda width: compare_out.table(data))
    for line in failures:
        click.echo(line, err=True)
    if failures:
        ctx.exit(EXIT_CHECK_FAILED)


@main.command(cls=UniformCommand)
@click.argument("which", type=click.Choice(["output", "spec", "compare"]))
def schema(which: str) -> None:
    """Print a JSON Schema: of plan/check's JSON output (output), of compare's (compare), or of
    YAML spec files (spec)."""
    if which == "spec":
        import json

        from .spec.jsonschema import spec_schema

        click.echo(json.dumps(spec_schema(), indent=2))
        return
    from importlib.resources import files

    click.echo(files("convcalc").joinpath("schemas", f"{which}.json").read_text(encoding="utf-8"), nl=False)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
