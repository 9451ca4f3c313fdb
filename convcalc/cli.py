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
from .usage import Quantity, UniformCommand, UniformErrors, UniformGroup

# flag -> (layer type, takes a value); --layer takes 'TYPE ARGS', --act an activation name
LAYER_FLAGS: dict[str, tuple[str | None, bool]] = {
    "--conv": ("conv", True),
    "--maxpool": ("maxpool", True),
    "--avgpool": ("avgpool", True),
    "--bn": ("batchnorm", False),
    "--relu": ("relu", False),
    "--act": (None, True),
    "--dropout": ("dropout", True),
    "--flatten": ("flatten", False),
    "--dense": ("dense", True),
    "--layer": (None, True),
}
META_KEY = "convcalc.layer_flags"


def scan_layer_flags(args: list[str]) -> list[tuple[str, str | None]]:
    """The layer flags in the order given (click groups repeated options, losing the order)."""
    found: list[tuple[str, str | None]] = []
    i = 0
    while i < len(args):
        token = args[i]
        if token == "--":
            break
        flag, eq, value = token.partition("=")
        if flag in LAYER_FLAGS:
            takes_value = LAYER_FLAGS[flag][1]
            if takes_value and not eq:
                value = args[i + 1] if i + 1 < len(args) else ""
                i += 1
            found.append((flag, value if takes_value else None))
        i += 1
    return found


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


def _print_what_the_console_can() -> None:
    """On a console whose encoding is not UTF-8 (cp1252, latin-1, ascii), print a character it
    cannot show (a check mark, a layer id in another script) as '?' instead of failing."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        if encoding not in ("utf8", "utf8sig") and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")


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


def _set_value(item: str) -> tuple[str, int]:
    """``--set T=1000`` -> ("T", 1000)."""
    from .errors import Loc
    from .input_limits import int_from_text

    name, eq, value = item.partition("=")
    digits = value.strip()
    error = SpecError(f"--set expects NAME=POSITIVE_INT, got {item!r}", loc=Loc("<cli>"), field="set")
    if not eq or not (digits.isascii() and digits.isdigit()) or not name.strip().isidentifier():
        raise error
    try:
        number = int_from_text(digits)
    except SpecError as exc:
        exc.field = "set"
        raise exc.located(loc=Loc("<cli>"))
    if number <= 0:
        raise error
    return name.strip(), number


def build_spec(file: str | None, opts: dict[str, Any], flags: list[tuple[str, str | None]]) -> Any:
    from .spec import ModelSpec, flag_layer, load_file, parse_shape
    from .errors import Loc

    layer_flags = [_flag(flag, value, i) for i, (flag, value) in enumerate(flags)]
    if file:  # the flags are expanded with the file's own layers: they may use its blocks
        spec = load_file(file, layer_flags)
    else:
        spec = ModelSpec(input=None, layers=[flag_layer(f) for f in layer_flags])
    if opts["layout"]:
        spec.layout = opts["layout"]
    if opts["input_shape"]:
        spec.input = parse_shape(opts["input_shape"], Loc("<cli>"))
        spec.input_loc = Loc("<cli>")
        # the file's `set:` named the symbols of the input it had; those the new one has keep theirs
        spec.values = {name: value for name, value in spec.values.items() if name in spec.input}
    for item in opts["values"]:
        name, number = _set_value(item)
        spec.values[name] = number
    return spec


def _flag(flag: str, value: str | None, index: int) -> Any:
    """A layer flag as (type, the text after the type, its path in errors)."""
    from .spec.model import Flag, flag_path

    type_name, _ = LAYER_FLAGS[flag]
    if flag == "--layer":
        from .errors import Loc
        from .spec.compact import split_type

        try:
            type_name, value = split_type(value or "")
        except SpecError as exc:
            raise exc.located(loc=Loc("<cli>"), layer=flag_path(flag, index))
        value = value or None  # `--layer relu`: the type alone
    elif flag == "--act":
        from .layers.basic import ACTIVATIONS

        name = (value or "").strip()
        # a named activation type (relu, gelu, ...) stays itself; others go through `activation`,
        # whose argument check rejects anything that is not an activation
        type_name, value = (name, None) if name in ACTIVATIONS else ("activation", name)
    return Flag(type_name or "", value, flag_path(flag, index))


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
    _print_what_the_console_can()


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
