"""Example networks against the numbers their authors published.

Sources: torchvision's model documentation (num_params and GFLOPS per weights entry; its
"GFLOPS" count conv and linear multiply-accumulates, i.e. convcalc's MACs, printed to 2-3
decimals), Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional Neural Networks"
(Distill 2019) for VGG-16's receptive field, LeCun et al. (1998) for LeNet-5, Keras' applications
table (keras.io/api/applications: ResNet50, 25,636,712 parameters) and Ronneberger, Fischer & Brox,
"U-Net" (MICCAI 2015), Fig. 1 for the U-Net's feature-map sizes.
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
    ("resnet18.yaml", 11_689_512, 1.81, 2),
    ("mobilenetv2.yaml", 3_504_872, 0.30, 2),
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


def test_keras_resnet50_parameters():
    # Keras counts the batchnorm moving statistics: 53,120 = 2 x the 26,560 batchnorm channels,
    # which are also the 26,560 conv biases torchvision's ResNet-50 does not have
    plan = convcalc.plan(str(EXAMPLES / "resnet50-keras.yaml"))
    assert plan.params == 25_636_712
    assert plan.non_trainable == 53_120
    assert plan.params - 25_557_032 == 26_560 + 53_120


UNET_FIG1 = [
    # layer, feature map in Fig. 1 (height x width x channels)
    ("enc1", (568, 568, 64)),
    ("enc4", (64, 64, 512)),
    ("bottom", (28, 28, 1024)),
    ("concat1", (56, 56, 1024)),  # the 4-pixel crop of enc4 next to the up-conv's 512 maps
    ("concat2", (104, 104, 512)),
    ("concat3", (200, 200, 256)),
    ("concat4", (392, 392, 128)),
    ("head", (388, 388, 2)),
]


@pytest.mark.parametrize("layer,shape", UNET_FIG1, ids=[u[0] for u in UNET_FIG1])
def test_unet_feature_maps_are_figure_1s(layer, shape):
    plan = convcalc.plan(str(EXAMPLES / "unet.yaml"))
    outputs = {lp.node.id: lp.output for lp in plan.layers}
    producer = plan.groups[layer].output if layer in plan.groups else layer  # a block use: its output layer
    assert tuple(outputs[producer]) == shape
