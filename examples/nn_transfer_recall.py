#!/usr/bin/python3
"""nn_transfer_recall.py - the cross-modal baseline of eval-contrastive.sh:
retrieval by plain encoder features, with no text model.

Each query image i has its nearest training images (medcap retrieve output:
"neighbors" with similarity and caption).  Its text profile is the
similarity-weighted sum of the TF-IDF vectors of those captions; the score
of image i and caption j is the cosine of that profile and caption j's
TF-IDF vector.  Image to text ranks the captions for each image, text to
image the images for each caption; an item's rank counts the others that
score higher, or as high and come earlier.  IDF comes from the training
captions.

Usage: nn_transfer_recall.py NEIGHBORS.ndjson QUERIES.ndjson TRAIN.ndjson
  NEIGHBORS: one record per query image (same order and ids as QUERIES);
  QUERIES: the records with the captions to find (key "caption");
  TRAIN: the training records (key "caption"), for the IDF.
Prints {"image_to_text": {"r1","r5","r10"}, "text_to_image": {...}, "n"}.
Standard library only.
"""
import json
import math
import re
import sys
from collections import Counter


def words(text):
    return re.findall(r"[a-z0-9]+", text.lower())


def tfidf(text, idf):
    c = Counter(w for w in words(text) if w in idf)
    v = {w: n * idf[w] for w, n in c.items()}
    norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
    return {w: x / norm for w, x in v.items()}


def dot(a, b):
    if len(a) > len(b):
        a, b = b, a
    return sum(x * b.get(w, 0.0) for w, x in a.items())


def recall(ranks):
    n = len(ranks)
    return {"r%d" % k: sum(r < k for r in ranks) / n for k in (1, 5, 10)}


def main():
    nb_path, q_path, train_path = sys.argv[1:4]
    train = [json.loads(l)["caption"] for l in open(train_path) if l.strip()]
    df = Counter(w for t in train for w in set(words(t)))
    idf = {w: math.log(len(train) / d) for w, d in df.items()}
    queries = [json.loads(l) for l in open(q_path) if l.strip()]
    profiles = []
    for line, q in zip(open(nb_path), queries):
        rec = json.loads(line)
        if rec["id"] != q["id"]:
            sys.exit("nn_transfer_recall: %s and %s are not in the same order" % (nb_path, q_path))
        prof = Counter()
        for nb in rec["neighbors"]:
            for w, x in tfidf(nb["caption"], idf).items():
                prof[w] += nb["similarity"] * x
        profiles.append(prof)
    caps = [tfidf(q["caption"], idf) for q in queries]
    n = len(queries)
    s = [[dot(profiles[i], caps[j]) for j in range(n)] for i in range(n)]

    def rank(scores, own):
        return sum(1 for j, x in enumerate(scores) if j != own and (x > scores[own] or (x == scores[own] and j < own)))

    i2t = [rank(s[i], i) for i in range(n)]
    t2i = [rank([s[i][j] for i in range(n)], j) for j in range(n)]
    print(json.dumps({"image_to_text": recall(i2t), "text_to_image": recall(t2i), "n": n}))


if __name__ == "__main__":
    main()
