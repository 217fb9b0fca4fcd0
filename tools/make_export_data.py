#!/usr/bin/python3
"""The data of the exporter's round-trip tests (tests/export/): PyTorch models
exported to ONNX by staticnn_export's own PyTorch front end, a fixed input and
PyTorch's output, and ONNX files the exporter must refuse.

Run with Debian's python3-torch and python3-onnx:
    /usr/bin/python3 tools/make_export_data.py [output_dir]   # tests/export/golden

Per model <m>: <m>.onnx (the module in eval() semantics, BatchNorm kept as
nodes, node names carrying the module paths) and <m>.gold (the format of
tools/make_golden.py, read by tests/golden.hpp) with
  param_count, buffer_count   PyTorch's counts (num_batches_tracked aside)
  x                           input, 2 samples, float32
  y                           module.eval()(x), float64 from the float32
                              weights and input, rounded once
  y.mag                       max |y|; the test's tolerance is relative to it
for LeNet-5 also <m>.sample.f32 and <m>.expected.f32 (sample 0 and its
output, raw float32: examples/exported_inference's files), and
expected_counts.hpp (the counts and output shapes as constants, for the
test's static_asserts). Models: LeNet-5 (a few SGD steps on random data), a
small network with every other layer kind staticnn has (BatchNorm 1d and 2d,
identity and projection residual blocks, a Concat, the activations, pools,
Dropout, Softmax), and the four MLPerf Tiny models of tools/mlperf_tiny_torch.py
with its seeded weights and calibrated BatchNorm statistics. Refused:
bad_op.onnx (an op staticnn has no layer for) and bad_padding.onnx (padding
only on the top and left, which staticnn cannot express).
"""

import os
import sys

import torch
from torch import nn

TOOLS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, TOOLS)
import mlperf_tiny_torch as tiny  # noqa: E402  (sets float64 as the default dtype)
from staticnn_export.from_torch import to_onnx  # noqa: E402

torch.set_default_dtype(torch.float32)
OUT_DIR = os.path.join(TOOLS, "..", "tests", "export", "golden")
BATCH = 2
MLPERF = ("ds_cnn", "mobilenet_v1", "resnet8", "autoencoder")


def lenet5():
    return (1, 28, 28), nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


class Fire(nn.Module):
    """SqueezeNet's fire module: a squeeze, then two branches concatenated."""

    def __init__(self, cin, squeeze, expand):
        super().__init__()
        self.squeeze = nn.Sequential(nn.Conv2d(cin, squeeze, 1), nn.ReLU())
        self.expand1 = nn.Sequential(nn.Conv2d(squeeze, expand, 1), nn.Tanh())
        self.expand3 = nn.Sequential(nn.Conv2d(squeeze, expand, 3, padding=1, dilation=1),
                                     nn.Sigmoid())

    def forward(self, x):
        x = self.squeeze(x)
        return torch.cat([self.expand1(x), self.expand3(x)], 1)


def blocks():
    c = 8
    return (3, 20, 20), nn.Sequential(
        nn.Conv2d(3, c, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU6(),
        tiny.Residual(nn.Conv2d(c, c, 3, padding=2, dilation=2, groups=2), nn.BatchNorm2d(c),
                      nn.LeakyReLU(0.2), nn.Conv2d(c, c, (1, 3), padding=(0, 1))),
        tiny.Projection(
            nn.Sequential(nn.Conv2d(c, 12, 3, stride=2, padding=1), nn.BatchNorm2d(12),
                          nn.Hardswish()),
            nn.Sequential(nn.AvgPool2d(2), nn.Conv2d(c, 12, 1))),
        Fire(12, 4, 6),
        nn.MaxPool2d(3, stride=2, padding=1),
        nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.3),
        nn.Linear(12, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 5), nn.Softmax(dim=1))


def mlperf(builder):
    """An MLPerf Tiny model with mlperf_tiny_torch's weights, its Dropout (which
    draws staticnn's masks) as torch.nn.Dropout."""
    def make():
        in_shape, model = builder(tiny.SplitMix())
        for parent in model.modules():
            for name, child in parent.named_children():
                if isinstance(child, tiny.Dropout):
                    setattr(parent, name, nn.Dropout(child.p))
        torch.set_default_dtype(torch.float64)  # as mlperf_tiny_torch computes them
        model.double()
        tiny.init_weights(model, 1234)
        tiny.calibrate(model, in_shape, 99)
        torch.set_default_dtype(torch.float32)
        return in_shape, model.float()
    return make


def train_briefly(model, in_shape, classes):
    """A few SGD steps on random data, so the weights are not the initial ones."""
    torch.manual_seed(3)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for _ in range(20):
        x = torch.rand(16, *in_shape)
        loss = nn.functional.cross_entropy(model(x), torch.randint(0, classes, (16,)))
        opt.zero_grad()
        loss.backward()
        opt.step()


def randomize_batch_norm(model, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)


def shape3(t):
    s = list(t.shape[1:]) + [1, 1]
    return s[:3]


def make(name, in_shape, model, out_dir):
    model.eval()
    torch.manual_seed(7)
    x = torch.rand(BATCH, *in_shape) * 2 - 1
    with torch.no_grad():  # before the export, which must not change the module
        y = model.double()(x.double())
        y32 = model.float()(x)
    onnx_model = to_onnx(model, in_shape)
    path = os.path.join(out_dir, name + ".onnx")
    with open(path, "wb") as f:
        f.write(onnx_model.SerializeToString())
    print("wrote %-45s %8d bytes" % (os.path.relpath(path), os.path.getsize(path)))
    params = sum(p.numel() for p in model.parameters())
    buffers = sum(v.numel() for k, v in tiny.state_items(model)) - params
    print("   %s: %d parameters, %d buffer values, output %s, PyTorch float32 vs float64: "
          "%.2g of max |y|" % (name, params, buffers, shape3(y),
                               float((y32.double() - y).abs().max() / y.abs().max())))
    if name == "lenet5":  # examples/exported_inference's files: sample 0, raw float32
        x[0].numpy().astype("<f4").tofile(os.path.join(out_dir, name + ".sample.f32"))
        y[0].numpy().astype("<f4").tofile(os.path.join(out_dir, name + ".expected.f32"))
    tiny.write_gold(os.path.join(out_dir, name + ".gold"),
                    [("param_count", torch.tensor(float(params))),
                     ("buffer_count", torch.tensor(float(buffers))),
                     ("x", x), ("y", y), ("y.mag", y.abs().max())])
    return params, buffers, shape3(y)


def refused(out_dir):
    """Two small ONNX files the exporter must refuse, naming the node."""
    bad = {
        "bad_op": ((3, 8, 8), nn.Sequential(nn.Conv2d(3, 4, 3), nn.ELU())),
        "bad_padding": ((3, 8, 8), nn.Sequential(nn.ZeroPad2d((1, 0, 1, 0)), nn.Conv2d(3, 4, 2))),
    }
    for name, (in_shape, model) in bad.items():
        path = os.path.join(out_dir, name + ".onnx")
        with open(path, "wb") as f:
            f.write(to_onnx(model.eval(), in_shape).SerializeToString())
        print("wrote %-45s %8d bytes" % (os.path.relpath(path), os.path.getsize(path)))


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else OUT_DIR
    os.makedirs(out_dir, exist_ok=True)
    print("torch %s" % torch.__version__)
    counts = []
    torch.manual_seed(1)
    in_shape, model = lenet5()
    train_briefly(model, in_shape, 10)
    counts.append(("lenet5", make("lenet5", in_shape, model, out_dir)))
    torch.manual_seed(2)
    in_shape, model = blocks()
    randomize_batch_norm(model, 5)
    counts.append(("blocks", make("blocks", in_shape, model, out_dir)))
    for name, builder, _ in tiny.MODELS:
        if name not in MLPERF:
            continue
        in_shape, model = mlperf(builder)()
        counts.append((name, make(name, in_shape, model, out_dir)))
    refused(out_dir)
    lines = ["// Generated by tools/make_export_data.py: PyTorch's counts and output shapes of",
             "// the models in this directory. Do not edit.", "#pragma once", "",
             "#include \"staticnn/shape.hpp\"", "", "namespace export_expected {", ""]
    for name, (params, buffers, shape) in counts:
        lines += ["struct %s {" % name,
                  "  static constexpr long param_count = %d, buffer_count = %d;" % (params,
                                                                                    buffers),
                  "  static constexpr staticnn::Shape output_shape{%d, %d, %d};" % tuple(shape),
                  "};"]
    lines += ["", "}  // namespace export_expected", ""]
    path = os.path.join(out_dir, "expected_counts.hpp")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    print("wrote %s" % os.path.relpath(path))


if __name__ == "__main__":
    main()
