#!/usr/bin/python3
"""decoder_torch.py - the PyTorch reference for bench/decoder.sh.

The same Show, Attend and Tell decoder as medcap's sat-lstm (Xu et al.,
2015): mean-grid initial state, additive attention over the grid at every
step, a sigmoid gate on the context, an LSTM cell on [embedding; context],
dropout, a linear layer to the vocabulary, label-smoothed cross-entropy
plus the doubly stochastic attention penalty, AdamW with gradient clipping.

It reads the same feature frames (medcap-frame(5)) with captions and takes
the vocabulary, the sizes and the weights from a medcap model file
(safetensors; tensor names are the same under "decoder."), so both sides
see the same data, vocabulary, sizes and weights, and decode the same
captions.  Prints one JSON line:
  {"mode": ..., "items": N, "seconds": S, "per_s": N/S, ...}
and with --captions FILE writes the decoded captions as NDJSON.

  decoder_torch.py train  FRAMES MODEL --batch 32 --epochs 1
  decoder_torch.py greedy FRAMES MODEL --max-len 30
  decoder_torch.py beam   FRAMES MODEL --beam 3 --max-len 30
  --tuned: set_num_interop_threads(--threads) too, inference_mode to decode
"""
import argparse
import json
import re
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

PAD, BOS, EOS, UNK = 0, 1, 2, 3


def read_frames(path):
    """Yield (record, array) for each grid feature frame of a frame file."""
    with open(path, "rb") as f:
        while True:
            head = f.read(64)
            if not head:
                return
            if len(head) < 64 or head[:8] != b"\x89MCFRAME":
                sys.exit(f"decoder_torch.py: {path}: not a medcap frame")
            dtype, ndim = head[10], head[11]
            dims = struct.unpack_from("<4I", head, 16)[:ndim]
            meta_len = struct.unpack_from("<I", head, 32)[0]
            payload_len = struct.unpack_from("<Q", head, 40)[0]
            meta = f.read((meta_len + 63) // 64 * 64)[:meta_len]
            data = f.read((payload_len + 63) // 64 * 64)[:payload_len]
            rec = json.loads(meta)
            if dtype != 3 or ndim != 2 or rec.get("feature", "grid") != "grid":
                continue
            yield rec, np.frombuffer(data, dtype="<f4").reshape(dims)


def read_safetensors(path):
    """(__metadata__ map, {name: float32 tensor}) of a safetensors file."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    dtypes = {"F32": "<f4", "F16": "<f2"}
    tensors = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        b, e = t["data_offsets"]
        arr = np.frombuffer(data[b:e], dtype=dtypes[t["dtype"]]).astype(np.float32)
        tensors[name] = torch.from_numpy(arr.reshape(t["shape"]).copy())
    return header.get("__metadata__", {}), tensors


def tokenize(text):
    """Lower-case words and numbers; punctuation dropped."""
    return re.findall(r"[a-z0-9]+", text.lower())


def encode_caption(text, index, max_len):
    ids = [index.get(w, UNK) for w in tokenize(text)][: max_len - 1]
    return [BOS] + ids + [EOS] + [PAD] * (max_len - 1 - len(ids))


class SATDecoder(nn.Module):
    def __init__(self, vocab, embed, hidden, attn, channels, dropout):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.init_h = nn.Linear(channels, hidden)
        self.init_c = nn.Linear(channels, hidden)
        self.att_feat = nn.Linear(channels, attn)
        self.att_hidden = nn.Linear(hidden, attn)
        self.att_score = nn.Linear(attn, 1)
        self.gate = nn.Linear(hidden, channels)
        self.lstm = nn.LSTMCell(embed + channels, hidden)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, vocab)

    def start(self, grid):
        mean = grid.mean(dim=1)
        return self.init_h(mean), self.init_c(mean), self.att_feat(grid)

    def step(self, grid, pgrid, tok, h, c):
        """One decoding step: logits (B,V), alpha (B,G), new h, c."""
        e = torch.tanh(pgrid + self.att_hidden(h).unsqueeze(1))
        alpha = F.softmax(self.att_score(e).squeeze(2), dim=1)
        ctx = (alpha.unsqueeze(2) * grid).sum(dim=1)
        ctx = torch.sigmoid(self.gate(h)) * ctx
        h, c = self.lstm(torch.cat([self.embedding(tok), ctx], dim=1), (h, c))
        return self.out(self.drop(h)), alpha, h, c

    def loss(self, grid, caps, smoothing, alpha_c):
        """Teacher-forced label-smoothed cross-entropy + attention penalty."""
        h, c, pgrid = self.start(grid)
        T = caps.shape[1] - 1
        logits, alphas = [], []
        for t in range(T):
            lg, a, h, c = self.step(grid, pgrid, caps[:, t], h, c)
            logits.append(lg)
            alphas.append(a)
        logits = torch.stack(logits, 1)
        ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), caps[:, 1:].reshape(-1),
                             ignore_index=PAD, label_smoothing=smoothing)
        alphas = torch.stack(alphas, 1)
        return ce + alpha_c * ((1.0 - alphas.sum(1)) ** 2).mean()


def greedy(model, grid, max_len):
    h, c, pgrid = model.start(grid)
    tok = torch.tensor([BOS])
    out = []
    for _ in range(max_len):
        lg, _, h, c = model.step(grid, pgrid, tok, h, c)
        tok = lg.argmax(1)
        if tok.item() == EOS:
            break
        out.append(tok.item())
    return out


def beam(model, grid, k, max_len):
    """Beam search of width k for one image; returns the best token list."""
    h, c, pgrid = model.start(grid)
    seqs = [[]]
    scores = torch.zeros(1)
    tok = torch.tensor([BOS])
    best, best_score = [], -float("inf")
    for _ in range(max_len):
        n = len(seqs)
        lg, _, h, c = model.step(grid.expand(n, -1, -1), pgrid.expand(n, -1, -1), tok, h, c)
        total = (scores.unsqueeze(1) + F.log_softmax(lg, 1)).view(-1)
        top, idx = total.topk(k)
        V = lg.shape[1]
        keep_seq, keep_rows, keep_tok, keep_score = [], [], [], []
        for s, i in zip(top.tolist(), idx.tolist()):
            row, w = divmod(i, V)
            if w == EOS:
                if s > best_score:
                    best, best_score = seqs[row], s
            else:
                keep_seq.append(seqs[row] + [w])
                keep_rows.append(row)
                keep_tok.append(w)
                keep_score.append(s)
        if not keep_seq or (best and max(keep_score) <= best_score):
            break
        rows = torch.tensor(keep_rows)
        seqs, h, c = keep_seq, h[rows], c[rows]
        tok, scores = torch.tensor(keep_tok), torch.tensor(keep_score)
    if not best:
        best = seqs[int(scores.argmax())]
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["train", "greedy", "beam"])
    ap.add_argument("frames")
    ap.add_argument("model", help="medcap model file: vocabulary and sizes")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--beam", type=int, default=3)
    ap.add_argument("--max-len", type=int, default=30)
    ap.add_argument("--limit", type=int, default=0, help="use the first N frames")
    ap.add_argument("--captions", help="write the decoded captions here (NDJSON)")
    ap.add_argument("--lr", type=float, default=4e-4)
    ap.add_argument("--weight-decay", type=float, default=0.0)
    ap.add_argument("--label-smoothing", type=float, default=0.1)
    ap.add_argument("--clip", type=float, default=5.0)
    ap.add_argument("--tuned", action="store_true",
                    help="also set the inter-op threads and decode under torch.inference_mode")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.tuned:
        torch.set_num_interop_threads(a.threads)
    torch.manual_seed(1)

    meta, tensors = read_safetensors(a.model)
    vocab = json.loads(meta["vocab"])
    cfg = json.loads(meta["config"])
    index = {w: i for i, w in enumerate(vocab)}
    grids, caps, ids = [], [], []
    for rec, arr in read_frames(a.frames):
        grids.append(arr)
        ids.append(rec["id"])
        caps.append(encode_caption(rec.get("caption", ""), index, a.max_len + 1))
        if a.limit and len(grids) == a.limit:
            break
    grids = torch.from_numpy(np.stack(grids).copy())
    caps = torch.tensor(caps)
    model = SATDecoder(len(vocab), cfg["embed"], cfg["hidden"], cfg.get("attention", cfg["hidden"]),
                       grids.shape[2], cfg.get("dropout", 0.5))
    model.load_state_dict({k[len("decoder."):]: v for k, v in tensors.items()
                           if k.startswith("decoder.")})

    t0 = time.perf_counter()
    tokens = 0
    if a.mode == "train":
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=a.weight_decay)
        n = grids.shape[0]
        for _ in range(a.epochs):
            order = torch.randperm(n)
            for s in range(0, n, a.batch):
                rows = order[s:s + a.batch]
                loss = model.loss(grids[rows], caps[rows], a.label_smoothing,
                                  cfg.get("alpha_c", 1.0))
                opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), a.clip)
                opt.step()
        items = n * a.epochs
    else:
        model.eval()
        captions = []
        with torch.inference_mode() if a.tuned else torch.no_grad():
            for i in range(grids.shape[0]):
                g = grids[i:i + 1]
                out = greedy(model, g, a.max_len) if a.mode == "greedy" else \
                    beam(model, g, a.beam, a.max_len)
                tokens += len(out)
                captions.append(" ".join(vocab[w] for w in out))
        items = grids.shape[0]
        if a.captions:
            with open(a.captions, "w") as f:
                for i, c in zip(ids, captions):
                    f.write(json.dumps({"id": i, "caption": c}) + "\n")
    secs = time.perf_counter() - t0
    print(json.dumps({"mode": a.mode, "items": items, "tokens": tokens, "seconds": round(secs, 3),
                      "per_s": round(items / secs, 3), "threads": torch.get_num_threads(),
                      "interop_threads": torch.get_num_interop_threads(), "tuned": a.tuned,
                      "mkl": torch.backends.mkl.is_available(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
