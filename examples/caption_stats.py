#!/usr/bin/env python3
"""caption_stats.py - what the scores do not say about a run's captions.

    examples/caption_stats.py PRED.ndjson [REFS.ndjson]

Prints one JSON object: the mean caption length in words (and the
references' when REFS is given), the share of captions that end cleanly
(on a full stop or on a word that can end a phrase, not on a comma, colon
or a word such as "the", "of", "with"), the number of captions with a
repeated word trigram, and the share of distinct captions.  Standard
library only.
"""
import json
import re
import sys

WEAK = {",", ":", ";", "a", "an", "the", "of", "with", "and", "or", "in", "to", "at", "on", "for",
        "by", "from", "is", "are", "was", "were", "as", "into", "within", "without", "which", "that",
        "than", "there", "this", "these", "its", "their", "no", "not", "be", "both", "but", "also"}


def captions(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line)["caption"] for line in f if line.strip()]


def tokens(text):
    return re.findall(r"[a-z0-9\u0080-\uffff]+(?:[-/.][a-z0-9]+)*|[:,.;]", text.lower())


def main():
    preds = captions(sys.argv[1])
    out = {"items": len(preds)}
    out["mean_words"] = round(sum(len(c.split()) for c in preds) / max(1, len(preds)), 2)
    if len(sys.argv) > 2:
        refs = captions(sys.argv[2])
        out["ref_mean_words"] = round(sum(len(c.split()) for c in refs) / max(1, len(refs)), 2)
    clean = 0
    repeats = 0
    for c in preds:
        t = tokens(c)
        if t and (t[-1] == "." or t[-1] not in WEAK):
            clean += 1
        words = [w for w in t if w not in {",", ":", ".", ";"}]
        grams = [tuple(words[i:i + 3]) for i in range(len(words) - 2)]
        if len(grams) != len(set(grams)):
            repeats += 1
    out["clean_end_share"] = round(clean / max(1, len(preds)), 3)
    out["captions_with_repeated_trigram"] = repeats
    out["distinct_share"] = round(len(set(preds)) / max(1, len(preds)), 3)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
