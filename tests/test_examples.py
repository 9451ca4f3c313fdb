"""Every example file: it states its question, plans, and passes `check`; the seed numbers exactly."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import check_args

from convcalc.cli import main

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.yaml"))


def run_json(*args: str) -> dict:
    result = CliRunner().invoke(main, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_states_its_question_and_checks(path):
    first = path.read_text().splitlines()[0]
    assert first.startswith("# ") and len(first) > 20, "an example opens with the question it answers"
    doc = run_json("check", str(path), *check_args(path.name))
    assert doc["check"]["status"] == "passed"
    assert doc["check"]["compared"] >= len(doc["layers"])


def layer_numbers(doc: dict, key: str) -> list:
    return [layer[key] for layer in doc["layers"]]


SEEDS = [
    # file, output shapes, params per layer, kernel shapes
    ("seed-two-convs.yaml", [[26, 26, 16], [24, 24, 32]], [160, 4640], [[3, 3, 1, 16], [3, 3, 16, 32]]),
    ("seed-two-convs-same.yaml", [[16, 28, 28], [32, 28, 28]], [160, 4640], [[16, 1, 3, 3], [32, 16, 3, 3]]),
    # "(3 x 3 x 16) x 32 parameters", as the asker counted them (no bias)
    ("seed-weights-without-bias.yaml", [[16, 28, 28], [32, 28, 28]], [144, 4608], [[16, 1, 3, 3], [32, 16, 3, 3]]),
    # cs231n: "3*3*20 = 180 connections to the input volume" for every neuron
    ("seed-cs231n-connections.yaml", [[14, 14, 1]], [180], [[3, 3, 20, 1]]),
    # the volume seed: kernels 3x3x3, 1920x3x3 and 1080x3x3 (8 filters each), views (1920, 3, 1080), (1080, 1920, 3)
    ("seed-volume-permute.yaml", [[8, 1920, 1080], [1920, 3, 1080], [8, 3, 1080], [1080, 1920, 3], [8, 1920, 3]],
     [8 * (3 * 9 + 1), 0, 8 * (1920 * 9 + 1), 0, 8 * (1080 * 9 + 1)],
     [[8, 3, 3, 3], None, [8, 1920, 3, 3], None, [8, 1080, 3, 3]]),
    ("seed-two-convs-chw.yaml", [[16, 26, 26], [32, 24, 24]], [160, 4640], [[16, 1, 3, 3], [32, 16, 3, 3]]),
    ("seed-count-params.yaml", [[8, 8, 10], [6, 6, 20]], [280, 1820], [[3, 3, 3, 10], [3, 3, 10, 20]]),
    ("seed-keras-kernels.yaml", [[91, 91, 8], [85, 85, 16]], [976, 6288], [[11, 11, 1, 8], [7, 7, 8, 16]]),
]


@pytest.mark.parametrize("name,outputs,params,kernels", SEEDS, ids=[s[0] for s in SEEDS])
def test_seed_numbers(name, outputs, params, kernels):
    doc = run_json("plan", str(EXAMPLES[0].parent / name))
    assert layer_numbers(doc, "output_shape") == outputs
    assert layer_numbers(doc, "params") == params
    assert layer_numbers(doc, "kernel_shape") == kernels
    assert doc["totals"]["params"] == sum(params)


def test_seed_param_formulas():
    # the seed's answer, character for character: "Second conv layer: 4640 = 32*(16*3*3+1)"
    doc = run_json("plan", str(EXAMPLES[0].parent / "seed-two-convs.yaml"))
    assert layer_numbers(doc, "params_formula") == ["16*(1*3*3+1)", "32*(16*3*3+1)"]


def test_seed_filterbank():
    doc = run_json("check", str(EXAMPLES[0].parent / "seed-filterbank.yaml"))
    assert doc["output_shape"] == [1000 // 4, 80 // 4, 32]
    bns = [layer for layer in doc["layers"] if layer["type"] == "batchnorm"]
    assert [(b["trainable_params"], b["non_trainable_params"]) for b in bns] == [(64, 64), (64, 64)]
    assert [layer["kernel_shape"] for layer in doc["layers"] if layer["type"] == "conv"] == [
        [3, 3, 3, 32], [3, 3, 32, 32]]


def test_cli_flags_give_the_same_seed_answers():
    # the seed asks both ways: valid (default) and "assuming the dimension is not reduced"
    doc = run_json("plan", "--input", "28x28x1", "--conv", "3x3x16", "--conv", "3x3x32")
    assert layer_numbers(doc, "output_shape") == [[26, 26, 16], [24, 24, 32]]
    doc = run_json("plan", "--input", "28x28x1", "--conv", "3x3x16,padding=same", "--conv", "3x3x32,p=same")
    assert layer_numbers(doc, "output_shape") == [[28, 28, 16], [28, 28, 32]]
    doc = run_json("plan", "--layout", "chw", "--input", "1x28x28", "--conv", "3x3x16", "--conv", "3x3x32")
    assert layer_numbers(doc, "kernel_shape") == [[16, 1, 3, 3], [32, 16, 3, 3]]
    assert doc["layers"][0]["output_shape"] == [16, 26, 26]


def test_seed_pixel_shuffle_twins_agree_for_any_size():
    # "a 3x3 conv over 256 x H x W is a 48x48 conv with stride 16 over 1 x 16H x 16W": the same
    # parameters (16*(256*9+1) = 16*(48*48+1) = 36,880), MACs and output, as expressions in H, W
    one, twin = (run_json("plan", str(EXAMPLES[0].parent / name))
                 for name in ("seed-shuffle-256.yaml", "seed-shuffle-256-twin.yaml"))
    assert one["totals"]["params"] == twin["totals"]["params"] == 16 * (256 * 9 + 1) == 16 * (48 * 48 + 1)
    assert one["totals"]["macs"] == twin["totals"]["macs"] == "36864*(H-2)*(W-2)"  # 16 filters x 2,304 taps
    assert one["output_shape"] == twin["output_shape"] == [16, "H-2", "W-2"]
    assert twin["layers"][0]["output_shape"] == [1, "16*H", "16*W"]


@pytest.mark.parametrize("name, macs", [
    ("seed-cs231n-connections.yaml", [14 * 14 * 180]),  # 180 multiply-accumulates per output
    ("seed-volume-permute.yaml", [3 * 1920 * 1080 * 8 * 9, 0] * 2 + [3 * 1920 * 1080 * 8 * 9]),  # the same work
])
def test_seed_macs_the_examples_state(name, macs):
    assert layer_numbers(run_json("plan", str(EXAMPLES[0].parent / name)), "macs") == macs
