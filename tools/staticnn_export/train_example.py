#!/usr/bin/python3
"""The exporter's worked example, step 1: trains a small CNN in PyTorch (which
quadrant of a noisy 16x16 image holds a bright square; a few seconds on a CPU)
and writes, to the directory given (default: the current one),

  quadrants.pt     the trained torch.nn.Sequential (torch.save)
  sample.f32       one test image, raw float32 (1 x 16 x 16)
  expected.f32     the trained model's output for it in eval() mode, float32

Then (see the README): export quadrants.pt with staticnn_export, build
examples/exported_inference with the header, and run it on sample.f32 and
expected.f32.
"""

import os
import sys

import torch
from torch import nn


def images(n, generator):
    """n noisy 16x16 images, each with a bright 4x4 square in one quadrant."""
    x = torch.rand(n, 1, 16, 16, generator=generator) * 0.5
    labels = torch.randint(0, 4, (n,), generator=generator)
    offsets = torch.randint(0, 5, (n, 2), generator=generator)
    for i in range(n):
        top = 8 * (int(labels[i]) // 2) + int(offsets[i, 0])
        left = 8 * (int(labels[i]) % 2) + int(offsets[i, 1])
        x[i, 0, top:top + 4, left:left + 4] += 1.0
    return x, labels


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.2), nn.Linear(16 * 4 * 4, 4))
    generator = torch.Generator().manual_seed(1)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    for step in range(150):
        x, y = images(64, generator)
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    x, y = images(256, generator)
    with torch.no_grad():
        accuracy = float((model(x).argmax(1) == y).float().mean())
        output = model(x[:1])
    print("trained: last batch loss %.3f, test accuracy %.1f%%" % (float(loss), 100 * accuracy))
    torch.save(model, os.path.join(out_dir, "quadrants.pt"))
    x[0].numpy().astype("<f4").tofile(os.path.join(out_dir, "sample.f32"))
    output[0].numpy().astype("<f4").tofile(os.path.join(out_dir, "expected.f32"))
    print("PyTorch's output for sample.f32: %s" % " ".join("%.6g" % v for v in output[0].tolist()))
    print("wrote quadrants.pt, sample.f32, expected.f32 in %s" % os.path.abspath(out_dir))


if __name__ == "__main__":
    main()
