"""Example networks against the numbers their authors published.

Sources: torchvision's model documentation (num_params and GFLOPS per weights entry; its
"GFLOPS" count conv and linear multiply-accumulates, i.e. convcalc's MACs, printed to 2-3
decimals), Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional Neural Networks"
(Distill 2019) for VGG-16's receptive field, and LeCun et al. (1998) for LeNet-5.
"""

from pathlib import Path

import pytest

import convcalc

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

PUBLISHED = [
    # example, parameters, GMACs as printed, printed decimals
    ("alexnet.yaml", 61_100_840, 0.71, 2),
    ("vgg16.yaml", 138_357_544, 15.47, 2),
    ("resnet50.yaml", 25_557_032, 4.089, 3),
]


@pytest.mark.parametrize("name,params,gmacs,decimals", PUBLISHED, ids=[p[0] for p in PUBLISHED])
def test_torchvision_published_counts(name, params, gmacs, decimals):
    plan = convcalc.plan(str(EXAMPLES / name))
    assert plan.trainable == params  # torchvision counts parameters(): batchnorm statistics are buffers
    assert round(plan.macs / 1e9, decimals) == gmacs


def test_lenet5_parameters():
    # C1 6*(25+1), C3 16*(6*25+1), C5 as dense 120*(400+1), F6 84*(120+1), output 10*(84+1)
    plan = convcalc.plan(str(EXAMPLES / "lenet5.yaml"))
    assert [lp.params for lp in plan.layers if lp.params] == [156, 2416, 48120, 10164, 850]
    assert plan.params == 61_706


def test_vgg16_receptive_field_at_pool5():
    # Araujo et al.: VGG-16 pool5 receptive field 212, effective stride 32, effective padding 90
    plan = convcalc.plan(str(EXAMPLES / "vgg16.yaml"))
    rf = next(lp.rf for lp in plan.layers if lp.node.id == "pool5")
    assert rf.size == (212, 212) and rf.jump == (32, 32)
    assert [(size - 1) / 2 - start for size, start in zip(rf.size, rf.start)] == [90, 90]
