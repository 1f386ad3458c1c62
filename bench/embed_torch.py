#!/usr/bin/python3
"""embed_torch.py - the PyTorch reference for bench/embed.sh.

The same joint image-text embedding as medcap-train --objective
contrastive: image side linear(pooled features - mean) then L2 norm; text
side a softmax-weighted mean of word embeddings (one learned score per
word) then linear then L2 norm; symmetric InfoNCE with a learned log
temperature clamped to [0, log 100]; Adam (0.9, 0.98, eps 1e-6), cosine
learning rate, no dropout.  Reads the same feature frames with captions
(bench/synth_features.py) and builds the vocabulary of their words.

  embed_torch.py train FRAMES --epochs E --batch B --max-len T  -> pairs/s
  embed_torch.py embed FRAMES --max-len T  -> captions/s, one at a time

Prints one JSON line {"mode", "items", "seconds", "per_s"}; the clock runs
around the training or embedding loop only.
"""
import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).parent))
from decoder_torch import read_frames, tokenize  # noqa: E402


class Embed(nn.Module):
    def __init__(self, c, v, e, d):
        super().__init__()
        self.image_proj = nn.Linear(c, d)
        self.text_embed = nn.Embedding(v, e)
        self.text_pool = nn.Parameter(torch.zeros(v))
        self.text_proj = nn.Linear(e, d)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def image(self, x):
        return F.normalize(self.image_proj(x), dim=1)

    def text(self, tok, mask):
        s = self.text_pool[tok].masked_fill(~mask, float("-inf"))
        a = torch.softmax(s, dim=1).unsqueeze(2)
        return F.normalize(self.text_proj((a * self.text_embed(tok)).sum(1)), dim=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["train", "embed"])
    ap.add_argument("frames")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--max-len", type=int, default=64)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    recs, feats = [], []
    for rec, arr in read_frames(a.frames):
        recs.append(rec)
        v = arr.mean(0)
        feats.append(v / max(np.linalg.norm(v), 1e-12))
    x = torch.from_numpy(np.stack(feats))
    x = x - x.mean(0)
    words = sorted({w for r in recs for w in tokenize(r["caption"])})
    index = {w: i + 4 for i, w in enumerate(words)}
    n, T = len(recs), a.max_len
    tok = torch.zeros(n, T, dtype=torch.long)
    mask = torch.zeros(n, T, dtype=torch.bool)
    for i, r in enumerate(recs):
        ids = [index[w] for w in tokenize(r["caption"])][:T]
        tok[i, : len(ids)] = torch.tensor(ids)
        mask[i, : len(ids)] = True
    m = Embed(x.shape[1], len(words) + 4, a.dim, a.dim)
    if a.mode == "embed":
        with torch.no_grad():
            t0 = time.perf_counter()
            for i in range(n):
                m.text(tok[i : i + 1], mask[i : i + 1])
            secs = time.perf_counter() - t0
        print(json.dumps({"mode": "embed", "items": n, "seconds": secs, "per_s": n / secs}))
        return
    opt = torch.optim.Adam(m.parameters(), lr=a.lr, betas=(0.9, 0.98), eps=1e-6)
    steps = a.epochs * ((n + a.batch - 1) // a.batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * s / steps)))
    g = torch.Generator().manual_seed(1)
    t0 = time.perf_counter()
    for _ in range(a.epochs):
        order = torch.randperm(n, generator=g)
        for b in range(0, n, a.batch):
            idx = order[b : b + a.batch]
            if len(idx) < 2:
                continue
            i, t = m.image(x[idx]), m.text(tok[idx], mask[idx])
            logits = m.logit_scale.exp() * i @ t.T
            target = torch.arange(len(idx))
            loss = (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            with torch.no_grad():
                m.logit_scale.clamp_(0, math.log(100))
    secs = time.perf_counter() - t0
    print(json.dumps({"mode": "train", "items": n * a.epochs, "seconds": secs,
                      "per_s": n * a.epochs / secs, "loss": float(loss)}))


if __name__ == "__main__":
    main()
