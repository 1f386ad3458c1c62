#!/usr/bin/env python3
"""Baseline for bench/csv-clean.sh: the CheXpert conversion medcap-csv-clean
--resplit does, written the way a user would script it with the standard
library (gzip, csv, json).  Same records, byte for byte, including the
split hash (FNV-1a 64 with the splitmix64 finaliser, train=80,dev=10,test=10).
Usage: csv_clean_chexpert.py TABLE.csv.gz > records.ndjson"""
import csv, gzip, json, re, sys

OBS = ["No Finding", "Enlarged Cardiomediastinum", "Cardiomegaly", "Lung Opacity",
       "Lung Lesion", "Edema", "Consolidation", "Pneumonia", "Atelectasis",
       "Pneumothorax", "Pleural Effusion", "Pleural Other", "Fracture", "Support Devices"]
M = (1 << 64) - 1
SPLITS = [("train", 80), ("dev", 10), ("test", 10)]


def split_of(key):
    h = 0xcbf29ce484222325
    for b in key.encode():
        h = ((h ^ b) * 0x100000001b3) & M
    h ^= h >> 30; h = (h * 0xbf58476d1ce4e5b9) & M
    h ^= h >> 27; h = (h * 0x94d049bb133111eb) & M
    h ^= h >> 31
    b, acc = h % 100, 0
    for name, w in SPLITS:
        acc += w
        if b < acc:
            return name


def norm(s):
    return " ".join(s.split()).lower()


def main():
    out = sys.stdout
    with gzip.open(sys.argv[1], "rt", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            path = row["Path"]
            m = re.search(r"(patient[^/]*)/", path)
            patient = m.group(1)
            rest = path[m.start():]
            ident = rest.rsplit(".", 1)[0]
            labels, unc = [], []
            for o in OBS[1:]:
                v = row[o]
                if v in ("1.0", "1"):
                    labels.append(o.lower())
                if v in ("-1.0", "-1"):
                    unc.append(o.lower())
            if not labels:
                labels = ["no finding"]
            diag = ", ".join(labels)
            view, proj = norm(row["Frontal/Lateral"]), norm(row["AP/PA"])
            parts = [p for p in (("frontal/lateral", view), ("ap/pa", proj), ("diagnosis", diag)) if p[1]]
            rec = {"id": ident, "image": path,
                   "caption": ", ".join(f"{k}: {v}" for k, v in parts),
                   "split": split_of(patient), "modality": "xr"}
            if view:
                rec["view"] = view
            if proj:
                rec["projection"] = proj
            rec.update({"diagnosis": diag, "labels": labels, "uncertain": unc, "patient_id": patient})
            if row["Sex"]:
                rec["sex"] = norm(row["Sex"])
            if row["Age"].isdigit():
                rec["age"] = int(row["Age"])
            out.write(json.dumps(rec, separators=(",", ":"), ensure_ascii=False))
            out.write("\n")


main()
