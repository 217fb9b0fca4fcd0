#!/usr/bin/python3
"""Independent oracle for tests/network_shapes_test.cc.

Builds, in PyTorch, the networks that the test declares as staticnn types and
prints, for one sample, every layer's output shape, parameter count (sum of
numel) and multiply-accumulates. MACs are computed from the output shapes that
torch itself produces (forward hooks), not from staticnn's formulas:
    Conv2d: out.numel() * (in_channels / groups) * kernel_h * kernel_w
    Linear: in_features * out_features
    everything else: 0 (pooling and activations are not counted as MACs)

Run:  /usr/bin/python3 tools/count_with_torch.py
and paste the printed numbers into the test (which names this script).
"""

import warnings

import torch
from torch import nn

# torch warns that padding='same' with an even kernel may copy the input.
warnings.filterwarnings("ignore", message=".*padding='same'.*")


def lecture():
    # 10 filters 5x5, stride 1, pad 2 on 3x32x32.
    return (3, 32, 32), nn.Sequential(nn.Conv2d(3, 10, 5, stride=1, padding=2))


def lenet5():
    return (1, 28, 28), nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))


def cifar():
    # [(Conv3x3 pad 1 - ReLU) * 2 - MaxPool2] * 3 - Flatten - Linear
    layers, c_in = [], 3
    for c in (32, 64, 128):
        layers += [nn.Conv2d(c_in, c, 3, padding=1), nn.ReLU(),
                   nn.Conv2d(c, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        c_in = c
    layers += [nn.Flatten(), nn.Linear(128 * 4 * 4, 10)]
    return (3, 32, 32), nn.Sequential(*layers)


def zoo():
    # Rectangular, dilated, grouped, depthwise, 1x1 without bias, pooling with
    # stride != kernel and padding, floor rounding, global pooling.
    return (4, 17, 23), nn.Sequential(
        nn.Conv2d(4, 8, (3, 5), stride=(2, 1), padding=(1, 2)), nn.ReLU(),
        nn.Conv2d(8, 8, 3, dilation=2, padding=2),
        nn.Conv2d(8, 16, 3, groups=2, padding=1),
        nn.Conv2d(16, 16, 3, groups=16, padding=1),
        nn.Conv2d(16, 8, 1, bias=False),
        nn.MaxPool2d(3, stride=2, padding=1),
        nn.AvgPool2d((3, 2), stride=(1, 2), padding=(1, 1)),
        nn.Conv2d(8, 12, 2, stride=2),  # 5x7 input: torch floors (staticnn: Rounding::floor)
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(12, 5, bias=False),
        nn.LeakyReLU(0.2),
        nn.Softmax(dim=1))


def same_padding():
    # torch supports padding='same' for stride 1 only (odd, even and dilated kernels).
    return (3, 10, 10), nn.Sequential(
        nn.Conv2d(3, 4, 3, padding='same'),
        nn.Conv2d(4, 4, 4, padding='same'),
        nn.Conv2d(4, 2, (2, 5), dilation=2, padding='same'))


def count(name, input_chw, model):
    rows = []

    def hook(module, inputs, output):
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            macs = output.numel() * (module.in_channels // module.groups) * kh * kw
        elif isinstance(module, nn.Linear):
            macs = module.in_features * module.out_features
        else:
            macs = 0
        params = sum(p.numel() for p in module.parameters())
        rows.append((type(module).__name__, tuple(output.shape[1:]), params, macs))

    for m in model:
        m.register_forward_hook(hook)
    with torch.no_grad():
        model(torch.zeros(1, *input_chw))

    print(f"{name}: input {input_chw}")
    for i, (kind, shape, params, macs) in enumerate(rows):
        print(f"  {i:2d} {kind:18s} out {str(shape):16s} params {params:8d}  macs {macs:10d}")
    total_params = sum(p.numel() for p in model.parameters())
    total_macs = sum(r[3] for r in rows)
    print(f"  total params {total_params}  macs {total_macs}")


if __name__ == "__main__":
    print(f"torch {torch.__version__}")
    for fn in (lecture, lenet5, cifar, zoo, same_padding):
        count(fn.__name__, *fn())
