"""The seed's two design questions, as compared designs: the volume (one 3x3x3 conv against 2D
convs over the three orthogonal planes) and the pixel shuffle (a K x K conv over C^2 x H x W
against a CK x CK, stride-C conv over its pixel-shuffled twin)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from convcalc.cli import main
from convcalc.reference import FORWARD
from convcalc.reference.core import RunCtx
from convcalc.reference.spatial import conv_nd

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
D, H, W, F = 16, 32, 24, 8


def compare(*names: str) -> list[dict]:
    result = CliRunner().invoke(main, ["compare", *(str(EXAMPLES / n) for n in names), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["designs"]


def test_volume_designs():
    conv3d, planes, slices = compare("volume-conv3d.yaml", "volume-planes.yaml", "volume-slices.yaml")
    assert conv3d["params"] == F * (27 + 1)
    # the permuted 2D convs take the third axis as channels: D, H and W of them
    assert planes["params"] == F * (D * 9 + 1) + F * (H * 9 + 1) + F * (W * 9 + 1)
    assert slices["params"] == 3 * F * (9 + 1)
    # every design does D*H*W*F*27 multiply-accumulates: 27 taps, or three planes of 9
    assert conv3d["macs"] == planes["macs"] == slices["macs"] == D * H * W * F * 27
    assert conv3d["receptive_field"]["size"] == slices["receptive_field"]["size"] == [3, 3, 3]
    assert planes["receptive_field"] is None  # reshape and permute move axes: the field ends
    assert planes["output_shape"] == [F, D, H]  # the last of three 2D maps (chw)
    assert slices["output_shape"] == [3 * F, D, H, W]


def test_pixel_shuffle_designs_count_alike():
    conv, twin = compare("shuffle-conv.yaml", "shuffle-twin.yaml")
    for key in ("params", "macs", "flops", "param_bytes", "output_shape"):
        assert conv[key] == twin[key], key
    assert conv["params"] == 8 * (4 * 3 * 3 + 1) and conv["output_shape"] == [8, 16 - 2, 12 - 2]


def test_pixel_shuffle_twin_computes_the_same_numbers():
    # out[c, 2h+i, 2w+j] = in[2*2*c + 2i + j, h, w] (PyTorch); the 6x6 stride-2 kernel holds the
    # 3x3x4 kernel's tap (ki, kj, channel 2i+j) at (2ki+i, 2kj+j)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 16, 12, 4), dtype=np.float32)  # canonical channels-last
    w = rng.standard_normal((3, 3, 4, 8), dtype=np.float32)  # HWIO
    shuffled = FORWARD["pixel_shuffle"](x, {"scale": 2}, RunCtx(layout="chw"), rng).output
    assert shuffled.shape == (1, 32, 24, 1)
    w6 = w.reshape(3, 3, 2, 2, 8).transpose(0, 2, 1, 3, 4).reshape(6, 6, 1, 8)
    direct, _ = conv_nd(x, w, (1, 1), (1, 1), ((0, 0), (0, 0)))
    twin, _ = conv_nd(shuffled, w6, (2, 2), (1, 1), ((0, 0), (0, 0)))
    np.testing.assert_allclose(twin, direct, rtol=1e-5, atol=1e-5)
