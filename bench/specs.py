"""Generated specs of any length, for the planning-scale benchmark.

``flat`` writes one YAML entry per layer (the parser sees every layer); ``repeat`` writes one
block of two layers used with ``repeat:`` (the expansion makes the layers). Both are a chain of
``conv 3x3x8, padding=same`` and ``relu`` over a 16x16x8 input, so every layer has the same
cost and only the count grows.
"""

from __future__ import annotations

from pathlib import Path


def flat(n: int) -> str:
    layers = ["  - conv: 3x3x8,padding=same" if i % 2 == 0 else "  - relu" for i in range(n)]
    return f"name: flat{n}\ninput: 16x16x8\nlayers:\n" + "\n".join(layers) + "\n"


def repeat(n: int) -> str:
    assert n % 2 == 0
    return (f"name: repeat{n}\ninput: 16x16x8\nblocks:\n  unit:\n    layers:\n"
            f"      - conv: 3x3x8,padding=same\n      - relu\nlayers:\n  - {{unit: , repeat: {n // 2}}}\n")


KINDS = {"flat": flat, "repeat": repeat}


def write(folder: Path, kind: str, n: int) -> Path:
    path = folder / f"{kind}{n}.yaml"
    path.write_text(KINDS[kind](n), encoding="utf-8")
    return path
