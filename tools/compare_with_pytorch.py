#!/usr/bin/python3
"""The Fashion-MNIST example against PyTorch on this machine, in one run.

Trains the example's network (examples/fashion_mnist.hpp) with the same
settings in PyTorch: the same layers and default initialisation, the same
input normalisation, batch 64, AdamW (weight decay 0.01) under OneCycleLR
(max_lr 2e-3, beta1 cycled 0.95 -> 0.85 -> 0.95), 5 epochs of shuffled
batches without augmentation, evaluation after every epoch. Then runs the
staticnn example binary the same way and prints both: test accuracy, training
seconds (the epochs' training loops) and wall seconds (the whole program).

Usage: /usr/bin/python3 tools/compare_with_pytorch.py [--epochs 5] [--torch-threads 1,2]
Needs python3-torch (Debian) and the example built by tools/run-example
(build-example/examples/train_fashion_mnist). Not needed by the tests.
"""

import argparse
import gzip
import os
import re
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DATA = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2860, 0.3530
BATCH, MAX_LR, WEIGHT_DECAY = 64, 2e-3, 0.01


def idx(name, offset):
    with gzip.open(os.path.join(DATA, name + ".gz")) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def load():
    def images(name):
        x = idx(name, 16).reshape(-1, 1, 28, 28).astype(np.float32)
        return torch.from_numpy((x / 255.0 - MEAN) / STD)

    def labels(name):
        return torch.from_numpy(idx(name, 8).astype(np.int64))

    return (images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte"),
            images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte"))


def network():
    # examples/fashion_mnist.hpp's Net.
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def train_torch(data, epochs, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    xtr, ytr, xte, yte = data
    start = time.perf_counter()
    net = network()
    opt = torch.optim.AdamW(net.parameters(), lr=MAX_LR, weight_decay=WEIGHT_DECAY)
    batches = len(xtr) // BATCH
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=MAX_LR,
                                                total_steps=epochs * batches)
    train_seconds = 0.0
    accuracy = 0.0
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        order = torch.randperm(len(xtr))
        loss_sum = 0.0
        for b in range(batches):
            i = order[b * BATCH:(b + 1) * BATCH]
            loss = F.cross_entropy(net(xtr[i]), ytr[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item()
        seconds = time.perf_counter() - t0
        train_seconds += seconds
        with torch.no_grad():
            accuracy = (torch.cat([net(xte[j:j + 1000]).argmax(1)
                                   for j in range(0, len(xte), 1000)]) == yte).float().mean().item()
        print("  torch %d thread(s) epoch %d: loss %.4f test %.2f%% %.1f s"
              % (threads, epoch, loss_sum / batches, 100 * accuracy, seconds), flush=True)
    return accuracy, train_seconds, time.perf_counter() - start


def run_staticnn(epochs):
    binary = os.path.join(ROOT, "build-example", "examples", "train_fashion_mnist")
    data = os.path.join(ROOT, "build-example", "fashion-mnist")
    if not os.path.exists(binary) or not os.path.isdir(data):
        sys.exit("error: run tools/run-example first (needs %s)" % binary)
    start = time.perf_counter()
    out = subprocess.run([binary, data, str(epochs)], check=True, capture_output=True,
                         text=True).stdout
    wall = time.perf_counter() - start
    for line in out.splitlines():
        if line.startswith("epoch") and "train loss" in line:
            print("  staticnn " + line, flush=True)
    m = re.search(r"final test accuracy ([\d.]+)%; training ([\d.]+) s", out)
    return float(m.group(1)) / 100, float(m.group(2)), wall


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--torch-threads", default="1,2")
    args = parser.parse_args()
    data = load()
    results = [("staticnn (1 thread, %s)" % "dynamic dispatch", run_staticnn(args.epochs))]
    for threads in [int(t) for t in args.torch_threads.split(",")]:
        results.append(("PyTorch %s (%d thread%s)" % (torch.__version__, threads,
                                                      "s" if threads > 1 else ""),
                        train_torch(data, args.epochs, threads)))
    base = results[0][1][1]
    title = "run (%d epochs)" % args.epochs
    print("\n| %-36s | test accuracy | training s | wall s | training time vs staticnn |"
          % title)
    print("|---|---|---|---|---|")
    for name, (accuracy, train_s, wall_s) in results:
        print("| %-36s | %.2f%% | %.1f | %.1f | %.2fx |"
              % (name, 100 * accuracy, train_s, wall_s, train_s / base))


if __name__ == "__main__":
    main()
