"""The peer: the same small CNN and recipe in PyTorch, on the same Fashion-MNIST files.

Modes:
  accuracy  train 5 seeds (or --seeds) for --epochs, printing test accuracy after each epoch
  steptime  median training step time at --batch and --threads, in ms
"""
import argparse, gzip, json, statistics, time

import numpy as np
import torch
import torch.nn as nn


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(folder, split):
    images = read_idx(f"{folder}/{split}-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    labels = read_idx(f"{folder}/{split}-labels-idx1-ubyte.gz").astype(np.int64)
    images = (images - 0.2860) / 0.3530
    return torch.from_numpy(images[:, None]), torch.from_numpy(labels)


def small_cnn():
    def block(cin, cout, stride):
        return [nn.Conv2d(cin, cout, 3, stride, 1), nn.BatchNorm2d(cout), nn.ReLU()]
    return nn.Sequential(*block(1, 16, 1), *block(16, 32, 2), *block(32, 64, 2),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


def test_accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        correct = sum((model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item()
                      for i in range(0, len(x), 1000))
    model.train()
    return correct / len(x)


def train(args, seed, x, y, tx, ty, on_epoch):
    torch.manual_seed(seed)
    model = small_cnn()
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(seed)
    step_ms = []
    for epoch in range(args.epochs):
        order = torch.randperm(len(x), generator=g)
        for b in range(len(x) // args.batch):  # full batches, as ours
            idx = order[b * args.batch:(b + 1) * args.batch]
            t0 = time.perf_counter()
            opt.zero_grad()
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()
            step_ms.append(1e3 * (time.perf_counter() - t0))
            if args.max_steps and len(step_ms) >= args.max_steps:
                return statistics.median(step_ms)
        on_epoch(epoch + 1, model)
    return statistics.median(step_ms)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["accuracy", "steptime"])
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--max-steps", type=int, default=0)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    x, y = load(args.data, "train")
    tx, ty = load(args.data, "t10k")
    if args.mode == "steptime":
        args.epochs, args.max_steps = 1, args.max_steps or 60
        print(json.dumps({"median_step_ms": train(args, 1, x, y, tx, ty, lambda *_: None)}))
        return
    for seed in args.seeds:
        def report(epoch, model):
            print(json.dumps({"seed": seed, "epoch": epoch,
                              "test_accuracy": test_accuracy(model, tx, ty)}), flush=True)
        train(args, seed, x, y, tx, ty, report)


if __name__ == "__main__":
    main()
