"""The benchmark cases as PyTorch modules, plus a framework-neutral layer plan.

Every peer engine runs exactly these shapes. Weights are random (torch's default
initialisation under a fixed seed): timing does not depend on their values, and
the ONNX and TFLite models are built from these very tensors, so every Python
engine computes the same function (checked against eager PyTorch at run time).
The MLPerf Tiny models are tools/mlperf_tiny_torch.py's, in inference mode.
"""

import sys
from pathlib import Path

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


def mlperf_tiny(name):
    """A builder of one of tools/mlperf_tiny_torch.py's models, float32, in eval mode,
    with its BatchNorm statistics calibrated as that script does (activations of unit
    scale, as in a trained model)."""
    def build():
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        default_dtype = torch.get_default_dtype()
        import mlperf_tiny_torch as tiny  # sets float64 as the default dtype
        try:
            torch.set_default_dtype(torch.float64)
            in_shape, model = getattr(tiny, name)(tiny.SplitMix())
            tiny.init_weights(model, SEED)
            tiny.calibrate(model, in_shape, SEED)
        finally:
            torch.set_default_dtype(default_dtype)
        return model.float().eval()
    return build


_BUILDERS = {
    "lenet5_infer_b1": lenet5,
    "lenet5_train_b64": lenet5,
    "cifar_infer_b1": cifarnet,
    "conv3x3_64x56x56_fwd": lambda: nn.Sequential(nn.Conv2d(64, 64, 3, padding=1)),
    "lecture_conv_fwd": lambda: nn.Sequential(nn.Conv2d(3, 10, 5, stride=1, padding=2)),
    "cifar_train_b64": cifarnet,
    "dscnn_infer_b1": mlperf_tiny("ds_cnn"),
    "mobilenetv1_infer_b1": mlperf_tiny("mobilenet_v1"),
    "resnet8_infer_b1": mlperf_tiny("resnet8"),
    "autoencoder_infer_b1": mlperf_tiny("autoencoder"),
}


def build(case_name):
    """The module for a case, with seeded weights, plus a seeded input batch."""
    case = CASE_BY_NAME[case_name]
    torch.manual_seed(SEED)
    model = _BUILDERS[case_name]()
    x = torch.randn(case.input_shape)
    return model, x


def _pair(size):
    return tuple(size) if isinstance(size, (tuple, list)) else (size, size)


def _fold_batch_norm(layer, bn):
    """Folds an inference-mode BatchNorm into the conv or linear layer before it."""
    scale = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach().numpy()
    shift = (bn.bias - bn.running_mean * bn.weight /
             torch.sqrt(bn.running_var + bn.eps)).detach().numpy()
    layer["weight"] = layer["weight"] * scale.reshape((-1,) + (1,) * (layer["weight"].ndim - 1))
    layer["bias"] = layer["bias"] * scale + shift


def layer_plan(model):
    """Flattens a model into plain ops with numpy weights, inference mode.

    A ReLU directly after a conv, linear or residual add is folded into it
    ("relu": True), and a BatchNorm into the conv or linear before it, which is
    how TFLite expresses them (fused activation, folded constants). Residual
    blocks become {"op": "residual", "main": plan, "shortcut": plan} (an empty
    shortcut is the identity); Dropout is the identity.
    """
    plan = []
    for module in model:
        if isinstance(module, nn.Conv2d):
            assert module.dilation == (1, 1)
            assert module.groups == 1 or (
                module.groups == module.in_channels == module.out_channels)  # depthwise
            plan.append({"op": "conv", "weight": module.weight.detach().numpy(),
                         "bias": module.bias.detach().numpy(), "stride": module.stride,
                         "padding": module.padding, "depthwise": module.groups > 1,
                         "relu": False})
        elif isinstance(module, nn.Linear):
            plan.append({"op": "linear", "weight": module.weight.detach().numpy(),
                         "bias": module.bias.detach().numpy(), "relu": False})
        elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            assert plan and plan[-1]["op"] in ("conv", "linear") and not plan[-1]["relu"]
            _fold_batch_norm(plan[-1], module)
        elif isinstance(module, nn.ReLU):
            assert plan and plan[-1]["op"] in ("conv", "linear", "residual")
            assert not plan[-1]["relu"]
            plan[-1]["relu"] = True
        elif isinstance(module, nn.MaxPool2d):
            assert module.padding == 0
            plan.append({"op": "maxpool", "kernel": module.kernel_size,
                         "stride": module.stride})
        elif isinstance(module, nn.AvgPool2d):
            assert module.padding == 0 and not module.ceil_mode
            plan.append({"op": "avgpool", "kernel": _pair(module.kernel_size),
                         "stride": _pair(module.stride)})
        elif isinstance(module, nn.Flatten):
            plan.append({"op": "flatten"})
        elif isinstance(module, nn.Sequential) and type(module).__name__ == "Residual":
            plan.append({"op": "residual", "main": layer_plan(module), "shortcut": [],
                         "relu": False})
        elif type(module).__name__ == "Projection":
            plan.append({"op": "residual", "main": layer_plan(module.main),
                         "shortcut": layer_plan(module.shortcut), "relu": False})
        elif isinstance(module, nn.Sequential):
            plan += layer_plan(module)
        elif type(module).__name__ == "Dropout" or isinstance(module, nn.Dropout):
            pass
        else:
            raise TypeError(f"no plan for {type(module).__name__}")
    return plan
