"""Every ``$ convcalc ...`` block in README.md and docs/*.md shows what the tool really prints.

The outputs are produced by the code: run with ``CONVCALC_REGEN_DOCS=1`` to rewrite them after a
deliberate change (then read the diff), never by hand.
"""

import os
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from convcalc.cli import main

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
BLOCK = re.compile(r"```console\n\$ (convcalc [^\n]*)\n(.*?)```", re.S)
WIDTH = "100"


def run(command: str, monkeypatch) -> tuple[str, int]:
    monkeypatch.setenv("COLUMNS", WIDTH)
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, shlex.split(command)[1:])
    return result.output, result.exit_code


def blocks():
    for doc in DOCS:
        for match in BLOCK.finditer(doc.read_text()):
            yield pytest.param(doc, match.group(1), match.group(2), id=f"{doc.name}: {match.group(1)}")


def test_readme_starts_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    commands = re.findall(r"```sh\n(.*?)\n```", text, re.S)[:2]
    assert commands[0].startswith("pip install . && convcalc check ")
    assert commands[1] == "pip install '.[test]' && python -m pytest"
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python -m pytest" in ci


@pytest.mark.parametrize("doc,command,expected", list(blocks()))
def test_console_block(doc, command, expected, monkeypatch):
    output, code = run(command, monkeypatch)
    if os.environ.get("CONVCALC_REGEN_DOCS"):
        text = doc.read_text().replace(f"$ {command}\n{expected}```", f"$ {command}\n{output}```", 1)
        doc.write_text(text)
        return
    assert output == expected
    assert code in (0, 1, 2)


def test_the_package_docstring_example_runs(monkeypatch):
    """``import convcalc``'s docstring shows the stages as the public API: its code must run."""
    import textwrap

    import convcalc

    code = textwrap.dedent(convcalc.__doc__.split("::\n", 1)[1].split("\n\n", 1)[0]).strip()
    monkeypatch.chdir(ROOT)
    scope: dict = {"convcalc": convcalc}
    exec(code, scope)
    assert scope["plan"].params == 4800  # the seed's two convs: 160 + 4,640
    assert scope["report"].passed
