#!/usr/bin/python3
"""encoder_train_torch.py - the PyTorch CPU baseline of
bench/encoder-train.sh: one training step (forward and backward, train
mode: batch statistics) of torchvision ARCH up to layer4 with an IN_CH
channel stem, as medcap's encoder, on a random batch; the loss is the sum
of the grid times fixed weights.  Prints the median seconds per step over
STEPS steps after one warm-up step.

  encoder_train_torch.py ARCH IN_CH SIZE BATCH THREADS STEPS
"""
import sys
import time

import torch
import torchvision


def main():
    arch, in_ch, size, batch, threads, steps = sys.argv[1], *map(int, sys.argv[2:7])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = getattr(torchvision.models, arch)(weights=None)
    model.conv1 = torch.nn.Conv2d(in_ch, 64, 7, 2, 3, bias=False)
    body = torch.nn.Sequential(*list(model.children())[:-2]).train()
    x = torch.randn(batch, in_ch, size, size)
    with torch.no_grad():
        r = torch.randn_like(body(x)) * 1e-3
    times = []
    for s in range(steps + 1):
        t0 = time.perf_counter()
        body.zero_grad(set_to_none=False)
        (body(x) * r).sum().backward()
        if s > 0:
            times.append(time.perf_counter() - t0)
    times.sort()
    print("%.4f" % times[len(times) // 2])


if __name__ == "__main__":
    main()
