#!/usr/bin/python3
"""Plots what examples/train_fashion_mnist writes into its output directory.

  log.csv        -> training_curves.png  (loss and accuracy per epoch, train and test)
  confusion.csv  -> confusion_matrix.png (counts, with class names)

Usage: /usr/bin/python3 tools/plot_training.py <output dir>
Needs python3-matplotlib (tools/run-example installs it).
"""

import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402


def read_log(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit("error: %s has no epochs" % path)
    return {k: [float(r[k]) for r in rows] for k in rows[0]}


def plot_curves(log, path):
    epochs = [int(e) for e in log["epoch"]]
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(9, 3.4))
    loss_ax.plot(epochs, log["train_loss"], "o-", label="train")
    loss_ax.plot(epochs, log["test_loss"], "s-", label="test")
    loss_ax.set(xlabel="epoch", ylabel="cross-entropy loss", title="Loss")
    acc_ax.plot(epochs, [100 * a for a in log["train_accuracy"]], "o-", label="train")
    acc_ax.plot(epochs, [100 * a for a in log["test_accuracy"]], "s-", label="test")
    acc_ax.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy")
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
        ax.legend()
        ax.set_xticks(epochs)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_confusion(path_csv, path):
    with open(path_csv, newline="") as f:
        rows = list(csv.reader(f))
    names = rows[0][1:]
    counts = [[int(c) for c in r[1:]] for r in rows[1:]]
    fig, ax = plt.subplots(figsize=(7.2, 6.2))
    im = ax.imshow(counts, cmap="Blues")
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set(xlabel="predicted", ylabel="true class",
           title="Confusion matrix (test set, %d images)" % sum(map(sum, counts)))
    top = max(max(r) for r in counts)
    for i, row in enumerate(counts):
        for j, c in enumerate(row):
            ax.text(j, i, str(c), ha="center", va="center", fontsize=8,
                    color="white" if c > top / 2 else "black")
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: plot_training.py <output dir of train_fashion_mnist>")
    out = sys.argv[1]
    plot_curves(read_log(os.path.join(out, "log.csv")),
                os.path.join(out, "training_curves.png"))
    plot_confusion(os.path.join(out, "confusion.csv"),
                   os.path.join(out, "confusion_matrix.png"))
    print("wrote %s/{training_curves.png,confusion_matrix.png}" % out)


if __name__ == "__main__":
    main()
