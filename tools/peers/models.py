"""The benchmark cases as PyTorch modules, plus a framework-neutral layer plan.

Every peer engine runs exactly these shapes. Weights are random (torch's default
initialisation under a fixed seed): timing does not depend on their values, and
the ONNX and TFLite models are built from these very tensors, so every Python
engine computes the same function (checked against eager PyTorch at run time).
"""

import torch
from torch import nn

from cases import CASE_BY_NAME

SEED = 0


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))


def cifarnet():
    layers = []
    in_channels = 3
    for channels in (32, 64, 128):
        for _ in range(2):
            layers += [nn.Conv2d(in_channels, channels, 3, padding=1), nn.ReLU()]
            in_channels = channels
        layers.append(nn.MaxPool2d(2))
    layers += [nn.Flatten(), nn.Linear(128 * 4 * 4, 10)]
    return nn.Sequential(*layers)


_BUILDERS = {
    "lenet5_infer_b1": lenet5,
    "lenet5_train_b64": lenet5,
    "cifar_infer_b1": cifarnet,
    "conv3x3_64x56x56_fwd": lambda: nn.Sequential(nn.Conv2d(64, 64, 3, padding=1)),
    "lecture_conv_fwd": lambda: nn.Sequential(nn.Conv2d(3, 10, 5, stride=1, padding=2)),
}


def build(case_name):
    """The module for a case, with seeded weights, plus a seeded input batch."""
    case = CASE_BY_NAME[case_name]
    torch.manual_seed(SEED)
    model = _BUILDERS[case_name]()
    x = torch.randn(case.input_shape)
    return model, x


def layer_plan(model):
    """Flattens an nn.Sequential into plain ops with numpy weights.

    A ReLU directly after a conv or linear is folded into it ("relu": True),
    which is how TFLite expresses it (fused activation).
    """
    plan = []
    for module in model:
        if isinstance(module, nn.Conv2d):
            assert module.groups == 1 and module.dilation == (1, 1)
            plan.append({"op": "conv", "weight": module.weight.detach().numpy(),
                         "bias": module.bias.detach().numpy(), "stride": module.stride,
                         "padding": module.padding, "relu": False})
        elif isinstance(module, nn.Linear):
            plan.append({"op": "linear", "weight": module.weight.detach().numpy(),
                         "bias": module.bias.detach().numpy(), "relu": False})
        elif isinstance(module, nn.ReLU):
            assert plan and plan[-1]["op"] in ("conv", "linear") and not plan[-1]["relu"]
            plan[-1]["relu"] = True
        elif isinstance(module, nn.MaxPool2d):
            assert module.padding == 0
            plan.append({"op": "maxpool", "kernel": module.kernel_size,
                         "stride": module.stride})
        elif isinstance(module, nn.Flatten):
            plan.append({"op": "flatten"})
        else:
            raise TypeError(f"no plan for {type(module).__name__}")
    return plan
