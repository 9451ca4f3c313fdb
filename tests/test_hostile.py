"""Hostile input: each case with its exit code and the exact first line the user sees.

Bombs, tags, absurd nesting and sizes, binary junk, empty files, directories: none may hang,
crash (exit 3) or show a traceback. `{f}` stands for the spec file's path.
"""

import json
import time

import pytest
from click.testing import CliRunner

from convcalc.cli import main
from convcalc.input_limits import MAX_ALIAS_VALUES, MAX_DEPTH, MAX_FILE_BYTES


def billion_laughs(levels: int = 9) -> str:
    """Each level lists the previous one 10 times: 10**levels values if expanded."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


TAG = "error: {f}:%s: YAML tag '%s' is not allowed"
HOSTILE = [
    # (id, file content (str, or bytes written as is), expected exit code, expected first line)
    ("billion-laughs", billion_laughs(),
     2, "error: {f}:1:15: YAML aliases expand to more than 10,000 values"),
    ("python-object-apply", "input: 28x28x1\nlayers:\n  - !!python/object/apply:os.system [echo pwned]\n",
     2, TAG % ("3:5", "tag:yaml.org,2002:python/object/apply:os.system")),
    ("python-object", "!!python/object:collections.OrderedDict {}\n",
     2, TAG % ("1:1", "tag:yaml.org,2002:python/object:collections.OrderedDict")),
    ("python-object-new", "input: !!python/object/new:builtins.int [3]\n",
     2, TAG % ("1:8", "tag:yaml.org,2002:python/object/new:builtins.int")),
    ("python-name", "input: !!python/name:os.system\n", 2, TAG % ("1:8", "tag:yaml.org,2002:python/name:os.system")),
    ("local-tag", "input: !shape 28x28x1\n", 2, TAG % ("1:8", "!shape")),
    ("binary-tag", "input: !!binary aGVsbG8=\n", 2, TAG % ("1:8", "tag:yaml.org,2002:binary")),
    ("deep-lists", "input: " + "[" * 5000 + "]" * 5000 + "\n",
     2, "error: {f}:1:108: the document is nested more than 100 levels deep"),
    ("deep-mappings", "input: " + "{a: " * 300 + "1" + "}" * 300 + "\n",
     2, "error: {f}:1:405: the document is nested more than 100 levels deep"),
    ("huge-integer", "input: [" + "7" * 5000 + ", 2, 3]\n",
     2, "error: {f}:1:9: the integer 777777777777... has 5000 digits; convcalc reads at most 100"),
    ("huge-compact-integer", "input: 8x8x1\nlayers:\n  - conv: 3x3x" + "9" * 200 + "\n",
     2, "error: {f}:3:11: layers[0]: the integer 999999999999... has 200 digits; convcalc reads at most 100"),
    ("counts-too-long-to-print", "input: [" + ", ".join(["9" * 99] * 45) + "]\nlayers: [flatten]\n",
     2, "error: a size or count has more than 4300 digits, too long to print exactly"),
    ("binary-junk", bytes(range(256)) * 4, 2, "error: {f}: not a UTF-8 text file (byte 128: b'\\x80')"),
    ("latin-1", "input: 28x28x1\nname: caf\xe9\n".encode("latin-1"),
     2, "error: {f}: not a UTF-8 text file (byte 24: b'\\xe9')"),
    ("nul-byte", b"input: 28x28x1\x00\n", 2, "error: {f}:1:15: character U+0000 is not allowed in YAML"),
    ("empty-file", "", 2, "error: {f}:1:1: the file is empty"),
    ("only-a-comment", "# nothing\n", 2, "error: {f}:1:1: the file is empty"),
    ("a-list", "- conv: 3x3x8\n- relu\n",
     2, "error: {f}:1:1: a spec must be a mapping with 'input' and 'layers', got a list [{'conv': '3x3x8'}, 'relu']"),
    ("a-scalar", "hello\n", 2, "error: {f}:1:1: a spec must be a mapping with 'input' and 'layers', got a string 'hello'"),
    ("a-number", "42\n", 2, "error: {f}:1:1: a spec must be a mapping with 'input' and 'layers', got an integer 42"),
    ("two-documents", "input: 28x28x1\n---\ninput: 1x1x1\n",
     2, "error: {f}:2:1: YAML syntax error: expected a single document in the stream, but found another document"),
    ("key-is-a-list", "? [a, b]\n: 1\n", 2, "error: {f}:1:3: mapping keys must be plain names, got a list"),
    ("merge-key", "base: &b {filters: 8}\ninput: 8x8x1\nlayers:\n  - conv: {<<: *b, kernel: 3}\n",
     2, "error: {f}:4:12: YAML merge keys (<<) are not supported"),
    ("tab-indent", "input: 28x28x1\nlayers:\n\t- relu\n",
     2, "error: {f}:3:1: YAML syntax error: found character '\\t' that cannot start any token"),
    ("long-junk-value", "input: " + "x" * 100_000 + "\n",
     2, "error: {f}:1:8: field 'input': size '' in input shape 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxx... (100002 characters) is neither a positive integer nor a name"),
    ("unicode-digit", "input: 2\u0663x28x1\n",
     2, "error: {f}:1:8: field 'input': size '2\u0663' in input shape '2\u0663x28x1' is neither a positive integer nor a name"),
    ("layers-a-mapping", "input: 8x8x1\nlayers: {conv: 3x3x8}\n",
     2, "error: {f}:2:9: field 'layers': layers must be a list, got a mapping {'conv': '3x3x8'}"),
    ("layer-null", "input: 8x8x1\nlayers:\n  - null\n",
     2, "error: {f}:3:5: layers[0]: a layer must be a mapping like {conv: ...} or a name, got None"),
    ("rich-markup-in-ids", "input: 8x8x1\nlayers:\n  - {id: '[/x]', conv: 3x3x2}\n  - {id: '[red]b', relu: }\n",
     0, "model: input 8x8x1 (hwc), kernels hwio"),
    ("crlf-and-bom", "\ufeffinput: 28x28x1\r\nlayers:\r\n  - conv: 3x3x8\r\n", 0, "model: input 28x28x1 (hwc), kernels hwio"),
    ("huge-junk-argument", "input: 8x8x1\nlayers:\n  - {conv: {filters: '" + "y" * 10_000 + "', kernel: 1}}\n",
     2, "error: {f}:3:22: layers[0], field 'filters': expected a positive integer, got "
        "'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy... (10002 characters)"),
    ("conv-size-as-a-key", "input: 1x1\nlayers:\n  - conv: {size: 1, bias: false}\n",  # found by test_fuzz
     2, "error: {f}:3:18: layers[0] (conv), field 'size': compact size 1 has 1 part; a 1D input needs 2: kxfilters "
        "(e.g. 3x16)"),
    ("reserved-symbol", "input: [if, 8, 3]\nlayers: [relu]\n",
     2, "error: {f}:1:8: field 'input': 'if' in input shape ['if', 8, 3] cannot name a size: ceil, floor, max, min "
        "and Python keywords are reserved"),
    ("symbol-max", "input: [max, 8, 3]\nlayers: [relu]\n",  # JSON totals print max(...): T named max broke them
     2, "error: {f}:1:8: field 'input': 'max' in input shape ['max', 8, 3] cannot name a size: ceil, floor, max, min "
        "and Python keywords are reserved"),
    ("no-layers", "input: 8x8x2\n", 2, "error: {f}:1:1: the network has no layers"),
    # blocks, repeat and ${...} (expansion limits: convcalc/spec/expand.py, expr.py)
    ("every-entry-disabled", "input: 8x8x2\nlayers:\n  - {relu: , when: false}\n",
     2, "error: {f}:3:3: the network has no layers: every entry is disabled by when"),
    ("disabled-chain",  # a chain of 20,000 aliases, resolved once (it was walked once per name on it: cubic)
     "input: 8x8x2\nblocks:\n  c0:\n    layers:\n      - {relu: , when: false}\nlayers:\n  - {c0: , repeat: 20000}\n"
     "  - relu\n", 0, "model: input 8x8x2 (hwc), kernels hwio"),
    ("huge-repeat", "input: 8x8x1\nlayers:\n  - {relu: , repeat: 1000000000}\n",
     2, "error: {f}:3:5: layers[0]: the network expands to more than 100,000 layers"),
    ("nested-repeats", "blocks:\n  b:\n    layers:\n      - {relu: , repeat: 400}\ninput: 8x8x1\nlayers:\n  - {b: , repeat: 400}\n",
     2, "error: {f}:4:9: layers[0] (b b1.250) > layers[0]: the network expands to more than 100,000 layers"),
    ("blocks-nested-too-deep",
     "blocks:\n" + "".join(f"  b{i}:\n    layers: [b{i + 1}]\n" for i in range(30)) + "  b30:\n    layers: [relu]\n"
     "input: 8x8x1\nlayers: [b0]\n", 2, "blocks are nested more than 16 deep"),
    ("block-uses-itself", "blocks:\n  a:\n    layers: [b]\n  b:\n    layers: [a]\ninput: 8x8x1\nlayers: [a]\n",
     2, "error: {f}:2:3: blocks.a: block 'a' uses itself: a > b > a"),
    ("expression-power", "input: 8x8x1\nlayers:\n  - {conv: {filters: '${10 ** 100}', kernel: 1}}\n",
     2, "error: {f}:3:22: layers[0], field 'filters': in ${10 ** 100}: '**' (powers) is not supported"),
    ("expression-overflow", "input: 8x8x1\nlayers:\n  - {conv: {filters: '${1000000000 * 1000000000 * 10}', kernel: 1}}\n",
     2, "error: {f}:3:22: layers[0], field 'filters': in ${1000000000 * 1000000000 * 10}: a result exceeds the "
        "integer limit 1e+18"),
    ("expression-python", "input: 8x8x1\nlayers:\n  - {conv: {filters: \"${__import__('os').system('ls')}\", kernel: 1}}\n",
     2, "error: {f}:3:22: layers[0], field 'filters': in ${__import__('os').system('ls')}: strings are not supported"),
    ("expression-too-long", "input: 8x8x1\nlayers:\n  - {conv: {filters: '${" + "+".join(["1"] * 300) + "}', kernel: 1}}\n",
     2, "error: {f}:3:22: layers[0], field 'filters': in ${" + "1+" * 40 + "... (599 characters)}: the expression "
        "is longer than 500 characters"),
]


def first_line(result) -> str:
    text = result.stderr if result.exit_code else result.stdout
    return text.splitlines()[0]


@pytest.mark.parametrize("content,code,line", [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE])
def test_hostile_file(tmp_path, content, code, line):
    spec = tmp_path / "spec.yaml"
    if isinstance(content, bytes):
        spec.write_bytes(content)
    else:
        spec.write_text(content, encoding="utf-8", newline="")
    result = CliRunner().invoke(main, ["plan", str(spec)])
    expected = line.replace("{f}", str(spec))
    if line.startswith("error: "):
        assert (result.exit_code, first_line(result)) == (code, expected)
    else:  # the end of a line whose location path is long
        assert (result.exit_code, first_line(result)[-len(expected):]) == (code, expected)
    assert "Traceback" not in result.output


def test_markup_in_ids_is_shown_as_written(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("input: 8x8x1\nlayers:\n  - {id: '[/x]', conv: 3x3x2}\n  - {id: '[red]b', relu: }\n")
    output = CliRunner().invoke(main, ["plan", str(spec)]).output
    assert " [/x] " in output and " [red]b " in output


PATHS = [
    ("missing", lambda tmp: tmp / "nope.yaml", "error: {p}: no such file"),
    ("directory", lambda tmp: tmp, "error: {p}: is a directory, not a spec file"),
    ("device-without-end", lambda tmp: "/dev/zero", "error: {p}: the file is larger than 16 MiB; is it really a spec?"),
]


@pytest.mark.parametrize("make,line", [c[1:] for c in PATHS], ids=[c[0] for c in PATHS])
def test_hostile_path(tmp_path, make, line):
    path = make(tmp_path)
    result = CliRunner().invoke(main, ["plan", str(path)])
    assert (result.exit_code, first_line(result)) == (2, line.format(p=path))


def test_oversized_file(tmp_path):
    spec = tmp_path / "big.yaml"
    spec.write_bytes(b"# " + b"x" * MAX_FILE_BYTES + b"\n")
    result = CliRunner().invoke(main, ["plan", str(spec)])
    assert (result.exit_code, first_line(result)) == (2, f"error: {spec}: the file is larger than 16 MiB; is it really a spec?")


@pytest.mark.parametrize("levels", [5, 9, 30], ids=["1e5", "1e9", "1e30"])
def test_alias_bombs_are_refused_not_expanded(tmp_path, levels):
    # a generous bound: expanding even 10**9 values would take minutes and gigabytes
    spec = tmp_path / "bomb.yaml"
    spec.write_text(billion_laughs(levels))
    start = time.perf_counter()
    result = CliRunner().invoke(main, ["plan", str(spec)])
    assert time.perf_counter() - start < 5
    assert result.exit_code == 2
    assert f"YAML aliases expand to more than {MAX_ALIAS_VALUES:,} values" in result.stderr


def test_small_aliases_still_work(tmp_path):
    spec = tmp_path / "alias.yaml"
    spec.write_text("input: 8x8x1\nlayers:\n  - conv: &c {filters: 4, kernel: 3}\n  - conv: *c\n")
    result = CliRunner().invoke(main, ["plan", str(spec), "--format", "json"])
    assert [layer["output_shape"] for layer in json.loads(result.output)["layers"]] == [[6, 6, 4], [4, 4, 4]]


HUGE = "input: 200000x200000x3\nlayers:\n  - conv: 3x3x16\n  - maxpool: 2\n  - flatten\n  - dense: 10\n"


def test_plan_answers_exactly_for_a_200000_square_input(tmp_path):
    spec = tmp_path / "huge.yaml"
    spec.write_text(HUGE)
    result = CliRunner().invoke(main, ["plan", str(spec), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    conv_out = 200000 - 3 + 1  # 199998
    pooled = conv_out // 2  # 99999
    flat = pooled * pooled * 16
    assert [layer["output_shape"] for layer in doc["layers"]] == [
        [conv_out, conv_out, 16], [pooled, pooled, 16], [flat], [10]]
    assert doc["totals"]["params"] == 16 * (3 * 3 * 3 + 1) + 10 * (flat + 1)
    assert doc["totals"]["macs"] == conv_out * conv_out * 16 * 3 * 3 * 3 + flat * 10
    # the peak is while maxpool1 runs: conv1's output and maxpool1's are alive together, 4 B each
    # (more than the input with conv1's output: 200000*200000*3 < 99999*99999*16)
    assert doc["totals"]["peak_activation_bytes"] == (conv_out * conv_out * 16 + pooled * pooled * 16) * 4


def test_check_refuses_a_200000_square_input_before_allocating(tmp_path):
    spec = tmp_path / "huge.yaml"
    spec.write_text(HUGE)
    result = CliRunner().invoke(main, ["check", str(spec), "--max-check-memory", "1G"])
    assert result.exit_code == 2
    assert first_line(result).startswith("error: check would need about ")
    assert first_line(result).endswith("at its estimated peak; the limit is 1,000,000,000 B (953.67 MiB), from --max-check-memory")
